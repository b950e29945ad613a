"""Catalog tables: the scenario's systems and models with their key figures."""
from __future__ import annotations

import pandas as pd

from demand.catalog import models_table
from fleets.catalog import systems_table
from planner.costcore.efficiency import infer_family
from planner.scenario.schema import Scenario


def catalog_tables(scenario: Scenario) -> dict[str, pd.DataFrame]:
    """The systems (with their efficiency family) and models tables of ``scenario``."""
    return {"systems": systems_table(scenario.systems, infer_family),
            "models": models_table(scenario.models)}

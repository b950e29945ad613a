"""The vectorised cost core: serving physics over model x system x quarter x replica x batch.

Modules: ``arrays`` (schema -> numpy), ``efficiency`` (per-family defaults), ``physics`` (the
formulas, documented there), ``select`` (cheapest configuration, Pareto frontier), ``scalar``
(a plain-Python twin for tests and benchmarks), ``api`` (one-call entry from schema objects).
"""
from planner.costcore.api import CostTable, evaluate
from planner.costcore.arrays import ModelArrays, SystemArrays, model_arrays, system_arrays
from planner.costcore.efficiency import EfficiencyTable, FamilyEfficiency, load_efficiency_table
from planner.costcore.physics import Grid, evaluate_grid
from planner.costcore.select import UNITS, cheapest, pareto

__all__ = [
    "CostTable", "evaluate",
    "ModelArrays", "SystemArrays", "model_arrays", "system_arrays",
    "EfficiencyTable", "FamilyEfficiency", "load_efficiency_table",
    "Grid", "evaluate_grid", "UNITS", "cheapest", "pareto",
]

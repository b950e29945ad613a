"""`planner init`: an editable copy of the default scenario, split into readable files."""
from __future__ import annotations

import os

from planner.errors import InputError, Problem
from planner.output.atomic import atomic_directory
from planner.scenario.compose import (DEFAULT_PARTS, default_part_texts, load_default,
                                      tier_elasticities)
from planner.scenario.yamlload import dump_yaml

ELASTICITY_FILE = "demand-elasticity.yaml"


def write_scaffold(directory: str) -> list[str]:
    """Write scenario.yaml (extending the part files) plus one file per part; return paths."""
    if os.path.exists(directory) and os.listdir(directory):
        raise InputError([Problem(directory, None, "", "directory exists and is not empty; "
                                  "choose a new directory")])
    texts = default_part_texts()
    parts = [os.path.basename(rel) for _, rel in DEFAULT_PARTS[1:]]
    extra = {}
    elastic = tier_elasticities(load_default())
    if elastic:  # the default's price elasticities per tier, written out as data
        extra[ELASTICITY_FILE] = (
            "# The default scenario's price elasticity per demand series: its model tier's from\n"
            "# the planner's demand/data/elasticity.yaml (assumed values; the reasons are there).\n"
            + dump_yaml(elastic))
        parts.append(ELASTICITY_FILE)
    header = ("# Editable copy of the embedded default scenario. The files listed under `extends`\n"
              "# are merged in order, then this file on top (child wins; null removes a key).\n"
              f"extends: [{', '.join(parts)}]\n")
    files = {"scenario.yaml": header + texts[0][1]}
    files.update({name: text for name, (_, text) in zip(parts, texts[1:])})
    files.update(extra)
    with atomic_directory(directory, marker=False) as tmp:
        for name, text in files.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8") as handle:
                handle.write(text)
    return [os.path.join(directory, name) for name in files]

"""Inverse sizing: given a price, a margin and a system, which model sizes can be served?

``size(systems, query, ...)`` evaluates a grid of synthetic models with the cost core
(:func:`planner.costcore.physics.evaluate_grid`, vectorised over every model, replica size and
batch) and reports, per system, total-parameter count and expert routing ("sparsity"), the
largest active-parameter count whose cost allows the price.

Price to allowed cost: ``allowed $/M = price x (1 - margin) / allowance`` for input and output
tokens alike; the allowance (>= 1) keeps room for what the cost core does not see (idle
capacity, peak hours, serving trade-offs). Without an output price, output is priced at
``OUTPUT_PRICE_RATIO`` x the input price (the rate cards of market.md: $25/$125, $10/$50,
$5/$25, $3/$15, $1/$5).

The answer is built as a cascade; each step adds a constraint, so each bound is <= the last:

1. ``prefill``: some replica size processes input at <= the allowed $/M input (decode, memory
   and speed ignored: "if prefill were the whole cost");
2. ``memory``: such a replica also holds the weights and the KV cache of at least one
   sequence in HBM (a replica of at most ``MAX_REPLICA_CHIPS`` chips);
3. ``decode``: one configuration (replica, batch) that fits also generates output at <= the
   allowed $/M output: decode is memory-bound, and the batches that fit decide its cost;
4. ``speed``: it also meets the per-user tokens/s and time-to-first-token targets (the answer).

A bound is the largest grid active count that passes; ``binds`` names the step with the
largest cut (``none`` when even the answer is the top of the row's range). Since each bound is a
maximum over a set of grid points and a higher price (or a faster system, which never costs
more per configuration) only enlarges that set, the answer is monotone in both.

Synthetic models (``architecture``): active counts on a log grid of ``steps_per_decade`` per
decade; dense rows have active = total; a top-k of E MoE row spans k/E x total <= active <
total. Width and depth follow a dense transformer's ~12 x layers x hidden^2 parameters with
hidden / layers = ``ASPECT`` (70B -> hidden ~9k, 71 layers; 500B -> ~17k, 137 layers, close to
the catalog's frontier stand-ins); attention is MLA-style as in the catalog (query-key width
4.5 x hidden, a 576-element latent KV cache per layer at 1 byte, 2 bytes for 16-bit weights).
"""
from planner.queries.sizing.compute import SizeAnswer, size, size_in_scenario
from planner.queries.sizing.models import synthetic_model
from planner.queries.sizing.query import (DEFAULT_EXPERTS, DEFAULT_TOTALS_B, STEPS_PER_DECADE,
                                          SizeQuery)
from planner.queries.sizing.view import plot_feasible, render

__all__ = ["DEFAULT_EXPERTS", "DEFAULT_TOTALS_B", "STEPS_PER_DECADE", "SizeAnswer", "SizeQuery",
           "plot_feasible", "render", "size", "size_in_scenario", "synthetic_model"]

"""`planner sweep`: many plans over uncertain inputs, summarised as quantiles and a tornado.

Modules: ``spec`` (the `uncertainty:` section and --vary grids, checked against the scenario),
``sample`` (seeded draws), ``apply`` (values -> validated scenario), ``tables`` / ``lp`` /
``econ`` (one sample's fleet, demand, cost core, LP and key outputs on arrays), ``engine`` (one
sample end to end), ``execute`` (this process, local processes or Dask), ``aggregate``
(quantiles, `when`, tornado), ``report`` (terminal, JSON, result directory, chart), ``run``
(the whole sweep in one call), ``command`` (the body of the CLI command).
"""

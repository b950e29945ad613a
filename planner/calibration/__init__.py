"""Calibration of the cost core against measured serving throughput (`planner calibrate`).

Modules: ``points`` (the shipped measurements, planner/data/calibration_points.csv, loaded and
validated), ``predict`` (each point as cost-core configurations), ``params`` (the per-family
parameters, textbook values, bounds and prior), ``fit`` (least squares and cross-validation),
``report`` (table, summaries, JSON, plot and the parameter file planner/data/efficiency.yaml).
"""

"""Jalon's computation engine: pure NumPy, no Django.

Fed plain arrays and records, it consolidates figures up the reporting tree, draws
trajectories, assigns statuses, forecasts and checks target coherence (DESIGN.md,
"Computation"). NaN always means "no data"; a 0.0 is a zero.
"""

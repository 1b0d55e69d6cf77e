"""Reserving: the pure engine, runs, reports and dashboards."""

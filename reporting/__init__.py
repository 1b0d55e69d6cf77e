"""Regulator exports (0420155, S.19.01, reserve summary, GL journal), solvency views and
dashboards, all built from approved reserve runs."""

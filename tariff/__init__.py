"""Tariffs, quotes, indicated rates from experience, and diyeh indexation."""

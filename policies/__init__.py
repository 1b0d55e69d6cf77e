"""Insured persons, policies and the premium ledger."""

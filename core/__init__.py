"""Shared building blocks: money, periods, the audit trail, errors, period control."""

"""Export writers. Each takes a `ReportData` (plain values, no ORM) and returns bytes, so the
same run always exports the same bytes."""

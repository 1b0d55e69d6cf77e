"""Book exchange: CSV import/export of the book of record and the synthetic demo book."""

"""The book exchange format (design.md §5): parsing and typing the CSV files, validating a
whole book against the ledger rules before anything is written, the bulk writer and the
streaming exporter. The services in exchange/services.py are the only callers."""

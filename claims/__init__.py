"""Claims and the claim ledger."""

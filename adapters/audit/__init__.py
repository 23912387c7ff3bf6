"""The audit ledger file: a hash-chained JSONL writer that resumes its chain, and its verifier."""

"""Audit worker: orders, fills, risk and control events -> the hash-chained ledger and the ``audit`` topic."""

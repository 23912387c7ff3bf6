"""Research core: first-touch labels, leakage-free splits, per-regime calibration, OOS metrics.

Pure NumPy / scikit-learn; no I/O except ``registry`` (model-set directories on disk).
"""

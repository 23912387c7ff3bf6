"""Feature kernels of Aureus: numba incremental state machines with batch and per-event front ends.

Batch functions take any float array-like, return float64 arrays aligned to the input with NaN during
warm-up, and run the very same step code as the incremental classes (bit-identical results).

Conventions (details in :mod:`engine.features.kernels`): a non-finite input is a missing bar (output NaN,
state untouched); rolling statistics use ddof=0; a constant window has z-score 0.0 and correlation 0.0.
"""

from engine.features.batch import atr, ema, log_returns, macd, rolling_corr, rsi, vol_zscore, volume_zscore
from engine.features.incremental import (
    IncrementalATR,
    IncrementalCorrelation,
    IncrementalEMA,
    IncrementalMACD,
    IncrementalRSI,
    IncrementalVolZScore,
    IncrementalZScore,
)
from engine.features.vector import (
    FEATURE_NAMES,
    FEATURE_SCHEMA_VERSION,
    FeatureParams,
    IncrementalFeatures,
    compute_feature_extras,
    compute_feature_matrix,
    feature_schema_id,
    warmup_bars,
)

__all__ = [
    "FEATURE_NAMES",
    "FEATURE_SCHEMA_VERSION",
    "FeatureParams",
    "IncrementalATR",
    "IncrementalCorrelation",
    "IncrementalEMA",
    "IncrementalFeatures",
    "IncrementalMACD",
    "IncrementalRSI",
    "IncrementalVolZScore",
    "IncrementalZScore",
    "atr",
    "compute_feature_extras",
    "compute_feature_matrix",
    "ema",
    "feature_schema_id",
    "log_returns",
    "macd",
    "rolling_corr",
    "rsi",
    "vol_zscore",
    "volume_zscore",
    "warmup_bars",
]

"""The report.json keys issue 2 requires; shared by the replay and CLI acceptance tests."""

REQUIRED_REPORT_KEYS = frozenset(
    {
        "run_id",
        "data_path",
        "data_content_hash",
        "config_hash",
        "code_version",
        "synthetic",
        "instruments",
        "events",
        "bars",
        "orders",
        "fills",
        "trades",
        "total_return",
        "max_drawdown",
        "sharpe_daily",
        "sharpe_method",
        "observation_days",
        "hit_rate",
        "kill_switch_activations",
        "quarantine_days",
        "clamp_reductions",
        "clamp_rejections",
        "max_name_exposure_pct",
        "max_bucket_exposure_pct",
        "elapsed_s",
        "events_per_s",
    }
)

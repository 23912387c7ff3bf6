"""Build the news processor from config once (linker tables, ONNX session), for the worker and the CLI."""

from __future__ import annotations

from pathlib import Path

from engine.config import NewsWorkerConfig
from engine.news.linking import InstrumentLinker
from engine.news.processor import NewsProcessor
from engine.news.sentiment import SentimentModel

_REPO_ROOT = Path(__file__).resolve().parents[2]


def resolve_repo_path(path: str | Path) -> Path:
    """``path`` itself when absolute, else relative to the repository root (config paths work anywhere)."""
    p = Path(path)
    return p if p.is_absolute() else _REPO_ROOT / p


def build_processor(config: NewsWorkerConfig, instruments: dict[str, str] | None = None) -> NewsProcessor:
    """A :class:`NewsProcessor` with the configured link tables and the shipped sentiment model."""
    linker = InstrumentLinker.from_files(
        [resolve_repo_path(p) for p in config.link_tables], max_strong_cashtags=config.max_strong_cashtags
    )
    model = SentimentModel(resolve_repo_path(config.model_dir), prefer_gpu=config.prefer_gpu)
    return NewsProcessor(config, linker, model, instruments)

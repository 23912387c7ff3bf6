# Aureus — `make run` replays the embedded synthetic session; `make test` runs the test suite.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: setup run test test-fast bench lint clean real-models

setup: .venv/.synced

.venv/.synced: pyproject.toml uv.lock .python-version
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen --extra llm
	@touch $@

run: setup
	$(UV) run aureus replay

test: setup
	$(UV) run pytest -q

test-fast: setup
	$(UV) run pytest -q -m "not slow"

bench: setup
	$(UV) run python -m bench

lint: setup
	$(UV) run ruff check .

clean:
	rm -rf .venv .cache runs .pytest_cache

# The shipped real-data model sets (README "Research"): import the shared recordings, run the walk-forward study.
SHARED_DATA := ../shared/data
real-models: setup
	$(UV) run aureus data import binance-klines $(SHARED_DATA)/crypto_1m_2023-03_binanceus/BTCUSDT_1m_20230301_20230321.csv --out .cache/rec-btcusdt-2023-03 --force
	rm -rf models/btc-real/wf-1 && $(UV) run aureus train walkforward --data .cache/rec-btcusdt-2023-03 --out models/btc-real/wf-1 --set version=btc-wf-1
	$(UV) run aureus data import yahoo-daily $(SHARED_DATA)/stocknet_daily_88/price_raw/*.csv --out .cache/rec-stocknet --force
	rm -rf models/stocknet-real/wf-1 && $(UV) run aureus train walkforward --data .cache/rec-stocknet --out models/stocknet-real/wf-1 --set version=stocknet-wf-1 --set short_horizon=5 --set mid_horizon=20 --set touch_horizon=10

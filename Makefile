# Aureus — `make run` replays the embedded synthetic session; `make test` runs the test suite.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PATH := $(HOME)/.local/bin:$(PATH)
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: setup run test test-fast bench lint clean

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

# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
KCFG := $(VENV)/bin/kcfg
STAMP := $(VENV)/.installed

# `make test`: lint, types, the whole suite; `make check`: the same minus the TensorFlow and slow tests (under a minute).
.PHONY: setup test check lint demo bench schema docs catalog clean

setup: $(STAMP)

$(STAMP): pyproject.toml tests/node/package.json
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	@# the distribution was called kcfg before it became kcfg-keras: drop an old editable install
	$(PY) -m pip uninstall -q -y kcfg 2>/dev/null || true
	$(PY) -m pip install -q -e '.[dev,all]'
	@# PYTHONDONTWRITEBYTECODE may be set: compile once so every kcfg start is fast
	$(PY) -m compileall -q kcfg
	@command -v dot >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq graphviz >/dev/null; } \
		|| echo "note: Graphviz 'dot' is missing; install it for 'kcfg plot' (apt-get install graphviz)"
	@# a real browser renders kcfg report's page in tests/test_look_and_compare.py (skipped without it)
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq chromium >/dev/null; } \
		|| echo "note: chromium is missing; the test that renders kcfg report's page will be skipped (apt-get install chromium)"
	@# the editor tests drive ajv and yaml-language-server (npm), as editors and validators run them
	@command -v npm >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/node && npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

test: lint
	$(PY) -m compileall -q kcfg
	@# tests/test_smoke_import.py runs `kcfg smoke recipes/` and checks its output and JUnit file
	$(PY) -m pytest

check: lint
	$(PY) -m pytest -m "not tf and not slow"

lint: setup
	$(PY) -m ruff check kcfg tests tools bench
	$(PY) -m mypy

demo: setup
	$(KCFG) validate recipes/
	$(KCFG) summary recipes/digits_cnn.yaml
	mkdir -p runs && $(KCFG) plot recipes/digits_cnn.yaml -o runs/digits_cnn.svg --shapes
	$(KCFG) train recipes/digits_cnn.yaml

bench: setup
	$(PY) bench/validate_speed.py
	$(PY) bench/build_speed.py
	$(PY) bench/block_speed.py
	$(PY) bench/train_throughput.py
	$(PY) bench/smoke_speed.py
	$(PY) bench/import_applications.py
	$(PY) bench/data_parallel_throughput.py
	$(PY) bench/data_scale.py

schema: setup
	$(KCFG) schema > schemas/recipe.schema.json

docs: setup
	$(PY) -m tools.write_reference > docs/reference.md

catalog: setup
	$(PY) -m tools.make_catalog

clean:
	rm -rf $(VENV) runs .pytest_cache .hypothesis build *.egg-info tests/node/node_modules

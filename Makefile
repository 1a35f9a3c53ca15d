# loyalpass. `make demo` runs the service with a demo program; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
# uv installs exactly what uv.lock says (versions and hashes); this pins uv itself.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
export UV_PYTHON_DOWNLOADS := never
# pytest-xdist workers: each starts its own PostgreSQL, SQLite files and Chromium.
PYTEST_WORKERS ?= auto

.PHONY: demo serve test fmt lint typecheck pytest bench lock clean

$(BIN)/.installed: pyproject.toml uv.lock
	PYTHON=$(PYTHON) bash .ci/install-system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check "uv==$(UV_VERSION)"
	$(UV) sync --locked --group dev --python $(BIN)/python -q
	touch $@

lock: $(BIN)/.installed  ## refresh uv.lock to the newest allowed releases, then run every check
	$(UV) lock --upgrade
	$(UV) sync --locked --group dev --python $(BIN)/python -q
	touch $(BIN)/.installed
	$(MAKE) test

demo: $(BIN)/.installed  ## the service with a demo coffee shop on SQLite and development certificates
	$(BIN)/loyalpass demo

serve: $(BIN)/.installed
	$(BIN)/loyalpass serve

fmt: $(BIN)/.installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(BIN)/.installed
	$(BIN)/mypy

# The coverage gate is on passes/, and passes/ meets it with its own tests. The service's
# tests run without coverage's tracer, which makes Python 3.11 run all the code more slowly.
pytest: $(BIN)/.installed
	PYTHON=$(PYTHON) bash .ci/install-system-packages test
	$(BIN)/pytest -n $(PYTEST_WORKERS) --cov --cov-report=term tests/passes
	$(BIN)/pytest -n $(PYTEST_WORKERS) --ignore=tests/passes

test: lint typecheck pytest  ## every check CI runs: lint, types, tests on SQLite and PostgreSQL

bench: $(BIN)/.installed  ## every benchmark; results go into docs/BENCHMARKS.md
	$(BIN)/python bench/pkpass.py
	$(BIN)/python bench/images.py
	$(BIN)/python bench/passes_size.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/apple_push.py
	$(BIN)/python bench/webservice.py
	$(BIN)/python bench/google_sync.py
	$(BIN)/python bench/geo.py
	$(BIN)/python bench/campaign.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Everything runs from a local venv that these targets create.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench bench-large clean system system-test

# The demo needs the console only; the suite adds the test and lint tools.
$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	PYTHONWARNINGS=ignore $(BIN)/pip install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# System packages (PostgreSQL, Redis, venv; for the suite also gnome-keyring and dbus): installed when missing.
system:
	@scripts/system-packages

system-test:
	@scripts/system-packages --test

demo: system $(STAMP)
	$(BIN)/rcmd-tui demo --live

lint: $(DEV_STAMP)
	$(BIN)/ruff check rcmd_tui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-test lint
	$(BIN)/pytest -q -n 2  # two workers: the machine has two cores, and serial runs near 13 min

# Baselines (pg_activity, harlequin) live in their own venv: harlequin pins its own dependencies.
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed:
	$(PY) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet 'pg_activity==3.6.2' 'harlequin==2.17.0' 'harlequin-postgres==1.5.2' 'psycopg[binary]'
	touch $@

bench: $(DEV_STAMP) $(BENCH_VENV)/.installed
	$(BIN)/python -m bench.decrypt_bench
	$(BIN)/python -m bench.startup_bench --baseline-venv $(BENCH_VENV)
	$(BIN)/python -m bench.monitor_bench --baseline-venv $(BENCH_VENV)
	$(BIN)/python -m bench.jobs_bench
	$(BIN)/python -m bench.orders_bench
	$(BIN)/python -m bench.audit_bench
	$(BIN)/python -m bench.seed_bench --scale large --paging

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

# Everything runs from a local venv that these targets create.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench bench-large clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/rcmd-tui demo

lint: $(STAMP)
	$(BIN)/ruff check rcmd_tui tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

bench: $(STAMP)
	$(BIN)/python -m bench.decrypt_bench
	$(BIN)/python -m bench.seed_bench --scale large

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache

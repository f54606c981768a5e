# Everything runs in a virtual environment made here (.venv) from a fresh checkout.
#   make run    set up, then train the blog's network
#   make test   set up, then lint, type-check, test with coverage, and check the wheel
#   make slurm-up / make test-slurm / make slurm-down
#               a single-node SLURM cluster on this machine (root, apt), and the tests that use it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch, from the index TORCH_INDEX names (pip options; empty: pip's own settings).
# On Linux, PyPI's torch is the CUDA build (several GB). The CPU build:
#   make install TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple"
# a GPU's: the same with .../whl/cu128 (the CUDA version for your driver, see pytorch.org).
TORCH ?= torch==2.13.0
TORCH_INDEX ?=

.PHONY: install run test lint typecheck pytest wheel-check slurm-up slurm-down test-slurm clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(BIN)/net221-train

test: lint typecheck pytest wheel-check

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -n 2 --cov=net221 --cov-report=term --cov-fail-under=90

wheel-check: install
	PYTHON=$(BIN)/python TORCH="$(TORCH)" TORCH_INDEX="$(TORCH_INDEX)" scripts/check_wheel.sh

slurm-up:
	scripts/slurm_cluster.sh up

slurm-down:
	scripts/slurm_cluster.sh down

# The tests marked slurm (left out of `make pytest`); they skip, saying why, when no cluster answers.
test-slurm: install
	$(BIN)/python -m pytest -m slurm -rs tests/app/test_slurm.py

clean:
	rm -rf build dist outputs multirun .coverage* .pytest_cache .mypy_cache .ruff_cache

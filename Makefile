# Everything runs in a virtual environment made here (.venv) from a fresh checkout.
#   make run    set up, then train the blog's network
#   make test   set up, then lint, type-check, test with coverage, build the docs, and check the wheel
#   make docs   build the documentation site into site/ (mkdocs, strict)
#   make slurm-up / make test-slurm / make slurm-down
#               a single-node SLURM cluster on this machine (root, apt), and the tests that use it
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch's build (one switch, TORCH_BUILD):
#   cpu     PyTorch's CPU wheels (the default on a machine without nvidia-smi)
#   cu128   a CUDA build, from PyTorch's index: pick the one for your driver on pytorch.org
#   pypi    pip's own settings (the default where nvidia-smi exists; on Linux PyPI's torch is a CUDA build)
# e.g. `make install TORCH_BUILD=cu128`. Where PyTorch's index cannot be reached (a package mirror,
# no network), torch comes from pip's own settings, with a one-line note (scripts/torch_index.py).
TORCH ?= torch==2.13.0
TORCH_BUILD ?= $(if $(shell command -v nvidia-smi 2>/dev/null),pypi,cpu)
TORCH_INDEX = $$($(BIN)/python scripts/torch_index.py $(TORCH_BUILD))

.PHONY: install run test lint typecheck pytest docs wheel-check slurm-up slurm-down test-slurm clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	index="$(TORCH_INDEX)" && $(BIN)/python -m pip install --quiet $$index "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: install
	$(BIN)/net221-train

test: lint typecheck pytest docs wheel-check

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/python -m pytest -n 2 -rs --cov=net221 --cov-report=term --cov-fail-under=90

# The site's pages run as tests (tests/test_docs.py); this checks that it builds: every link,
# every page in the nav, every API object found.
docs: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet

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
	rm -rf build dist site outputs multirun .coverage* .pytest_cache .mypy_cache .ruff_cache

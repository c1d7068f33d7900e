# Campaign Retro Kit. `make help` lists the targets.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
PARAMS ?= params/demo_double11.yaml

.PHONY: help report test lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(BIN)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

report: $(BIN)/.installed ## Build the demo campaign's report (generates demo data on first run)
	$(BIN)/retro run $(PARAMS)

test: $(BIN)/.installed ## Run the test suite (two workers, each test file on one: its module fixtures run once)
	$(BIN)/python -m pytest -n 2 --dist loadfile

bench: $(BIN)/.installed ## Benchmark a medium campaign against the alternatives (minutes; prints figures)
	$(BIN)/python bench/bench.py --size medium

lint: $(BIN)/.installed ## ruff over the package, tests and notebooks
	$(BIN)/ruff check shared tests bench notebooks/py/*.py

clean: ## Remove generated demo data and outputs (keeps the virtual environment)
	rm -rf data outputs/*/

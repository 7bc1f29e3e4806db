# The index of commands. Every target sets up .venv from pyproject.toml first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin

# No outside network here: usage statistics of dbt, Dagster and GX stay off.
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

.DEFAULT_GOAL := help
comma := ,
.PHONY: help setup java run test check lint format ui bench demo-data metrics clean bi-clients

help: ## List the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F ':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(DAGSTER_HOME)/dagster.yaml: dagster_project/dagster.yaml
	mkdir -p $(DAGSTER_HOME)
	cp $< $@

# pyspark (the Spark target, KPI_ENGINE=spark, and tests/test_dbt_spark.py) needs a Java 17 runtime;
# where none is on PATH it comes from the system packages (as root, or through sudo).
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "No java on PATH: installing openjdk-17-jre-headless for pyspark ..."; \
		sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && $$sudo apt-get install -y -qq openjdk-17-jre-headless; \
	}

setup: $(VENV)/.installed $(DAGSTER_HOME)/dagster.yaml java ## Create .venv and install the project (and Java 17 for Spark)

run: setup ## Generate demo data if landing is empty, materialize every asset, print a summary
	@landing="$${KPI_LANDING_DIR:-data/landing}"; \
	if [ -z "$$(find "$$landing" -type f 2>/dev/null | head -n 1)" ]; then \
		echo "Landing folder $$landing is empty: writing demo data (scale 1) with tools/demo_data ..."; \
		$(BIN)/python -m tools.demo_data --out "$$landing" --scale 1 --seed 42 --quiet; \
	fi
	$(BIN)/python -m dagster_project.run

test: setup ## Run the whole test suite
	$(BIN)/python -m pytest

# The BI clients the tests open the published file with (Superset's stack, duckdb-cli, Evidence),
# each in its own environment under .cache/bi/; `make test` builds them too when they are missing.
bi-clients: setup ## Build the BI clients' environments for tests/test_bi_clients.py (.cache/bi/)
	$(BIN)/python -m tests.bi_clients.environments

check: setup ## Run only the data-quality checks against the warehouse (prints what failed)
	$(BIN)/python -m dagster_project.quality.check

lint: setup ## ruff lint and format check, sqlfluff lint of the dbt SQL
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint dbt_models

format: setup ## Format the Python code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

ui: setup ## Start the Dagster UI (dagster dev) on http://127.0.0.1:3000
	$(BIN)/dagster dev -m dagster_project.definitions -h 127.0.0.1 -p 3000

bench: setup ## Speed targets at BENCH_SCALE (10): full run vs the yardstick, daily runs, make run (tests/bench/targets.py)
	$(BIN)/python -m tests.bench.targets

# The semantic layer (dbt_models/models/semantic/) on KPI_WAREHOUSE_PATH: dbt parse refreshes the
# semantic manifest mf reads (dbt_models/target/); without METRICS it lists the metrics.
metrics: setup ## MetricFlow query: make metrics METRICS=sales_revenue GROUP_BY=metric_time__quarter [WHERE= MF_ARGS=]
	$(BIN)/dbt parse --quiet --project-dir dbt_models --profiles-dir dbt_models
	cd dbt_models && ../$(BIN)/mf $(if $(METRICS),query --metrics '$(METRICS)' \
		$(if $(GROUP_BY),--group-by '$(GROUP_BY)') $(if $(WHERE),--where "$(WHERE)") --order '$(or $(ORDER),$(firstword $(subst $(comma), ,$(GROUP_BY))))' $(MF_ARGS),list metrics)

demo-data: setup ## Write demo data into KPI_LANDING_DIR (SCALE=1 SEED=42)
	$(BIN)/python -m tools.demo_data --out "$${KPI_LANDING_DIR:-data/landing}" --scale $${SCALE:-1} --seed $${SEED:-42}

clean: ## Remove generated data and the Dagster home (keeps .venv)
	rm -rf data/landing data/warehouse data/spark data/published data/quality data/bench data/cache $(DAGSTER_HOME)

# --- faults (issue 11) ---
.PHONY: chaos
chaos: setup ## SIGKILL a full run at 20 random moments (small data), run again after each; prints how many survived
	$(BIN)/python -m tests.chaos --kills $${KILLS:-20} --recover-every $${RECOVER_EVERY:-1}

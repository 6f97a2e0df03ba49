# The two commands of the README: `make demo` and `make test`. Also `make bench`.
PYTHON ?= python3
VENV ?= .venv
BIN = $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
PORT ?= 8000
export JALON_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test lint test-sqlite test-postgres bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# Runtime install; the dev extra brings the test and lint tools.
$(VENV)/.installed: pyproject.toml jalon/locale/fr/LC_MESSAGES/django.po | $(BIN)/python
	@echo "Installing Jalon and what it needs into $(VENV) (a minute or two the first time)…"
	$(BIN)/pip install --progress-bar on -e .
	$(BIN)/pybabel compile -d jalon/locale -D django
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/jalon demo --port $(PORT)

# The two halves run side by side (one per core); each one's output is printed whole
# when it ends, and the command fails if either does.
test: $(VENV)/.installed-dev node_modules/axe-core/axe.min.js lint
	@$(MAKE) --no-print-directory --output-sync=target -j2 test-sqlite test-postgres

# The accessibility test takes axe-core from the npm registry (package.json, pinned by
# package-lock.json); without npm it is skipped loudly, unless JALON_REQUIRE_BROWSER=1.
node_modules/axe-core/axe.min.js: package.json package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --no-audit --no-fund && touch $@; \
	else \
	  echo "!! The accessibility test will be SKIPPED: no npm to install axe-core (apt-get install npm)."; \
	fi

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/jalon makemigrations --check --dry-run
	$(BIN)/jalon check

# The browser test needs Debian's Chromium: skipped loudly without it, unless
# JALON_REQUIRE_BROWSER=1 (set by .ci/run, which installs it).
test-sqlite: $(VENV)/.installed-dev
	@echo "== tests on SQLite =="
	@test -x /usr/bin/chromium || echo "!! The browser test will be SKIPPED: no /usr/bin/chromium (apt-get install chromium)."
	env -u DATABASE_URL $(BIN)/pytest -rs

# PostgreSQL at DATABASE_URL (default $(PG_URL)); skipped loudly where no server answers,
# unless JALON_REQUIRE_POSTGRES=1 (set by .ci/run), which makes it required.
test-postgres: $(VENV)/.installed-dev
	@url="$${DATABASE_URL:-$(PG_URL)}"; \
	case "$$url" in postgres*) ;; *) url="$(PG_URL)";; esac; \
	if $(BIN)/python -c "import psycopg, sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$$url" 2>/dev/null; then \
	  echo "== tests on PostgreSQL ($$url) =="; \
	  DATABASE_URL="$$url" $(BIN)/pytest -rs; \
	elif [ "$$JALON_REQUIRE_POSTGRES" = "1" ]; then \
	  echo "!! PostgreSQL is required (JALON_REQUIRE_POSTGRES=1) but $$url does not answer."; exit 1; \
	else \
	  echo ""; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	  echo "!! SKIPPED: the PostgreSQL tests. No server answers at $$url."; \
	  echo "!! Start one, or set DATABASE_URL; CI requires them (JALON_REQUIRE_POSTGRES=1)."; \
	  echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
	fi

# A database of its own, made anew: the benchmark never touches the demo's. The imports
# are timed on SQLite and on PostgreSQL (a database jalon_bench made anew on the server at
# PG_URL; skipped loudly where no server answers).
# `make bench MILLION=1` also imports a million figures from CSV (a few minutes more).
# `make bench SIZE=10`: only the cold evaluation of a federation ten times as large (10M
# figures), with its peak memory, in a database of its own.
BENCH_PG = $(dir $(PG_URL))jalon_bench
SIZE ?= 1
bench: $(VENV)/.installed-dev
ifneq ($(SIZE),1)
	rm -f $(JALON_DATA_DIR)/bench$(SIZE).sqlite3*
	DATABASE_URL=sqlite:///$(JALON_DATA_DIR)/bench$(SIZE).sqlite3 $(BIN)/jalon migrate -v0
	DATABASE_URL=sqlite:///$(JALON_DATA_DIR)/bench$(SIZE).sqlite3 $(BIN)/jalon bench --size $(SIZE)
else
	@mkdir -p $(JALON_DATA_DIR) && date +%s > $(JALON_DATA_DIR)/.bench-start
	rm -f $(JALON_DATA_DIR)/bench.sqlite3*
	DATABASE_URL=sqlite:///$(JALON_DATA_DIR)/bench.sqlite3 $(BIN)/jalon migrate -v0
	DATABASE_URL=sqlite:///$(JALON_DATA_DIR)/bench.sqlite3 $(BIN)/jalon bench $(if $(MILLION),--million)
	@if $(BIN)/python -c "import psycopg, sys; c = psycopg.connect(sys.argv[1], autocommit=True, connect_timeout=3); c.execute('DROP DATABASE IF EXISTS jalon_bench WITH (FORCE)'); c.execute('CREATE DATABASE jalon_bench')" "$(PG_URL)" 2>/dev/null; then \
	  DATABASE_URL=$(BENCH_PG) $(BIN)/jalon migrate -v0 && \
	  DATABASE_URL=$(BENCH_PG) $(BIN)/jalon bench --only imports $(if $(MILLION),--million); \
	else \
	  echo "!! SKIPPED: the PostgreSQL import benchmark. No server answers at $(PG_URL)."; \
	fi
	@took=$$(( $$(date +%s) - $$(cat $(JALON_DATA_DIR)/.bench-start) )); \
	if [ $$took -lt 600 ]; then verdict=met; else verdict="NOT met"; fi; \
	echo "make bench in all: $$((took / 60)) min $$((took % 60)) s   (goal: under 10 min → $$verdict)"
endif

clean:
	rm -rf $(VENV) var node_modules

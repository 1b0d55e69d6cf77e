# Two commands do everything: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-fast test-deep lint-imports demo serve bench bench-engine bench-workbench clean messages

install: $(STAMP)
	@$(BIN)/python scripts/fetch_plotly.py || echo "(plotly.js partial bundle not fetched: the dashboards serve the package's full bundle)"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

# The whole suite: with REQUIRE_SERVICES=1 (CI) on real PostgreSQL, Redis, a Celery worker and
# headless Chromium. About 4 min on an idle 2-core machine, 11-12 min on a loaded one; serial,
# because the worker tests share one broker.
test: install lint-imports messages
	bash scripts/ensure_chromium.sh
	bash scripts/ensure_hosts_tools.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Unit and integration tests on SQLite: no services, no browser, nothing marked slow, a quarter of
# each property's examples (the `quick` profile); two processes; under 2 minutes.
test-fast: install lint-imports messages
	env -u DATABASE_URL -u CELERY_BROKER_URL HYPOTHESIS_PROFILE=quick $(BIN)/python -m pytest -n 2 -q \
	  -m "not browser and not services and not slow" \
	  --ignore=tests/functional $(PYTEST_ARGS)

# The property tests with random examples and 20 times the budget (local only; CI is seeded).
test-deep: install
	HYPOTHESIS_PROFILE=deep $(BIN)/python -m pytest -q -m "not browser and not services" tests/unit $(PYTEST_ARGS)

# The ru and fa catalogues (locale/*/LC_MESSAGES/django.po) compiled to .mo; the .mo files are not
# kept in the repository. Installs GNU gettext first when msgfmt is missing.
messages: install
	bash scripts/ensure_gettext.sh
	$(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var -v 0

lint-imports: install
	$(BIN)/lint-imports

demo: install messages
	$(BIN)/python manage.py collectstatic --noinput -v 0
	bash scripts/demo.sh

serve: install
	$(BIN)/python manage.py collectstatic --noinput -v 0
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# Issue 15 §6: books of BENCH_SIZES policies imported into a bench PostgreSQL database (dropped and
# created again for each size), every step timed against its floor; writes bench-results/latest.{json,md}.
BENCH_SIZES ?= 100000 300000 1000000
BENCH_DATABASE_URL := $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/medmal_bench)
BENCH_BROKER_URL := $(or $(CELERY_BROKER_URL),redis://127.0.0.1:6379/14)
bench: install
	DATABASE_URL=$(BENCH_DATABASE_URL) CELERY_BROKER_URL=$(BENCH_BROKER_URL) \
	  nice -n 5 $(BIN)/python manage.py bench --sizes $(BENCH_SIZES) $(BENCH_ARGS)

bench-engine: install
	$(BIN)/python -m benchmarks.bench_engine
	$(BIN)/python -m benchmarks.bench_upr

# The workbench's live preview and segment page on a 30,000-policy PostgreSQL book (issue 13 §4):
# p50/p95 per segment, printed and written to bench-output/bench_preview.md, never asserted.
bench-workbench: install
	$(BIN)/python -m benchmarks.bench_preview

clean:
	rm -rf $(VENV) var test-output bench-output

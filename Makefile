# Two commands do everything: `make demo` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install test test-fast demo serve bench-engine bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[test]"
	touch $(STAMP)

test: install
	bash scripts/ensure_chromium.sh
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: install
	bash scripts/demo.sh

serve: install
	$(BIN)/python manage.py runserver 127.0.0.1:8000

bench-engine: install
	$(BIN)/python -m benchmarks.bench_engine
	$(BIN)/python -m benchmarks.bench_upr

clean:
	rm -rf $(VENV) var test-output bench-output

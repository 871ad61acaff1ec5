# The two commands: `make demo` and `make test`. Both set everything up on a fresh clone.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PYTEST_ARGS ?=

.PHONY: install demo test test-all lint format bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Browser tests drive Debian's chromium (never a downloaded browser).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@echo "installing Debian chromium for the browser tests"
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	$$SUDO apt-get install -y -q chromium chromium-driver >/dev/null 2>&1 || \
	{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium chromium-driver >/dev/null; }

demo: $(STAMP)
	$(BIN)/steelsage demo build
	$(BIN)/steelsage today
	$(BIN)/steelsage ask "今天上海螺纹多少钱"
	$(BIN)/steelsage demo accounts
	$(BIN)/steelsage serve

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) $(CHROMIUM) lint
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

test-all: $(STAMP) $(CHROMIUM)
	$(BIN)/pytest -n 2 -m "" $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

WRK := /usr/bin/wrk
$(WRK):
	@SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); $$SUDO apt-get install -y -q wrk >/dev/null

bench: $(STAMP) $(WRK)
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_read_series.py
	$(BIN)/python benchmarks/bench_demo_build.py
	$(BIN)/python benchmarks/bench_assistant.py
	$(BIN)/python benchmarks/bench_server.py
	$(BIN)/python benchmarks/bench_server.py --pg

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache

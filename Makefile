# The two set-up commands: `make run` starts the bot, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck demo bench clean

$(VENV)/.run-installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(VENV)/.run-installed
	$(PY) -m pip install --quiet -e '.[test,dev]'
	touch $@

$(VENV)/.demo-installed: pyproject.toml $(VENV)/.run-installed
	$(PY) -m pip install --quiet -e '.[demo]'
	touch $@

run: $(VENV)/.run-installed
	$(PY) -m bot run

test: $(VENV)/.test-installed
	$(VENV)/bin/ruff check bot cogs tests bench
	$(VENV)/bin/ruff format --check bot cogs tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest

# The bot in a simulated Discord, no token needed; ARGS=--interactive opens the moderator channel in a browser.
demo: $(VENV)/.demo-installed
	$(PY) -m bot demo $(ARGS)

bench: $(VENV)/.test-installed
	$(PY) bench/engine.py
	$(PY) bench/gate.py
	$(PY) bench/mirror.py
	$(PY) bench/review_queue.py
	$(PY) bench/wave.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# The two set-up commands: `make run` starts the bot, `make test` runs every check.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Every install takes its versions from constraints.txt (pyproject.toml keeps the ranges); refresh it with
# `make constraints` (pip-tools), then run `make test`.
CONSTRAINTS := constraints.txt

.PHONY: run test lint typecheck demo bench clean constraints

$(VENV)/.run-installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml $(CONSTRAINTS) $(VENV)/.run-installed
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[test,dev]'
	touch $@

$(VENV)/.demo-installed: pyproject.toml $(CONSTRAINTS) $(VENV)/.run-installed
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e '.[demo]'
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

# Pin every dependency of every extra, for `make run`, `make test`, `make demo` and CI (needs pip-tools).
constraints: $(VENV)/.run-installed
	$(PY) -m pip install --quiet pip-tools
	$(VENV)/bin/pip-compile --quiet --strip-extras --no-emit-index-url --no-emit-find-links \
		--extra test --extra dev --extra demo -o $(CONSTRAINTS) pyproject.toml

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

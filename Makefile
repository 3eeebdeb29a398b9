# The two commands of the README: `make run` (start the app) and `make test` (all tests).
# Each creates the virtual environment it needs on first use.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8501

.PHONY: run test test-fast lint bench checkpoints

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.installed
	$(PY) -m streamlit run app.py --server.port $(PORT)

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest

test-fast: $(VENV)/.installed
	$(PY) -m pytest -m "not slow and not browser"

lint: $(VENV)/.installed
	$(PY) -m ruff check .

bench: $(VENV)/.installed
	$(PY) -m bench.train_throughput

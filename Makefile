# The two commands a newcomer needs: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format fuzz screenshot bench robustness train clean

install: $(STAMP)

# Re-install only when the dependency list changes; `make install` is otherwise a no-op. Each
# step says what it does; setuptools' note on editable installs (our packages are folders of
# the checkout, on purpose) is not shown.
$(STAMP): pyproject.toml
	@test -x $(PY) || { echo "make: creating the virtual environment .venv"; $(PYTHON) -m venv $(VENV); }
	@echo "make: installing the Python packages into .venv (the first time takes a minute or two)"
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet --upgrade pip
	@PYTHONWARNINGS=ignore $(PY) -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)
	@echo "make: .venv is ready"

run: install
	scripts/serve.sh

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# A longer schema-fuzzing session than the one in `make test` (all of schemathesis's checks).
fuzz: install
	FUZZ_EXAMPLES=$${FUZZ_EXAMPLES:-100} FUZZ_SECONDS=$${FUZZ_SECONDS:-1200} $(PY) -m pytest tests/test_schema_fuzz.py

# The README's screenshot, taken of the app as it is now (needs Debian's chromium).
screenshot: install
	$(PY) scripts/screenshot.py

bench: install
	$(PY) -m pip install --quiet -e '.[bench]'
	$(PY) benchmarks/train_speed.py
	$(PY) benchmarks/robustness.py
	$(PY) benchmarks/api_latency.py

robustness: install
	$(PY) benchmarks/robustness.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

# Everything runs from the project's own virtualenv, so `make run` and `make test` work on a fresh clone.
VENV ?= .venv
PYTHON := $(VENV)/bin/python
# The interpreter that creates the virtualenv: python3.11, else python3 when it is 3.11 or newer.
BASE_PYTHON ?= $(shell for p in python3.11 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)
# Extra arguments for pytest: make test PYTEST_ARGS="-k attempts -x"
PYTEST_ARGS ?=
# Where `make run` serves: make run ADDRESS=0.0.0.0:8000 for other devices (add the machine's address
# to ALLOWED_HOSTS). seed_demo reads it too, to print the addresses to open.
ADDRESS ?= 127.0.0.1:8000

.PHONY: install run test lint

install: $(VENV)/.installed

# Re-installs only when the dependencies in pyproject.toml change.
$(VENV)/.installed: pyproject.toml
	@test -x $(PYTHON) || { \
		test -n "$(BASE_PYTHON)" || { echo "Python 3.11 or newer is needed (python3.11 or python3)" >&2; exit 1; }; \
		$(BASE_PYTHON) -m venv $(VENV); }
	$(PYTHON) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

run: install
	$(PYTHON) manage.py migrate
	ADDRESS=$(ADDRESS) $(PYTHON) manage.py seed_demo
	$(PYTHON) manage.py runserver $(ADDRESS)

test: install
	$(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

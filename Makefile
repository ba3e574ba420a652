# Two commands matter: `make run` and `make test`. Both create the virtual environment first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install run test lint format messages clean

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Vigie needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/python -m bot run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# After changing texts in code: refresh the template and merge it into every language's .po file.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -c TRANSLATORS: --project=Vigie --version=0.1 \
		--copyright-holder="Vigie contributors" -w 100 -o bot/locales/vigie.pot bot handlers
	$(BIN)/pybabel update -i bot/locales/vigie.pot -d bot/locales -D vigie -w 100 --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

# Two commands on a fresh machine: `make serve` (set up, build, serve) and `make test` (set up, test).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8001
READY  := $(VENV)/.ready

.PHONY: setup build validate lint check serve test browser bench soak clean help i18n-extract i18n-update i18n-init

help:                      ## list the targets
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(READY): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m compileall -q scripts/douzelage     # byte-compiled, as an installed package would be
	touch $(READY)

setup: $(READY)            ## create .venv and install the project with its test tools

build: $(READY)            ## compile sources/ into datapackage/, the database and metadata.json
	$(BIN)/douzelage build

validate: $(READY)         ## check sources/ without writing anything (frictionless, then every rule)
	$(BIN)/frictionless validate sources/datapackage.json > /dev/null || $(BIN)/frictionless validate sources/datapackage.json
	$(BIN)/douzelage validate

lint: build                ## ruff (lint + format), mypy, and the strict lint of the sources and published descriptors and metadata.json
	$(BIN)/ruff check scripts tests bench site/plugins
	$(BIN)/ruff format --check scripts tests bench site/plugins
	$(BIN)/mypy
	$(BIN)/douzelage lint

check: lint                ## before a commit: the linters, then the fast tests (unit and site, no browser)
	$(BIN)/pytest -q -rs -x tests/unit tests/site --deselect tests/site/test_site_at_scale.py

serve: build               ## set up, build and serve the site at http://127.0.0.1:$(PORT)/
	$(BIN)/douzelage serve --port $(PORT)

browser:                   ## install Debian's Chromium for the browser tests, if missing
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null)
	@command -v ogrinfo >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq gdal-bin >/dev/null)

test: $(READY) browser     ## set up, validate sources/ with frictionless, and run the whole test suite
	$(BIN)/frictionless validate sources/datapackage.json > /dev/null || $(BIN)/frictionless validate sources/datapackage.json
	$(BIN)/pytest -q -rs

bench: $(READY)            ## benchmark build, floor, naive pipeline and site (SIZES=30,1000 RUNS=1 to shorten)
	@command -v wrk >/dev/null 2>&1 && test -x /usr/bin/time || (apt-get update -qq && apt-get install -y -qq wrk time >/dev/null)
	$(BIN)/python -m compileall -q scripts/douzelage
	$(BIN)/python bench/run.py $(if $(SIZES),--sizes $(SIZES)) $(if $(RUNS),--runs $(RUNS))

soak: build               ## 3 min on loopback: 50 visitors and 4 hostile clients; writes bench/soak.{json,md} (PHASE=20 to shorten)
	$(BIN)/python bench/soak.py $(if $(PHASE),--phase $(PHASE))

# The public pages' translations (site/locale/<lang>/LC_MESSAGES/messages.po; the server compiles them with
# babel when it reads them). After changing a message: make i18n-update, translate, check msgfmt-clean.
I18N_KEYWORDS := -k _ -k _n:1,2
i18n-extract: $(READY)     ## collect the messages of the templates and plugins into site/locale/messages.pot
	$(BIN)/pybabel extract -F babel.cfg $(I18N_KEYWORDS) --no-location --sort-output --omit-header -w 120 -o site/locale/messages.pot .

i18n-update: i18n-extract  ## merge new and changed messages into every catalogue (then translate the new ones)
	$(BIN)/pybabel update -i site/locale/messages.pot -d site/locale --no-fuzzy-matching --ignore-obsolete -w 120

i18n-init: i18n-extract    ## start a new language's catalogue: make i18n-init LANG_CODE=it
	$(BIN)/pybabel init -i site/locale/messages.pot -d site/locale -w 120 -l $(LANG_CODE)

clean:                     ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache build

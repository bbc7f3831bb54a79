# Two entry points for a fresh machine: `make run` and `make test`. Both create .venv themselves.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
HOST ?= 127.0.0.1
PORT ?= 5000
WORKERS ?= 2

.PHONY: run test install index browser pdf-libs axe wrk lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	# The CPU build of torch first, pinned: an unpinned torch would pull gigabytes of CUDA.
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

index: install
	$(BIN)/kb build

run: index pdf-libs
	$(BIN)/kb serve --host $(HOST) --port $(PORT) --workers $(WORKERS)

# Debian's Chromium for the browser tests (Playwright drives it; no browser download).
browser:
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "Installing Debian's chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Debian's libraries WeasyPrint needs for PDFs (pango, harfbuzz) and fonts with French glyphs.
PDF_DEBS := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core fonts-liberation
pdf-libs:
	@if ! dpkg -s $(PDF_DEBS) >/dev/null 2>&1; then \
		echo "Installing Debian's libraries and fonts for PDF documents"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(PDF_DEBS) >/dev/null; \
	fi

# axe-core (pinned in package.json and package-lock.json) for the accessibility checks of the browser tests.
axe:
	@if [ ! -f node_modules/axe-core/axe.min.js ]; then npm ci --no-audit --no-fund --silent; fi

# Debian's wrk for the HTTP benchmark.
wrk:
	@if ! command -v wrk >/dev/null 2>&1; then \
		echo "Installing Debian's wrk for the HTTP benchmark"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	fi

lint: install
	$(BIN)/ruff check kb web tests benchmarks

test: install browser pdf-libs axe lint
	$(BIN)/python -m pytest

# The whole benchmark, seed corpus to 100,000 sheets (about 15 minutes; SIZES=1000,10000 for less).
SIZES ?= 1000,10000,100000
bench: install wrk
	$(BIN)/python benchmarks/run.py --sizes $(SIZES)

clean:
	rm -rf $(VENV) index/kb.sqlite* index/vectors.faiss index/manifest.json

# The two commands of the README: `make render` (set up, then render issue 18) and
# `make test` (set up, then run the tests). Both are safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# python3-venv provides ensurepip for the virtual environment; WeasyPrint needs Pango; HarfBuzz's subsetter keeps font subsets (and so PDFs) reproducible;
# qpdf, poppler, Ghostscript and zbar (barcodes) are the independent checkers the tests read PDFs back with;
# Chromium opens the issue's web page in the tests (driven by Playwright, which is told to use it).
SYSTEM_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig qpdf poppler-utils ghostscript zbar-tools chromium

.PHONY: render test system setup

render: setup
	$(BIN)/issue-builder render issues/18.yaml

test: setup
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pytest

setup: system $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

system:
	@missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

# Paint the sample issue's synthetic photographs again (issues/18/img and its SOURCES.md; byte-identical output).
.PHONY: sample-images
sample-images: $(VENV)/.installed
	$(BIN)/python tools/paint_sample_images.py

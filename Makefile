# The two commands of the README: `make render` (set up, then render issue 18) and
# `make test` (set up, then run the tests). Both are safe to run again.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# What rendering needs: python3-venv provides ensurepip for the virtual environment; WeasyPrint needs Pango;
# HarfBuzz's subsetter keeps font subsets (and so PDFs) reproducible; qpdf linearizes the web PDF (without it the
# web PDF is written unlinearized, and so different).
RENDER_PACKAGES := python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fontconfig qpdf
# What only the tests need: poppler, Ghostscript and zbar (barcodes) are the independent checkers the tests read
# PDFs back with (Ghostscript also gives `preflight` its ink checks); Chromium opens the issue's web page in the
# tests (driven by Playwright, which is told to use it). Valgrind counts instructions for `bench/run.py --instructions`.
TEST_PACKAGES := poppler-utils ghostscript zbar-tools chromium pandoc valgrind

# axe-core checks the web page's accessibility in the tests (run in Chromium); from the npm registry, into build/.
AXE_VERSION := 4.14.1
AXE := build/axe/node_modules/axe-core/axe.min.js

.PHONY: render test system test-system setup

render: setup
	$(BIN)/issue-builder render issues/18.yaml

# Two pytest-xdist workers: the tests wait on subprocesses, Chromium, pip and the section layout's own workers
# often enough that a second worker fills the gaps on a 2-CPU machine (the workers share one render of issue 18:
# tests/conftest.py).
test: setup test-system $(AXE)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test]'
	$(BIN)/python -m pytest -n 2

$(AXE):
	@command -v npm >/dev/null || { $(call install_missing,npm); }
	npm install --no-save --no-audit --no-fund --silent --prefix build/axe axe-core@$(AXE_VERSION)

# The package byte-compiled, as pip compiles an installed one: an editable install is not, and where
# PYTHONDONTWRITEBYTECODE is set Python never writes the files, so every command compiled every module again.
setup: system $(VENV)/.installed
	$(BIN)/python -m compileall -q issue_builder

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

# Installs the packages of $(1) that are missing (as root, or with sudo).
install_missing = missing=$$(for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

system:
	@$(call install_missing,$(RENDER_PACKAGES))

test-system:
	@$(call install_missing,$(TEST_PACKAGES))

# Paint the sample issue's synthetic photographs again (issues/18/img and its SOURCES.md; byte-identical output).
.PHONY: sample-images
sample-images: $(VENV)/.installed
	$(BIN)/python tools/paint_sample_images.py

# The course's commands. Each one sets up what it needs from nothing: a virtual environment
# in .venv with the course and its tools installed (only Python >= 3.10 and make needed).
#
#   make lab        install, then open the course in JupyterLab
#   make test       install, then run every test (unit, claims, notebooks, browser)
#   make bench      install, then run the speed and latency benchmarks
#   make notebooks  re-execute every notebook (and solutions/) in place in a fresh kernel
#   make site       build the course's static website into build/site (offline)

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
NOTEBOOKS := $(sort $(wildcard notebooks/*.ipynb))
# Tested answers to every exercise, for teachers: outside the reading path (not in the site),
# executed and checked with the notebooks, so every grader is shown to accept them.
SOLUTIONS := $(sort $(wildcard solutions/*.ipynb))
PYTEST_FLAGS ?=

# No arithmetic settings: the numbers the notebooks print are properties of the experiments,
# so they hold under whatever SIMD paths numpy and OpenBLAS pick on the reader's CPU.
# `make nbval-portable` (part of `make test`) checks the stored notebooks twice: under this machine's own arithmetic and
# with numpy's SIMD dispatch reduced to its baseline (NUMPY_BASELINE below), a different
# rounding of the same experiments.
NUMPY_BASELINE := NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR"
# Tests run on every core (pytest-xdist); nbval keeps each notebook's cells together in one
# worker (--dist loadfile), since a notebook's cells share a kernel. Measured on 2 cores:
# unit and claims 473 -> 265 s, each nbval pass 225 -> 115 s. Unit and claims go to the
# workers a module at a time (--dist loadscope), so a module's fixtures (the doctor's
# gallery: 20 s) are computed once, not once per worker.
PARALLEL := -n auto
UNIT_DIST := --dist loadscope
NBVAL := -m pytest $(PYTEST_FLAGS) -p no:cacheprovider $(PARALLEL) --dist loadfile --nbval \
	  --nbval-current-env --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install lab test test-kernel test-browser unit claims nbval nbval-portable browser site bench notebooks clean help

help:
	@sed -n '2,10p' Makefile

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 needed, found " + sys.version.split()[0]' \
	  || { echo "make: set PYTHON=/path/to/python3.10+ (e.g. make test PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall when the package description or the pinned versions change. constraints.txt
# pins every package to the versions the stored notebooks were executed with (Python >=
# 3.11; on 3.10 pip picks what fits), so a new release cannot change a checked number.
$(STAMP): pyproject.toml constraints.txt jupyter/overrides.json | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[lab,test,site]'
	$(PY) scripts/install_lab_settings.py
	touch $(STAMP)

install: $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks notebooks/00_start_here.ipynb

# Two lanes at once: the kernel's tests (unit and claims, then nbval twice), shown as they
# run, and the browser's (the site, then JupyterLab in Chromium), whose output is kept in
# build/browser-tests.log and shown at the end. The browser's lane mostly waits on pages and
# kernels (0.7 of a core over its 450 s), so the two share the cores. Measured on 2 cores:
# 728 and 801 s (two runs) for the two lanes, against about 960 s one after the other
# (each alone: unit and claims 268 s, nbval 2 x 110 s, the site 22 s, the browser 450 s).
# Browser latencies are measured by `make bench`, which runs the browser tests alone.
BROWSER_LOG := build/browser-tests.log

test: $(STAMP)
	@mkdir -p build
	@echo "make test: the browser tests run alongside; their output follows at the end ($(BROWSER_LOG))"
	@$(MAKE) --no-print-directory -j2 test-kernel test-browser; status=$$?; \
	  echo; echo "---- browser tests (the site, then the notebooks in JupyterLab) ----"; \
	  cat $(BROWSER_LOG); exit $$status

test-kernel: $(STAMP)
	$(PY) -m pytest $(PYTEST_FLAGS) -p no:cacheprovider $(PARALLEL) $(UNIT_DIST) tests/unit tests/claims
	$(MAKE) --no-print-directory nbval-portable

test-browser: $(STAMP)
	@{ $(PY) scripts/build_site.py && $(PY) tests/browser/run.py $(PYTEST_FLAGS); } > $(BROWSER_LOG) 2>&1

unit: $(STAMP)
	$(PY) -m pytest $(PYTEST_FLAGS) -p no:cacheprovider $(PARALLEL) $(UNIT_DIST) tests/unit

claims: $(STAMP)
	$(PY) -m pytest $(PYTEST_FLAGS) -p no:cacheprovider $(PARALLEL) $(UNIT_DIST) tests/claims

nbval: $(STAMP)
	$(PY) $(NBVAL) $(NOTEBOOKS) $(SOLUTIONS)

# The stored outputs under two arithmetics: the machine's own, then numpy's baseline paths.
nbval-portable: $(STAMP)
	@echo "nbval, this machine's arithmetic:"
	$(PY) $(NBVAL) $(NOTEBOOKS) $(SOLUTIONS)
	@echo "nbval, numpy's baseline SIMD paths ($(NUMPY_BASELINE)):"
	$(NUMPY_BASELINE) $(PY) $(NBVAL) $(NOTEBOOKS) $(SOLUTIONS)

browser: $(STAMP)
	$(PY) tests/browser/run.py $(PYTEST_FLAGS)

# The static website from the stored notebooks (nothing re-executed); serve it with
# `python -m http.server -d build/site`. tests/browser/test_site.py reads every page.
site: $(STAMP)
	$(PY) scripts/build_site.py

bench: $(STAMP)
	$(PY) benchmarks/run.py

notebooks: $(STAMP)
	$(PY) scripts/execute_notebooks.py $(NOTEBOOKS) $(SOLUTIONS)

clean:
	rm -rf $(VENV) build .pytest_cache

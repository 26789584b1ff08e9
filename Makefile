# Every target bootstraps what it needs: a .venv with the project and its extras,
# and Graphviz's `dot` (installed with apt-get when we are root, otherwise we say how).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
EXTRAS ?= test,plot,docs,bench
USER_ID ?= $(shell id -u)

.PHONY: test stress demo docs bench notebook mutants dot venv clean

venv: $(STAMP)

$(STAMP): setup.cfg pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	@touch $@

dot:
	@if command -v dot >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Graphviz (dot) with apt-get"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; \
	else \
		echo "Graphviz's 'dot' is missing. Install it with: sudo apt-get install graphviz  (macOS: brew install graphviz; conda: conda install -c conda-forge graphviz)"; \
		exit 1; \
	fi
	@dot -V

test: venv dot
	$(PY) -m pytest $(PYTEST_ARGS)

# The property tests with 1000 examples each instead of 60 (not in CI; about
# 10 minutes on 2 cores): rare inputs that the everyday run does not reach.
stress: venv dot
	HYPOTHESIS_PROFILE=stress $(PY) -m pytest $(PYTEST_ARGS) tests

demo: venv dot
	$(VENV)/bin/minigrad demo

docs: venv dot
	$(PY) docs/make_figures.py
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Jupyter will not start as root unless told to (it prints "Running as root is not
# recommended" and exits): as root, where `dot` was installed with apt-get, tell it.
# The learner works in their own copy (made once, never overwritten, ignored by git):
# Jupyter saves outputs and filled-in exercises into the file it opens, and the suite
# runs the tutorial as shipped, so editing the tutorial itself failed `make test`.
MY_NOTEBOOK := notebooks/my_planar_classification.ipynb
notebook: venv dot
	$(PY) -m pip install --quiet -e '.[notebook]'
	@test -e $(MY_NOTEBOOK) || cp notebooks/planar_classification.ipynb $(MY_NOTEBOOK)
	$(VENV)/bin/jupyter notebook $(if $(filter 0,$(USER_ID)),--allow-root )$(MY_NOTEBOOK)

# BENCH_ARGS=--quick for a smoke run; BENCH_ARGS=--update-docs to refresh the
# tables and chart of benchmarks/README.md and docs/performance(.zh).md from this run.
bench: venv
	$(PY) benchmarks/bench.py $(BENCH_ARGS)

# Mutation testing of the engine (not in CI, not in `make test`; tens of minutes
# on 2 cores). Configured in setup.cfg's [mutmut] section; survivors are listed
# at the end (`$(VENV)/bin/mutmut show NAME` shows one).
mutants: venv
	$(PY) -m pip install --quiet -e '.[mutants]'
	HYPOTHESIS_PROFILE=ci $(VENV)/bin/mutmut run --max-children $(or $(JOBS),2)
	$(VENV)/bin/mutmut results

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis site mutants

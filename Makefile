# Two commands for a newcomer: `make demo` and `make test`. Both install first.
SHARED ?= ../shared
BOUNDARIES ?= $(SHARED)/boundaries/cod-ab-tha
export GEOPLOTS_DATA ?= $(CURDIR)/data/boundaries

.PHONY: setup demo test lint boundaries

setup:
	./scripts/setup

# Imported once; `make boundaries -B` imports again.
boundaries: setup $(GEOPLOTS_DATA)/CURRENT

$(GEOPLOTS_DATA)/CURRENT:
	.venv/bin/geoplots boundaries import $(BOUNDARIES)/*.zip --dest $(GEOPLOTS_DATA)

# The main job: the war-room server on the demonstration data set, http://127.0.0.1:8000/
demo: boundaries
	.venv/bin/geoplots demo

# ruff (numpydoc docstring rules) and mypy, configured in pyproject.toml
lint: setup
	.venv/bin/ruff check geoplots tests bench notebooks/build_zone12_walkthrough.py
	.venv/bin/mypy

# scripts/postgres brings up a throwaway PostGIS on loopback for the PostGIS store tests.
test: lint
	./scripts/postgres run .venv/bin/python -m pytest -q -p no:cacheprovider

# Two commands for a newcomer: `make demo` and `make test`. Both install first.
SHARED ?= ../shared
BOUNDARIES ?= $(SHARED)/boundaries/cod-ab-tha
export GEOPLOTS_DATA ?= $(CURDIR)/data/boundaries

.PHONY: setup demo test boundaries

setup:
	./scripts/setup

boundaries: setup
	.venv/bin/geoplots boundaries import $(BOUNDARIES)/*.zip --dest $(GEOPLOTS_DATA)

demo: boundaries
	.venv/bin/geoplots boundaries info

# scripts/postgres brings up a throwaway PostGIS on loopback for the PostGIS store tests.
test: setup
	./scripts/postgres run .venv/bin/python -m pytest -q -p no:cacheprovider

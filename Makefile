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

test: setup
	.venv/bin/python -m pytest -q -p no:cacheprovider

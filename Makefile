# The two commands of the README: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.hilt-installed
BENCH_STAMP := $(VENV)/.hilt-bench-installed

.PHONY: demo test screenshots bench bench-sampling bench-project bench-server bench-strategies bench-features bench-features-speed bench-incremental-features bench-quality bench-dask bench-import bench-multilabel bench-span-model bench-spans bench-search simulate-report docs browser postgres clean

# Python compiles each module it imports on first use and keeps the bytecode (__pycache__), unless
# PYTHONDONTWRITEBYTECODE is set, as it is on some machines (these among them): then every process
# compiles numpy, scipy, scikit-learn and pandas afresh, 3-4 s of CPU per process (a `hilt` command
# started in 5.8 s instead of 2.4 s), and the suite starts hundreds of processes (servers, the CLI,
# retrain children, Dask workers). So the set-up, the demo and the suite keep bytecode.
unexport PYTHONDONTWRITEBYTECODE

# A fresh virtualenv with the package (editable) and its test extras; redone when pyproject changes.
# --no-compile: the modules imported are compiled on first use (above); compiling every installed
# module at install took half a minute of the set-up (the venv's own pip installs an editable package fine).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --no-compile -e '.[test]'
	$(PY) -c "from hilt.sampling import warmup; warmup(verbose=True)"
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/hilt demo

# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium fonts-dejavu-core >/dev/null; }

# Debian's PostgreSQL server programs for the PostgreSQL store's tests: tests/pg_server.py starts a
# throwaway server of its own from /usr/lib/postgresql/*/bin, so a cluster the package may start is
# not used (nor needed).
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "Installing Debian's postgresql for the PostgreSQL tests..."; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=300 postgresql >/dev/null; }

# Two workers (pytest-xdist): the tests that share the session's Dask cluster run on one of them
# (xdist_group "dask"), every other test goes to whichever worker is free. The 20 slowest are listed
# at the end, so a test that grows shows in every run.
test: $(STAMP) browser postgres
	$(PY) -m pytest -n 2 --dist loadgroup --durations=20 --doctest-modules src/hilt tests

# The documentation's screenshots of the real pages (docs/img): the browser tests that take them,
# told to save them there instead of in their own folders.
screenshots: $(STAMP) browser
	HILT_SCREENSHOTS_DIR=$(CURDIR)/docs/img $(PY) -m pytest -q tests/test_web_browser.py::test_label_by_keyboard_skip_undo_reload_and_dashboard tests/test_web_review.py::test_a_reviewer_settles_disagreements_by_keyboard tests/test_web_multilabel.py::test_the_guess_shows_after_the_answer_never_as_ticks

# The peers the sampling benchmark runs side by side with hilt (modAL, scikit-activeml, small-text).
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Speed, side by side in one run per script (see the README's tables). Add --quick for a smoke run.
bench: bench-sampling bench-project bench-server bench-strategies bench-features bench-features-speed bench-quality bench-dask bench-multilabel bench-span-model bench-spans bench-search

bench-sampling: $(BENCH_STAMP)
	$(PY) bench/bench_sampling.py --markdown

bench-project: $(BENCH_STAMP)
	$(PY) bench/bench_project.py

bench-server: $(BENCH_STAMP) postgres
	$(PY) bench/bench_server.py
	$(PY) bench/bench_server.py --team

# Does a webhook slow an answer? (docs/benchmarks/server.md, "Webhooks")
bench-webhooks: $(BENCH_STAMP)
	$(PY) bench/bench_webhooks.py

bench-strategies: $(BENCH_STAMP)
	$(PY) bench/bench_strategies.py

# Label efficiency of the text featurizers (hilt simulate, random and margin) on real text sets.
bench-features: $(BENCH_STAMP)
	$(PY) bench/bench_features.py

bench-features-speed: $(BENCH_STAMP)
	$(PY) bench/bench_features_speed.py --markdown

# The first retrain after importing 10 % more items: new rows added vs every row rebuilt.
bench-incremental-features: $(BENCH_STAMP)
	$(PY) bench/bench_incremental_features.py

# Streaming imports of 1M and 10M short texts into SQLite and PostgreSQL (time, items/s, peak RSS),
# the whole-file import before it as the anchor, and the first retrain after 10 % more.
bench-import: $(BENCH_STAMP) postgres
	$(PY) bench/bench_import.py

# Agreement, likely label errors and review at 100,000 items / 20,000 answers (issue 13).
bench-quality: $(BENCH_STAMP)
	$(PY) bench/bench_quality.py

# Retrains on a local Dask cluster of 2 workers beside local ones, 1M and 10M items, and the
# scaling model to 100M / 1B items (issue 14).
bench-dask: $(BENCH_STAMP)
	$(PY) bench/bench_dask.py

# Multi-label: micro-F1 learning curves on yeast and solar_flare (data files of the river package, in
# the bench extra), and ranking and retrain speed at 100,000 items x 20 labels beside a 20-class pool.
bench-multilabel: $(BENCH_STAMP)
	$(PY) bench/bench_multilabel.py

# Spans: hilt's CRF against spaCy's NER from a blank pipeline (spaCy in the bench extra) on WNUT 2016
# tweets: entity F1, train and predict time at 200 and 1,000 training tweets; the CRF penalties on a dev set.
bench-span-model: $(BENCH_STAMP)
	$(PY) bench/bench_span_model.py --grid

# Spans: the sequence strategies against random on WNUT 2016 tweets (entity F1 curves, 3 seeds);
# the table and the curves of docs/benchmarks/spans.md.
bench-spans: $(STAMP)
	mkdir -p bench/results
	$(VENV)/bin/hilt simulate wnut16 --task spans --strategies random,least,margin,entropy,entropy:max,margin+diverse \
		--init 50 --batch 50 --budget 500 --seeds 3 --jobs 2 --quiet --json bench/results/spans.json \
		--plot docs/img/simulate_wnut16_spans.png

# Search at 1,000,000 short texts made from the bundled reviews' words, SQLite and PostgreSQL: the index
# build (the first search), query p50/p95 over 200 real-word queries, similar() p50; docs/benchmarks/search.md.
bench-search: $(BENCH_STAMP) postgres
	$(PY) bench/bench_search.py

# Learning curves for the README: which sampling method suits digits, breast_cancer, movie reviews.
simulate-report: $(STAMP)
	$(PY) bench/simulate_report.py

# The documentation site (docs/, mkdocs.yml) into site/, offline; --strict: a warning is an error.
docs: $(STAMP)
	$(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache build src/*.egg-info

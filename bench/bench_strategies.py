"""Query-strategy benchmark: the cost of one batch of 10 from each strategy of ``hilt.strategies``.

What it measures: ``strategies.select(name, context, 10)`` (batch = 10) on pools of 100,000 and
1,000,000 items of two kinds,

* **table**: dense float32, 64 columns (``make_classification``: 20 informative columns, 10
  classes);
* **text**: TF-IDF-like CSR float32, 30,000 columns, 20 word draws per row from a Zipf
  distribution (so a little under 20 non-zeros), L2-normalised rows, 2 classes with a signal
  (a fifth of the words drawn from 150 words of the row's class),

each with 200 labelled items at random positions and every other position a candidate, and a
``hilt.models.AlignedModel`` around ``LogisticRegression(max_iter=1000)`` fitted on them.
Strategies: ``random``, ``margin``, ``margin+diverse``, ``margin+dense``, ``margin+diverse:8/random:1/outlier:1``,
``cluster``, ``outlier``, ``representative``, ``committee``, ``committee+diverse``.

Every timed call gets a FRESH ``QueryContext`` (nothing, not the probabilities, carries over
from one call to the next) and a fresh ``default_rng(0)``. Two figures per strategy:

* **warm**: the dense view of the pool (``hilt.strategies.geometry.dense_view``, remembered per
  feature matrix for as long as it lives) is already built, and one untimed call of each
  strategy has run (so what is remembered per view, its copy distance, is built too), as in
  every query round of a learner or a project after its first; the median of 3 calls;
* **cold**: the memo is cleared before each call (``geometry._views.clear()``, and the per-view
  copy distances), so a strategy that compares items by position builds the view inside the
  call (the first query on a new feature matrix); the median of 3 calls. Strategies that never
  use the view (``random``, ``margin``, ``outlier``, ``committee``) cost the same both ways.

Beside them: the floor, ``model.predict_proba(X)`` over the whole pool in one call, and
``dense_view(X)`` and ``copy_distance(view)`` alone. The targets (the issue's): ``margin+diverse`` at 1,000,000 items costs
at most 3x ``margin`` measured in the same run (``margin`` includes predicting the pool), and
every strategy's cost grows at most linearly with the pool (1M / 100k <= about 10; the check
allows 12, which is n log n, or linear plus noise; O(n^2) would show as about 100).

Calls are interleaved (one call of each strategy per round), after one untimed call of each on a
30,000-item pool of the same kind (imports, numba kernels). BLAS, OpenMP and numba are pinned to
``--threads`` threads (default 1: a shared 2-core machine; the figures are then reproducible and
the ratios compare like with like). A strategy whose first call takes longer than
``--slow-seconds`` is measured once per mode instead of three times (said in the table).

Usage::

    make bench-strategies                        # the full run (about 4 min on 2 cores)
    python bench/bench_strategies.py             # the same
    python bench/bench_strategies.py --quick     # pools of 20,000 and 200,000: a smoke run
    python bench/bench_strategies.py --profile margin+diverse   # + cProfile of one call per pool

Results go to ``bench/results/strategies.md`` and ``strategies.json`` (``strategies-quick.*``
for ``--quick``).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import subprocess
import sys
import time
from pathlib import Path
from statistics import median

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

STRATEGIES = (
    "random",
    "margin",
    "margin+diverse",
    "margin+dense",
    "margin+diverse:8/random:1/outlier:1",
    "cluster",
    "outlier",
    "representative",
    "committee",
    "committee+diverse",
)
FULL_SIZES = (100_000, 1_000_000)
QUICK_SIZES = (20_000, 200_000)
WARMUP_SIZE = 30_000
K = 10
BATCH = 10
N_LABELLED = 200
REPEATS = 3
TABLE_COLUMNS = 64
TABLE_CLASSES = 10
TEXT_COLUMNS = 30_000
TEXT_WORDS = 20
RATIO_TARGET = 3.0  # margin+diverse / margin at the largest pool
#: time(large) / time(small) for a 10x larger pool: 10 is exactly linear; 12 allows n log n
#: (10 x log(1M) / log(100k) = 12) and a little noise. O(n^2) would be about 100.
GROWTH_TARGET = 12.0

# --------------------------------------------------------------------------- pools


def table_pool(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, list]:
    """Dense float32 (n, 64), 10 classes (rows come shuffled: a prefix is a random sample)."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=n, n_features=TABLE_COLUMNS, n_informative=20, n_redundant=10,
                               n_classes=TABLE_CLASSES, n_clusters_per_class=2, random_state=seed)
    return np.ascontiguousarray(X, dtype=np.float32), y, list(range(TABLE_CLASSES))


def text_pool(n: int, seed: int = 0) -> tuple[sp.csr_matrix, np.ndarray, list]:
    """TF-IDF-like CSR float32 (n, 30,000): Zipf word draws, 2 classes, L2-normalised rows."""
    from sklearn.preprocessing import normalize

    rng = np.random.default_rng(seed)
    ranks = np.arange(1, TEXT_COLUMNS + 1, dtype=np.float64)
    p = 1.0 / (ranks + 2.7)  # Zipf-Mandelbrot
    p /= p.sum()
    words = rng.choice(TEXT_COLUMNS, size=(n, TEXT_WORDS), p=p).astype(np.int32)
    y = rng.integers(0, 2, size=n)
    signal = rng.random((n, TEXT_WORDS)) < 0.2  # a fifth of the words come from the class's own
    class_words = 500 + 150 * y[:, None] + rng.integers(0, 150, size=(n, TEXT_WORDS))
    words[signal] = class_words[signal]
    rows = np.repeat(np.arange(n, dtype=np.int64), TEXT_WORDS)
    X = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, words.ravel())), shape=(n, TEXT_COLUMNS))
    X.sum_duplicates()
    df = np.bincount(X.indices, minlength=TEXT_COLUMNS)
    idf = (np.log((1.0 + n) / (1.0 + df)) + 1.0).astype(np.float32)
    X.data = np.log1p(X.data) * idf[X.indices]  # sublinear tf x idf
    X = normalize(X, copy=False).astype(np.float32)
    return X, y, [0, 1]


def prefix(X, n: int):
    """The first ``n`` rows as a new matrix (a new object: its own dense-view memo)."""
    return X[:n].copy() if sp.issparse(X) else np.ascontiguousarray(X[:n]).copy()


def setting(X, y: np.ndarray, labels: list, seed: int = 0):
    """(labelled, candidates, y_labelled, fitted model) for a pool."""
    from sklearn.linear_model import LogisticRegression

    from hilt.models import AlignedModel

    n = X.shape[0]
    rng = np.random.default_rng(seed + 1)
    labelled = np.sort(rng.choice(n, size=N_LABELLED, replace=False)).astype(np.int64)
    mask = np.ones(n, dtype=bool)
    mask[labelled] = False
    candidates = np.flatnonzero(mask).astype(np.int64)
    y_labelled = [int(v) for v in y[labelled]]
    model = AlignedModel(LogisticRegression(max_iter=1000), labels).fit(X[labelled], y_labelled)
    return labelled, candidates, y_labelled, model


# --------------------------------------------------------------------------- timing


def reset_memo() -> None:
    """Forget every dense view (and what is remembered per view, e.g. its copy distance)."""
    from hilt.strategies import geometry

    # Not under geometry._views_lock: dropping a view may run weakref callbacks that take it.
    geometry._views.clear()
    from hilt.strategies import density

    for module, name in ((geometry, "_copy_distances"), (density, "_densities")):  # per-view memos
        memo = getattr(module, name, None)
        if isinstance(memo, dict):
            memo.clear()


def one_call(name: str, X, pool: dict, cold: bool) -> tuple[float, np.ndarray]:
    from hilt import strategies

    if cold:
        reset_memo()
    ctx = strategies.QueryContext(X, pool["candidates"], pool["labelled"], pool["y"], pool["model"],
                                  np.random.default_rng(0), batch=BATCH)
    t0 = time.perf_counter()
    picks = strategies.select(name, ctx, K)
    elapsed = time.perf_counter() - t0
    if picks.size != K or np.unique(picks).size != K:
        raise RuntimeError(f"{name} returned {picks!r}, expected {K} distinct picks")
    return elapsed, picks


def time_floor(X, model) -> list[float]:
    out = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        model.predict_proba(X)
        out.append(time.perf_counter() - t0)
    return out


def time_view(X) -> tuple[list[float], list[float]]:
    """``dense_view(X)`` from an empty memo, and ``copy_distance`` of that view (if the module
    has one); leaves the view remembered."""
    from hilt.strategies import geometry

    view_s, copy_s = [], []
    for _ in range(REPEATS):
        reset_memo()
        t0 = time.perf_counter()
        view = geometry.dense_view(X)
        view_s.append(time.perf_counter() - t0)
        if hasattr(geometry, "copy_distance"):
            t0 = time.perf_counter()
            geometry.copy_distance(view)
            copy_s.append(time.perf_counter() - t0)
    return view_s, copy_s


def measure_pool(X, y, labels, names, slow_seconds: float, log) -> dict:
    t0 = time.perf_counter()
    labelled, candidates, y_labelled, model = setting(X, y, labels)
    pool = {"labelled": labelled, "candidates": candidates, "y": y_labelled, "model": model}
    fit_s = time.perf_counter() - t0
    result: dict = {"n_items": int(X.shape[0]), "fit_s": fit_s, "nnz_per_row": (X.nnz / X.shape[0]) if sp.issparse(X) else None}
    result["predict_proba_s"] = time_floor(X, model)
    log(f"    predict_proba(X): {median(result['predict_proba_s']):.3f} s")
    cold: dict[str, list[float]] = {name: [] for name in names}
    warm: dict[str, list[float]] = {name: [] for name in names}
    picks: dict[str, list[int]] = {}
    slow: set[str] = set()
    # Cold rounds: the view memo cleared before every call.
    for rep in range(REPEATS):
        for name in names:
            if name in slow:
                continue
            elapsed, chosen = one_call(name, X, pool, cold=True)
            cold[name].append(elapsed)
            picks.setdefault(name, chosen.tolist())
            if rep == 0 and elapsed > slow_seconds:
                slow.add(name)
        log(f"    cold round {rep + 1}: " + ", ".join(f"{n} {cold[n][-1]:.3f}" for n in names if len(cold[n]) > rep))
    result["view_s"], result["copy_distance_s"] = time_view(X)  # leaves the view built for the warm rounds
    log(f"    dense_view(X): {median(result['view_s']):.3f} s"
        + (f", copy_distance(view): {median(result['copy_distance_s']):.3f} s" if result["copy_distance_s"] else ""))
    for name in names:  # untimed: builds whatever is remembered per view (e.g. its copy distance)
        one_call(name, X, pool, cold=False)
    for rep in range(REPEATS):
        for name in names:
            if name in slow and rep > 0:
                continue
            elapsed, chosen = one_call(name, X, pool, cold=False)
            warm[name].append(elapsed)
            if chosen.tolist() != picks[name]:
                raise RuntimeError(f"{name}: warm picks differ from cold ones: {chosen} vs {picks[name]}")
        log(f"    warm round {rep + 1}: " + ", ".join(f"{n} {warm[n][-1]:.3f}" for n in names if len(warm[n]) > rep))
    reset_memo()
    result["strategies"] = {name: {"cold_s": cold[name], "warm_s": warm[name], "repeats": len(warm[name]),
                                   "picks": picks[name]} for name in names}
    return result


def profile_call(name: str, X, y, labels, cold: bool, top: int = 25) -> str:
    """cProfile of one call (cumulative time), as text."""
    labelled, candidates, y_labelled, model = setting(X, y, labels)
    pool = {"labelled": labelled, "candidates": candidates, "y": y_labelled, "model": model}
    one_call(name, X, pool, cold=False)  # builds the view for a warm profile
    from hilt import strategies

    if cold:
        reset_memo()
    ctx = strategies.QueryContext(X, candidates, labelled, y_labelled, model, np.random.default_rng(0), batch=BATCH)
    profiler = cProfile.Profile()
    profiler.enable()
    strategies.select(name, ctx, K)
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(top)
    reset_memo()
    return out.getvalue()


# --------------------------------------------------------------------------- report


def source_fingerprint() -> dict[str, str]:
    """sha256 (first 12 hex digits) of each file of ``hilt.strategies`` (the code is measured
    as it is on disk, committed or not)."""
    import hashlib

    import hilt.strategies

    folder = Path(hilt.strategies.__file__).parent
    return {f.name: hashlib.sha256(f.read_bytes()).hexdigest()[:12] for f in sorted(folder.glob("*.py"))}


def machine(threads: int) -> dict:
    import numpy
    import scipy
    import sklearn

    try:
        nproc = subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        nproc = str(os.cpu_count())
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                cwd=HERE.parent, check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "src"], capture_output=True, text=True,
                                    cwd=HERE.parent, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        commit, dirty = "unknown", False
    return {"nproc": nproc, "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "numpy": numpy.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "threads": threads,
            "git": commit + (" + uncommitted changes in src/" if dirty else "")}


def fmt(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds >= 10:
        return f"{seconds:.1f}"
    if seconds >= 1:
        return f"{seconds:.2f}"
    return f"{seconds:.3f}"


def summarise(results: dict) -> dict:
    """Medians, ratios to margin, growth large/small, target checks, per kind."""
    summary: dict = {}
    for kind, by_size in results["pools"].items():
        sizes = sorted(by_size, key=int)
        small, large = by_size[sizes[0]], by_size[sizes[-1]]
        rows = {}
        for name in STRATEGIES:
            row = {}
            for mode in ("warm", "cold"):
                t_small = median(small["strategies"][name][f"{mode}_s"])
                t_large = median(large["strategies"][name][f"{mode}_s"])
                m_small = median(small["strategies"]["margin"][f"{mode}_s"])
                m_large = median(large["strategies"]["margin"][f"{mode}_s"])
                row[mode] = {"small_s": t_small, "large_s": t_large, "ratio_small": t_small / m_small,
                             "ratio_large": t_large / m_large, "growth": t_large / t_small}
            row["repeats_large"] = large["strategies"][name]["repeats"]
            rows[name] = row
        for name, key in (("predict_proba(X)", "predict_proba_s"), ("dense_view(X)", "view_s"),
                          ("copy_distance(view)", "copy_distance_s")):
            if not small.get(key) or not large.get(key):
                continue
            t_small, t_large = median(small[key]), median(large[key])
            m_small = median(small["strategies"]["margin"]["warm_s"])
            m_large = median(large["strategies"]["margin"]["warm_s"])
            rows[name] = {"small_s": t_small, "large_s": t_large, "ratio_small": t_small / m_small,
                          "ratio_large": t_large / m_large, "growth": t_large / t_small}
        md = rows["margin+diverse"]
        checks = {
            "margin+diverse / margin (warm) <= 3": md["warm"]["ratio_large"] <= RATIO_TARGET,
            "margin+diverse / margin (cold: the call builds the view) <= 3": md["cold"]["ratio_large"] <= RATIO_TARGET,
            **{f"{name} growth (warm) <= {GROWTH_TARGET:g}": rows[name]["warm"]["growth"] <= GROWTH_TARGET
               for name in STRATEGIES},
            **{f"{name} growth (cold) <= {GROWTH_TARGET:g}": rows[name]["cold"]["growth"] <= GROWTH_TARGET
               for name in STRATEGIES},
        }
        summary[kind] = {"small": int(sizes[0]), "large": int(sizes[-1]), "rows": rows, "checks": checks}
    return summary


def markdown(results: dict) -> str:
    m = results["machine"]
    lines = [
        f"#### Query strategies: one batch of {K} (batch = {BATCH}), seconds, median of {REPEATS} "
        "(x: time ÷ `margin` in the same run)",
        "",
        f"Command: `{results['command']}`. Machine: {m['nproc']} cores ({m['processor']}), "
        f"Python {m['python']}, numpy {m['numpy']}, scipy {m['scipy']}, scikit-learn {m['scikit-learn']}; "
        f"BLAS, OpenMP and numba pinned to {m['threads']} thread(s) with threadpoolctl / numba.set_num_threads. "
        f"{results['date']}, hilt {m['git']}. Load average {results['load_start']} at the start, "
        f"{results['load_end']} at the end (a shared machine). Wall time {results['wall_s'] / 60:.1f} min."
        + (" src/hilt/strategies changed on disk during the run: what was measured is the code imported at its "
           "start (file fingerprints in the JSON)." if results["source_changed_during_run"] else ""),
        "",
        f"Each call: a fresh `QueryContext` ({N_LABELLED} labelled items at random positions, every other item a "
        "candidate, `AlignedModel(LogisticRegression(max_iter=1000))` fitted on the labelled ones), "
        f"`strategies.select(name, ctx, {K})`. **warm**: the pool's dense view "
        "(`geometry.dense_view`, remembered per feature matrix) already built and one untimed call made, as in "
        "every round after the first; **cold**: the memo (`geometry._views`, and the per-view copy distances) "
        "cleared before each call, so the call builds the view (the first query on a feature matrix). `random`, `margin`, `outlier` and `committee` do not use the view. "
        "Growth = time at the large pool ÷ time at the small one (pool 10x larger; 10 is linear, "
        f"the check allows {GROWTH_TARGET:g}: n log n or noise; O(n²) would be about 100).",
        "",
    ]
    for kind, s in results["summary"].items():
        small, large = s["small"], s["large"]
        pool = results["pools"][kind][str(large)]
        if kind == "table":
            what = f"dense float32, {TABLE_COLUMNS} columns, {TABLE_CLASSES} classes"
        else:
            what = (f"CSR float32, {TEXT_COLUMNS:,} columns, {pool['nnz_per_row']:.1f} non-zeros per row, "
                    "L2-normalised, 2 classes")
        lines += [
            f"##### {kind} pool ({what}): {small:,} and {large:,} items",
            "",
            f"| strategy | {small:,} warm | {small:,} cold | {large:,} warm | {large:,} cold | "
            "growth warm | growth cold |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        for name in STRATEGIES:
            r = s["rows"][name]
            w, c = r["warm"], r["cold"]
            label = f"`{name}`"
            if r["repeats_large"] < REPEATS:
                label += f" (once at {large:,}: slow)"
            bold = "**" if name == "margin+diverse" else ""
            lines.append(
                f"| {label} | {fmt(w['small_s'])} ({w['ratio_small']:.2f}x) | {fmt(c['small_s'])} "
                f"({c['ratio_small']:.2f}x) | {bold}{fmt(w['large_s'])} ({w['ratio_large']:.2f}x){bold} | "
                f"{bold}{fmt(c['large_s'])} ({c['ratio_large']:.2f}x){bold} | {w['growth']:.1f} | {c['growth']:.1f} |")
        notes = {"predict_proba(X)": "the floor, whole pool, one call", "dense_view(X)": "alone, from an empty memo",
                 "copy_distance(view)": "alone, remembered per view"}
        for name, note in notes.items():
            if name not in s["rows"]:
                continue
            r = s["rows"][name]
            lines.append(
                f"| `{name}` ({note}) | {fmt(r['small_s'])} ({r['ratio_small']:.2f}x) | | "
                f"{fmt(r['large_s'])} ({r['ratio_large']:.2f}x) | | {r['growth']:.1f} | |")
        failed = [name for name, ok in s["checks"].items() if not ok]
        lines += ["", "Targets: " + ("all met" if not failed else "**missed**: " + "; ".join(failed))
                  + f" (margin+diverse ÷ margin at {large:,}: warm {s['rows']['margin+diverse']['warm']['ratio_large']:.2f}x,"
                  f" cold {s['rows']['margin+diverse']['cold']['ratio_large']:.2f}x).", ""]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- main


def pin_threads(threads: int):
    from threadpoolctl import threadpool_limits

    limiter = threadpool_limits(limits=threads)
    try:
        import numba

        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    except ImportError:
        pass
    return limiter


def main(argv: list[str] | None = None) -> int:
    global REPEATS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="pools of 20,000 and 200,000: a smoke run")
    parser.add_argument("--repeats", type=int, default=REPEATS, help=f"calls per strategy and mode (default {REPEATS})")
    parser.add_argument("--threads", type=int, default=1, help="BLAS / OpenMP / numba threads (default 1)")
    parser.add_argument("--kinds", default="table,text", help="pool kinds, comma-separated (default table,text)")
    parser.add_argument("--slow-seconds", type=float, default=60.0,
                        help="a strategy whose first call takes longer is measured once per mode")
    parser.add_argument("--profile", metavar="STRATEGY", default=None,
                        help="also print a cProfile of one warm and one cold call at the largest pool")
    args = parser.parse_args(argv)
    REPEATS = max(1, args.repeats)
    started = time.perf_counter()
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    load_start = round(os.getloadavg()[0], 2)

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {text}", flush=True)

    from hilt import strategies
    from hilt.sampling import warmup

    fingerprint = source_fingerprint()
    for name in STRATEGIES:  # import every strategy module now, as the fingerprint has them
        strategies.get_strategy(name)
    warmup()  # loads the cached numba kernels (compiles them if the cache is empty)
    _limiter = pin_threads(args.threads)  # noqa: F841 (kept alive for the whole run)
    results: dict = {"sizes": list(sizes), "k": K, "batch": BATCH, "n_labelled": N_LABELLED, "repeats": REPEATS,
                     "pools": {}}
    for kind in kinds:
        make = {"table": table_pool, "text": text_pool}[kind]
        t0 = time.perf_counter()
        X_all, y_all, labels = make(max(sizes))
        log(f"{kind}: generated {X_all.shape[0]:,} x {X_all.shape[1]:,} in {time.perf_counter() - t0:.1f} s")
        # Untimed: one call of each strategy on a small pool of the same kind (imports, kernels).
        X_warm = prefix(X_all, WARMUP_SIZE)
        measure_pool(X_warm, y_all[:WARMUP_SIZE], labels, STRATEGIES, args.slow_seconds, lambda _text: None)
        del X_warm
        results["pools"][kind] = {}
        for n in sizes:
            X = X_all if n == X_all.shape[0] else prefix(X_all, n)
            log(f"{kind} pool of {n:,} items")
            results["pools"][kind][str(n)] = measure_pool(X, y_all[:n], labels, STRATEGIES, args.slow_seconds, log)
            if args.profile:
                for cold in (False, True):
                    print(f"---- cProfile: {args.profile}, {kind}, {n:,} items, {'cold' if cold else 'warm'}")
                    print(profile_call(args.profile, X, y_all[:n], labels, cold), flush=True)
            del X
        del X_all
    results["wall_s"] = time.perf_counter() - started
    results["load_start"], results["load_end"] = load_start, round(os.getloadavg()[0], 2)
    results["date"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results["machine"] = machine(args.threads)
    results["source"] = fingerprint
    results["source_changed_during_run"] = source_fingerprint() != fingerprint
    if results["source_changed_during_run"]:
        print("warning: src/hilt/strategies changed on disk during the run (the modules were imported at the start)")
    results["command"] = " ".join(["python bench/bench_strategies.py",
                                   *(argv if argv is not None else sys.argv[1:])]).strip()
    results["summary"] = summarise(results)
    stem = "strategies-quick" if args.quick else "strategies"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)
    failed = [f"{kind}: {name}" for kind, s in results["summary"].items() for name, ok in s["checks"].items() if not ok]
    if failed:
        print("targets missed: " + "; ".join(failed))
    return 0


if __name__ == "__main__":
    sys.exit(main())

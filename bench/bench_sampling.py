"""Sampling benchmark: hilt's ``rank`` against modAL, scikit-activeml and small-text.

Every implementation scores the same probability matrix and picks its own top 100, in one
process, side by side (round-robin, best of N with ``time.perf_counter``), beside two yardsticks:

* **memory floor**: one ``P.sum()`` pass over the matrix plus ``np.argpartition(scores, -100)``
  on a 1-D array of n scores: reading the input once and selecting once, no scoring at all;
* **plain numpy**: a straightforward numpy version (``np.partition`` for the top two, then
  ``np.argpartition``).

Then the first-call cost: ``import hilt``, and ``import hilt.sampling; rank(P, 100, m)`` on a
1,000,000 x 10 matrix in a fresh interpreter with an empty numba cache (compiles) and with the
cache filled (loads). ``bench/peers/`` says how each peer is driven.

Usage::

    python bench/bench_sampling.py               # full run, text tables (a few minutes)
    python bench/bench_sampling.py --markdown    # the same as Markdown, for the README
    python bench/bench_sampling.py --quick       # small sizes, a few seconds (smoke test)
    python bench/bench_sampling.py --json out.json
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for ``peers``

from peers import load_peers  # noqa: E402

METHODS = ("least", "margin", "ratio", "entropy")
K = 100
FULL_SIZES = ((1_000_000, 10), (100_000, 100), (10_000, 2))
QUICK_SIZES = ((5_000, 10), (1_000, 100), (1_000, 2))
#: The size the targets are checked at.
MAIN_SIZE = FULL_SIZES[0]
SPEEDUP_TARGET = 5.0  # hilt vs the fastest peer
FLOOR_TARGET = 2.0  # hilt / memory floor, for least, margin, ratio

# --------------------------------------------------------------------------- data


def make_probs(n: int, c: int, seed: int = 0) -> np.ndarray:
    """Softmax of N(0, 2) logits: peaked but rarely one-hot rows, C-contiguous float64."""
    rng = np.random.default_rng(seed)
    logits = rng.normal(scale=2.0, size=(n, c))
    logits -= logits.max(axis=1, keepdims=True)
    np.exp(logits, out=logits)
    logits /= logits.sum(axis=1, keepdims=True)
    return logits


# --------------------------------------------------------------------------- implementations


def plain_numpy(method: str, probs: np.ndarray, k: int):
    """The straightforward numpy version: what one writes without thinking about memory."""
    c = probs.shape[1]

    def select(scores):
        top = np.argpartition(scores, -k)[-k:]
        return top[np.argsort(-scores[top], kind="stable")]

    if method == "least":
        return lambda: select((1.0 - probs.max(axis=1)) * (c / (c - 1.0)))
    if method in ("margin", "ratio"):

        def run():
            two = np.partition(probs, c - 2, axis=1)[:, -2:]
            if method == "margin":
                scores = 1.0 - (two[:, 1] - two[:, 0])
            else:
                scores = two[:, 0] / two[:, 1]
            return select(scores)

        return run

    def entropy():
        logs = np.log(probs, out=np.zeros_like(probs), where=probs > 0)
        return select(-(probs * logs).sum(axis=1) / np.log(c))

    return entropy


def memory_floor(probs: np.ndarray, k: int):
    scores = np.random.default_rng(1).random(probs.shape[0])
    return lambda: (probs.sum(), np.argpartition(scores, -k))


def hilt_rank(method: str, probs: np.ndarray, k: int):
    from hilt.sampling import rank

    return lambda: rank(probs, k, method)


def _indices(result) -> np.ndarray:
    """The selected indices, whatever shape the implementation returns them in."""
    if isinstance(result, tuple):  # modAL: (indices, values)
        result = result[0]
    return np.asarray(result).ravel()


# --------------------------------------------------------------------------- timing


def _time_once(fn) -> tuple[float, object]:
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        out = fn()
        return time.perf_counter() - start, out
    finally:
        gc.enable()


def measure(candidates: dict, repeats: int, budget: float) -> dict:
    """Best-of-``repeats`` seconds for each candidate, run round-robin so drift hits all alike.

    One untimed call first (caches, lazy imports); a call slower than a quarter second has
    nothing to warm and counts as the first run. A candidate stops once it has spent
    ``budget`` seconds (at least one timed run): small-text's per-row Python takes seconds.
    """
    times = {name: [] for name in candidates}
    spent = dict.fromkeys(candidates, 0.0)
    outputs = {}
    for name, fn in candidates.items():
        elapsed, outputs[name] = _time_once(fn)
        spent[name] += elapsed
        if elapsed > 0.25:
            times[name].append(elapsed)
    for _ in range(repeats):
        for name, fn in candidates.items():
            if len(times[name]) >= repeats or (times[name] and spent[name] > budget):
                continue
            elapsed, _ = _time_once(fn)
            spent[name] += elapsed
            times[name].append(elapsed)
    return {
        name: {"seconds": min(ts), "runs": len(ts), "indices": _indices(outputs[name])}
        for name, ts in times.items()
    }


# --------------------------------------------------------------------------- one size


def bench_size(n: int, c: int, peers, repeats: int, budget: float, log) -> dict:
    probs = make_probs(n, c)
    log(f"  {n:,} x {c}: ", end="")
    floor = measure({"floor": memory_floor(probs, K)}, repeats, budget)["floor"]
    result = {"n": n, "c": c, "floor_ms": floor["seconds"] * 1e3, "methods": {}}
    for method in METHODS:
        log(f"{method} ", end="")
        candidates = {"hilt": hilt_rank(method, probs, K), "numpy": plain_numpy(method, probs, K)}
        missing = {}
        for module, version, reason in peers:
            if version is None:
                missing[module.NAME] = "not installed"
                continue
            fn = module.make(method, probs, K)
            if fn is None:
                missing[module.NAME] = "n/a"
            else:
                candidates[module.NAME] = fn
        timed = measure(candidates, repeats, budget)
        reference = set(timed["hilt"]["indices"].tolist())
        row = {}
        for name, t in timed.items():
            row[name] = {
                "ms": t["seconds"] * 1e3,
                "runs": t["runs"],
                # Share of hilt's top-k this implementation also picked (1.0: same set).
                "same_top_k": len(reference & set(t["indices"].tolist())) / max(1, len(reference)),
            }
        for name, why in missing.items():
            row[name] = {"ms": None, "note": why}
        result["methods"][method] = row
    log("done")
    return result


# --------------------------------------------------------------------------- first call

_FIRST_CALL = r"""
import json, sys, time
import numpy as np
sys.path.insert(0, {bench!r})
from bench_sampling import make_probs
probs = make_probs({n}, {c})
t0 = time.perf_counter()
import hilt.sampling
t1 = time.perf_counter()
hilt.sampling.rank(probs, {k}, {method!r})
t2 = time.perf_counter()
hilt.sampling.rank(probs, {k}, {method!r})
t3 = time.perf_counter()
print(json.dumps({{"import_ms": (t1 - t0) * 1e3, "first_ms": (t2 - t0) * 1e3,
                  "next_ms": (t3 - t2) * 1e3}}))
"""

_IMPORT_ONLY = r"""
import time
t0 = time.perf_counter()
import hilt
print((time.perf_counter() - t0) * 1e3)
"""


def _run_python(code: str, env: dict) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise RuntimeError(f"subprocess failed:\n{done.stderr[-2000:]}")
    return done.stdout.strip().splitlines()[-1]


def first_call(quick: bool, log) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "HILT_NO_NUMBA")}
    out = {"import_hilt_ms": min(float(_run_python(_IMPORT_ONLY, env)) for _ in range(5))}
    if quick:
        out["methods"] = None  # compiling takes seconds: not in a smoke test
        return out
    n, c = MAIN_SIZE
    out["n"], out["c"] = n, c
    out["methods"] = {}
    log("  first call: ", end="")
    for method in METHODS:
        log(f"{method} ", end="")
        code = _FIRST_CALL.format(bench=str(HERE), n=n, c=c, k=K, method=method)
        with tempfile.TemporaryDirectory(prefix="hilt-numba-cache-") as cache:
            env_cache = dict(env, NUMBA_CACHE_DIR=cache)
            cold = json.loads(_run_python(code, env_cache))
            warm = json.loads(_run_python(code, env_cache))
        out["methods"][method] = {"cold": cold, "warm": warm}
    log("done")
    return out


# --------------------------------------------------------------------------- report


def _fmt_ms(ms) -> str:
    if ms is None:
        return "-"
    return f"{ms:,.0f}" if ms >= 100 else f"{ms:.1f}" if ms >= 10 else f"{ms:.2f}"


def table(headers, rows, markdown: bool) -> str:
    rows = [[str(cell) for cell in row] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    lines = [fmt.format(*headers), fmt.format(*("-" * w for w in widths))]
    lines += [fmt.format(*row) for row in rows]
    return "\n".join(lines)


def fastest_peer(row: dict, peer_names) -> tuple[str | None, float | None]:
    timed = [(row[p]["ms"], p) for p in peer_names if p in row and row[p].get("ms") is not None]
    if not timed:
        return None, None
    ms, name = min(timed)
    return name, ms


def size_table(res: dict, peers, markdown: bool) -> str:
    names = [m.NAME for m, _, _ in peers]
    headers = ["method", "hilt ms", "floor ms", "hilt ÷ floor", "plain numpy ms (÷ hilt)"]
    headers += [f"{p} ms (÷ hilt)" for p in names] + ["fastest peer ÷ hilt"]
    rows = []
    for method, row in res["methods"].items():
        hilt = row["hilt"]["ms"]
        cells = [
            method,
            _fmt_ms(hilt),
            _fmt_ms(res["floor_ms"]),
            f"{hilt / res['floor_ms']:.2f}",
            f"{_fmt_ms(row['numpy']['ms'])} ({row['numpy']['ms'] / hilt:.1f}x)",
        ]
        for (module, _, _), name in zip(peers, names):
            cell = row[name]
            if cell.get("ms") is None:
                cells.append(cell["note"])
                continue
            derived = "†" if module.HOW.get(method, "").startswith("derived") else ""
            runs = "" if cell["runs"] > 1 else "¹"
            cells.append(f"{_fmt_ms(cell['ms'])} ({cell['ms'] / hilt:.1f}x){derived}{runs}")
        name, ms = fastest_peer(row, names)
        cells.append("-" if ms is None else f"{ms / hilt:.1f}x ({name})")
        rows.append(cells)
    return table(headers, rows, markdown)


def how_table(peers, markdown: bool) -> str:
    rows = [
        ["hilt", _version("hilt"), "all", "hilt.sampling.rank(P, 100, method): fused numba kernel + top-100, sorted"],
        ["memory floor", "", "all", "P.sum() (one read of P) + np.argpartition(scores, -100) on n scores"],
        ["plain numpy", np.__version__, "all", "max / np.partition(P, c-2, axis=1) top two / log; argpartition + sort top 100"],
    ]
    for module, version, reason in peers:
        if version is None:
            rows.append([module.NAME, "-", "all", reason])
            continue
        for method in METHODS:
            rows.append([module.NAME, version, method, module.HOW.get(method, "n/a")])
    return table(["implementation", "version", "method", "how measured"], rows, markdown)


def _version(dist: str) -> str:
    try:
        from importlib.metadata import version

        return version(dist)
    except Exception:
        return "?"


def check_targets(results: list, peers, quick: bool = False) -> list:
    """The targets, at the main size (the first size measured; only judged on the full run)."""
    res = results[0]
    names = [m.NAME for m, _, _ in peers]
    checks = []
    for method, row in res["methods"].items():
        hilt = row["hilt"]["ms"]
        name, ms = fastest_peer(row, names)
        if ms is not None:
            speedup = ms / hilt
            checks.append({
                "method": method, "target": f"hilt >= {SPEEDUP_TARGET:g}x faster than the fastest peer",
                "value": speedup, "peer": name, "met": speedup >= SPEEDUP_TARGET,
                "text": f"{speedup:.1f}x vs {name}"
                + (" (derived ratio formulation)" if method == "ratio" else ""),
            })
        ratio = hilt / res["floor_ms"]
        if method == "entropy":
            checks.append({"method": method, "target": "hilt ÷ memory floor (reported)",
                           "value": ratio, "met": None, "text": f"{ratio:.2f}"})
        else:
            checks.append({
                "method": method, "target": f"hilt ÷ memory floor <= {FLOOR_TARGET:g}",
                "value": ratio, "met": ratio <= FLOOR_TARGET, "text": f"{ratio:.2f}",
            })
    if quick:  # the targets are for 1,000,000 x 10; small arrays are all overhead
        for check in checks:
            check["met"] = None
    return checks


def first_call_table(fc: dict, markdown: bool) -> str:
    rows = [["`import hilt`" if markdown else "import hilt", "-", _fmt_ms(fc["import_hilt_ms"]), "best of 5, fresh interpreter each"]]
    for method, r in (fc.get("methods") or {}).items():
        for kind, label in (("cold", "empty NUMBA_CACHE_DIR (compiles)"), ("warm", "cache filled (loads)")):
            x = r[kind]
            rows.append([f"import hilt.sampling + rank(P, 100, {method!r})", kind, _fmt_ms(x["first_ms"]),
                         f"{label}; import {_fmt_ms(x['import_ms'])} ms, next call {_fmt_ms(x['next_ms'])} ms"])
    return table(["what", "cache", "ms", "notes"], rows, markdown)


def report(results, first, checks, peers, machine, args) -> str:
    md = args.markdown
    h = "### " if md else "== "
    out = []
    out.append(
        f"{h}Sampling benchmark: score + top-{K}, best of {args.repeats} (ms; ratios are time ÷ hilt)"
    )
    out.append("")
    out.append(
        f"Machine: {machine['cpus']} CPUs, numba threads {machine['numba_threads']}, Python "
        f"{machine['python']}, numpy {machine['numpy']}, scikit-learn {machine['sklearn']}."
        f" Rows are softmax(N(0, 2) logits), float64."
    )
    for res in results:
        out += ["", f"{h}{res['n']:,} x {res['c']} float64", "", size_table(res, peers, md)]
    out += [
        "",
        "† no such method in the library: its closest formulation (its margin code, divided "
        "instead of subtracted); see the table below. ¹ one timed run (slow; no warm-up needed).",
    ]
    disagree = [
        f"{name} {method} at {res['n']:,} x {res['c']}: {cell['same_top_k']:.0%}"
        for res in results for method, row in res["methods"].items()
        for name, cell in row.items() if cell.get("same_top_k") is not None and cell["same_top_k"] < 1
    ]
    out.append(
        "Every implementation picked the same top-100 set as hilt."
        if not disagree else "Top-100 overlap with hilt below 100%: " + "; ".join(disagree) + "."
    )
    out += ["", f"{h}How each implementation was measured", "", how_table(peers, md)]
    main = results[0]
    def status(c):
        if c["met"] is None:
            return "not judged (--quick)" if args.quick and "reported" not in c["target"] else "-"
        return "met" if c["met"] else "MISSED"

    out += ["", f"{h}Targets at {main['n']:,} x {main['c']}", ""]
    rows = [[c["method"], c["target"], c["text"], status(c)]
            for c in checks]
    out.append(table(["method", "target", "value", "status"], rows, md))
    out += ["", f"{h}First call (fresh interpreter, {first.get('n', MAIN_SIZE[0]):,} x "
            f"{first.get('c', MAIN_SIZE[1])} float64; times from before `import hilt.sampling`)", ""]
    out.append(first_call_table(first, md))
    if first.get("methods") is None:
        out.append("(cold/warm compile timings skipped with --quick)")
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats: seconds")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--repeats", type=int, default=None, help="best of N (default 7; 2 with --quick)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds one implementation may spend per cell before it stops repeating")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)
    args.repeats = args.repeats or (2 if args.quick else 7)
    budget = args.budget if args.budget is not None else (0.3 if args.quick else 8.0)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES

    def log(msg, end="\n"):
        print(msg, end=end, file=sys.stderr, flush=True)

    import numba
    import sklearn

    from hilt.sampling import warmup

    warmup()  # compile (or load) the kernels: steady-state timings, first call measured apart
    peers = load_peers()
    machine = {
        "cpus": os.cpu_count(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(), "numpy": np.__version__,
        "sklearn": sklearn.__version__, "platform": platform.platform(),
    }
    log("bench_sampling: " + ", ".join(
        f"{m.NAME} {v}" if v else f"{m.NAME} not installed" for m, v, _ in peers))
    results = [bench_size(n, c, peers, args.repeats, budget, log) for n, c in sizes]
    first = first_call(args.quick, log)
    checks = check_targets(results, peers, args.quick)
    print(report(results, first, checks, peers, machine, args))
    if args.json:
        data = {
            "k": K, "repeats": args.repeats, "quick": args.quick, "machine": machine,
            "peers": {m.NAME: {"version": v, "missing": r, "how": m.HOW} for m, v, r in peers},
            "sizes": results, "targets": checks, "first_call": first,
        }
        Path(args.json).write_text(json.dumps(data, indent=2))
    if args.check and any(c["met"] is False for c in checks):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

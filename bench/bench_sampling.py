"""Sampling benchmark: hilt's ``rank`` against modAL, scikit-activeml and small-text.

Every implementation does "score + top 100" on the same probability matrix, in one process,
side by side: each gets one untimed warm-up call, then the repetitions run round-robin (one
call of each implementation per round) so that noise from a busy machine hits all of them
alike, and the best of N counts. Beside them stand:

* **hilt** three ways: ``rank(P, 100, method)`` (auto engine: numba for large input), and its
  numba and numpy engines forced; plus ``score(P, method)`` alone (every row scored, no top-k);
* **plain numpy**: the straightforward numpy formulas (``max``, ``np.partition`` for the top
  two, ``log``) and ``np.argpartition`` + a sort of the top 100;
* **the memory floor**: one ``P.sum()`` pass (reading the input once, no scoring at all), and
  ``P.sum()`` plus ``np.argpartition`` of this method's n scores (reading once, selecting once).

Shapes: 1,000,000 x 10 float64 (the main one: the targets are judged there), the same in
float32, 100,000 x 100 and 10,000 x 2. Then the first-call cost in fresh interpreters:
``hilt --help``, ``import hilt``, and ``import hilt.sampling`` + one ``rank`` with an empty
numba cache (compiles) and with the cache filled (loads). ``bench/peers/`` says how each peer
is driven; a peer that is not installed shows as "not installed".

Usage::

    python bench/bench_sampling.py               # full run (15-20 min on 2 cores: small-text entropy is per-row Python)
    python bench/bench_sampling.py --markdown    # the same, printed as Markdown (the README's)
    python bench/bench_sampling.py --quick       # small shapes, a smoke run (seconds)

Results go to ``bench/results/sampling.json`` and ``sampling.md`` (``sampling-quick.*`` for
``--quick``); ``--json PATH`` writes the JSON elsewhere.
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
#: (rows, classes, dtype); the first is the main size, where the targets are judged.
FULL_SIZES = (
    (1_000_000, 10, "float64"),
    (1_000_000, 10, "float32"),
    (100_000, 100, "float64"),
    (10_000, 2, "float64"),
)
QUICK_SIZES = ((5_000, 10, "float64"), (5_000, 10, "float32"), (1_000, 100, "float64"), (1_000, 2, "float64"))
MAIN_SIZE = FULL_SIZES[0]
RESULTS = HERE / "results"
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


def floor_sum(probs: np.ndarray):
    """One pass over memory: what any scoring must at least pay to read P."""
    return lambda: probs.sum()


def floor_select(probs: np.ndarray, scores: np.ndarray, k: int):
    """Read P once and select the top k of this method's (precomputed) scores once."""
    return lambda: (probs.sum(), np.argpartition(scores, -k)[-k:])


def hilt_candidates(method: str, probs: np.ndarray, k: int) -> dict:
    from hilt.sampling import rank, score
    from hilt.sampling.topk import _rank

    return {
        "hilt": lambda: rank(probs, k, method),
        "hilt numba": lambda: _rank(probs, k, method, "numba"),
        "hilt numpy": lambda: _rank(probs, k, method, "numpy"),
        "hilt score()": lambda: score(probs, method),
    }


#: Candidates that are not a "score + top-k" (no indices to compare).
_NOT_A_SELECTION = ("hilt score()", "P.sum()", "P.sum() + argpartition")


def _indices(result) -> np.ndarray:
    """The selected indices, whatever shape the implementation returns them in."""
    if isinstance(result, tuple):  # modAL: (indices, values)
        result = result[0]
    return np.asarray(result).ravel()


# --------------------------------------------------------------------------- timing


def _time_once(fn) -> tuple[float, object]:
    # No collection inside a timed call. (gc.collect() runs once per round, not per call:
    # with scikit-learn, scipy and the peers loaded it takes tens of milliseconds.)
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
    gc.collect()
    for name, fn in candidates.items():
        elapsed, outputs[name] = _time_once(fn)
        spent[name] += elapsed
        if elapsed > 0.25:
            times[name].append(elapsed)
    for _ in range(repeats):
        gc.collect()
        for name, fn in candidates.items():
            if len(times[name]) >= repeats or (times[name] and spent[name] > budget):
                continue
            elapsed, _ = _time_once(fn)
            spent[name] += elapsed
            times[name].append(elapsed)
    return {
        name: {
            "seconds": min(ts),
            "runs": len(ts),
            "indices": None if name in _NOT_A_SELECTION else _indices(outputs[name]),
        }
        for name, ts in times.items()
    }


# --------------------------------------------------------------------------- one size


def bench_size(n: int, c: int, dtype: str, peers, repeats: int, budget: float, log) -> dict:
    from hilt.sampling import score

    probs = make_probs(n, c).astype(dtype)
    log(f"  {n:,} x {c} {dtype}: ", end="")
    started = time.perf_counter()
    result = {"n": n, "c": c, "dtype": dtype, "methods": {}}
    for method in METHODS:
        log(f"{method} ", end="")
        candidates = hilt_candidates(method, probs, K)
        candidates["numpy"] = plain_numpy(method, probs, K)
        candidates["P.sum()"] = floor_sum(probs)
        candidates["P.sum() + argpartition"] = floor_select(probs, score(probs, method), K)
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
        reference = timed["hilt"]["indices"]
        reference_set = set(reference.tolist())
        row = {}
        for name, t in timed.items():
            cell = {"ms": t["seconds"] * 1e3, "runs": t["runs"]}
            if t["indices"] is not None:
                # Share of hilt's top-k this implementation also picked (1.0: the same set).
                got = t["indices"]
                cell["same_top_k"] = len(reference_set & set(got.tolist())) / max(1, len(reference_set))
                if name.startswith("hilt"):
                    cell["same_order"] = bool(np.array_equal(got, reference))
            row[name] = cell
        for name, why in missing.items():
            row[name] = {"ms": None, "note": why}
        result["methods"][method] = row
        log(f"({time.perf_counter() - started:.0f} s) ", end="")
    log("done")
    return result


# --------------------------------------------------------------------------- one core busy

BUSY_SPEEDUP_TARGET = 5.0  # hilt vs the fastest peer, with one core held by another process
BUSY_FLOOR_TARGET = 2.5  # hilt / P.sum(), the same
_SPIN = "import signal, sys\nsignal.signal(signal.SIGTERM, lambda *a: sys.exit(0))\nwhile True: pass\n"


def _runnable() -> int | None:
    try:
        return int(Path("/proc/loadavg").read_text().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return None


class BusyCore:
    """A child process spinning on one core for the length of a ``with`` block."""

    def __enter__(self):
        self.child = subprocess.Popen([sys.executable, "-c", _SPIN])
        time.sleep(0.5)  # let it start and settle on a core
        return self

    def __exit__(self, *exc):
        self.child.terminate()
        try:
            self.child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()


def _hilt_with_threads(method: str, probs: np.ndarray, k: int, choose):
    """``rank`` with the kernels' thread choice replaced by ``choose(n_entries, max_threads)``."""
    from hilt.sampling import _scheduling, rank

    def run():
        real = _scheduling.threads_for
        _scheduling.threads_for = choose
        try:
            return rank(probs, k, method)
        finally:
            _scheduling.threads_for = real

    return run


def busy_candidates(method: str, probs: np.ndarray, peers) -> dict:
    from hilt.sampling import rank

    candidates = {
        "hilt": lambda: rank(probs, K, method),
        # The choice the kernels made before they looked at the machine: every thread, always.
        "hilt, all threads": _hilt_with_threads(method, probs, K, lambda n, most: most),
        "hilt, one thread": _hilt_with_threads(method, probs, K, lambda n, most: 1),
        "P.sum()": floor_sum(probs),
    }
    for module, version, _ in peers:
        if version is None:
            continue
        if module.NAME == "small-text" and method != "least":
            continue  # per-row Python, seconds a call: never the fastest peer (see the full table)
        fn = module.make(method, probs, K)
        if fn is not None:
            candidates[module.NAME] = fn
    return candidates


def busy_rounds(peers, rounds: int, repeats: int, budget: float, quick: bool, log) -> list:
    """Quiet and one-core-busy side by side, ``rounds`` times, at the main size."""
    n, c, dtype = QUICK_SIZES[0] if quick else MAIN_SIZE
    probs = make_probs(n, c).astype(dtype)
    names = [m.NAME for m, v, _ in peers if v is not None]
    out = []
    log(f"  quiet vs one core busy, {n:,} x {c} {dtype}: ", end="")
    for number in range(1, rounds + 1):
        for condition in ("quiet", "busy"):
            log(f"{number}:{condition} ", end="")
            spinner = BusyCore() if condition == "busy" else None
            if spinner:
                spinner.__enter__()
            try:
                methods = {}
                runnable = []
                for method in METHODS:
                    runnable.append(_runnable())
                    timed = measure(busy_candidates(method, probs, peers), repeats, budget)
                    methods[method] = {name: t["seconds"] * 1e3 for name, t in timed.items()}
                load = os.getloadavg()[0]
            finally:
                if spinner:
                    spinner.__exit__(None, None, None)
            known = [r for r in runnable if r is not None]
            out.append({
                "round": number, "condition": condition, "load": load,
                "runnable": max(known) if known else None, "methods": methods,
            })
    log("done")
    for entry in out:
        for method, row in entry["methods"].items():
            peer_ms = [(row[p], p) for p in names if p in row]
            ms, name = min(peer_ms) if peer_ms else (None, None)
            row["fastest peer"] = name
            row["speedup"] = None if ms is None else ms / row["hilt"]
            row["vs floor"] = row["hilt"] / row["P.sum()"]
    return out


def busy_checks(rounds: list, quick: bool) -> list:
    checks = []
    for entry in rounds:
        if entry["condition"] != "busy":
            continue
        for method, row in entry["methods"].items():
            met = None if quick or row["speedup"] is None else (
                row["speedup"] >= BUSY_SPEEDUP_TARGET and row["vs floor"] <= BUSY_FLOOR_TARGET)
            checks.append({"round": entry["round"], "method": method, "load": entry["load"],
                           "speedup": row["speedup"], "vs_floor": row["vs floor"], "met": met})
    return checks


def busy_table(rounds: list, markdown: bool) -> str:
    headers = ["round", "machine", "load avg", "method", "hilt", "hilt, all threads", "hilt, one thread",
               "P.sum()", "hilt ÷ P.sum()", "fastest peer", "fastest peer ÷ hilt"]
    rows = []
    for entry in rounds:
        machine = "quiet" if entry["condition"] == "quiet" else "one core busy"
        for method, row in entry["methods"].items():
            speedup = "-" if row["speedup"] is None else f"{row['speedup']:.1f}x"
            peer = "-" if row["fastest peer"] is None else f"{_fmt_ms(row[row['fastest peer']])} ({row['fastest peer']})"
            rows.append([entry["round"], machine, f"{entry['load']:.2f}", method, _fmt_ms(row["hilt"]),
                         _fmt_ms(row["hilt, all threads"]), _fmt_ms(row["hilt, one thread"]),
                         _fmt_ms(row["P.sum()"]), f"{row['vs floor']:.2f}", peer,
                         f"**{speedup}**" if markdown else speedup])
    return table(headers, rows, markdown)


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
                  "next_ms": (t3 - t2) * 1e3, "numba_loaded": "numba" in sys.modules}}))
"""

_IMPORT_ONLY = r"""
import sys, time
t0 = time.perf_counter()
import {module}
print((time.perf_counter() - t0) * 1e3, "numba" in sys.modules)
"""


def _run(cmd: list, env: dict) -> tuple[float, str]:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{done.stderr[-2000:]}")
    return wall, done.stdout.strip().splitlines()[-1]


def _python(code: str, env: dict) -> str:
    return _run([sys.executable, "-c", code], env)[1]


def first_call(quick: bool, log) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "HILT_NO_NUMBA")}
    out: dict = {}
    log("  first call: ", end="")
    started = time.perf_counter()
    hilt_exe = Path(sys.executable).with_name("hilt")
    if hilt_exe.exists():
        walls = [_run([str(hilt_exe), "--help"], env)[0] for _ in range(5)]
        out["hilt_help_ms"] = min(walls) * 1e3
    else:
        out["hilt_help_ms"] = None  # not installed as a script in this environment
    for module in ("hilt", "hilt.cli"):
        runs = [_python(_IMPORT_ONLY.format(module=module), env).split() for _ in range(5)]
        out[f"import_{module}"] = {
            "ms": min(float(ms) for ms, _ in runs),
            "numba_loaded": any(flag == "True" for _, flag in runs),
        }
    shapes = [(1_000, 10)] if quick else [(1_000, 10), MAIN_SIZE[:2]]
    methods = ("margin",) if quick else METHODS
    out["calls"] = []
    for n, c in shapes:
        for method in methods:
            log(f"{method}@{n:,} ", end="")
            code = _FIRST_CALL.format(bench=str(HERE), n=n, c=c, k=K, method=method)
            with tempfile.TemporaryDirectory(prefix="hilt-numba-cache-") as cache:
                env_cache = dict(env, NUMBA_CACHE_DIR=cache)
                cold = json.loads(_python(code, env_cache))
                warm = json.loads(_python(code, env_cache))
            out["calls"].append({"n": n, "c": c, "method": method, "cold": cold, "warm": warm})
    log(f"done ({time.perf_counter() - started:.0f} s)")
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


def _vs_hilt(cell: dict, hilt: float, mark: str = "") -> str:
    if cell.get("ms") is None:
        return cell["note"]
    runs = "" if cell["runs"] > 1 else "¹"
    return f"{_fmt_ms(cell['ms'])} ({cell['ms'] / hilt:.1f}x){mark}{runs}"


def size_table(res: dict, peers, markdown: bool) -> str:
    names = [m.NAME for m, _, _ in peers]
    headers = [
        "method", "hilt", "hilt numba", "hilt numpy", "hilt score() only", "P.sum()",
        "P.sum() + argpartition", "hilt ÷ (P.sum() + argp.)", "plain numpy",
    ]
    headers += names + ["fastest peer ÷ hilt"]
    rows = []
    for method, row in res["methods"].items():
        hilt = row["hilt"]["ms"]
        floor = row["P.sum() + argpartition"]["ms"]
        cells = [
            method,
            _fmt_ms(hilt),
            _fmt_ms(row["hilt numba"]["ms"]),
            _fmt_ms(row["hilt numpy"]["ms"]),
            _fmt_ms(row["hilt score()"]["ms"]),
            _fmt_ms(row["P.sum()"]["ms"]),
            _fmt_ms(floor),
            f"{hilt / floor:.2f}",
            _vs_hilt(row["numpy"], hilt),
        ]
        for (module, _, _), name in zip(peers, names):
            derived = "†" if module.HOW.get(method, "").startswith("derived") else ""
            cells.append(_vs_hilt(row[name], hilt, derived))
        name, ms = fastest_peer(row, names)
        cells.append("-" if ms is None else f"**{ms / hilt:.1f}x** ({name})" if markdown else f"{ms / hilt:.1f}x ({name})")
        rows.append(cells)
    return table(headers, rows, markdown)


def how_table(peers, markdown: bool, sklearn_version: str) -> str:
    rows = [
        ["hilt", _version("hilt"), "all",
         "`rank(P, 100, method)`, auto engine (numba from 200,000 entries up): one fused validate + score pass, "
         "then an exact top-100 (sorted, ties to the lower index). For entropy, rows whose top probability "
         "or distance from uniform rules them out are not scored (same result as scoring all)"],
        ["hilt numba / numpy", "", "all", "the same `rank` with its numba kernels, or its numpy fallback, forced"],
        ["hilt score() only", "", "all", "`score(P, method)`: every row validated and scored, no top-k"],
        ["P.sum()", np.__version__, "all", "one read of P: the memory floor"],
        ["P.sum() + argpartition", np.__version__, "all",
         "`P.sum()` then `np.argpartition(scores, -100)` on this method's n precomputed scores"],
        ["plain numpy", np.__version__, "all",
         "`max` / `np.partition(P, c-2, axis=1)` top two / `log`; `argpartition` + sort of the top 100"],
    ]
    where = f"installed in hilt's own virtualenv, beside scikit-learn {sklearn_version}"
    for module, version, reason in peers:
        if version is None:
            rows.append([module.NAME, "-", "all", reason])
            continue
        for method in METHODS:
            how = module.HOW.get(method, "n/a")
            rows.append([module.NAME, version, method, f"{how}; {where}" if method == METHODS[0] else how])
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
                "text": f"{speedup:.1f}x vs {name}" + (" (derived ratio formulation)" if method == "ratio" else ""),
            })
        ratio = hilt / row["P.sum() + argpartition"]["ms"]
        if method == "entropy":
            checks.append({"method": method, "target": "hilt ÷ (P.sum() + argpartition), reported",
                           "value": ratio, "met": None, "text": f"{ratio:.2f}"})
        else:
            checks.append({
                "method": method, "target": f"hilt ÷ (P.sum() + argpartition) <= {FLOOR_TARGET:g}",
                "value": ratio, "met": ratio <= FLOOR_TARGET, "text": f"{ratio:.2f}",
            })
    if quick:  # the targets are for 1,000,000 x 10; small arrays are all overhead
        for check in checks:
            check["met"] = None
    return checks


def first_call_table(fc: dict, markdown: bool) -> str:
    code = (lambda s: f"`{s}`") if markdown else (lambda s: s)
    yes_no = {True: "yes", False: "no"}
    rows = []
    if fc.get("hilt_help_ms") is not None:
        rows.append([code("hilt --help"), "-", _fmt_ms(fc["hilt_help_ms"]), "wall time of the command, best of 5"])
    for module in ("hilt", "hilt.cli"):
        x = fc[f"import_{module}"]
        rows.append([code(f"import {module}"), "-", _fmt_ms(x["ms"]),
                     f"best of 5, fresh interpreter each; numba imported: {yes_no[x['numba_loaded']]}"])
    for call in fc["calls"]:
        for kind, label in (("cold", "empty NUMBA_CACHE_DIR (compiles)"), ("warm", "cache filled (loads)")):
            x = call[kind]
            rows.append([
                code(f"import hilt.sampling; rank(P, 100, {call['method']!r})") + f" on {call['n']:,} x {call['c']}",
                kind, _fmt_ms(x["first_ms"]),
                f"{label}; import {_fmt_ms(x['import_ms'])} ms, next call {_fmt_ms(x['next_ms'])} ms; "
                f"numba imported: {yes_no[x['numba_loaded']]}",
            ])
    return table(["what", "numba cache", "ms", "notes"], rows, markdown)


def busy_report(busy: dict, args) -> str:
    md = args.markdown
    h = "#### " if md else "== "
    n, c, dtype = QUICK_SIZES[0] if args.quick else MAIN_SIZE
    out = [
        f"{h}Quiet and with one core busy, side by side: {n:,} x {c} {dtype}, best of {busy['repeats']}, ms",
        "",
        "Each round measures the quiet machine, then again while a child process spins on one core "
        "(started and stopped by the bench). **hilt**: `rank(P, 100, method)` as shipped (one thread per "
        "free core); **hilt, all threads**: every numba thread, always (the kernels before they looked at "
        "the machine); **hilt, one thread**: serially in the caller. Load avg: the 1-minute load average "
        "at the end of that half-round. The floor is `P.sum()`, one read of P. small-text's per-row margin, "
        "ratio and entropy (seconds a call) are left out here.",
        "",
        busy_table(busy["rounds"], md),
        "",
        f"{h}Targets with one core busy (every round): hilt >= {BUSY_SPEEDUP_TARGET:g}x the fastest peer "
        f"and hilt ÷ P.sum() <= {BUSY_FLOOR_TARGET:g}",
        "",
    ]
    status = {None: "not judged (--quick)" if args.quick else "-", True: "met", False: "MISSED"}
    out.append(table(
        ["round", "load avg", "method", "fastest peer ÷ hilt", "hilt ÷ P.sum()", "status"],
        [[x["round"], f"{x['load']:.2f}", x["method"], "-" if x["speedup"] is None else f"{x['speedup']:.1f}x",
          f"{x['vs_floor']:.2f}", status[x["met"]]] for x in busy["checks"]], md))
    return "\n".join(out) + "\n"


def report(results, first, checks, peers, machine, args, busy=None) -> str:
    md = args.markdown
    h = "#### " if md else "== "
    out = [
        f"{h}Sampling: score + top-{K}, best of {args.repeats}, ms (x: time ÷ hilt's)",
        "",
        f"Machine: {machine['cpus']} cores ({machine['cpu']}), numba threads {machine['numba_threads']}, "
        f"Python {machine['python']}, numpy {machine['numpy']}, scikit-learn {machine['sklearn']}, "
        f"numba {machine['numba']}. Load average {machine['load_before']:.1f} at the start, "
        f"{machine['load_after']:.1f} at the end (a shared machine: repetitions are interleaved). "
        "Rows are softmax(N(0, 2) logits).",
    ]
    for res in results:
        out += ["", f"{h}{res['n']:,} x {res['c']} {res['dtype']}", "", size_table(res, peers, md)]
    out += [
        "",
        "† the library has no ratio method: its margin code with the difference replaced by "
        "p2 / p1 (see below). ¹ one timed run (seconds per call; nothing to warm).",
    ]
    disagree = [
        f"{name} {method} at {res['n']:,} x {res['c']} {res['dtype']}: {cell['same_top_k']:.0%}"
        for res in results for method, row in res["methods"].items()
        for name, cell in row.items() if cell.get("same_top_k") is not None and cell["same_top_k"] < 1
    ]
    order = [
        f"{name} {method} at {res['n']:,} x {res['c']} {res['dtype']}"
        for res in results for method, row in res["methods"].items()
        for name, cell in row.items() if cell.get("same_order") is False
    ]
    out.append(
        "Every implementation picked the same top-100 set as hilt."
        if not disagree else "Top-100 overlap with hilt below 100%: " + "; ".join(disagree) + "."
    )
    out.append(
        "hilt's engines returned the same indices in the same order."
        if not order else "hilt engines whose order differed from auto: " + "; ".join(order) + "."
    )
    out += ["", f"{h}How each implementation was measured", "", how_table(peers, md, machine["sklearn"])]

    def status(c):
        if c["met"] is None:
            return "not judged (--quick)" if args.quick and "reported" not in c["target"] else "-"
        return "met" if c["met"] else "MISSED"

    main = results[0]
    out += ["", f"{h}Targets at {main['n']:,} x {main['c']} {main['dtype']}", ""]
    out.append(table(["method", "target", "value", "status"],
                     [[c["method"], c["target"], c["text"], status(c)] for c in checks], md))
    out += ["", f"{h}First call (fresh interpreter; times from before `import hilt.sampling`)", ""]
    out.append(first_call_table(first, md))
    if busy is not None:
        out += ["", busy_report(busy, args).rstrip("\n")]
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------- main


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small shapes, few repeats: seconds")
    parser.add_argument("--markdown", action="store_true", help="print Markdown tables")
    parser.add_argument("--json", metavar="PATH", help="where to write the figures as JSON "
                        "(default bench/results/sampling.json, sampling-quick.json with --quick)")
    parser.add_argument("--repeats", type=int, default=None, help="best of N (default 15; 3 with --quick)")
    parser.add_argument("--budget", type=float, default=None,
                        help="seconds one implementation may spend per cell before it stops repeating")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    parser.add_argument("--busy-rounds", type=int, default=None,
                        help="rounds of quiet vs one-core-busy at the main size (default 3; 1 with --quick)")
    parser.add_argument("--busy-only", action="store_true",
                        help="only the quiet vs one-core-busy rounds (a few minutes), printed and written "
                             "to bench/results/sampling-busy.json / .md")
    args = parser.parse_args(argv)
    args.busy_rounds = args.busy_rounds if args.busy_rounds is not None else (1 if args.quick else 3)
    args.repeats = args.repeats or (3 if args.quick else 15)
    budget = args.budget if args.budget is not None else (0.2 if args.quick else 8.0)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    stem = "sampling-quick" if args.quick else "sampling"
    json_path = Path(args.json) if args.json else RESULTS / f"{stem}.json"

    def log(msg, end="\n"):
        print(msg, end=end, file=sys.stderr, flush=True)

    import numba
    import sklearn

    from hilt.sampling import warmup

    warmup()  # compile (or load) the kernels: steady-state timings, first call measured apart
    peers = load_peers()
    # Everything imported so far lives on: keep it out of the collections between rounds.
    gc.collect()
    gc.freeze()
    machine = {
        "cpus": os.cpu_count(), "cpu": _cpu_name(), "numba_threads": numba.config.NUMBA_NUM_THREADS,
        "python": platform.python_version(), "numpy": np.__version__, "numba": numba.__version__,
        "sklearn": sklearn.__version__, "platform": platform.platform(), "load_before": os.getloadavg()[0],
    }
    log("bench_sampling: " + ", ".join(
        f"{m.NAME} {v}" if v else f"{m.NAME} not installed" for m, v, _ in peers))
    started = time.perf_counter()
    busy_repeats = min(args.repeats, 3 if args.quick else 10)
    if args.busy_only:
        return _busy_only(peers, machine, args, busy_repeats, budget, log)
    results = [bench_size(n, c, dtype, peers, args.repeats, budget, log) for n, c, dtype in sizes]
    rounds = busy_rounds(peers, args.busy_rounds, busy_repeats, budget, args.quick, log)
    busy = {"repeats": busy_repeats, "rounds": rounds, "checks": busy_checks(rounds, args.quick)}
    first = first_call(args.quick, log)
    machine["load_after"] = os.getloadavg()[0]
    machine["seconds"] = round(time.perf_counter() - started, 1)
    checks = check_targets(results, peers, args.quick)
    print(report(results, first, checks, peers, machine, args, busy))
    data = {
        "k": K, "repeats": args.repeats, "quick": args.quick, "machine": machine,
        "command": "python bench/bench_sampling.py" + (" --quick" if args.quick else ""),
        "peers": {m.NAME: {"version": v, "missing": r, "how": m.HOW} for m, v, r in peers},
        "sizes": results, "targets": checks, "first_call": first, "busy": busy,
    }
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    if not args.json:
        md_args = argparse.Namespace(**{**vars(args), "markdown": True})
        (RESULTS / f"{stem}.md").write_text(report(results, first, checks, peers, machine, md_args))
    log(f"wrote {json_path}" + ("" if args.json else f" and {RESULTS / (stem + '.md')}"))
    if args.check and any(c["met"] is False for c in [*checks, *busy["checks"]]):
        return 1
    return 0


def _busy_only(peers, machine, args, repeats: int, budget: float, log) -> int:
    rounds = busy_rounds(peers, args.busy_rounds, repeats, budget, args.quick, log)
    busy = {"repeats": repeats, "rounds": rounds, "checks": busy_checks(rounds, args.quick)}
    print(busy_report(busy, args))
    stem = "sampling-busy-quick" if args.quick else "sampling-busy"
    json_path = Path(args.json) if args.json else RESULTS / f"{stem}.json"
    data = {"k": K, "machine": machine, "command": "python bench/bench_sampling.py --busy-only"
            + (" --quick" if args.quick else ""), "busy": busy}
    json_path.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(json.dumps(data, indent=2) + "\n")
    if not args.json:
        md_args = argparse.Namespace(**{**vars(args), "markdown": True})
        (RESULTS / f"{stem}.md").write_text(busy_report(busy, md_args))
    log(f"wrote {json_path}")
    if args.check and any(c["met"] is False for c in busy["checks"]):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The 1,000,000 x 10 float64 cells of bench_sampling.py alone, in about a minute.

For a re-check of the targets at a quiet moment: hilt's ``rank(P, 100, method)`` against modAL,
scikit-activeml and small-text (its per-row margin, ratio and entropy take seconds per call
and are left out here; bench_sampling.py times them), 15 interleaved rounds, best round counts.

Run: ``.venv/bin/python bench/bench_sampling_1m.py``
"""

import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers import load_peers
from hilt.sampling import rank, softmax
rng = np.random.default_rng(0)
P = softmax(rng.normal(0, 2, size=(1_000_000, 10)))
floor = lambda: P.sum()
peers = [(m, v) for m, v, why in load_peers() if v]
for method in ("least", "margin", "ratio", "entropy"):
    cands = {"hilt": lambda method=method: rank(P, 100, method)}
    for m, v in peers:
        if m.NAME == "small-text" and method != "least":  # per-row python: seconds per call
            continue
        f = m.make(method, P, 100)
        if f is not None: cands[m.NAME] = f
    cands["P.sum()"] = floor
    for f in cands.values(): f()
    best = {k: 1e9 for k in cands}
    for _ in range(15):
        for k, f in cands.items():
            t = time.perf_counter(); f(); best[k] = min(best[k], time.perf_counter() - t)
    h = best["hilt"]
    print(method, {k: round(v * 1000, 2) for k, v in best.items()},
          "fastest peer / hilt = %.1fx" % (min(v for k, v in best.items() if k not in ("hilt", "P.sum()")) / h), flush=True)
print("loadavg", open("/proc/loadavg").read().split()[:3])

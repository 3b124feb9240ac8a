"""Benchmark of a labelling project at scale: 1,000,000 short texts in one project file.

Measures, in one run on one machine:

* creating the project from a CSV of N pseudo-reviews (``Project.create``: read, check, insert);
* the first retrain, which builds the feature cache (TF-IDF over the whole pool);
* loading the feature cache from disk in a fresh process-like open;
* a retrain with cached features: fit, rescore the whole pool in chunks, swap the ranking in
  (issue 4's target: rescore <= 5 s);
* ``next_item`` and ``answer`` latency, p50 / p99, with no retrain running and while retrains
  run back to back (target: p99 <= 10 ms), as ``hilt serve`` and ``hilt label`` run them: a
  background thread of the same process hands each run to the project's retrain child process;
* the fsync latency of the disk, before and after, since every answer waits for one fsync.

    .venv/bin/python bench/bench_project.py              # 1,000,000 items
    .venv/bin/python bench/bench_project.py --quick      # 20,000 items, a smoke run
    .venv/bin/python bench/bench_project.py --markdown   # also print the README table

Results go to ``bench/results/project.json`` (``project-quick.json`` for ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np

from hilt import Project

RESULTS = Path(__file__).resolve().parent / "results"

POSITIVE = "superb moving delightful sharp witty tender gripping luminous clever warm".split()
NEGATIVE = "dull clumsy tedious flat shallow bland messy lifeless stale muddled".split()
LABELS = ["pos", "neg"]


def vocabulary(n_words: int, seed: int) -> list[str]:
    """``n_words`` distinct pronounceable pseudo-words (consonant-vowel syllables)."""
    rng = np.random.default_rng(seed)
    consonants, vowels = list("bcdfghjklmnprstvz"), list("aeiou")
    words: set[str] = set()
    while len(words) < n_words:
        n_syllables = int(rng.integers(1, 4))
        words.add("".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(n_syllables)))
    return sorted(words)


def write_reviews(path: Path, n: int, seed: int = 0) -> None:
    """A CSV (``id,text``) of ``n`` deterministic pseudo-reviews: 6-14 neutral words (Zipf-like
    frequencies) and one or two sentiment words, so a model has something to learn."""
    rng = np.random.default_rng(seed)
    words = np.array(vocabulary(5_000, seed))
    weights = 1.0 / np.arange(1, len(words) + 1)
    weights /= weights.sum()
    positive = rng.random(n) < 0.5
    lengths = rng.integers(6, 15, size=n)
    neutral = rng.choice(len(words), size=(n, 14), p=weights)
    n_sentiment = rng.integers(1, 3, size=n)
    sentiment = rng.integers(0, len(POSITIVE), size=(n, 2))
    slots = rng.integers(0, 6, size=(n, 2))
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,text\n")
        for i in range(n):
            tokens = list(words[neutral[i, : lengths[i]]])
            pool = POSITIVE if positive[i] else NEGATIVE
            for j in range(n_sentiment[i]):
                tokens.insert(int(slots[i, j]), pool[sentiment[i, j]])
            out.write(f"r{i:07d},{' '.join(tokens)}\n")


def oracle(text: str) -> str:
    return "pos" if any(w in POSITIVE for w in text.split()) else "neg"


def percentiles(samples: list[float]) -> dict[str, float]:
    """p50 / p99 / max in milliseconds."""
    array = np.asarray(samples) * 1000
    return {"n": len(samples), "p50_ms": round(float(np.percentile(array, 50)), 2),
            "p99_ms": round(float(np.percentile(array, 99)), 2), "max_ms": round(float(array.max()), 2)}


def label_some(project: Project, annotator: str, n: int, keep_going=None) -> tuple[list[float], list[float]]:
    """Serve and answer up to ``n`` items (or while ``keep_going()``); latencies of each call."""
    serve, answer = [], []
    while len(serve) < n or (keep_going is not None and keep_going()):
        t0 = time.perf_counter()
        item = project.next_item(annotator)
        t1 = time.perf_counter()
        if item is None:
            break
        project.answer(item.id, oracle(item.data["text"]), annotator, answer_id=uuid.uuid4().hex)
        t2 = time.perf_counter()
        serve.append(t1 - t0)
        answer.append(t2 - t1)
        if keep_going is not None and not keep_going() and len(serve) >= n:
            break
    return serve, answer


def fsync_floor(folder: Path, n: int = 200) -> dict[str, float]:
    """Latency of overwriting 4 KB of a file and ``fdatasync``-ing it on the project's disk,
    as SQLite commits to a reused write-ahead log: the floor under every durable commit (an
    answer syncs the log once). Measured in the same run as the latencies."""
    path = folder / "fsync.probe"
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC)
    sync = getattr(os, "fdatasync", os.fsync)
    samples = []
    try:
        os.write(fd, b"\0" * 4096 * 64)
        os.fsync(fd)
        for i in range(n):
            os.pwrite(fd, b"x" * 4096, 4096 * (i % 64))
            t0 = time.perf_counter()
            sync(fd)
            samples.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        path.unlink()
    return percentiles(samples)


def file_mb(path: Path) -> float:
    return round(sum(Path(str(path) + extra).stat().st_size for extra in ("", "-wal")
                     if Path(str(path) + extra).exists()) / 1e6, 1)


def timed_retrain(project: Project) -> dict[str, float]:
    t0 = time.perf_counter()
    project.retrain(wait=True)
    total = time.perf_counter() - t0
    report = project._job.last_report  # the worker's own breakdown of the run just made
    return {"total_s": round(total, 2), "features_s": round(report.features_seconds, 2),
            "features_source": report.features_source, "fit_s": round(report.fit_seconds, 2),
            "score_s": round(report.score_seconds, 2), "swap_s": round(report.swap_seconds, 3),
            "n_train": report.n_train}


def during_retrains(project: Project, annotator: str, n_latency: int) -> dict:
    """Latencies while retrains run back to back, each started from a background thread of
    this process (as `hilt serve` and `hilt label` start them), with one annotator labelling
    as fast as the calls return."""
    worker = project._worker  # the project's own background worker, as labelling triggers it
    project.retrain()  # a first run, unmeasured, starts the retrain child process
    while worker.busy:
        time.sleep(0.01)
    serve, answer, n_runs = [], [], 0
    while len(serve) < n_latency or n_runs < 3:
        project.retrain()
        n_runs += 1
        s, a = label_some(project, annotator, 1, keep_going=lambda: worker.busy)
        serve += s[:-1] if len(s) > 1 else []  # the last pair may have finished after the run
        answer += a[:-1] if len(a) > 1 else []
    if worker.last_error:
        raise RuntimeError(worker.last_error)
    return {"next_item": percentiles(serve), "answer": percentiles(answer), "retrains": n_runs}


def run(n_items: int, n_latency: int, folder: Path) -> dict:
    results: dict = {"n_items": n_items, "machine": machine()}
    csv = folder / "reviews.csv"
    t0 = time.perf_counter()
    write_reviews(csv, n_items)
    results["generate_csv_s"] = round(time.perf_counter() - t0, 2)
    results["csv_mb"] = round(csv.stat().st_size / 1e6, 1)
    print(f"wrote {n_items:,} reviews ({results['csv_mb']} MB) in {results['generate_csv_s']} s", flush=True)

    path = folder / "reviews.hilt"
    t0 = time.perf_counter()
    # retrain_every is huge so that retrains happen exactly when this script asks for them
    project = Project.create(path, csv, LABELS, text_column="text", id_column="id",
                             retrain_every=10**9, seed=0)
    results["create_s"] = round(time.perf_counter() - t0, 2)
    results["file_mb"] = file_mb(path)
    print(f"Project.create: {results['create_s']} s ({results['file_mb']} MB file)", flush=True)

    serve, answer = label_some(project, "cold", n_latency)
    results["cold_start"] = {"next_item": percentiles(serve), "answer": percentiles(answer)}
    print(f"cold start (no model): {results['cold_start']}", flush=True)

    results["first_retrain"] = timed_retrain(project)
    print(f"first retrain (builds the feature cache): {results['first_retrain']}", flush=True)
    project.close()

    project = Project.open(path)
    results["retrain_from_disk_cache"] = timed_retrain(project)
    print(f"retrain after reopening (cache read from disk): {results['retrain_from_disk_cache']}", flush=True)
    label_some(project, "warm", 50)
    results["retrain_cached"] = timed_retrain(project)
    print(f"retrain with features in memory: {results['retrain_cached']}", flush=True)

    results["fsync_before"] = fsync_floor(folder)
    serve, answer = label_some(project, "idle", n_latency)
    results["idle"] = {"next_item": percentiles(serve), "answer": percentiles(answer)}
    print(f"no retrain running: {results['idle']}", flush=True)

    results["during_retrain"] = during_retrains(project, "busy", n_latency)
    print(f"while a retrain runs: {results['during_retrain']}", flush=True)
    # The same, with the run computed in the background thread itself (in_process): what
    # serving suffers when fitting and scoring share the GIL with it.
    project._job.in_process = True
    results["during_retrain_in_thread"] = during_retrains(project, "busy-thread", n_latency)
    project._job.in_process = False
    print(f"while a retrain runs in a thread of this process: {results['during_retrain_in_thread']}", flush=True)
    results["fsync_after"] = fsync_floor(folder)
    print(f"overwrite 4 KB + fdatasync on this disk, before / after: {results['fsync_before']} / {results['fsync_after']}",
          flush=True)
    results["load_average"] = [round(x, 2) for x in os.getloadavg()]
    results["integrity_check"] = project._store.integrity_check()
    project.close()
    return results


def machine() -> dict:
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine()}


def markdown(r: dict) -> str:
    def lat(section: str) -> str:
        s = r[section]
        return (f"{s['next_item']['p50_ms']} / {s['next_item']['p99_ms']} ms | "
                f"{s['answer']['p50_ms']} / {s['answer']['p99_ms']} ms")

    c = r["retrain_cached"]
    lines = [
        f"| {r['n_items']:,} short texts | figure |",
        "| --- | --- |",
        f"| `Project.create` from a {r['csv_mb']} MB CSV | {r['create_s']} s |",
        f"| first retrain, building the feature cache | {r['first_retrain']['total_s']} s "
        f"(features {r['first_retrain']['features_s']} s) |",
        f"| retrain after reopening (cache from disk) | {r['retrain_from_disk_cache']['total_s']} s "
        f"(cache load {r['retrain_from_disk_cache']['features_s']} s) |",
        f"| retrain with cached features: fit + rescore + swap | {c['total_s']} s "
        f"(fit {c['fit_s']} s, rescore {c['score_s']} s, swap {c['swap_s']} s) |",
        "",
        "| latency p50 / p99 | `next_item` | `answer` |",
        "| --- | --- | --- |",
        f"| no model yet (random order) | {lat('cold_start')} |",
        f"| no retrain running | {lat('idle')} |",
        f"| while a retrain runs in the retrain process ({r['during_retrain']['retrains']} runs) | "
        f"{lat('during_retrain')} |",
        f"| while a retrain runs in a thread of the serving process "
        f"({r['during_retrain_in_thread']['retrains']} runs; for comparison) | {lat('during_retrain_in_thread')} |",
        f"| floor: overwrite 4 KB + fdatasync on the same disk (before / after) | "
        f"{r['fsync_before']['p50_ms']} / {r['fsync_before']['p99_ms']} ms · "
        f"{r['fsync_after']['p50_ms']} / {r['fsync_after']['p99_ms']} ms | |",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 items: a smoke run")
    parser.add_argument("--items", type=int, default=None, help="pool size (default 1,000,000)")
    parser.add_argument("--markdown", action="store_true", help="print the README table")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep the files")
    args = parser.parse_args(argv)
    n_items = args.items or (20_000 if args.quick else 1_000_000)
    n_latency = 200 if args.quick else 1_000
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        results = run(n_items, n_latency, args.keep)
    else:
        with tempfile.TemporaryDirectory(prefix="hilt-bench-") as folder:
            results = run(n_items, n_latency, Path(folder))
    results["command"] = " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])])
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / ("project-quick.json" if args.quick else "project.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {out}")
    if args.markdown:
        print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

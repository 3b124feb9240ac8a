"""Import benchmark: short texts into a new project, SQLite and PostgreSQL, 1M and 10M rows.

Each import runs ``Project.create(PROJECT, CSV, labels, features="tfidf", seed=0)`` -- the streaming
import (read, check and write ``chunk_rows`` rows at a time, one transaction; ``COPY`` on
PostgreSQL) -- in a child process of its own, which reports its wall time and its peak resident
memory (``resource.getrusage(RUSAGE_SELF).ru_maxrss`` of that child at its end, i.e. what
``/proc/PID/status`` calls ``VmHWM``; the child's RSS after its imports and before the import,
``baseline``, is reported beside it: the Python modules alone take ~200 MB).

Anchors in the same run, at 1M rows on SQLite: the whole-file import as it was before streaming
(``--old-ref``, default the commit before it, exported with ``git archive`` into a temporary
folder and run from there with the same Python and packages: ``read_items`` reads the whole file
into pandas, ``Store.add_items`` writes it), and the streaming import, alternating which goes
first, ``--anchor-rounds`` runs each (best of each reported): on a shared machine one run of
each can differ by 2x from the load alone.

Then the first retrain after importing 10 % more items into the 1M project, incremental features
vs a full rebuild (``bench_incremental_features.make_base`` / ``first_retrain`` with TF-IDF).

The CSV files (one ``text`` column of 6-8 words, ~40 bytes a row) are generated in a temporary
folder; PostgreSQL is a throwaway server started as the tests start it (``tests/pg_server.py``).

Usage::

    make bench-import
    python bench/bench_import.py --sizes 1000000 --backends sqlite    # one size, one backend
    python bench/bench_import.py --quick                             # 100,000 rows: a smoke run
    python bench/bench_import.py --anchor-only --anchor-rounds 3     # the old-vs-new anchor alone

Results go to ``bench/results/import.json`` and ``.md`` (``-quick`` for --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

LABELS = ["pos", "neg"]
WORDS = ("good bad film plot actor great boring long short fun dull scene music story slow quick "
         "funny sad score ending script cast").split()
OLD_REF = "80bd67a"  # the last commit with the whole-file import


def write_csv(path: Path, n: int, *, seed: int = 0, ids: bool = False) -> Path:
    rng = random.Random(seed)
    with open(path, "w") as out:
        out.write("id,text\n" if ids else "text\n")
        for i in range(n):
            text = " ".join(rng.choices(WORDS, k=rng.randint(5, 7))) + f" {i}"
            out.write(f"x{i},{text}\n" if ids else text + "\n")
    return path


# --- the child: one import, its time and peak memory --------------------------------------


def child(way: str, data: str, where: str) -> dict:
    """Runs in the child process: import ``data`` into a new project at ``where``."""
    from hilt import Project  # noqa: F401 - the modules' memory goes into the baseline

    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    with Project.create(where, data, LABELS, features="tfidf", seed=0) as project:
        seconds = time.perf_counter() - t0
        n = project.status()["n_items"]
    return {"way": way, "items": n, "seconds": round(seconds, 2), "items_per_s": round(n / seconds),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "baseline_rss_mb": round(baseline / 1024)}


def run_child(way: str, data: Path, where: str, *, pythonpath: Path | None = None) -> dict:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run([sys.executable, __file__, "--child", way, str(data), where], env=env,
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the {way} import failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def old_source(folder: Path, ref: str) -> Path | None:
    """``src/`` of ``ref`` exported into ``folder`` (None without git or that commit)."""
    archive = folder / "old.tar"
    made = subprocess.run(["git", "-C", str(REPO), "archive", "-o", str(archive), ref, "src"], capture_output=True)
    if made.returncode != 0:
        return None
    with tarfile.open(archive) as tar:
        tar.extractall(folder / "old", filter="data")
    return folder / "old" / "src"


# --- the retrain after 10 % more ----------------------------------------------------------


def retrain_after_import(folder: Path, n: int, log) -> dict:
    from bench_features_speed import pseudo_reviews
    from bench_incremental_features import copy_project, first_retrain, make_base

    frame = pseudo_reviews(n + n // 10, seed=0)
    more = frame.iloc[n:][["id", "text"]].reset_index(drop=True)
    base = make_base(folder, "tfidf", n, frame)
    got = {}
    for way in ("incremental", "full"):
        where = copy_project(base, folder / f"{way}.hilt", keep_cache=way == "incremental")
        got[way] = first_retrain(where, more)
        log(f"  retrain after importing {len(more):,}: {way} {got[way]['retrain_s']} s "
            f"(import {got[way]['import_s']} s, features {got[way]['features_s']} s)")
    return {"items": n, "imported": len(more), **got}


# --- the run ------------------------------------------------------------------------------


def side_by_side(folder: Path, data: Path, n: int, old: Path, old_ref: str, rounds: int) -> dict:
    """The old and the new import of the same file, alternating which goes first, ``rounds`` each:
    the best of each (most items/s) is reported, every run is kept."""
    runs: dict[str, list[dict]] = {"old": [], "new": []}
    loads = []
    for r in range(rounds):
        for way in (("old", "new") if r % 2 == 0 else ("new", "old")):
            where = folder / f"{way}-{n}-{r}.hilt"
            loads.append(round(os.getloadavg()[0], 2))
            runs[way].append(run_child("whole-file", data, str(where), pythonpath=old) if way == "old"
                             else run_child("streaming", data, str(where)))
            for extra in ("", "-wal", "-shm"):
                Path(str(where) + extra).unlink(missing_ok=True)
    best = {way: max(v, key=lambda x: x["items_per_s"]) for way, v in runs.items()}
    return {"rows": n, "ref": old_ref, "rounds": rounds, "load_1min": loads, **best, "runs": runs}


def run(sizes: list[int], backends: list[str], old_ref: str, retrain_items: int, log,
        anchor_rounds: int = 2) -> dict:
    from bench_features_speed import machine, source_fingerprint

    result: dict = {"machine": machine(), "hilt": source_fingerprint(), "uptime_at_start": uptime(),
                    "runs": [], "anchor": None, "retrain": None}
    pg = None
    with tempfile.TemporaryDirectory(prefix="hilt-bench-import-") as tmp:
        folder = Path(tmp)
        try:
            if "postgres" in backends:
                from bench_server import load_pg_server

                pg = load_pg_server().start_server()
            for n in sizes:
                t0 = time.perf_counter()
                data = write_csv(folder / f"texts-{n}.csv", n)
                log(f"{n:,} rows: {data.stat().st_size / 1e6:,.0f} MB of CSV in {time.perf_counter() - t0:.0f} s")
                for backend in backends:
                    if backend == "postgres":
                        where = pg.create_database(f"bench_import_{n}").replace("postgresql+psycopg://", "postgresql://", 1)
                    else:
                        where = str(folder / f"p-{n}.hilt")
                    got = {"backend": backend, "rows": n, "load_1min": round(os.getloadavg()[0], 2),
                           **run_child("streaming", data, where)}
                    result["runs"].append(got)
                    log(f"  {backend}: {got['items_per_s']:,} items/s, {got['seconds']} s, peak RSS "
                        f"{got['peak_rss_mb']:,} MB (baseline {got['baseline_rss_mb']} MB), load {got['load_1min']}")
                    if backend == "postgres":
                        pg.drop_database(f"bench_import_{n}")
                    else:
                        for extra in ("", "-wal", "-shm"):
                            Path(where + extra).unlink(missing_ok=True)
                if n == min(sizes) and old_ref:
                    old = old_source(folder, old_ref)
                    if old is None:
                        log(f"  (no anchor: git archive {old_ref} failed)")
                    else:
                        anchor = side_by_side(folder, data, n, old, old_ref, anchor_rounds)
                        result["anchor"] = anchor
                        log(f"  anchor at {n:,} (SQLite): whole-file {anchor['old']['items_per_s']:,} items/s, "
                            f"{anchor['old']['peak_rss_mb']:,} MB; streaming {anchor['new']['items_per_s']:,} items/s, "
                            f"{anchor['new']['peak_rss_mb']:,} MB")
                data.unlink()
            if retrain_items:
                result["retrain"] = retrain_after_import(folder, retrain_items, log)
        finally:
            if pg is not None:
                pg.stop()
    result["uptime_at_end"] = uptime()
    return result


def uptime() -> str:
    out = subprocess.run(["uptime"], capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else f"load average {os.getloadavg()}"


def markdown(r: dict) -> str:
    lines = [f"{r['machine'].get('cpus', '?')} CPUs; `uptime` at the start: `{r['uptime_at_start']}`; "
             f"at the end: `{r['uptime_at_end']}`.", "",
             "| rows | database | time | items/s | peak RSS (baseline) | 1-min load |",
             "| ---: | --- | ---: | ---: | ---: | ---: |"]
    for run_ in r["runs"]:
        lines.append(f"| {run_['rows']:,} | {'PostgreSQL (COPY)' if run_['backend'] == 'postgres' else 'SQLite'} | "
                     f"{run_['seconds']} s | {run_['items_per_s']:,} | {run_['peak_rss_mb']:,} MB "
                     f"({run_['baseline_rss_mb']} MB) | {run_['load_1min']} |")
    a = r.get("anchor")
    if a:
        lines += ["", f"Anchor, {a['rows']:,} rows into SQLite, the two alternating, best of {a.get('rounds', 1)} each "
                  f"(1-min load before each run: {a['load_1min']}):", "",
                  "| import | time | items/s | peak RSS |", "| --- | ---: | ---: | ---: |"]
        for label, key in ((f"whole file (before streaming, {a['ref']})", "old"), ("streaming", "new")):
            lines.append(f"| {label} | {a[key]['seconds']} s | {a[key]['items_per_s']:,} | {a[key]['peak_rss_mb']:,} MB |")
    t = r.get("retrain")
    if t:
        lines += ["", f"First retrain (TF-IDF) after importing {t['imported']:,} items into a project of "
                  f"{t['items']:,}:", "", "| features | import | retrain (features) | rows featurized |",
                  "| --- | ---: | ---: | ---: |"]
        for way in ("incremental", "full"):
            lines.append(f"| {way} | {t[way]['import_s']} s | {t[way]['retrain_s']} s ({t[way]['features_s']} s) | "
                         f"{t[way]['rows_featurized']:,} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(child(*argv[1:4])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000000,10000000", help="rows, comma-separated")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--old-ref", default=OLD_REF, help="commit of the whole-file import ('' for no anchor)")
    parser.add_argument("--retrain-items", type=int, default=1_000_000, help="0: no retrain")
    parser.add_argument("--anchor-rounds", type=int, default=2, help="runs of each way in the anchor (alternating)")
    parser.add_argument("--anchor-only", action="store_true",
                        help="only the anchor, at the smallest size (results: import-anchor.json / .md)")
    parser.add_argument("--quick", action="store_true", help="100,000 rows, a 20,000-item retrain")
    args = parser.parse_args(argv)
    sizes = [100_000] if args.quick else [int(s) for s in args.sizes.split(",")]
    retrain = 20_000 if args.quick else args.retrain_items
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if args.anchor_only:
        sizes, backends, retrain = [min(sizes)], [], 0
    result = run(sizes, backends, args.old_ref, retrain, lambda line: print(line, flush=True),
                 anchor_rounds=args.anchor_rounds)
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    default = not args.quick and args.sizes == "1000000,10000000" and args.backends == "sqlite,postgres"
    stem = "import" + ("-anchor" if args.anchor_only else "-quick" if args.quick else "" if default else "-custom")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Incremental features benchmark: the first retrain after an import, new rows added vs all rebuilt.

A project of ``--items`` short texts (default 100,000) gets 10 % more by ``import_items``; the
first retrain after it is timed twice, side by side in one run, for each featurizer
(``tfidf``, ``embeddings``, ``tfidf+embeddings``):

* **incremental**: the project's feature cache as the previous retrain left it; the retrain
  featurizes only the imported items and appends their rows (embeddings exactly; TF-IDF with
  the fitted vocabulary: 10 % is under ``hilt.project.features.REFIT_SHARE``, so no refit);
* **full rebuild**: the same project with its cache folder deleted, so the retrain reads every
  item and fits the featurizer on the whole pool (what every import cost before).

Both start from copies of one project file and cache (made once per featurizer), with the same
import; the order alternates between rounds (``--rounds``, default 2; the best of them is
reported) so that the machine's load falls on both alike. Each figure is ``retrain(wait=True)``
in this process: features (``features_seconds`` of the run), fit, rescore and queue write; the
embedding model is loaded once beforehand. The run also checks that the queue holds new items.

Usage::

    make bench-incremental-features
    python bench/bench_incremental_features.py --items 100000
    python bench/bench_incremental_features.py --quick      # 10,000 items: a smoke run

Results go to ``bench/results/incremental_features.json`` and ``.md`` (``-quick`` for --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_features_speed import machine, pseudo_reviews, source_fingerprint  # noqa: E402

LABELS = ["fresh", "rotten"]
FEATURIZERS = ("tfidf", "embeddings", "tfidf+embeddings")
N_LABELLED = 200


def make_base(folder: Path, features: str, n: int, frame) -> Path:
    """A project of the first ``n`` texts (``N_LABELLED`` of them labelled), retrained once so
    that its feature cache is built; returns its path."""
    from hilt import Project

    first = frame.iloc[:n].copy()
    first["sentiment"] = first["sentiment"].astype(object)
    first.loc[first.index[N_LABELLED:], "sentiment"] = None
    path = folder / f"base-{features.replace('+', '_')}.hilt"
    with Project.create(path, first, LABELS, id_column="id", text_column="text", label_column="sentiment",
                        features=features, seed=0, retrain_every=1_000_000) as project:
        project.retrain(wait=True)
    return path


def copy_project(base: Path, where: Path, keep_cache: bool) -> Path:
    from hilt.project.features import cache_folder

    shutil.copy(base, where)
    if keep_cache:
        shutil.copytree(cache_folder(base), cache_folder(where))
    return where


def first_retrain(path: Path, more) -> dict:
    """Import ``more`` and time the first retrain after it."""
    from hilt import Project

    with Project.open(path) as project:
        t0 = time.perf_counter()
        added = project.import_items(more)["added"]
        import_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        project.retrain(wait=True)
        total = time.perf_counter() - t0
        report = project._job.last_report
        new = set(more["id"])
        queue = [key for key, _, _ in project._store.ranking()]
        return {
            "added": added, "import_s": round(import_s, 2), "retrain_s": round(total, 2),
            "features_s": round(report.features_seconds, 2), "fit_s": round(report.fit_seconds, 2),
            "score_s": round(report.score_seconds, 2), "source": report.features_source,
            "rows_featurized": project._features.last_transformed,
            "new_in_queue": sum(key in new for key in queue), "queue": len(queue),
        }


def run(n: int, rounds: int, log) -> dict:
    from hilt.features.embeddings import WordLlamaEmbedder

    n_more = n // 10
    frame = pseudo_reviews(n + n_more, seed=0)
    more = frame.iloc[n:][["id", "text"]].reset_index(drop=True)
    WordLlamaEmbedder().embed(["load the model once, before anything is timed"])
    results: dict = {"items": n, "imported": n_more, "rounds": rounds, "machine": machine(),
                     "load_at_start": round(os.getloadavg()[0], 2), "hilt": source_fingerprint(),
                     "featurizers": {}}
    with tempfile.TemporaryDirectory(prefix="hilt-bench-incremental-") as tmp:
        work = Path(tmp)
        for features in FEATURIZERS:
            t0 = time.perf_counter()
            base = make_base(work, features, n, frame)
            log(f"{features}: base project of {n:,} items with its cache in {time.perf_counter() - t0:.1f} s")
            runs: dict[str, list[dict]] = {"incremental": [], "full": []}
            for r in range(rounds):
                order = ["incremental", "full"] if r % 2 == 0 else ["full", "incremental"]
                for way in order:
                    where = copy_project(base, work / f"{way}-{r}.hilt", keep_cache=way == "incremental")
                    got = first_retrain(where, more)
                    runs[way].append(got)
                    log(f"  round {r + 1} {way}: retrain {got['retrain_s']} s (features {got['features_s']} s, "
                        f"{got['source']}, {got['rows_featurized']:,} rows), {got['new_in_queue']} new items "
                        f"in the queue of {got['queue']}")
                    shutil.rmtree(work / f"{way}-{r}.hilt.d", ignore_errors=True)
                    (work / f"{way}-{r}.hilt").unlink()
            best = {way: min(v, key=lambda x: x["retrain_s"]) for way, v in runs.items()}
            results["featurizers"][features] = {"runs": runs, "best": best}
    return results


def markdown(r: dict) -> str:
    lines = [
        f"First retrain after importing {r['imported']:,} items into a project of {r['items']:,} short texts "
        f"(best of {r['rounds']} rounds, the two ways alternating; {r['machine'].get('cpus', '?')} CPUs, "
        f"1-minute load {r['load_at_start']} at the start):",
        "",
        "| features | incremental: retrain (features) | rows featurized | full rebuild: retrain (features) "
        "| rows featurized | speed-up | new items in the queue (incr. / full) |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, f in r["featurizers"].items():
        inc, full = f["best"]["incremental"], f["best"]["full"]
        speed = full["retrain_s"] / inc["retrain_s"] if inc["retrain_s"] else float("nan")
        lines.append(
            f"| {name} | {inc['retrain_s']} s ({inc['features_s']} s) | {inc['rows_featurized']:,} | "
            f"{full['retrain_s']} s ({full['features_s']} s) | {full['rows_featurized']:,} | {speed:.1f}x | "
            f"{inc['new_in_queue']} / {full['new_in_queue']} of {inc['queue']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000, help="items in the project before the import")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="10,000 items, one round")
    args = parser.parse_args(argv)
    n, rounds = (10_000, 1) if args.quick else (args.items, args.rounds)
    if n < 10 * N_LABELLED or rounds < 1:
        parser.error(f"expected --items >= {10 * N_LABELLED} and --rounds >= 1")
    result = run(n, rounds, lambda line: print(line, flush=True))
    out = Path(__file__).resolve().parent / "results"
    out.mkdir(exist_ok=True)
    stem = "incremental_features" + ("-quick" if args.quick else "" if n == 100_000 and rounds == 2 else "-custom")
    (out / f"{stem}.json").write_text(json.dumps(result, indent=1) + "\n")
    text = markdown(result)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

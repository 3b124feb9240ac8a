"""Search benchmark: text search and similar items over 1M short texts, SQLite and PostgreSQL.

The texts are made from the bundled movie reviews' words (``src/hilt/data/movie_reviews.csv.gz``,
no download): each is 6-12 words drawn from the reviews' running text, so common words are as
common as in the reviews and rare ones as rare. For each backend a project is made with
``Project.create(..., features="tfidf", eval_share=0.1)``; then:

* the index build: the first ``project.search()`` (which builds the FTS5 table on SQLite, the
  ``tsvector`` table and its GIN index on PostgreSQL);
* query latency, p50 / p95 / max over 200 queries of real words, page 1 of 20 results: 100 single
  words drawn by their frequency in the reviews (mostly common words: the slow case, many
  matches to rank), 50 single words drawn uniformly from the vocabulary (mostly rare), 50 pairs
  of words drawn by frequency; and the same over 50 of them at page 5 (``offset=80``). Each
  query also runs with every match ranked (``RANKED`` lifted), interleaved with the real one in
  alternating order, so that the cap's effect is measured under the same load;
* ``similar(item, k=10)`` p50 / p95 over 50 random items, after ``project.warm()`` built the
  features (its time is reported too).

PostgreSQL is a throwaway server started as the tests start it (``tests/pg_server.py``). The
machine's load (1-minute average) is recorded beside each figure: on a shared machine it moves
latencies.

Usage::

    make bench-search
    python bench/bench_search.py --items 100000                 # a smaller run
    python bench/bench_search.py --backends sqlite --quick      # 20,000 items, a smoke run

Results go to ``bench/results/search.json`` and ``.md`` (``-quick`` for --quick).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
RESULTS = HERE / "results"
REVIEWS = REPO / "src" / "hilt" / "data" / "movie_reviews.csv.gz"
LABELS = ["fresh", "rotten"]


def review_words() -> list[str]:
    """The bundled reviews' running text as lower-case words, in order (repeats kept)."""
    with gzip.open(REVIEWS, "rt", encoding="utf-8") as handle:
        texts = [row["text"] for row in csv.DictReader(handle)]
    return [w for t in texts for w in re.findall(r"[a-z]+", t.lower())]


def write_texts(path: Path, n: int, words: list[str], seed: int = 0) -> Path:
    rng = random.Random(seed)
    with open(path, "w", newline="") as out:
        out.write("id,text\n")
        for i in range(n):
            out.write(f"t{i},{' '.join(rng.choices(words, k=rng.randint(6, 12)))}\n")
    return path


def queries(words: list[str], seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    vocabulary = sorted(set(words))
    return ([rng.choice(words) for _ in range(100)] + [rng.choice(vocabulary) for _ in range(50)]
            + [f"{rng.choice(words)} {rng.choice(words)}" for _ in range(50)])


def percentiles(seconds: list[float]) -> dict:
    ms = sorted(s * 1000 for s in seconds)
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
            "max_ms": round(ms[-1], 2), "n": len(ms)}


def load() -> float:
    return round(os.getloadavg()[0], 2)


def bench_backend(where: str, data: Path, words: list[str], log) -> dict:
    import hilt.store.search
    from hilt import Project
    from hilt.project.search import kept_out

    cap = hilt.store.search.RANKED

    out: dict = {"load_1min_start": load()}
    t0 = time.perf_counter()
    with Project.create(where, data, LABELS, id_column="id", features="tfidf", eval_share=0.1, seed=0) as project:
        out["import_s"] = round(time.perf_counter() - t0, 1)
        n = project.status()["n_items"]
        out["items"] = n
        log(f"  imported {n:,} items in {out['import_s']} s")
        t0 = time.perf_counter()
        first = project.search("film")
        out["index_build_s"] = round(time.perf_counter() - t0, 1)
        out["load_1min_index"] = load()
        log(f"  index built (first search) in {out['index_build_s']} s; 'film': {len(first.found)} shown")
        qs = queries(words)
        times, found, every = [], [], []
        for n_query, q in enumerate(qs):
            # Each query twice, interleaved (the order alternating): as searched (the first RANKED
            # matches ranked) and with every match ranked, the way the first version searched.
            for ranked in ((True, False) if n_query % 2 == 0 else (False, True)):
                hilt.store.search.RANKED = cap if ranked else 10**12
                t0 = time.perf_counter()
                page = project.search(q, limit=20)
                (times if ranked else every).append(time.perf_counter() - t0)
                if ranked:
                    found.append(len(page.found))
            hilt.store.search.RANKED = cap
        out["query_rank_every_match"] = percentiles(every)
        out["query"] = percentiles(times)
        out["query_words"] = {"single, by frequency": percentiles(times[:100]),
                              "single, uniform over the vocabulary": percentiles(times[100:150]),
                              "two words": percentiles(times[150:])}
        out["queries_with_20_results"] = sum(f == 20 for f in found)
        later = []
        for q in qs[:50]:
            t0 = time.perf_counter()
            project.search(q, limit=20, offset=80)
            later.append(time.perf_counter() - t0)
        out["query_page5"] = percentiles(later)
        out["load_1min_queries"] = load()
        log(f"  queries: {out['query']} (page 5: {out['query_page5']})")
        t0 = time.perf_counter()
        project.warm()
        out["features_s"] = round(time.perf_counter() - t0, 1)
        rng = random.Random(2)
        ids = [f"t{i}" for i in rng.sample(range(n), 200)]
        ids = [i for i in ids if not kept_out(i, project._store.item(i).is_eval, 0.1)][:50]
        project.similar(ids[0], k=10)  # the row norms, once per feature matrix
        times = []
        for item_id in ids:
            t0 = time.perf_counter()
            project.similar(item_id, k=10)
            times.append(time.perf_counter() - t0)
        out["similar"] = percentiles(times)
        out["load_1min_end"] = load()
        log(f"  features in {out['features_s']} s; similar: {out['similar']}")
    return out


def markdown(result: dict) -> str:
    lines = [f"Items: {result['items']:,}; machine: {result['machine'].get('cpus', '?')} CPUs; "
             f"load (1-minute average) noted per run.", "",
             "| backend | index build (first search) | query p50 | query p95 | query max | page 5 p95 | "
             "every match ranked: p50 / p95 | similar() p50 | similar() p95 | load |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for backend, r in result["backends"].items():
        lines.append(f"| {backend} | {r['index_build_s']} s | {r['query']['p50_ms']} ms | {r['query']['p95_ms']} ms | "
                     f"{r['query']['max_ms']} ms | {r['query_page5']['p95_ms']} ms | "
                     f"{r['query_rank_every_match']['p50_ms']} / {r['query_rank_every_match']['p95_ms']} ms | "
                     f"{r['similar']['p50_ms']} ms | "
                     f"{r['similar']['p95_ms']} ms | {r['load_1min_start']}-{r['load_1min_end']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--quick", action="store_true", help="20,000 items: a smoke run")
    args = parser.parse_args(argv)
    n = 20_000 if args.quick else args.items
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    from bench_features_speed import machine, source_fingerprint

    def log(message: str) -> None:
        print(message, flush=True)

    words = review_words()
    result: dict = {"items": n, "machine": machine(), "hilt": source_fingerprint(), "vocabulary": len(set(words)),
                    "backends": {}}
    pg = None
    with tempfile.TemporaryDirectory(prefix="hilt-bench-search-") as tmp:
        folder = Path(tmp)
        os.environ["HILT_CACHE_DIR"] = str(folder / "cache")  # a database project's features go here
        t0 = time.perf_counter()
        data = write_texts(folder / "texts.csv", n, words)
        log(f"{n:,} texts from {len(set(words)):,} review words in {time.perf_counter() - t0:.0f} s")
        try:
            for backend in backends:
                log(f"{backend}:")
                if backend == "postgres":
                    from bench_server import load_pg_server

                    pg = load_pg_server().start_server()
                    where = pg.create_database("bench_search").replace("postgresql+psycopg://", "postgresql://", 1)
                else:
                    where = str(folder / "search.hilt")
                result["backends"][backend] = bench_backend(where, data, words, log)
        finally:
            if pg is not None:
                pg.stop()
    RESULTS.mkdir(exist_ok=True)
    stem = "search-quick" if args.quick else "search"
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

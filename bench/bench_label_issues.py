"""Label-issue benchmark: hilt's confident learning against cleanlab's, and what it costs.

Three parts, in one process:

* **recall** on real data with one annotator's labels partly flipped: digits, breast_cancer
  (scikit-learn's bundled tables, ``scale`` features) and the bundled movie reviews
  (``tfidf+embeddings``). Three annotators label a third of the items each; 15 % of the first
  one's labels are changed to a random other class (5 % of all labels). The project's default
  classifier (``hilt.models.default_classifier`` with the featurizer's ``C``) gives
  out-of-fold probabilities (:func:`hilt.quality.out_of_fold_probabilities`, 5 folds); on the
  same probabilities, hilt's :func:`hilt.quality.find_label_issues` and cleanlab's
  ``find_label_issues(filter_by="prune_by_noise_rate", return_indices_ranked_by="self_confidence")``.
  Figures: recall at depth = number flipped (the first that many issues), precision of all
  flagged items, how many are flagged, the time of the call, and whether both flag the same
  items. Also the ceiling set by the model: recall if only the flipping annotator's third
  were searched (an oracle that knows who flipped);
* **out-of-fold options** on the same data: 5 or 3 folds, each fold's logistic regression
  started from zero (``cold``) or from a fit on all labels (``warm``, lbfgs ``warm_start``).
  Figures: recall, time, and the mean out-of-fold probability of the flipped items' (wrong)
  labels: a warm start that leaked the held-out labels would raise it;
* **speed at 20,000 labelled answers in a 100,000-item project**: the issue's budget is 5 s
  for agreement + label issues. Texts: the bundled movie reviews sampled with replacement and
  lightly varied (``bench_features_speed.pseudo_reviews``), ``tfidf+embeddings`` features
  (``FeatureBlocks``: TF-IDF beside 256-d WordLlama embeddings), 20,000 random items labelled
  by 3 annotators; a table of the same size (digits rows sampled with replacement plus
  Gaussian noise, 64 columns, 10 classes, ``scale``); with ``--multiclass``, an 8-class text
  corpus (``health_tweets_outlet8`` from ``bench/text_corpora.py``, 38,567 tweets, 20,000
  labelled). Each step is timed: selecting the labelled rows, the out-of-fold probabilities,
  ``find_label_issues``, ``hilt.quality.agreement`` over the answers; best of ``--repeats``.

cleanlab is optional (``pip install cleanlab``, in the ``bench`` extra): without it its columns
say "not installed".

Usage::

    .venv/bin/python bench/bench_label_issues.py                 # about 3 min on 2 shared cores
    .venv/bin/python bench/bench_label_issues.py --multiclass    # + the 8-class text corpus (+7 min)
    .venv/bin/python bench/bench_label_issues.py --quick         # 2 seeds, 1 repeat, no options table

Results go to ``bench/results/label_issues.md`` (``label_issues-quick.md`` for ``--quick``) and
the same figures as JSON beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

FLIP_SHARE = 0.15
DATASETS = (("digits", "scale"), ("breast_cancer", "scale"), ("movie_reviews", "tfidf+embeddings"))


# --------------------------------------------------------------------------- data


def flip_one_annotator(y: np.ndarray, n_classes: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Noisy labels, the flipped positions and the flipping annotator's items (as in the tests)."""
    rng = np.random.default_rng(seed)
    annotator = rng.permutation(y.shape[0]) % 3
    theirs = np.flatnonzero(annotator == 0)
    flipped = rng.choice(theirs, int(round(FLIP_SHARE * theirs.shape[0])), replace=False)
    noisy = y.copy()
    noisy[flipped] = (y[flipped] + rng.integers(1, n_classes, flipped.shape[0])) % n_classes
    return noisy, flipped, theirs


def load(name: str, features: str) -> tuple[Any, np.ndarray, int, float]:
    from hilt.features import get_featurizer
    from hilt.simulate.data import load_data

    data = load_data(name)
    code = {label: j for j, label in enumerate(data.labels)}
    y = np.array([code[v] for v in data.y], dtype=np.int64)
    featurizer = get_featurizer(features, data.kind)
    return featurizer.fit_matrix(data.items), y, len(data.labels), featurizer.classifier_C


# --------------------------------------------------------------------------- out of fold, the options


def oof_option(C: float, X: Any, y: np.ndarray, k: int, folds: int, warm: bool, *,
               threads: int | None = 1, tol: float | None = None) -> np.ndarray:
    """Out-of-fold probabilities of the default classifier, cold or warm-started folds.

    ``warm``: one fit on all labels first; each fold's model starts from its coefficients
    (lbfgs ``warm_start``) and runs to the same tolerance. ``threads``: BLAS / OpenMP threads
    (``None``: the libraries' default). ``tol``: the solver's tolerance (default 1e-4). Not what
    hilt ships (see the module docstring of ``hilt.quality.label_issues``): measured to decide.
    """
    from sklearn.model_selection import StratifiedKFold
    from threadpoolctl import threadpool_limits

    from hilt.features.blocks import FeatureBlocks
    from hilt.models import default_classifier

    if isinstance(X, FeatureBlocks):
        X = X.tocsr()
    probs = np.zeros((y.shape[0], k))

    def make():
        model = default_classifier(C=C)
        return model if tol is None else model.set_params(tol=tol)

    with threadpool_limits(limits=threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = make().fit(X, y) if warm else None
        for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(np.zeros(y.shape[0]), y):
            model = make()
            if full is not None and np.array_equal(np.unique(y[train]), full.classes_):
                model.coef_, model.intercept_ = full.coef_.copy(), full.intercept_.copy()
            model.fit(X[train], y[train])
            probs[np.ix_(test, model.classes_)] = model.predict_proba(X[test])
    return probs


def hilt_oof(C: float, X: Any, y: np.ndarray, k: int, folds: int = 5) -> np.ndarray:
    from hilt.models import default_classifier
    from hilt.quality import out_of_fold_probabilities

    return out_of_fold_probabilities(lambda: default_classifier(C=C), X, y, n_classes=k, folds=folds)


# --------------------------------------------------------------------------- finders


def cleanlab_finder() -> Callable[[np.ndarray, np.ndarray], np.ndarray] | None:
    try:
        from cleanlab.filter import find_label_issues
    except ImportError:
        return None

    def find(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return find_label_issues(labels, probs, filter_by="prune_by_noise_rate",
                                     return_indices_ranked_by="self_confidence")

    return find


def hilt_finder(labels: np.ndarray, probs: np.ndarray) -> np.ndarray:
    from hilt.quality import find_label_issues

    return find_label_issues(labels, probs)[0]


def best_time(fn: Callable[[], Any], repeats: int) -> tuple[float, Any]:
    times, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def scores(found: np.ndarray, flipped: np.ndarray) -> dict:
    depth = flipped.shape[0]
    top = found[:depth]
    hits_all = int(np.isin(found, flipped).sum())
    return {"recall": float(np.isin(top, flipped).sum() / depth),
            "precision": hits_all / found.shape[0] if found.shape[0] else 0.0,
            "flagged": int(found.shape[0])}


# --------------------------------------------------------------------------- parts


def recall_part(seeds: int, log) -> dict:
    cleanlab = cleanlab_finder()
    out = {}
    for name, features in DATASETS:
        X, y, k, C = load(name, features)
        rows = []
        for seed in range(seeds):
            noisy, flipped, theirs = flip_one_annotator(y, k, seed)
            oof_s, probs = best_time(lambda: hilt_oof(C, X, noisy, k), 1)
            own = probs[np.arange(y.shape[0]), noisy]
            ceiling = theirs[np.argsort(own[theirs], kind="stable")[:flipped.shape[0]]]
            row = {"seed": seed, "flipped": int(flipped.shape[0]), "oof_s": oof_s,
                   "model_accuracy": float((probs.argmax(axis=1) == y).mean()),
                   "oracle_annotator_recall": float(np.isin(ceiling, flipped).mean())}
            t, found = best_time(lambda: hilt_finder(noisy, probs), 5)
            row["hilt"] = {**scores(found, flipped), "ms": t * 1000}
            if cleanlab is not None:
                t, theirs_found = best_time(lambda: cleanlab(noisy, probs), 5)
                row["cleanlab"] = {**scores(theirs_found, flipped), "ms": t * 1000,
                                   "same_items": set(found.tolist()) == set(theirs_found.tolist()),
                                   "same_order": bool(np.array_equal(found, theirs_found)),
                                   "differing_items": len(set(found.tolist()) ^ set(theirs_found.tolist()))}
            rows.append(row)
            log(f"  {name} seed {seed}: hilt recall {row['hilt']['recall']:.3f}"
                + (f", cleanlab {row['cleanlab']['recall']:.3f}" if cleanlab else "")
                + f", oof {oof_s:.2f}s")
        out[name] = {"n": int(y.shape[0]), "classes": k, "features": features, "C": C, "runs": rows}
    return out


#: The shipped one first.
OPTIONS = (("cold", 5), ("warm", 5), ("cold", 3), ("warm", 3))


def options_part(seeds: int, log) -> dict:
    out = {}
    for name, features in DATASETS:
        X, y, k, C = load(name, features)
        result = {}
        for start, folds in OPTIONS:
            rows = []
            for seed in range(seeds):
                noisy, flipped, _ = flip_one_annotator(y, k, seed)
                t, probs = best_time(lambda: oof_option(C, X, noisy, k, folds, start == "warm"), 1)
                found = hilt_finder(noisy, probs)
                rows.append({"s": t, **scores(found, flipped),
                             "p_own_flipped": float(probs[flipped, noisy[flipped]].mean())})
            result[f"{start} {folds}"] = rows
            log(f"  {name} {start} {folds}: recall {np.mean([r['recall'] for r in rows]):.3f}, "
                f"{np.mean([r['s'] for r in rows]):.2f}s")
        out[name] = result
    return out


def digits_table(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, digits.target.shape[0], n)
    return digits.data[pick] + rng.normal(0.0, 1.0, (n, digits.data.shape[1])), digits.target[pick]


def speed_part(repeats: int, multiclass: bool, log) -> dict:
    from hilt.features import get_featurizer
    from hilt.quality import agreement, find_label_issues

    cases: list[tuple[str, Any, np.ndarray, int, Any]] = []
    from bench_features_speed import pseudo_reviews

    frame = pseudo_reviews(100_000, seed=0)
    text = get_featurizer("tfidf+embeddings", "text")
    start = time.perf_counter()
    X = text.fit_matrix(frame["text"])
    log(f"  100,000 pseudo reviews featurized in {time.perf_counter() - start:.1f}s: {X!r}")
    cases.append(("text, 2 classes (pseudo movie reviews)", X,
                  (frame["sentiment"] == "fresh").to_numpy().astype(np.int64), 2, text))
    table = get_featurizer("scale", "table")
    items, target = digits_table(100_000)
    cases.append(("table, 10 classes (noisy digits, 64 columns)", table.fit_matrix(items), target, 10, table))
    if multiclass:
        from text_corpora import load as load_corpus

        corpus = load_corpus("health_tweets_outlet8")
        labels, codes = np.unique(corpus["label"].to_numpy(), return_inverse=True)
        health = get_featurizer("tfidf+embeddings", "text")
        cases.append((f"text, {labels.shape[0]} classes (health_tweets_outlet8, {len(corpus):,} items)",
                      health.fit_matrix(corpus["text"]), codes.astype(np.int64), labels.shape[0], health))
    out = {}
    for title, X, y_all, k, featurizer in cases:
        rng = np.random.default_rng(0)
        labelled = np.sort(rng.choice(X.shape[0], 20_000, replace=False))
        noisy, flipped, _ = flip_one_annotator(y_all[labelled], k, 0)
        annotator = rng.permutation(labelled.shape[0]) % 3
        answers = [(int(i), f"a{a}", int(v)) for i, a, v in zip(labelled, annotator, noisy)]
        C = featurizer.classifier_C

        def recall(probs: np.ndarray) -> float:
            found = find_label_issues(noisy, probs, limit=flipped.shape[0])[0]
            return float(np.isin(found, flipped).sum() / flipped.shape[0])

        steps = {}
        steps["select rows"], Xl = best_time(lambda: X[labelled], repeats)
        steps["out-of-fold (5 folds)"], probs = best_time(lambda: hilt_oof(C, Xl, noisy, k), repeats)
        steps["find_label_issues"], _ = best_time(lambda: find_label_issues(noisy, probs), repeats)
        steps["agreement"], _ = best_time(lambda: agreement(answers), repeats)
        total = sum(steps.values())
        options = {"cold 5 (shipped)": {"s": steps["out-of-fold (5 folds)"], "recall": recall(probs)}}
        variants = [(f"{start} {folds}", dict(folds=folds, warm=start == "warm")) for start, folds in OPTIONS[1:]]
        variants.append(("cold 5, default threads", dict(folds=5, warm=False, threads=None)))
        if k > 2:  # where 5 s is out of reach: what a looser solver tolerance buys
            variants += [(f"cold 5, tol {tol:g}", dict(folds=5, warm=False, tol=tol)) for tol in (1e-3, 1e-2)]
        for label, kwargs in variants:
            t, option_probs = best_time(lambda: oof_option(C, Xl, noisy, k, **kwargs), 1)
            options[label] = {"s": t, "recall": recall(option_probs)}
        out[title] = {"items": int(X.shape[0]), "labelled": int(labelled.shape[0]), "classes": k,
                      "flipped": int(flipped.shape[0]), "features": repr(X), "steps": steps, "total": total,
                      "options": options}
        summary = ", ".join(f"{o} {v['s']:.2f}s recall {v['recall']:.3f}" for o, v in options.items())
        log(f"  {title}: total {total:.2f}s ({', '.join(f'{s} {v:.2f}s' for s, v in steps.items())}); options {summary}")
    return out


# --------------------------------------------------------------------------- report


def machine() -> dict:
    import scipy
    import sklearn

    try:
        import cleanlab

        cleanlab_version = cleanlab.__version__
    except ImportError:
        cleanlab_version = None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "numpy": np.__version__,
            "scipy": scipy.__version__, "scikit-learn": sklearn.__version__, "cleanlab": cleanlab_version,
            "load": os.getloadavg()[0]}


def mean(rows: list[dict], *keys: str) -> float:
    values = []
    for row in rows:
        for key in keys[:-1]:
            row = row.get(key) or {}
        if keys[-1] in row:
            values.append(float(row[keys[-1]]))
    return float(np.mean(values)) if values else float("nan")


def spread(rows: list[dict], *keys: str) -> str:
    values = [float(r[keys[0]][keys[1]]) if len(keys) == 2 else float(r[keys[0]]) for r in rows
              if (keys[0] in r)]
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}" if values else "not installed"


def markdown(r: dict) -> str:
    m = r["machine"]
    lines = [
        "#### Label issues: confident learning, hilt against cleanlab",
        "",
        f"Command: `{r['command']}`. Machine: {m['cpus']} cores (shared), Python {m['python']}, numpy "
        f"{m['numpy']}, scipy {m['scipy']}, scikit-learn {m['scikit-learn']}, cleanlab {m['cleanlab'] or 'not installed'}. "
        f"Load average {m['load']:.1f} at the start, {r['load_end']:.1f} at the end. "
        f"{r['seeds']} seeds; each flips 15 % of one of three annotators' labels (5 % of all).",
        "",
        "##### Recall at depth = number flipped (mean ± sd over seeds), on the same out-of-fold probabilities",
        "",
        "| data | items | classes | flipped | model accuracy (OOF) | hilt recall | cleanlab recall | hilt precision (all flagged) "
        "| cleanlab precision | flagged (hilt / cleanlab) | same items | hilt ms | cleanlab ms | OOF s | oracle: flipping annotator's third only |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, d in r["recall"].items():
        runs = d["runs"]
        has = all("cleanlab" in x for x in runs)
        same = f"{sum(x['cleanlab']['same_items'] for x in runs)}/{len(runs)}" if has else "-"
        lines.append(
            f"| {name} | {d['n']:,} | {d['classes']} | {runs[0]['flipped']} | {mean(runs, 'model_accuracy'):.3f} "
            f"| {spread(runs, 'hilt', 'recall')} | {spread(runs, 'cleanlab', 'recall') if has else 'not installed'} "
            f"| {mean(runs, 'hilt', 'precision'):.3f} | {mean(runs, 'cleanlab', 'precision'):.3f} "
            f"| {mean(runs, 'hilt', 'flagged'):.0f} / {mean(runs, 'cleanlab', 'flagged'):.0f} | {same} "
            f"| {mean(runs, 'hilt', 'ms'):.1f} | {mean(runs, 'cleanlab', 'ms'):.1f} | {mean(runs, 'oof_s'):.2f} "
            f"| {mean(runs, 'oracle_annotator_recall'):.3f} |")
    if r.get("options"):
        lines += [
            "",
            "##### Out-of-fold options (default classifier; one BLAS thread; mean over seeds)",
            "",
            "`warm`: one fit on all labels, then each fold starts from its coefficients. "
            "p(own | flipped): mean out-of-fold probability of the flipped items' wrong labels "
            "(a start that leaked held-out labels would raise it).",
            "",
            "| data | option | recall | precision | seconds | p(own \\| flipped) |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for name, options in r["options"].items():
            for option, rows in options.items():
                lines.append(f"| {name} | {option} | {mean(rows, 'recall'):.3f} | {mean(rows, 'precision'):.3f} "
                             f"| {mean(rows, 's'):.2f} | {mean(rows, 'p_own_flipped'):.4f} |")
    lines += [
        "",
        f"##### 20,000 labelled answers in a 100,000-item project: seconds (best of {r['repeats']}); budget 5 s",
        "",
        "| case | select rows | out-of-fold (5 folds, shipped) | find_label_issues | agreement | **total** |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for title, d in r["speed"].items():
        s = d["steps"]
        lines.append(
            f"| {title} | {s['select rows']:.2f} | {s['out-of-fold (5 folds)']:.2f} | {s['find_label_issues'] * 1000:.0f} ms "
            f"| {s['agreement'] * 1000:.0f} ms | **{d['total']:.2f}** |")
    lines += [
        "",
        "Out-of-fold options at 20,000 labelled: seconds (one run) and recall at depth = number flipped "
        "(one seed; the pseudo reviews and the noisy digits repeat their source items, so near-copies "
        "of each item sit in other folds and their recall is higher than on real data).",
        "",
        "| case | option | seconds | recall |",
        "| --- | --- | --- | --- |",
    ]
    for title, d in r["speed"].items():
        for option, v in d["options"].items():
            lines.append(f"| {title} | {option} | {v['s']:.2f} | {v['recall']:.3f} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 seeds, 1 repeat, no options table")
    parser.add_argument("--multiclass", action="store_true", help="also time an 8-class text corpus")
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--repeats", type=int, default=None)
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    repeats = args.repeats or (1 if args.quick else 3)

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    command = "python bench/bench_label_issues.py" + (" " + " ".join(argv if argv is not None else sys.argv[1:])).rstrip()
    r: dict = {"command": command.strip(), "machine": machine(), "seeds": seeds, "repeats": repeats}
    log("recall")
    r["recall"] = recall_part(seeds, log)
    if not args.quick:
        log("out-of-fold options")
        r["options"] = options_part(seeds, log)
    log("speed at 20,000 labelled")
    r["speed"] = speed_part(repeats, args.multiclass, log)
    r["load_end"] = os.getloadavg()[0]
    stem = "label_issues-quick" if args.quick else "label_issues"
    out = HERE / "results"
    out.mkdir(exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(r, indent=1, default=float))
    text = markdown(r)
    (out / f"{stem}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

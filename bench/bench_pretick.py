"""Should the multi-label page tick the model's guess for the person? Key presses per item with
and without the guess pre-ticked, and how often the guess is right, on two multi-label data sets.

Without pre-ticking a person presses each true label's key, then Enter (an item no label fits:
the none key, one press). With the guess pre-ticked they press the key of each label the guess
has wrong (to tick or untick it), then Enter (none of these: still one press). The model is a
one-vs-rest logistic regression on standardized features, trained on ``n`` random labelled items
(5 seeds), measured on the rest, and on the fifth of the rest it is least sure of (mean over
labels of ``|p - 0.5|``, smallest first): that fifth is what uncertainty sampling serves.

This counts presses only. Whether a pre-ticked guess *steers* people (they keep a wrong tick they
did not choose) needs people to measure; the counts say how much a pre-tick could save at most.

Data: ``yeast`` (2,417 items, 14 labels, 4.2 per item) from the installed ``river`` package's
files, and scikit-learn's ``make_multilabel_classification`` (1,000 items, 6 labels, fixed seed).

    .venv/bin/python bench/bench_pretick.py     # ~15 s; writes bench/results/pretick.md
"""

from __future__ import annotations

from importlib.metadata import distribution
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from sklearn.preprocessing import StandardScaler

RESULTS = Path(__file__).with_name("results") / "pretick.md"
SIZES = (50, 100, 200, 400)
SEEDS = range(5)


def yeast() -> tuple[np.ndarray, np.ndarray]:
    raw = pd.read_csv(distribution("river").locate_file("river/datasets/yeast.csv.gz"))
    classes = [c for c in raw.columns if c.startswith("Class")]
    return raw.drop(columns=classes).to_numpy(float), (raw[classes].to_numpy() == 1).astype(int)


def synthetic() -> tuple[np.ndarray, np.ndarray]:
    X, Y = make_multilabel_classification(n_samples=1000, n_features=20, n_classes=6, n_labels=2, random_state=0)
    return X.astype(float), Y.astype(int)


def presses(Y: np.ndarray, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Key presses per item (rows of Y) without and with ``guess`` pre-ticked."""
    none = Y.sum(1) == 0
    return np.where(none, 1, Y.sum(1) + 1), np.where(none, 1, (Y != guess).sum(1) + 1)


def measure(X: np.ndarray, Y: np.ndarray, n: int, seed: int) -> dict[str, float]:
    order = np.random.default_rng(seed).permutation(len(X))
    train, rest = order[:n], order[n:]
    p = np.tile(Y[train].mean(0), (len(rest), 1))  # a label the sample never varies: its share
    varied = Y[train].std(0) > 0
    model = OneVsRestClassifier(LogisticRegression(max_iter=2000)).fit(X[train], Y[train][:, varied])
    p[:, varied] = model.predict_proba(X[rest])
    guess = (p >= 0.5).astype(int)
    unsure = np.argsort(np.abs(p - 0.5).mean(1), kind="stable")[: len(rest) // 5]
    row = {}
    for part, idx in (("all", slice(None)), ("unsure", unsure)):
        without, with_guess = presses(Y[rest][idx], guess[idx])
        row[f"{part}_without"] = without.mean()
        row[f"{part}_with"] = with_guess.mean()
        row[f"{part}_exact"] = (guess[idx] == Y[rest][idx]).all(1).mean()
        row[f"{part}_wrong"] = (guess[idx] != Y[rest][idx]).sum(1).mean()
    return row


def main() -> None:
    lines = ["| data | labelled | presses without → with pre-tick | guess exactly right | labels wrong in the guess "
             "| least sure fifth: presses without → with | exactly right | wrong |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, load in (("yeast", yeast), ("synthetic", synthetic)):
        X, Y = load()
        X = StandardScaler().fit_transform(X)
        for n in SIZES:
            rows = pd.DataFrame([measure(X, Y, n, seed) for seed in SEEDS]).mean()
            lines.append(
                f"| {name} | {n} | {rows.all_without:.2f} → {rows.all_with:.2f} | {rows.all_exact:.0%} "
                f"| {rows.all_wrong:.2f} | {rows.unsure_without:.2f} → {rows.unsure_with:.2f} "
                f"| {rows.unsure_exact:.0%} | {rows.unsure_wrong:.2f} |")
    table = "\n".join(lines)
    print(table)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()

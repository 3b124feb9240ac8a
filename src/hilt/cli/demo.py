"""``hilt demo``: the learning loop on scikit-learn's digits, one strategy after another."""

from __future__ import annotations

import time

import numpy as np
import typer
from rich.table import Table

from hilt.cli.app import app, console, user_errors


@app.command()
@user_errors
def demo(
    budget: int = typer.Option(200, help="Labels to spend per strategy."),
    batch: int = typer.Option(10, help="Labels per query round."),
    seed: int = typer.Option(0, help="Random seed."),
) -> None:
    """Watch the model learn: active learning on scikit-learn's digits with each strategy.

    An oracle (the true labels) answers in place of a person; the table shows test accuracy
    against the number of labels used.

    Example: hilt demo --budget 150
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from hilt.learner import STRATEGIES, ActiveLearner

    X, y = load_digits(return_X_y=True)
    X_pool, X_test, y_pool, y_test = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
    checkpoints = [c for c in (20, 50, 100, 150, 200, 300, 400) if c <= budget]
    table = Table(title=f"digits: test accuracy by labels used ({len(y_pool)} pool, {len(y_test)} test)")
    table.add_column("strategy")
    for c in checkpoints:
        table.add_column(f"{c} labels", justify="right")
    table.add_column("time", justify="right")
    for strategy in STRATEGIES:
        start = time.perf_counter()
        learner = ActiveLearner(X_pool, labels=list(range(10)), strategy=strategy, random_state=seed)
        row = []
        while learner.n_labelled < budget:
            picked = learner.query(min(batch, budget - learner.n_labelled))
            learner.teach(picked, y_pool[picked])
            if learner.n_labelled in checkpoints:
                row.append("cold" if learner.is_cold else f"{learner.accuracy(X_test, y_test):.3f}")
        table.add_row(strategy, *row, f"{time.perf_counter() - start:.1f} s")
        console.print(f"  {strategy}: done")
    console.print(table)

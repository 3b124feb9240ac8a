"""``hilt demo``: the whole loop in the browser on bundled movie reviews (``--oracle``: digits, no person)."""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

import typer
from rich.table import Table

from hilt.cli.app import app, console, user_errors

#: Labels of the demo, in key order: 1 = fresh, 2 = rotten.
DEMO_LABELS = ["fresh", "rotten"]


def has_browser() -> bool:
    """Whether ``webbrowser.open`` can show something to a person here (never on CI).

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"CI": "true", "DISPLAY": ":0"}):
    ...     has_browser()
    False
    """
    if os.environ.get("CI"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def create_demo_project(folder: Path, *, retrain_every: int = 10):
    """A project of the 4,866 bundled review snippets, unlabelled, with the labels fresh/rotten
    (or the one already in ``folder``).

    The sentiment column is left out on purpose: the person answers, not the data set.
    """
    from hilt.datasets import load_movie_reviews
    from hilt.project import Project

    path = folder / "movie-reviews.hilt"
    # The demo runs on this machine, whatever $HILT_DASK_SCHEDULER says (scheduler=False).
    if path.exists():  # a kept demo (--folder) picks up where it was left
        return Project.open(path, scheduler=False)
    reviews = load_movie_reviews()[["id", "text"]]
    return Project.create(
        path,
        reviews,
        DEMO_LABELS,
        text_column="text",
        id_column="id",
        retrain_every=retrain_every,
        scheduler=False,
    )


@app.command()
@user_errors
def demo(
    port: int = typer.Option(8000, help="Port for the web UI (a free one if it is taken)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Only print the link; do not open a browser."),
    folder: Path = typer.Option(None, help="Keep the demo project here instead of a temporary folder."),
    retrain_every: int = typer.Option(10, help="Retrain after this many new labels."),
    oracle: bool = typer.Option(False, "--oracle", help="No browser: watch strategies learn digits with an oracle."),
    budget: int = typer.Option(200, help="--oracle: labels to spend per strategy."),
    batch: int = typer.Option(10, help="--oracle: labels per query round."),
    seed: int = typer.Option(0, help="--oracle: random seed."),
) -> None:
    """Label movie reviews in your browser and watch the model learn.

    Makes a project of 4,866 bundled Rotten Tomatoes snippets in a temporary folder, adds the
    annotator "demo", serves the labelling page and opens it. Press 1 for fresh, 2 for rotten;
    after every few labels the model retrains and its guess and the dashboard's curve improve.
    With --oracle, no browser: each sampling strategy learns scikit-learn's digits from an oracle.

    Example: hilt demo --port 8000
    """
    if oracle:
        oracle_demo(budget=budget, batch=batch, seed=seed)
        return
    from hilt.cli.serve import run_web
    from hilt.server.runner import check_port

    check_port(port)  # before the demo project is made (seconds)

    with tempfile.TemporaryDirectory(prefix="hilt-demo-") as scratch:
        where = Path(folder) if folder else Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        console.print(f"Creating the demo project in {where} …")
        with create_demo_project(where, retrain_every=retrain_every) as project:
            token = project.add_annotator("demo")
            run_web(
                project,
                host="127.0.0.1",
                port=port,
                links={"demo": token},
                open_browser=not no_browser and has_browser(),
                any_free_if_busy=True,
                intro="4,866 movie-review snippets, no labels yet. Press 1 = fresh (positive), "
                "2 = rotten (negative), s = skip, u = undo. The model retrains every "
                f"{retrain_every} labels: watch its guesses and the dashboard's curve.",
            )


def oracle_demo(*, budget: int, batch: int, seed: int) -> None:
    """Active learning on scikit-learn's digits with each strategy; the true labels answer.

    The same :func:`hilt.simulate.run` as ``hilt simulate digits`` (one seed), so the demo,
    simulate and a served project all choose items through :mod:`hilt.strategies`.
    """
    from hilt import simulate

    start = time.perf_counter()
    result = simulate.run("digits", init=min(20, budget), batch=batch, budget=budget, seeds=[seed],
                          split_seed=seed, progress=True)
    s = result.settings
    checkpoints = sorted({c for c in (20, 50, 100, 150, 200, 300, 400) if c <= s["budget"]} | {s["budget"]})
    table = Table(title=f"digits: test accuracy by labels used ({s['n_pool']} pool, {s['n_test']} test)")
    table.add_column("strategy")
    for c in checkpoints:
        table.add_column(f"{c} labels", justify="right")
    for curve in result.curves:
        at = dict(zip(curve.n_labels, curve.accuracy))
        table.add_row(result.display_name(curve.strategy), *(f"{at[c]:.3f}" if c in at else "–" for c in checkpoints))
    console.print(table)
    console.print(f"{result.recommendation} ({time.perf_counter() - start:.1f} s; "
                  f"full-data accuracy {result.full_accuracy:.3f})")

"""``hilt simulate``: learning curves per sampling strategy, with the true labels as the oracle."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from hilt.cli._project import project_location
from hilt.cli.app import app, user_errors
from hilt.errors import InputError
from hilt.strategies.registry import DESCRIPTIONS, MULTILABEL_DESCRIPTIONS

#: The default comparison (kept equal to hilt.simulate.runner.DEFAULT_STRATEGIES by a test;
#: written here so that --help does not import the simulation code).
DEFAULT_STRATEGIES = (
    "random,least,margin,ratio,entropy,margin+diverse,margin+dense,committee,cluster,representative,outlier,"
    "margin+diverse:8/random:1/outlier:1"
)
#: The default with --task multilabel (equal to hilt.simulate.DEFAULT_MULTILABEL_STRATEGIES, by a test).
DEFAULT_MULTILABEL_STRATEGIES = (
    "random,margin,ratio,entropy,margin:max,cardinality,margin+diverse,margin:max+diverse,committee,"
    "margin+diverse:8/random:1/outlier:1"
)

#: The default with --task spans (equal to hilt.simulate.DEFAULT_SPANS_STRATEGIES, by a test).
DEFAULT_SPANS_STRATEGIES = "random,least,margin,entropy,entropy:max,margin+diverse,cluster"


def _strategies_epilog() -> str:
    """One line per strategy, for ``hilt simulate --help`` (markdown: a line break per item)."""
    width = max(len(name) for name in DESCRIPTIONS)
    lines = [f"`{name.ljust(width)}` {text}" for name, text in DESCRIPTIONS.items()]
    wide = max(len(name) for name in MULTILABEL_DESCRIPTIONS)
    multilabel = [f"`{name.ljust(wide)}` {text}" for name, text in MULTILABEL_DESCRIPTIONS.items()]
    return ("**Strategies** (mix them as NAME:WEIGHT/NAME:WEIGHT, e.g. margin+diverse:8/random:1/outlier:1):"
            "\n\n" + "  \n".join(lines)
            + "\n\n**With --task multilabel** also (the methods above are then averaged over labels; in a mix "
            "the weight follows the last ':', e.g. margin:max:3/random:1):\n\n" + "  \n".join(multilabel)
            + "\n\n**With --task spans** the methods read a sequence model: least, margin and ratio over the "
            "text's best two labellings, entropy the mean over its tokens, METHOD:max the most uncertain token "
            "(committee, cardinality and outlier are refused).")

#: The table and the recommendation go to stdout; progress and errors go to stderr. Piped to a
#: file, the table keeps its rows on one line each rather than wrapping at 80 columns.
out = Console(highlight=False, width=None if sys.stdout.isatty() else 200)


@app.command(epilog=_strategies_epilog())
@user_errors
def simulate(
    data: Optional[str] = typer.Argument(
        None,
        metavar="DATA",
        help="A CSV / JSONL / Parquet file (with --label-column), or a bundled data set: "
        "digits, breast_cancer, wine, iris, movie_reviews; with --task multilabel: synthetic_multilabel, "
        "yeast, solar_flare (the last two read from the installed river package).",
        show_default=False,
    ),
    label_column: Optional[str] = typer.Option(None, help="The file's column of true labels."),
    text_column: Optional[str] = typer.Option(
        None, help="The file's column of texts (else its numeric columns are the features)."
    ),
    id_column: Optional[str] = typer.Option(
        None, help="The file's column of item ids (never taken as the text or a feature)."
    ),
    project: Optional[str] = typer.Option(
        None, metavar="PROJECT", help="Replay the answers given in this project file (its labelled items form "
        "the pool).",
    ),
    strategies: Optional[str] = typer.Option(
        None, help="Comma-separated strategies or mixes to compare (listed below). Default: "
        f"{DEFAULT_STRATEGIES}; with --task multilabel: {DEFAULT_MULTILABEL_STRATEGIES}; with --task spans: "
        f"{DEFAULT_SPANS_STRATEGIES}.", show_default=False,
    ),
    task: str = typer.Option(
        "single", help="single (one label per item), multilabel (a set of labels per item: the label column "
        "holds JSON lists, or labels joined by --label-separator; curves of micro-F1) or spans (marked stretches "
        "of each text: wnut16, a CoNLL file, or a file whose --label-column, default spans, holds JSON lists of "
        "{start, end, label}; a CRF over tokens, curves of entity F1).",
    ),
    label_separator: str = typer.Option(
        ";", help="With --task multilabel: what joins an item's labels in a text cell (an empty CSV cell is "
        "the empty set).",
    ),
    init: int = typer.Option(20, help="Random labels every strategy starts from."),
    batch: int = typer.Option(10, help="Labels per query round."),
    budget: int = typer.Option(400, help="Labels per run, the initial ones included."),
    seeds: int = typer.Option(5, help="Runs per strategy, with seeds 0, 1, ..."),
    model: str = typer.Option(
        "logistic", help="logistic, naive_bayes, svm or forest (fitted on the features)."
    ),
    features: Optional[str] = typer.Option(
        None, help="How items become features: tfidf, embeddings or tfidf+embeddings for text "
        "(default tfidf+embeddings), scale for tables (the default); the items' own vectors: vectors:COLUMN "
        "(a column of lists of numbers), vectors:FILE.npz (aligned by --id-column), tfidf+vectors:COLUMN.",
    ),
    test_size: float = typer.Option(0.25, help="Share held out (stratified) to measure accuracy."),
    split_seed: int = typer.Option(0, help="Seed of the test split."),
    at: Optional[str] = typer.Option(
        None, help="Label counts for the table's accuracy columns, e.g. 50,100,200."
    ),
    jobs: int = typer.Option(1, help="Runs in parallel (worker processes)."),
    plot: Optional[Path] = typer.Option(
        None, help="Where to write the PNG plot (default: simulate-NAME.png)."
    ),
    no_plot: bool = typer.Option(False, "--no-plot", help="Write no plot."),
    json_path: Optional[Path] = typer.Option(
        None, "--json", help="Write every curve and the full-data accuracy to this JSON file."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Which sampling strategy suits your data? Learning curves with the true labels as the oracle.

    Every strategy and seed starts from the same random labels, then asks for BATCH at a time.
    After each round, accuracy is measured on a held-out, stratified test split
    (with --task multilabel: micro-F1 on a random test split).
    The table: accuracy at some label counts (mean ± sd over seeds),
    labels needed to reach 95 % and 99 % of the full-data accuracy
    (the model trained on the whole pool; the median over seeds, with their range), and the area under the learning curve.

    Example: hilt simulate digits --budget 400 --seeds 5 --jobs 2

    Example: hilt simulate tags.jsonl --task multilabel --label-column tags --text-column text

    Example: hilt simulate wnut16 --task spans --budget 500 --batch 50 --seeds 3
    """
    from hilt import simulate as library

    checkpoints = _parse_at(at)
    location = None if project is None else project_location(project)
    result = library.run(
        data,
        label_column=label_column,
        text_column=text_column,
        id_column=id_column,
        project=location,
        strategies=strategies,
        init=init,
        batch=batch,
        budget=budget,
        seeds=seeds,
        model=model,
        features=features,
        test_size=test_size,
        split_seed=split_seed,
        at=checkpoints,
        jobs=jobs,
        progress=not quiet,
        task=task,
        label_separator=label_separator,
    )
    settings = result.settings
    metric = settings.get("metric", "accuracy")
    title = (
        f"{result.dataset}: {settings['n_pool']} items in the pool, {settings['n_test']} held out · "
        f"{_model_line(settings)} · init {settings['init']}, batch {settings['batch']}, budget "
        f"{settings['budget']} · {len(settings['seeds'])} seed(s) · full-data {metric} {result.full_accuracy:.3f}"
    )
    frame = result.table()
    table = Table(title=title, title_justify="left")
    # In a narrow terminal the cells wrap at their spaces ("0.948 ±" / "0.010") rather than
    # being cut off with an ellipsis.
    table.add_column("strategy", overflow="fold")
    for column in frame.columns:
        table.add_column(column, justify="right", overflow="fold")
    for name, row in frame.iterrows():
        table.add_row(str(name), *(str(v) for v in row))
    out.print(table)
    short = "acc" if metric == "accuracy" else metric
    out.print(
        f"{short}: test {metric}, mean ± sd over seeds. labels to x %: the first label count where a seed's "
        f"curve reaches x % of the full-data {metric}, the median over seeds (in brackets: the range over seeds).",
        soft_wrap=True,
    )
    for note in result.notes:
        out.print(f"Note: {note}", soft_wrap=True)
    out.print(f"[bold]{result.recommendation}[/]", soft_wrap=True)
    if result.caution is not None:
        out.print(result.caution, soft_wrap=True)
    if not no_plot:
        path = result.plot(plot or Path(f"simulate-{result.dataset}.png"))
        out.print(f"Plot: {path}")
    if json_path is not None:
        out.print(f"Curves: {result.to_json(json_path)}")


def _model_line(settings: dict) -> str:
    """Which model ran on which features, e.g. ``logistic (C=3) on tfidf+embeddings``."""
    strength = f" (C={settings['classifier_C']:g})" if settings.get("classifier_C") is not None else ""
    return f"{settings['model']}{strength} on {settings.get('features', 'default')} features"


def _parse_at(text: str | None) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise InputError(f"Expected --at to be comma-separated whole numbers like 50,100,200; got {text!r}.") from None
    if not values:
        raise InputError(f"Expected --at to list at least one label count; got {text!r}.")
    return values

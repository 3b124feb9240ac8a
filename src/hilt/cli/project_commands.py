"""``hilt init``, ``hilt import``, ``hilt status``, ``hilt retrain``, ``hilt export``: a project's life cycle.

Each command opens the project, calls one :class:`hilt.project.Project` method and prints
what happened. Messages for the person go to stderr; what a script may want to read
(``status --json``, the status tables) goes to stdout.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from hilt.cli._features import warm_features
from hilt.cli._progress import ImportProgress
from hilt.cli._project import (
    PROJECT_HELP,
    SCHEDULER_HELP,
    default_scheduler,
    display_location,
    open_project,
    project_location,
    quoted,
)
from hilt.cli.app import app, console, user_errors
from hilt.errors import ConflictError, InputError
from hilt.store.location import ProjectLocation

#: The command's own output (tables, JSON); ``console`` (stderr) keeps the messages.
stdout = Console(highlight=False)


def parse_labels(text: str) -> list[str]:
    """``"pos, neg,meh"`` -> ``["pos", "neg", "meh"]``; at least two distinct, non-empty labels.

    Examples
    --------
    >>> from hilt.cli.project_commands import parse_labels
    >>> parse_labels("pos, neg,meh")
    ['pos', 'neg', 'meh']
    >>> parse_labels("a,,b")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected labels separated by single commas (--labels pos,neg); label 2 of 'a,,b' is empty. Remove the extra comma.
    """
    labels = [part.strip() for part in text.split(",")]
    empty = [i for i, label in enumerate(labels, start=1) if not label]
    if empty and len(labels) > 1:  # "a,,b" is a typo, not two labels: refuse rather than guess
        raise InputError(
            f"Expected labels separated by single commas (--labels pos,neg); label {empty[0]} of "
            f"{text!r} is empty. Remove the extra comma."
        )
    labels = [label for label in labels if label]
    if len(labels) < 2:
        raise InputError(f"Expected at least two labels separated by commas (--labels pos,neg); got {text!r}.")
    if len(set(labels)) != len(labels):
        raise InputError(f"Expected distinct labels; got {text!r}.")
    return labels


def parse_columns(text: str | None, option: str) -> list[str] | None:
    """``"age, stars"`` -> ``["age", "stars"]`` (``None`` stays ``None``: the option was not given).

    Examples
    --------
    >>> from hilt.cli.project_commands import parse_columns
    >>> parse_columns("age, stars", "--show-columns")
    ['age', 'stars']
    """
    if text is None:
        return None
    columns = [part.strip() for part in text.split(",")]
    if not all(columns):
        raise InputError(f"Expected column names separated by commas ({option} age,stars); got {text!r}.")
    return columns


def _open(location: ProjectLocation):
    """A project for a command that neither retrains nor ranks: no Dask scheduler is contacted."""
    return open_project(location, cluster=False)


@app.command()
@user_errors
def init(
    project: str = typer.Argument(
        ..., metavar="PROJECT", show_default=False,
        help="The project file to create (e.g. reviews.hilt), or the URL of an empty PostgreSQL database "
        "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE) to keep the project in.",
    ),
    data: Path = typer.Option(..., "--data", "-d", help="Items to label: .csv, .tsv, .jsonl or .parquet."),
    labels: str = typer.Option(..., "--labels", "-l", help="The labels, comma-separated: pos,neg."),
    text_column: Optional[str] = typer.Option(None, help="Column holding the text (default: the only string column, or 'text')."),
    id_column: Optional[str] = typer.Option(None, help="Column of unique item ids (default: the row number)."),
    label_column: Optional[str] = typer.Option(None, help="Column of labels already known (empty cells: unlabelled)."),
    strategy: str = typer.Option(
        "margin",
        help="How the next item is chosen: a strategy (random, least, margin, ratio, entropy, outlier, "
        "cluster, representative, committee, METHOD+diverse; see hilt simulate --help) or a mix such as "
        "margin+diverse:8/random:1/outlier:1.",
    ),
    features: Optional[str] = typer.Option(
        None, help="How items become model features: tfidf, embeddings or tfidf+embeddings for text "
        "(default tfidf+embeddings), scale for tables (the default).",
    ),
    retrain_every: int = typer.Option(10, min=1, help="Retrain after this many new labels."),
    eval_share: float = typer.Option(0.1, min=0.0, max=0.9, help="Share of items served at random to measure accuracy."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV/JSON file, e.g. latin-1."),
    show_columns: Optional[str] = typer.Option(
        None, help="Columns annotators see besides the text, comma-separated (default: all but columns "
        "holding only label names).",
    ),
    hide_columns: Optional[str] = typer.Option(None, help="Columns annotators do not see, comma-separated."),
    feature_columns: Optional[str] = typer.Option(
        None, help="Columns the model uses, comma-separated (table items; default: every numeric column but "
        "those holding only label names and --exclude-columns).",
    ),
    exclude_columns: Optional[str] = typer.Option(
        None, help="Columns the model never uses, comma-separated (they stay in the items' data).",
    ),
    drop_duplicate_ids: bool = typer.Option(
        False, "--drop-duplicate-ids",
        help="With --id-column: keep the first row of each id and skip later rows with the same id "
        "(default: such a file is refused).",
    ),
    overlap: float = typer.Option(
        0.0, help="Share of items (0 to 1) that several different people label, for agreement figures "
        "and review (hilt agreement); the rest are labelled once. E.g. 0.1.",
    ),
    annotators_per_item: int = typer.Option(
        2, help="How many different people label each overlapped item (at least 2).",
    ),
    force: bool = typer.Option(
        False, "--force",
        help="Replace an existing project file, or the project a database holds (its labels are lost).",
    ),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP,
                                            show_default=False),
) -> None:
    """Create a labelling project from a data file.

    The file's items are imported once; the project is one SQLite file (plus a folder of rebuildable model files
    beside it), or the tables of a PostgreSQL database when PROJECT is its URL (a team's annotators then share one
    server).
    With --overlap, a share of the items goes to several different people, so that their agreement can be measured
    (hilt agreement) and a reviewer can settle their disagreements.

    Example: hilt init reviews.hilt --data reviews.csv --labels pos,neg --id-column id

    Example: hilt init postgresql://ana@db.example:5432/reviews --data reviews.csv --labels pos,neg
    """
    location = project_location(project)
    options: dict[str, Any] = dict(
        text_column=text_column,
        id_column=id_column,
        label_column=label_column,
        strategy=strategy,
        features=features,
        retrain_every=retrain_every,
        eval_share=eval_share,
        show_columns=parse_columns(show_columns, "--show-columns"),
        hide_columns=parse_columns(hide_columns, "--hide-columns"),
        feature_columns=parse_columns(feature_columns, "--feature-columns"),
        exclude_columns=parse_columns(exclude_columns, "--exclude-columns"),
        drop_duplicate_ids=drop_duplicate_ids,
        overlap=overlap,
        annotators_per_item=annotators_per_item,
    )
    if encoding.lower() not in ("utf-8", "utf8"):
        options["encoding"] = encoding
    parsed = parse_labels(labels)  # a typo in --labels is reported before the data is read
    if location.is_database:
        # Whether the database holds a project is known once connected: the library refuses one
        # unless it may replace it, and says --force.
        options["exist_ok"] = force
    elif location.path.exists() and not location.path.is_dir():
        if not force:
            raise ConflictError(
                f"Expected no file at {location}, but one exists. Choose another name, or pass --force "
                "to replace it (its labels are lost; export them first: hilt export "
                f"{quoted(location)} -o labels.csv)."
            )
        options["exist_ok"] = True
    from hilt.importing import shorten_columns
    from hilt.project import Project  # after the checks above: it imports scikit-learn

    # With a scheduler, the features are built (and kept) on its workers: the first hilt serve,
    # hilt label or hilt retrain given the same scheduler finds them there.
    with ImportProgress(console, data.name) as progress:
        created = Project.create(location, data, parsed, scheduler=scheduler, progress=progress, **options)
    with created:
        status = created.status()
        report = created.created_import
        shown, hidden = created.shown_columns, created.hidden_columns
        image = created.image_view
        model_columns = created.feature_columns if created.kind == "table" else None
        text_from = created.text_column
        shared = created.overlap
        warm_features(created)  # so that the first session starts at once
        on_cluster = created.scheduler
    console.print(
        f"Created {display_location(location)}: {status['n_items']:,} {status['kind']} items, labels "
        f"{', '.join(status['labels'])}, strategy {status['strategy']}, features {status['features']}"
        + (f", {status['n_answered']:,} already labelled" if status["n_answered"] else "")
        + "."
    )
    for line in import_notes(report):
        console.print(line)
    if on_cluster:
        console.print(f"Features built on the Dask cluster at {on_cluster}; give --scheduler {on_cluster} "
                      "(or set HILT_DASK_SCHEDULER) to hilt serve, hilt label and hilt retrain to use them.")
    console.print(
        f"The model uses: {shorten_columns(model_columns)} (change with --feature-columns / --exclude-columns)."
        if model_columns else f"The model uses: the text (column {text_from!r})."
    )
    console.print(
        f"Annotators will see: {shorten_columns(shown) or 'nothing but the text'}"
        + (f" (hidden: {shorten_columns(hidden)}; change with --show-columns / --hide-columns)." if hidden else ".")
    )
    if image is not None:
        console.print(f"Rows are drawn as {image.side}x{image.side} images ({image.pixels[0]} … {image.pixels[-1]}); "
                      f"list them instead with: hilt config {quoted(location)} image_columns=off")
    if shared:
        console.print(
            f"Overlap: about {round(100 * shared['share'], 1):g} % of items go to "
            f"{shared['annotators_per_item']} different annotators each, so you can see how far people agree "
            f"(hilt agreement {quoted(location)}) and a reviewer can settle their disagreements."
        )
    label_like = report.get("label_like", [])
    if label_like:
        many = len(label_like) > 1
        them = "them" if many else "it"
        used = [c for c in label_like if c in (model_columns or [])]
        model = ("the model uses only those named in --feature-columns" if used
                 else f"neither does the model (--feature-columns uses {them})")
        console.print(
            f"Column{'s' if many else ''} {shorten_columns(label_like)} hold{'' if many else 's'} only label names "
            f"(the answers, perhaps), so annotators do not see {them} (--show-columns shows {them}); {model}. "
            f"If {'one' if many else 'it'} holds labels you already know, import them as labels: run this again "
            f"with --label-column {'COLUMN' if many else label_like[0]} --force."
        )
    console.print(f"Next: hilt label {quoted(location)}")


def import_notes(report: dict[str, Any]) -> list[str]:
    """Lines on what an import skipped or found: repeated ids (the first few, with their lines)
    and rows whose text repeats an earlier row's.

    Examples
    --------
    >>> from hilt.cli.project_commands import import_notes
    >>> import_notes({"repeated": 2, "repeated_ids": [("a", "line 4"), ("b", "line 9")], "identical_texts": 30})
    ['2 rows with a repeated id skipped (the first copy is kept): a (line 4), b (line 9).', '30 rows repeat the text of an earlier row (kept as separate items; drop them from the file if they are copies).']
    """
    notes = []
    repeated = report.get("repeated", report.get("duplicates", 0))
    if repeated:
        named = ", ".join(f"{key} ({where})" for key, where in report.get("repeated_ids", []))
        more = ", ..." if repeated > len(report.get("repeated_ids", [])) else ""
        notes.append(f"{repeated:,} row{'s' if repeated != 1 else ''} with a repeated id skipped "
                     f"(the first copy is kept): {named}{more}.")
    if report.get("identical_texts"):
        n = report["identical_texts"]
        notes.append(f"{n:,} row{'s' if n != 1 else ''} repeat{'' if n != 1 else 's'} the text of an earlier row "
                     "(kept as separate items; drop them from the file if they are copies).")
    return notes


@app.command("import")
@user_errors
def import_(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    data: Path = typer.Argument(..., metavar="FILE", help="More items: .csv, .tsv, .jsonl or .parquet, with the project's columns."),
    label_column: Optional[str] = typer.Option(None, help="Column of labels already known."),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV/JSON file, e.g. latin-1."),
    drop_duplicate_ids: bool = typer.Option(
        False, "--drop-duplicate-ids",
        help="Keep the first row of each id and skip later rows of the file with the same id (default: such a "
        "file is refused).",
    ),
) -> None:
    """Add items from another file to a project (items whose id is already there are not added again;
    a label the file gives them is stored when they have none yet).

    Example: hilt import reviews.hilt more_reviews.csv --label-column sentiment
    """
    location = project_location(project)
    options: dict[str, Any] = {"label_column": label_column}
    if drop_duplicate_ids:
        options["drop_duplicate_ids"] = True
    if encoding.lower() not in ("utf-8", "utf8"):
        options["encoding"] = encoding
    with _open(location) as opened, ImportProgress(console, data.name) as progress:
        result = opened.import_items(data, progress=progress, **options)
    existing = result["existing"]
    console.print(
        f"Imported {data} into {display_location(location)}: {result['added']:,} added, "
        f"{result['labelled']:,} of them with a label"
        + (f"; {existing:,} already in the project" if existing else "") + "."
    )
    if existing and label_column:
        kept = result["label_kept"]
        console.print(
            f"Labels from {label_column!r} for items already in the project: {result['relabelled']:,} stored "
            "(as annotator 'import')"
            + (f", {kept:,} not applied because the item already has a different label (change those "
               "in the labelling UI)" if kept else "") + "."
        )
    elif existing:
        console.print("Items already in the project were left as they are (give --label-column to add "
                      "labels the file holds for them).")
    for line in import_notes(result):
        console.print(line)


@app.command()
@user_errors
def status(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the status as JSON (for scripts)."),
) -> None:
    """Show how far labelling has come: counts per label and annotator, and the model runs.

    Example: hilt status reviews.hilt --json
    """
    # Read from the store alone: opening the project would import scikit-learn (seconds) for nothing.
    from hilt.project.status import read_status

    location = project_location(project)
    info = read_status(location)
    # Where hilt serve / label / retrain run by default, read from the environment: status stays
    # light and never contacts a cluster (a server given --scheduler is not known here).
    info["scheduler"] = info.get("scheduler") or default_scheduler()
    if as_json:
        from hilt.project.export import json_text  # strict JSON: a missing number is null

        typer.echo(json_text(info, indent=2, default=str))
        return
    for table in status_tables(info, title=display_location(location)):
        stdout.print(table)


@app.command()
@user_errors
def retrain(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP,
                                            show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print what the run did as JSON (for scripts)."),
) -> None:
    """Refit the model on every training label now and re-rank the queue, then exit.

    The new ranking is stored in the project: every hilt serve and hilt label over it serves it
    at once. With --scheduler (or $HILT_DASK_SCHEDULER) the features are built and the pool is
    scored on a Dask cluster; only the labelled items' rows and each partition's top candidates
    come back to this machine.

    Example: hilt retrain reviews.hilt --scheduler tcp://10.0.0.5:8786
    """
    import time

    from hilt.cli._features import describe_source

    location = project_location(project)
    with open_project(location, scheduler=scheduler) as opened:
        on = opened.scheduler
        started = time.perf_counter()  # the run's own time: features, fit, scoring, the new ranking
        source = warm_features(opened, announce=False)
        before = len(opened.status()["runs"])
        opened.retrain(wait=True)
        seconds = time.perf_counter() - started
        info = opened.status()
    runs = info["runs"]
    run = runs[-1] if len(runs) > before else None
    where = f"on the Dask cluster at {on}" if on else "in this process"
    if as_json:
        from hilt.project.export import json_text

        typer.echo(json_text({"retrained": run is not None, "run": run, "n_runs": len(runs), "scheduler": on,
                              "features": source, "seconds": round(seconds, 3)}, indent=2, default=str))
    if run is None:
        known = [label for label, n in info.get("by_label", {}).items() if n]
        if len(known) < 2:
            why = (f"the model needs answers with at least two different labels ({len(known)} so far: "
                   f"{', '.join(known) or 'none'}). Label some: hilt label {quoted(location)}")
        else:
            why = ("another process (a hilt serve or hilt label) is retraining this project right now; "
                   "its ranking is served.")
        console.print(f"No model run: {why}")
        return
    accuracy = run.get("eval_accuracy")
    measured = (f", eval accuracy {_accuracy_cell(accuracy, run.get('eval_ci'))} on {run.get('n_eval') or 0:,} items"
                if accuracy is not None else "")
    scored = "the pool scored there" if on else "the pool scored here"
    console.print(
        f"Retrained {display_location(location)} {where} on {run['n_train']:,} labels{measured} "
        f"(run {len(runs)}, {seconds:.1f} s): features {describe_source(source, on)}, {scored}. "
        "Every hilt serve and hilt label over the project now serves the new ranking."
    )


def status_tables(info: dict[str, Any], title: str = "project") -> list[Any]:
    """Rich renderables for a ``Project.status()`` dict: overview, labels, annotators, model runs.

    The title (usually the project's path) is a line of its own, not a table title: a table
    title wraps at the table's width and would break a long path in the middle.
    """
    overview = Table(show_header=False)
    overview.add_column(style="bold")
    overview.add_column(justify="right")
    overview.add_row("kind", str(info.get("kind", "")))
    overview.add_row("strategy", str(info.get("strategy", "")))
    overview.add_row("features", str(info.get("features", "")))
    overview.add_row("items", f"{info['n_items']:,}")
    overview.add_row("answered", f"{info['n_answered']:,}")
    overview.add_row("skipped", f"{info.get('n_skipped', 0):,}")
    if "n_left" in info:
        overview.add_row("left", f"{info['n_left']:,}")
    if "n_eval" in info:
        overview.add_row("evaluation sample", f"{info['n_eval']:,}")
    if info.get("retraining"):
        overview.add_row("model", "retraining now")
    if info.get("scheduler"):
        overview.add_row("scheduler", str(info["scheduler"]))
    tables: list[Any] = [Text(title, style="bold"), overview]
    if info.get("retrain_error"):  # a line of its own: the table's right-aligned column would break it up
        tables.append(Text(f"The last retrain failed: {info['retrain_error']}", style="yellow"))

    by_label = Table(title="labels")
    by_label.add_column("label")
    by_label.add_column("items", justify="right")
    counts = info.get("by_label", {})
    for label in info.get("labels", list(counts)):
        by_label.add_row(str(label), f"{counts.get(label, 0):,}")
    tables.append(by_label)

    if info.get("by_annotator"):
        by_annotator = Table(title="annotators")
        by_annotator.add_column("annotator")
        by_annotator.add_column("answers", justify="right")
        for name, n in sorted(info["by_annotator"].items(), key=lambda pair: -pair[1]):
            by_annotator.add_row(str(name), f"{n:,}")
        tables.append(by_annotator)

    runs = info.get("runs", [])
    if not runs:
        from hilt.strategies import get_strategy

        spread = get_strategy(str(info.get("strategy", "margin"))).cold_uses_features
        tables.append(Text("model runs: none yet (cold start: "
                           + ("cluster representatives of the pool)" if spread else "items come at random)")))
        return tables
    model_runs = Table(title="model runs")
    model_runs.add_column("#", justify="right")
    model_runs.add_column("labels", justify="right")
    model_runs.add_column("eval accuracy (95 % CI)", justify="right")
    model_runs.add_column("eval items", justify="right")
    model_runs.add_column("finished")
    for number, run in enumerate(runs, start=1):
        accuracy = run.get("eval_accuracy")
        model_runs.add_row(
            str(number),
            f"{run.get('n_train', 0):,}",
            _accuracy_cell(accuracy, run.get("eval_ci")),
            "-" if run.get("n_eval") is None else f"{run['n_eval']:,}",
            _short_time(run.get("finished_at")),
        )
    tables.append(model_runs)
    line = eval_line(runs)
    if line:
        tables.append(Text(line))
    tables.extend(agreement_block(info.get("agreement") or {}, title))
    return tables


def _accuracy_cell(accuracy: float | None, ci: list[float] | None) -> str:
    """``88.2 % (65.7–96.7 %)``, or ``-`` for a run without evaluation items."""
    if accuracy is None:
        return "-"
    return _percent(accuracy) + (f" ({_interval(ci)})" if ci else "")


def _percent(share: float) -> str:
    return f"{100 * share:.1f} %"


def _interval(ci: list[float] | None) -> str | None:
    """``[0.612, 0.81]`` -> ``61.2–81.0 %``."""
    if not ci:
        return None
    return f"{100 * ci[0]:.1f}\u2013{100 * ci[1]:.1f} %"


def eval_line(runs: list[dict[str, Any]]) -> str | None:
    """The latest run's accuracy on the evaluation sample with its 95 % interval, in words.

    Examples
    --------
    >>> from hilt.cli.project_commands import eval_line
    >>> eval_line([{"eval_accuracy": 0.72, "eval_ci": [0.612, 0.81], "n_eval": 45, "n_train": 120}])
    'Latest eval accuracy 72.0 % (95 % CI 61.2\u201381.0 %) on 45 evaluation items.'
    >>> eval_line([{"eval_accuracy": None, "eval_ci": None, "n_eval": 0, "n_train": 10}]) is None
    True
    """
    measured = [run for run in runs if run.get("eval_accuracy") is not None]
    if not measured:
        return None
    run = measured[-1]
    interval = _interval(run.get("eval_ci"))
    n_eval = run.get("n_eval") or 0
    return (f"Latest eval accuracy {_percent(run['eval_accuracy'])}"
            + (f" (95 % CI {interval})" if interval else "")
            + f" on {n_eval:,} evaluation item{'s' if n_eval != 1 else ''}.")


def alpha_words(alpha: float | None) -> str:
    """Krippendorff's alpha with what it means (his own thresholds: 0.8 and 0.667).

    Examples
    --------
    >>> from hilt.cli.project_commands import alpha_words
    >>> alpha_words(0.71)
    '0.710 (tentative: 0.667 to 0.8)'
    >>> alpha_words(None)
    '- (undefined: every answer on these items has the same label)'
    """
    if alpha is None:
        return "- (undefined: every answer on these items has the same label)"
    if alpha >= 0.8:
        meaning = "reliable: 0.8 or more"
    elif alpha >= 0.667:
        meaning = "tentative: 0.667 to 0.8"
    else:
        meaning = "unreliable: below 0.667"
    return f"{alpha:.3f} ({meaning})"


def weakest_annotator(by_annotator: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any]] | None:
    """The annotator who agrees least often with the others (on a tie: the one with more shared items).

    Examples
    --------
    >>> from hilt.cli.project_commands import weakest_annotator
    >>> weakest_annotator({"ann": {"items": 9, "agree": 0.9}, "bob": {"items": 8, "agree": 0.5}})
    ('bob', {'items': 8, 'agree': 0.5})
    """
    if not by_annotator:
        return None
    return min(by_annotator.items(), key=lambda pair: (pair[1]["agree"], -pair[1]["items"], pair[0]))


def agreement_block(report: dict[str, Any], project: str) -> list[Any]:
    """The status's agreement table (nothing while no item has answers from two people)."""
    if not report.get("items"):
        return []
    table = Table(title="agreement between annotators", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("items labelled by 2+ people", f"{report['items']:,}")
    table.add_row("Krippendorff's alpha", alpha_words(report.get("alpha")))
    by_annotator = report.get("by_annotator") or {}
    if len(by_annotator) == 2:  # each agrees with "the others" exactly as often: say it once
        (first, figures), (second, _) = sorted(by_annotator.items())
        table.add_row("agree", f"{first} and {second} on {_percent(figures['agree'])} of {figures['items']:,} "
                      "shared items")
    elif len({figures["agree"] for figures in by_annotator.values()}) > 1:
        name, figures = weakest_annotator(by_annotator)  # type: ignore[misc]
        table.add_row("agrees least", f"{name}: with the others' majority on {_percent(figures['agree'])} of "
                      f"{figures['items']:,} shared items")
    return [table, Text(f"Per annotator and pair: hilt agreement {shlex.quote(project)}")]


def _short_time(stamp: str | None) -> str:
    """``2026-11-25T12:03:13.678185+00:00`` -> ``2026-11-25 12:03:13 UTC`` (fits a table cell)."""
    if not stamp:
        return "running"
    return stamp[:19].replace("T", " ") + (" UTC" if stamp.endswith("+00:00") else "")


@app.command()
@user_errors
def export(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Where to write: a .jsonl, .csv or .parquet file, or - for standard output (JSON lines; "
        "--format csv for CSV).",
    ),
    format: Optional[str] = typer.Option(None, "--format", help="jsonl, csv or parquet (default: from the file name)."),
    include_retracted: bool = typer.Option(
        False, "--all", help="Write every answer instead: each annotator's answers (several per item with "
        "--overlap), reviewers' decisions and retracted (undone) answers, with the columns role (annotate or "
        "review) and retracted.",
    ),
    predictions: bool = typer.Option(
        False, "--predictions", help="Write the model's predicted label and probability for every item "
        "instead of the labels (a fresh fit on all training labels).",
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", metavar="FILE", help="Also save the trained model (with its featurizer) as a pickle "
        "file. Loading a pickle runs code from it: share it only with people who trust you.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
) -> None:
    """Write the labels out, one row per labelled item, with who labelled it and when; or the
    model's predictions for every item (--predictions); or the trained model (--model).

    An item's label is its final one: a reviewer's latest decision, else the majority of its
    annotators (a tie: the earliest answer), else its single answer. --all writes every answer.

    Example: hilt export reviews.hilt -o labels.csv
    """
    import sys

    location = project_location(project)
    if output is None and model is None:
        raise InputError("Expected where to write: -o FILE (or -o - for standard output), --model FILE, or both.")
    with _open(location) as opened:
        if output is not None:
            target: Any = sys.stdout if output == "-" else Path(output)
            if predictions:
                n = opened.export_predictions(target, format=format, overwrite=force)
            else:
                n = opened.export(target, include_retracted=include_retracted, format=format, overwrite=force)
            what = "predictions" if predictions else "rows"
            console.print(f"Wrote {n:,} {what} to {'standard output' if output == '-' else output}.")
        if model is not None:
            saved = opened.save_model(model, overwrite=force)
            console.print(
                f"Saved the model (trained on {saved['n_train']:,} labels) to {model}. It is a pickle: "
                "loading it runs code from the file, so load only model files you trust. In Python: "
                "bundle = pickle.load(open(PATH, 'rb')); "
                "bundle['model'].predict_proba(bundle['featurizer'].transform_matrix(texts))."
            )


#: ``hilt config`` keys: what each value is read as.
CONFIG_KEYS = {
    "strategy": "a strategy name or mix, as for hilt init --strategy",
    "retrain_every": "a whole number >= 1",
    "eval_share": "a number from 0 to 0.9",
    "lease_seconds": "a number of seconds >= 1",
    "labels": "all current labels plus new ones, comma-separated",
    "rename": "OLD:NEW, renaming a label and its answers",
    "image_columns": "auto, off, or the columns that are an image's pixels in row-major order (names or "
                     "patterns such as px*, comma-separated)",
}


def image_words(project: Any) -> str:
    """What ``hilt config`` says of the image setting: whether rows are drawn as a picture.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.project.image_view import ImageView
    >>> image_words(SimpleNamespace(image_columns="auto", image_view=ImageView(2, ("a", "b", "c", "d"))))
    'auto: 2x2 pixels, a … d'
    >>> image_words(SimpleNamespace(image_columns="off", image_view=None))
    'off'
    """
    setting = project.image_columns
    view = project.image_view
    said = setting if isinstance(setting, str) else ",".join(setting)
    if view is None:
        return said if setting == "off" else f"{said}: no image (the rows are listed)"
    return f"{said}: {view.side}x{view.side} pixels, {view.pixels[0]} … {view.pixels[-1]}"


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``["retrain_every=5", "rename=neg:negative"]`` -> keyword arguments of ``Project.configure``.

    Examples
    --------
    >>> from hilt.cli.project_commands import parse_settings
    >>> parse_settings(["retrain_every=5", "eval_share=0.2", "rename=neg:negative"])
    {'retrain_every': 5, 'eval_share': 0.2, 'rename': ('neg', 'negative')}
    """
    valid = "; ".join(f"{key} ({what})" for key, what in CONFIG_KEYS.items())
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in CONFIG_KEYS:
            raise InputError(f"Expected settings as KEY=VALUE with KEY one of: {valid}. Got {pair!r}.")
        value = value.strip()
        try:
            if key == "retrain_every":
                changes[key] = int(value)
            elif key in ("eval_share", "lease_seconds"):
                changes[key] = float(value)
            elif key == "labels":
                changes[key] = parse_labels(value)
            elif key == "rename":
                old, colon, new = value.partition(":")
                if not colon:
                    raise ValueError(value)
                changes[key] = (old.strip(), new.strip())
            else:
                changes[key] = value
        except InputError:
            raise
        except ValueError:  # int("x"), float("x"), a rename without a colon
            raise InputError(f"Expected {key} to be {CONFIG_KEYS[key]}; got {value!r}.") from None
    return changes


def init_settings(project: Any) -> dict[str, str]:
    """The settings ``hilt config`` shows but cannot change (made at ``hilt init``): the features,
    the overlap and how many people label each overlapped item."""
    shared = project.overlap or {}
    return {
        "features": str(project.featurizer.name),
        "overlap": f"{shared['share']:g} of items" if shared else "0 (each item is labelled once)",
        "annotators_per_item": str(shared["annotators_per_item"]) if shared else "1",
    }


@app.command("config")
@user_errors
def config(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    settings: Optional[list[str]] = typer.Argument(
        None, metavar="[KEY=VALUE]...",
        help="Settings to change: strategy, retrain_every, eval_share, lease_seconds, labels (add labels: "
        "labels=pos,neg,meh), rename (rename=neg:negative renames a label and its answers), image_columns "
        "(auto: rows of pixels such as px0..px783 or pixel_0_0..pixel_7_7 are drawn as an image; off; "
        "or the pixel columns, e.g. image_columns='px*').",
    ),
) -> None:
    """Show a project's settings, or change them (each change is recorded in the project).

    Example: hilt config reviews.hilt retrain_every=20 labels=pos,neg,meh

    Example: hilt config digits.hilt image_columns=off
    """
    location = project_location(project)
    changes = parse_settings(settings or [])
    image = changes.pop("image_columns", None)
    with _open(location) as opened:
        before = opened.settings()
        image_before = image_words(opened)
        if image is not None:  # drawn from the file on every page: no retrain, no restart
            opened.set_image_columns(image)
        after = opened.configure(**changes) if changes else {**before, "renamed": 0}
        image_after = image_words(opened)
        fixed = init_settings(opened)
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key in ("labels", "strategy", "retrain_every", "eval_share", "lease_seconds"):
        value = ", ".join(after[key]) if key == "labels" else str(after[key])
        table.add_row(key, value + ("  (changed)" if after[key] != before[key] else ""))
    table.add_row("image_columns", image_after + ("  (changed)" if image_after != image_before else ""))
    for key, value in fixed.items():
        table.add_row(key, f"{value}  (set at hilt init)")
    stdout.print(table)
    if changes or image is not None:
        console.print(f"Saved in {display_location(location)}"
                      + (f"; {after['renamed']:,} answers renamed" if "rename" in changes else "")
                      + ". A running hilt serve uses the new settings after a restart.")

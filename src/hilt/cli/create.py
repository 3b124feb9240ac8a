"""``hilt init`` and ``hilt import``: a project made from a data file, and more items added to it.

Each command opens the project, calls one :class:`hilt.project.Project` method and prints
what happened. Messages for the person go to stderr (``console``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from hilt.cli._features import warm_features
from hilt.cli._progress import ImportProgress
from hilt.cli._project import PROJECT_HELP, SCHEDULER_HELP, display_location, open_project, project_location, quoted
from hilt.cli.app import app, console, user_errors
from hilt.errors import ConflictError, InputError
from hilt.store.location import ProjectLocation

__all__ = ["import_notes", "open_light", "parse_columns", "parse_labels"]


def parse_labels(text: str, minimum: int = 2) -> list[str]:
    """``"pos, neg,meh"`` -> ``["pos", "neg", "meh"]``; at least ``minimum`` (two; one for a
    spans project) distinct, non-empty labels.

    Examples
    --------
    >>> from hilt.cli.create import parse_labels
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
    if len(labels) < minimum or not labels:
        raise InputError(f"Expected at least {'two labels' if minimum > 1 else 'one label'} separated by commas "
                         f"(--labels pos,neg); got {text!r}.")
    if len(set(labels)) != len(labels):
        raise InputError(f"Expected distinct labels; got {text!r}.")
    return labels


def parse_columns(text: str | None, option: str) -> list[str] | None:
    """``"age, stars"`` -> ``["age", "stars"]`` (``None`` stays ``None``: the option was not given).

    Examples
    --------
    >>> from hilt.cli.create import parse_columns
    >>> parse_columns("age, stars", "--show-columns")
    ['age', 'stars']
    """
    if text is None:
        return None
    columns = [part.strip() for part in text.split(",")]
    if not all(columns):
        raise InputError(f"Expected column names separated by commas ({option} age,stars); got {text!r}.")
    return columns



def open_light(location: ProjectLocation):
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
    suggestion_column: Optional[str] = typer.Option(
        None, help="Column of another model's answers, imported as suggestions people accept or correct (never "
        "labels, never shown as a column, never a feature).",
    ),
    suggestion_score_column: Optional[str] = typer.Option(
        None, help="Column of that model's confidence, 0 to 1 (orders the cold start: least confident first).",
    ),
    suggestion_source: Optional[str] = typer.Option(
        None, help="That model's name, shown as 'suggested by NAME' (default: the suggestion column's name).",
    ),
    task: str = typer.Option(
        "single", "--task",
        help="What an answer is: single (one label per item), multilabel (a set of labels; [] = none of these) "
        "or spans (labelled stretches of the text, e.g. named entities; a --label-column cell holds a JSON list "
        "of {start, end, label} code-point offsets).",
    ),
    label_separator: Optional[str] = typer.Option(
        None, "--label-separator", metavar="SEP", show_default=False,
        help="Multilabel: what joins the labels of a --label-column cell (default ';'; a JSON array is read as one).",
    ),
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

    Example: hilt init news.hilt --data news.csv --labels sport,politics,tech --task multilabel --label-column tags
    """
    location = project_location(project)
    options: dict[str, Any] = dict(
        task=task,
        label_separator=label_separator,
        text_column=text_column,
        id_column=id_column,
        label_column=label_column,
        suggestion_column=suggestion_column,
        suggestion_score_column=suggestion_score_column,
        suggestion_source=suggestion_source,
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
    parsed = parse_labels(labels, 1 if task.strip() == "spans" else 2)  # a typo is reported before the data is read
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
        f"Created {display_location(location)}: {status.n_items:,} {status.kind} items, labels "
        f"{', '.join(status.labels)}, strategy {status.strategy}, features {status.features}"
        + (f", task {status.task}" if status.task != "single" else "")
        + (f", {status.n_answered:,} already labelled" if status.n_answered else "")
        + "."
    )
    for line in import_notes(report):
        console.print(line)
    if "suggestions" in report:
        n = report["suggestions"]
        console.print(f"{n:,} suggestion{'s' if n != 1 else ''} stored from {suggestion_column!r} "
                      "(shown to annotators before they answer; never labels).")
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
    >>> from hilt.cli.create import import_notes
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
    suggestion_column: Optional[str] = typer.Option(
        None, help="Column of another model's answers, imported as suggestions people accept or correct (never "
        "labels, never shown as a column, never a feature).",
    ),
    suggestion_score_column: Optional[str] = typer.Option(
        None, help="Column of that model's confidence, 0 to 1 (orders the cold start: least confident first).",
    ),
    suggestion_source: Optional[str] = typer.Option(
        None, help="That model's name, shown as 'suggested by NAME' (default: the suggestion column's name).",
    ),
    label_separator: Optional[str] = typer.Option(
        None, "--label-separator", metavar="SEP", show_default=False,
        help="Multilabel projects: what joins the labels of a --label-column cell (default ';').",
    ),
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
    if suggestion_column is not None or suggestion_score_column is not None or suggestion_source is not None:
        options.update(suggestion_column=suggestion_column, suggestion_score_column=suggestion_score_column,
                       suggestion_source=suggestion_source)
    if label_separator is not None:
        options["label_separator"] = label_separator
    if drop_duplicate_ids:
        options["drop_duplicate_ids"] = True
    if encoding.lower() not in ("utf-8", "utf8"):
        options["encoding"] = encoding
    with open_light(location) as opened, ImportProgress(console, data.name) as progress:
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
    if "suggestions" in result:
        n = result["suggestions"]
        console.print(f"{n:,} suggestion{'s' if n != 1 else ''} stored from {suggestion_column!r}.")
    for line in import_notes(result):
        console.print(line)

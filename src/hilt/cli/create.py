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

#: The --format option's help (hilt init, hilt import).
FORMAT_HELP = ("Another tool's file: label-studio (a Label Studio JSON export), label-studio-min (JSON_MIN), "
               "prodigy (Prodigy JSON lines, db-out) or hf (a Hugging Face dataset: a save_to_disk folder or a "
               ".parquet file). Its annotations become answers by their annotators, its predictions suggestions.")

__all__ = ["FORMAT_HELP", "format_notes", "import_notes", "open_light", "parse_columns", "parse_labels"]


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


#: The help of the suggestion options ``hilt init`` and ``hilt import`` share.
SUGGESTION_HELP = {
    "column": "Column of another model's answers, imported as suggestions people accept or correct (never labels, "
              "never shown as a column, never a feature).",
    "score": "Column of that model's confidence, 0 to 1 (orders the cold start: least confident first).",
    "source": "That model's name, shown as 'suggested by NAME' (default: the suggestion column's name).",
}


@app.command()
@user_errors
def init(
    project: str = typer.Argument(
        ..., metavar="PROJECT", show_default=False,
        help="The project file to create (e.g. reviews.hilt), or the URL of an empty PostgreSQL database "
        "(postgresql://USER:PASSWORD@HOST:PORT/DATABASE) to keep the project in.",
    ),
    data: Path = typer.Option(..., "--data", "-d", help="Items to label: .csv, .tsv, .jsonl or .parquet (or "
                              "another tool's file: see --format)."),
    labels: Optional[str] = typer.Option(
        None, "--labels", "-l", show_default=False,
        help="The labels, comma-separated: pos,neg (with --format: default, the labels the file names).",
    ),
    format: Optional[str] = typer.Option(
        None, "--format", show_default=False, help=FORMAT_HELP,
    ),
    text_column: Optional[str] = typer.Option(None, help="Column holding the text (default: the only string column, or 'text')."),
    id_column: Optional[str] = typer.Option(None, help="Column of unique item ids (default: the row number)."),
    label_column: Optional[str] = typer.Option(None, help="Column of labels already known (empty cells: unlabelled; "
                                               "--format label-studio-min: the key holding the answers)."),
    suggestion_column: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["column"]),
    suggestion_score_column: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["score"]),
    suggestion_source: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["source"]),
    task: Optional[str] = typer.Option(
        None, "--task", show_default=False,
        help="What an answer is: single (one label per item), multilabel (a set of labels; [] = none of these) "
        "or spans (labelled stretches of the text, e.g. named entities; a --label-column cell holds a JSON list "
        "of {start, end, label} code-point offsets). Default: single; with --format, what the file's answers fit.",
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
        "(default tfidf+embeddings), scale for tables (the default); your own vectors: vectors:COLUMN (a column "
        "of lists of numbers), vectors:FILE.npz (arrays ids and vectors, aligned by item id), or "
        "tfidf+vectors:COLUMN beside TF-IDF of the text.",
    ),
    image_column: Optional[str] = typer.Option(
        None, "--image-column", metavar="COLUMN", show_default=False,
        help="Column of image files (paths relative to --image-folder) or http(s) URLs, shown as the image on "
        "the labelling and review pages (never the text nor a feature).",
    ),
    image_folder: Optional[Path] = typer.Option(
        None, "--image-folder", metavar="DIR", show_default=False,
        help="The folder the --image-column paths are relative to; hilt serve serves images only from it.",
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

    Example: hilt init ner.hilt --data export.json --format label-studio

    Example: hilt init photos.hilt --data photos.jsonl --labels cat,dog --features vectors:emb --image-column file --image-folder photos/
    """
    location = project_location(project)
    if format is not None:
        from hilt.importing.formats import check_format

        check_format(format)  # a misspelt format is refused before anything is read
    elif labels is None:
        raise InputError("Expected the labels: --labels pos,neg (or --format FORMAT for a Label Studio, Prodigy or "
                         "Hugging Face file, whose labels are read from it).")
    options: dict[str, Any] = dict(
        task=task or "single",
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
    if image_column is not None or image_folder is not None:
        options.update(image_column=image_column, image_folder=image_folder)
    if encoding.lower() not in ("utf-8", "utf8"):
        options["encoding"] = encoding
    # A typo is reported before the data is read.
    parsed = None if labels is None else parse_labels(labels, 1 if format or (task or "").strip() == "spans" else 2)
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
    if format is not None:
        # --label-column names JSON_MIN's answer key; anything else the library checks (--id-column is refused).
        options = {k: v for k, v in options.items() if k != "label_column" and v is not None}
        options["task"] = task
        created = Project.create_from_format(location, data, format, parsed, label_key=label_column,
                                             scheduler=scheduler, **options)
    else:
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
        featurizer = created.featurizer
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
    if "format" in report:
        for line in format_notes(report["format"]):
            console.print(line)
    if "suggestions" in report:
        n = report["suggestions"]
        console.print(f"{n:,} suggestion{'s' if n != 1 else ''} stored from {suggestion_column!r} "
                      "(shown to annotators before they answer; never labels).")
    if on_cluster:
        console.print(f"Features built on the Dask cluster at {on_cluster}; give --scheduler {on_cluster} "
                      "(or set HILT_DASK_SCHEDULER) to hilt serve, hilt label and hilt retrain to use them.")
    own = getattr(featurizer, "check_import", None) is not None  # the items' own vectors
    console.print(
        f"The model uses: your vectors ({status.features})." if own else
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


def format_notes(report: Any) -> list[str]:
    """Lines on what an import of another tool's file did (a
    :class:`~hilt.project.results.FormatImport`): what was read from the file, the answers by
    their annotators, the skips and the suggestions.

    Examples
    --------
    >>> from hilt.project.results import FormatImport
    >>> for line in format_notes(FormatImport("prodigy", "single", ["a", "b"], True, True, 3, 0, 3, 0, 1, 1, 0, [])):
    ...     print(line)
    Labels read from the file: a, b (give --labels to choose them).
    Task read from the file: single (give --task to choose it).
    3 answers stored by their annotators (1 a skip; 1 a Prodigy reject stored as the other label).
    """
    lines = []
    if report.labels_from_file:
        lines.append(f"Labels read from the file: {', '.join(report.labels)} (give --labels to choose them).")
    if report.task_from_file:
        lines.append(f"Task read from the file: {report.task} (give --task to choose it).")
    notes = [f"{report.skips:,} a skip" if report.skips else "",
             f"{report.rejected:,} a Prodigy reject stored as the other label" if report.rejected else ""]
    notes = [note for note in notes if note]
    lines.append(f"{report.answers:,} answer{'s' if report.answers != 1 else ''} stored by their annotators"
                 + (f" ({'; '.join(notes)})" if notes else "")
                 + (f"; {report.repeated:,} already stored by an earlier import" if report.repeated else "") + ".")
    if report.suggestions:
        lines.append(f"{report.suggestions:,} predictions stored as suggestions (never labels), from "
                     f"{', '.join(report.sources)}.")
    return lines


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
    label_column: Optional[str] = typer.Option(None, help="Column of labels already known (--format "
                                               "label-studio-min: the key holding the answers)."),
    format: Optional[str] = typer.Option(None, "--format", show_default=False, help=FORMAT_HELP),
    suggestion_column: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["column"]),
    suggestion_score_column: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["score"]),
    suggestion_source: Optional[str] = typer.Option(None, help=SUGGESTION_HELP["source"]),
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

    Example: hilt import reviews.hilt prodigy_db.jsonl --format prodigy
    """
    location = project_location(project)
    if format is not None:
        from hilt.importing.formats import check_format

        check_format(format)
        if label_separator is not None or drop_duplicate_ids or encoding.lower() not in ("utf-8", "utf8"):
            raise InputError(f"Expected no --label-separator, --drop-duplicate-ids or --encoding with --format {format}: "
                             "the format says how answers are written, ids are unique and the text is UTF-8.")
        with open_light(location) as opened:
            report = opened.import_format(data, format, label_key=label_column)
        console.print(f"Imported {data} ({format}) into {display_location(location)}: {report.added:,} items added"
                      + (f", {report.existing:,} already in the project" if report.existing else "") + ".")
        for line in format_notes(report):
            console.print(line)
        return
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

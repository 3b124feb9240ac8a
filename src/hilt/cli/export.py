"""``hilt export``: a project's labels, its model's predictions or the trained model, to files."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

import typer

from hilt.cli._project import PROJECT_HELP, project_location
from hilt.cli.app import app, console, user_errors
from hilt.cli.create import open_light
from hilt.errors import InputError


@app.command()
@user_errors
def export(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    output: Optional[str] = typer.Option(
        None, "--output", "-o", metavar="FILE",
        help="Where to write: a .jsonl, .csv or .parquet file (a spans project also .conll: IOB2 tags), or - "
        "for standard output (JSON lines; --format csv for CSV).",
    ),
    format: Optional[str] = typer.Option(
        None, "--format", help="jsonl, csv, parquet or conll (spans projects; default: from the file name), or "
        "another tool's: label-studio or label-studio-min (a .json file), prodigy (.jsonl), hf (a folder for "
        "save_to_disk, or a .parquet file).",
    ),
    include_retracted: bool = typer.Option(
        False, "--all", help="Write every answer instead: each annotator's answers (several per item with "
        "--overlap), reviewers' decisions and retracted (undone) answers, with the columns role (annotate or "
        "review), retracted and batch (the group of a bulk labelling, empty for answers given one by one).",
    ),
    predictions: bool = typer.Option(
        False, "--predictions", help="Write the model's predicted label and probability for every item "
        "instead of the labels (a fresh fit on all training labels).",
    ),
    model: Optional[Path] = typer.Option(
        None, "--model", metavar="FILE", help="Also save the trained model (with its featurizer) as a pickle "
        "file. Loading a pickle runs code from it: share it only with people who trust you.",
    ),
    label_separator: str = typer.Option(
        ";", "--label-separator", metavar="SEP",
        help="Multilabel projects: what joins an item's labels in CSV (JSON lines and Parquet hold lists).",
    ),
    one_hot: bool = typer.Option(
        False, "--one-hot", help="Multilabel projects: also a 0/1 column label_NAME per label.",
    ),
    force: bool = typer.Option(False, "--force", help="Replace existing output files."),
) -> None:
    """Write the labels out, one row per labelled item, with who labelled it and when; or the
    model's predictions for every item (--predictions); or the trained model (--model).

    An item's label is its final one: a reviewer's latest decision, else the majority of its
    annotators (a tie: the earliest answer), else its single answer. --all writes every answer.

    A multi-label project writes each item's set of labels: a list in JSON lines and Parquet, the
    labels joined by --label-separator in CSV ([] for "none of these"); --predictions gives one
    probability column per label.

    A spans project writes each item's spans as a list of {start, end, label} (code-point offsets
    into the text) in JSON lines and Parquet, as JSON text in CSV, and as IOB2 tags over hilt's
    tokens in a .conll file (one token and its tag per line, a blank line between items).

    Example: hilt export reviews.hilt -o labels.csv

    Example: hilt export people.hilt -o entities.conll

    Example: hilt export news.hilt -o labels.csv --one-hot

    Example: hilt export reviews.hilt -o for_label_studio.json --format label-studio
    """
    import sys

    location = project_location(project)
    if output is None and model is None:
        raise InputError("Expected where to write: -o FILE (or -o - for standard output), --model FILE, or both.")
    with open_light(location) as opened:
        if output is not None:
            target: Any = sys.stdout if output == "-" else Path(output)
            if predictions:
                if one_hot:
                    raise InputError("Expected --one-hot with the labels, not with --predictions (they have one "
                                     "probability column per label already).")
                n = opened.export_predictions(target, format=format, overwrite=force, label_separator=label_separator)
            else:
                n = opened.export(target, include_retracted=include_retracted, format=format, overwrite=force,
                                  label_separator=label_separator, one_hot=one_hot)
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

"""``hilt suggestions``: another model's predictions as suggestions (pre-annotations).

Thin commands over :meth:`hilt.Project.import_suggestions_file` and
:meth:`hilt.Project.suggestion_rows`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from hilt.cli._project import PROJECT_HELP, display_location, project_location
from hilt.cli.app import app, console, user_errors
from hilt.cli.create import open_light

__all__ = ["suggestions_app"]

suggestions_app = typer.Typer(help="Another model's predictions as suggestions that people accept or correct.",
                              no_args_is_help=True)
app.add_typer(suggestions_app, name="suggestions")


@suggestions_app.command("import")
@user_errors
def import_suggestions(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    data: Path = typer.Argument(..., metavar="FILE", help="The predictions: .csv, .tsv, .jsonl or .parquet."),
    id_column: str = typer.Option(..., "--id-column", help="Column of the items' ids (as the project has them)."),
    label_column: str = typer.Option(
        ..., "--label-column",
        help="Column of the model's answers, read like hilt init's --label-column (empty: no suggestion).",
    ),
    score_column: Optional[str] = typer.Option(
        None, "--score-column", help="Column of the model's confidence, 0 to 1 (it orders the cold start).",
    ),
    source: Optional[str] = typer.Option(
        None, "--source", help="The model's name, shown as 'suggested by NAME' (default: the label column's name).",
    ),
    label_separator: Optional[str] = typer.Option(
        None, "--label-separator", metavar="SEP", show_default=False,
        help="Multilabel projects: what joins the labels of a cell (default ';'; a JSON array is read as one).",
    ),
    encoding: str = typer.Option("utf-8", help="Text encoding of a CSV/JSON file, e.g. latin-1."),
) -> None:
    """Import another model's predictions as suggestions: shown to annotators before they answer, accepted
    with one key, never counted as labels. Importing the same --source again replaces its suggestions.

    Example: hilt suggestions import reviews.hilt predictions.csv --id-column id --label-column pred --score-column p --source zero-shot
    """
    location = project_location(project)
    with open_light(location) as opened:
        n = opened.import_suggestions_file(data, id_column=id_column, label_column=label_column,
                                           score_column=score_column, source=source,
                                           label_separator=label_separator, encoding=encoding)
        status = opened.status()
    console.print(f"Imported {n:,} suggestion{'s' if n != 1 else ''} from {data} into {display_location(location)}; "
                  f"{status.suggestions.n_items:,} items have one.")
    if not status.runs and score_column and status.strategy != "random":
        console.print("Until the first model run, items are served least confident suggestion first.")

"""``hilt agreement`` and ``hilt label-issues``: how far a project's labels can be trusted.

``agreement`` reads the project's store alone (as ``hilt status`` does: no model libraries to
import); ``label-issues`` opens the project, since finding likely errors fits its model.
"""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from hilt.cli._project import (
    PROJECT_HELP,
    SCHEDULER_HELP,
    display_location,
    open_project,
    project_location,
    quoted,
    short_name,
)
from hilt.cli.app import app, console, stdout, user_errors
from hilt.cli.status import alpha_words
from hilt.project.export import json_text
from hilt.project.results import Agreement

#: Characters of an item's text a table row shows.
TEXT_WIDTH = 60


@app.command("agreement")
@user_errors
def agreement_command(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON (for scripts)."),
) -> None:
    """How far annotators agree on the items two or more labelled.

    Needs a project made with --overlap (see hilt init --help). Krippendorff's alpha over all
    those items; per annotator, how often they agree with the others' majority; per pair of
    annotators with 10 or more shared items, Cohen's kappa.

    Example: hilt agreement reviews.hilt
    """
    from hilt.project.status import read_status

    location = project_location(project)
    status = read_status(location)
    report = status.agreement
    if as_json:
        typer.echo(json_text(report.to_dict(), indent=2))
        return
    if not report.n_items:
        console.print(_no_overlap_message(display_location(location), status.overlap))
        return
    for renderable in agreement_tables(report, title=display_location(location)):
        stdout.print(renderable)


def _no_overlap_message(project: str, shared: dict | None) -> str:
    """Why there is nothing to show yet: no overlap in this project, or not yet labelled twice."""
    if shared:
        return (
            f"No item has answers from two people yet. {project} sends about "
            f"{round(100 * shared['share'], 1):g} % of items to {shared['annotators_per_item']} different "
            "annotators each; agreement shows here once two or more people have labelled some of them."
        )
    return (
        f"No item has answers from two people yet: {project} gives every item to one person, so there is "
        "no agreement to measure. To measure it, create the project with --overlap, e.g. hilt init NEW.hilt "
        "--data FILE --labels LABELS --overlap 0.1 --annotators-per-item 2 (a tenth of the items then go to "
        "two different annotators)."
    )


def agreement_tables(report: Agreement, title: str = "project") -> list[Any]:
    """Rich renderables for an agreement report (``status().agreement``): the overview, then
    the annotators (least agreeing first) and the pairs."""
    overview = Table(show_header=False)
    overview.add_column(style="bold")
    overview.add_column()
    overview.add_row("items labelled by 2+ people", f"{report.n_items:,}")
    overview.add_row("Krippendorff's alpha" + (" (MASI distance between sets)" if report.per_label is not None else ""),
                     alpha_words(report.alpha))
    for label, alpha in (report.per_label or {}).items():  # multi-label: each label's yes/no
        overview.add_row(f"  alpha of {label}", alpha_words(alpha))
    renderables: list[Any] = [Text(title, style="bold"), overview]

    annotators = Table(title="annotators (least agreeing first)")
    annotators.add_column("annotator")
    annotators.add_column("shared items", justify="right")
    annotators.add_column("agrees with the others", justify="right")
    ranked = sorted(report.by_annotator.items(), key=lambda pair: (pair[1].agree, -pair[1].n_items, pair[0]))
    for name, figures in ranked:
        annotators.add_row(name, f"{figures.n_items:,}", f"{100 * figures.agree:.1f} %")
    renderables.append(annotators)

    pairs = report.pairs
    if pairs:
        table = Table(title="pairs")
        table.add_column("pair")
        table.add_column("shared items", justify="right")
        table.add_column("Cohen's kappa", justify="right")
        for key, figures in sorted(pairs.items(), key=lambda pair: (_none_last(pair[1].kappa), pair[0])):
            kappa = figures.kappa
            shown = "-" if kappa is None else f"{kappa:.3f}"
            table.add_row(key.replace("|", " & "), f"{figures.n_items:,}", shown)
        renderables.append(table)
    else:
        renderables.append(Text("pairs: none with 10 or more shared items yet (a kappa over fewer says little)."))
    renderables.append(Text("\"agrees with the others\": how often an annotator's label is the majority label of the "
                            "other people on the same item."))
    return renderables


def _none_last(value: float | None) -> float:
    return float("inf") if value is None else value


@app.command("label-issues")
@user_errors
def label_issues_command(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    limit: int = typer.Option(50, "--limit", "-n", help="Show at most this many items (most likely errors first)."),
    as_json: bool = typer.Option(False, "--json", help="Print the rows as JSON (for scripts)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP,
                                            show_default=False),
) -> None:
    """Labelled items whose label is likely wrong, most likely first.

    Every label is checked by a copy of the project's model trained without it (5 folds);
    items whose annotators disagree come too. score: 0 to 1, higher is more likely wrong;
    suggested: the label the model prefers. Items a reviewer decided are left out.

    A multi-label project's issues are (item, label) pairs: "label" is the item's set with the
    doubted label marked (* after it), "suggested" the set with that label flipped.

    Example: hilt label-issues reviews.hilt --limit 20
    """
    location = project_location(project)
    # With a scheduler, only the labelled items' feature rows come from its workers.
    with open_project(location, scheduler=scheduler) as opened:
        status = opened.status()
        with console.status("Looking for likely label errors (a model fit per fold)..."):
            rows = opened.label_issues(limit=limit)
        texts = _item_texts(opened, [row.item_id for row in rows]) if rows and not as_json else {}
    if as_json:
        typer.echo(json_text([row.to_dict() for row in rows], indent=2))
        return
    if not rows:
        kinds = sum(1 for n in status.by_label.values() if n)
        if kinds < 2:
            console.print(f"No label issues to look for yet: {display_location(location)} needs labels of at "
                          f"least two kinds (it has {kinds}).")
        else:
            console.print(f"No likely label errors found in {display_location(location)}: the model agrees with "
                          "every label it was not trained on, and no annotators disagree.")
        return
    headers = ("item", "text", "label", "suggested", "score", "annotator", "disagree")
    cells = [(str(row.item_id), texts.get(row.item_id, ""), _answer_cell(row.label, row.issue_label),
              _answer_cell(row.suggested, row.issue_label), f"{row.score:.2f}", str(row.annotator),
              "yes" if row.disagreement else "") for row in rows]
    # The text gets the width the other columns leave (each cell has a border and two spaces).
    others = sum(max(len(headers[i]), *(len(cell[i]) for cell in cells)) for i in range(len(headers)) if i != 1)
    room = max(12, min(TEXT_WIDTH, stdout.width - others - 3 * len(headers) - 1))
    table = Table(title=f"likely label errors in {short_name(location)}, most likely first")
    longest_id = max(len(cell[0]) for cell in cells)
    for header in headers:
        if header == "item":
            # An id is for copying: never cut it with an ellipsis. It keeps its full width (the
            # text gives way); on a terminal narrower than the id itself it folds onto a second
            # line whole rather than lose characters.
            table.add_column(header, min_width=longest_id, overflow="fold")
        else:
            table.add_column(header, no_wrap=True, justify="right" if header == "score" else "left")
    for cell in cells:
        table.add_row(*cell[:1], _shorten(cell[1], room), *cell[2:])
    stdout.print(table)
    console.print(
        f"{len(rows):,} item{'s' if len(rows) != 1 else ''} shown. A reviewer settles them on the review page "
        f"(add one: hilt annotator add {quoted(location)} NAME --reviewer, then hilt serve)."
    )


def _shorten(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters, the cut marked with an ellipsis.

    Examples
    --------
    >>> _shorten("a warm, funny film", 10)
    'a warm, f\u2026'
    """
    return text if len(text) <= width else text[: width - 1] + "\u2026"


def _item_texts(project: Any, item_ids: list[str]) -> dict[str, str]:
    """A short text per item: its text column, or the first columns annotators see, on one line."""
    frame = project.labelled_items()
    shown = [column for column in project.shown_columns if column in frame.columns]
    if project.text_column and project.text_column in frame.columns:
        shown = [project.text_column]
    texts = {}
    for key in item_ids:
        if key not in frame.index:
            continue
        row = frame.loc[key]
        if len(shown) == 1:
            value = str(row[shown[0]])
        else:
            value = ", ".join(f"{column}={row[column]}" for column in shown[:4])
        texts[key] = " ".join(value.split())
    return texts


def _answer_cell(answer: object, doubted: str | None) -> str:
    """A label, or a multi-label set with the doubted label starred: ``red*, car`` (``{}`` for none).

    Examples
    --------
    >>> _answer_cell("pos", None), _answer_cell(["red", "car"], "red"), _answer_cell([], "car")
    ('pos', 'red*, car', '{}')
    """
    if not isinstance(answer, list):
        return str(answer)
    return ", ".join(f"{label}*" if label == doubted else label for label in answer) or "{}"

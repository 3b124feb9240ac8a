"""``hilt status`` and ``hilt retrain``: how far labelling has come, and a model run now.

Both print a project's :class:`~hilt.project.results.Status` (its counts, model runs and
agreement), read by attribute. What a script may want to read (``--json``, the status tables)
goes to stdout; messages for the person to stderr.
"""

from __future__ import annotations

import dataclasses
import shlex
from typing import Any, Optional

import typer
from rich.table import Table
from rich.text import Text

from hilt.cli._features import warm_features
from hilt.cli._project import (
    PROJECT_HELP,
    SCHEDULER_HELP,
    default_scheduler,
    display_location,
    open_project,
    project_location,
    quoted,
)
from hilt.cli.app import app, console, stdout, user_errors
from hilt.project.results import Agreement, AnnotatorAgreement, RunSummary, Status, SuggestionSummary
from hilt.project.timing import seconds_text as seconds_cell  # the dashboard writes times the same way

__all__ = ["agreement_block", "alpha_words", "eval_line", "seconds_cell", "status_tables", "suggestions_block",
           "weakest_annotator"]


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
    info = dataclasses.replace(info, scheduler=info.scheduler or default_scheduler())
    if as_json:
        from hilt.project.export import json_text  # strict JSON: a missing number is null

        typer.echo(json_text(info.to_dict(), indent=2, default=str))
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
        before = len(opened.status().runs)
        opened.retrain(wait=True)
        seconds = time.perf_counter() - started
        info = opened.status()
    runs = info.runs
    run = runs[-1] if len(runs) > before else None
    where = f"on the Dask cluster at {on}" if on else "in this process"
    if as_json:
        from hilt.project.export import json_text

        typer.echo(json_text({"retrained": run is not None, "run": None if run is None else run.to_dict(),
                              "n_runs": len(runs), "scheduler": on,
                              "features": source, "seconds": round(seconds, 3)}, indent=2, default=str))
    if run is None:
        known = [label for label, n in info.by_label.items() if n]
        if len(known) < 2:
            why = (f"the model needs answers with at least two different labels ({len(known)} so far: "
                   f"{', '.join(known) or 'none'}). Label some: hilt label {quoted(location)}")
        else:
            why = ("another process (a hilt serve or hilt label) is retraining this project right now; "
                   "its ranking is served.")
        console.print(f"No model run: {why}")
        return
    accuracy = run.eval_accuracy
    measured = (f", eval accuracy {_accuracy_cell(accuracy, run.eval_ci)} on {run.n_eval or 0:,} items"
                if accuracy is not None else "")
    scored = "the pool scored there" if on else "the pool scored here"
    console.print(
        f"Retrained {display_location(location)} {where} on {run.n_train:,} labels{measured} "
        f"(run {len(runs)}, {seconds:.1f} s): features {describe_source(source, on)}, {scored}. "
        "Every hilt serve and hilt label over the project now serves the new ranking."
    )


def status_tables(info: Status, title: str = "project") -> list[Any]:
    """Rich renderables for a ``Project.status()``: overview, labels, annotators, model runs.

    The title (usually the project's path) is a line of its own, not a table title: a table
    title wraps at the table's width and would break a long path in the middle.
    """
    overview = Table(show_header=False)
    overview.add_column(style="bold")
    overview.add_column(justify="right")
    overview.add_row("kind", str(info.kind))
    overview.add_row("task", str(info.task))
    overview.add_row("strategy", str(info.strategy))
    overview.add_row("features", str(info.features))
    overview.add_row("items", f"{info.n_items:,}")
    overview.add_row("answered", f"{info.n_answered:,}")
    overview.add_row("skipped", f"{info.n_skipped:,}")
    overview.add_row("left", f"{info.n_left:,}")
    overview.add_row("evaluation sample", f"{info.n_eval:,}")
    spent = info.seconds
    if spent.median is not None:
        overview.add_row("median time per item", f"{seconds_cell(spent.median)} (over {spent.n_answers:,} timed answers)")
    if info.retraining:
        overview.add_row("model", "retraining now")
    if info.scheduler:
        overview.add_row("scheduler", str(info.scheduler))
    hook = info.webhook
    if hook is not None:  # the counts are this process's: a server's are in its /api/status
        sent = hook.delivered + hook.failed + hook.dropped
        overview.add_row("webhook", f"{hook.url} ({'signed' if hook.secret else 'unsigned'})" + (
            f", {hook.delivered:,} delivered, {hook.failed:,} failed, {hook.dropped:,} dropped" if sent else ""))
    tables: list[Any] = [Text(title, style="bold"), overview]
    if info.retrain_error:  # a line of its own: the table's right-aligned column would break it up
        tables.append(Text(f"The last retrain failed: {info.retrain_error}", style="yellow"))

    by_label = Table(title="labels")
    by_label.add_column("label")
    by_label.add_column("items", justify="right")
    timed = spent.by_label if spent.median is not None else None
    if timed is not None:
        by_label.add_column("median time", justify="right")
    counts = info.by_label
    for label in info.labels:
        by_label.add_row(str(label), f"{counts.get(label, 0):,}",
                         *([] if timed is None else [seconds_cell(timed.get(label))]))
    tables.append(by_label)

    if info.by_annotator:
        by_annotator = Table(title="annotators")
        by_annotator.add_column("annotator")
        by_annotator.add_column("answers", justify="right")
        if timed is not None:
            by_annotator.add_column("median time", justify="right")
        for name, n in sorted(info.by_annotator.items(), key=lambda pair: -pair[1]):
            by_annotator.add_row(str(name), f"{n:,}",
                                 *([] if timed is None else [seconds_cell(spent.by_annotator.get(name))]))
        tables.append(by_annotator)

    tables.extend(suggestions_block(info.suggestions))

    runs = info.runs
    if not runs:
        from hilt.strategies import get_strategy

        spread = get_strategy(str(info.strategy)).cold_uses_features
        seeded = info.suggestions.n_items and info.strategy != "random"
        tables.append(Text("model runs: none yet (cold start: "
                           + ("cluster representatives of the pool)" if spread else
                              "items with a suggestion first, least confident first)" if seeded else
                              "items come at random)")))
        return tables
    model_runs = Table(title="model runs")
    model_runs.add_column("#", justify="right")
    model_runs.add_column("labels", justify="right")
    multilabel = info.task == "multilabel"
    model_runs.add_column("eval micro-F1 (95 % CI)" if multilabel else "eval accuracy (95 % CI)", justify="right")
    model_runs.add_column("eval items", justify="right")
    model_runs.add_column("finished")
    for number, run in enumerate(runs, start=1):
        model_runs.add_row(
            str(number),
            f"{run.n_train:,}",
            _accuracy_cell(run.eval_accuracy, run.eval_ci),
            "-" if run.n_eval is None else f"{run.n_eval:,}",
            _short_time(run.finished_at),
        )
    tables.append(model_runs)
    line = eval_line(runs)
    if line:
        tables.append(Text(line))
    figures = figures_table(runs)
    if figures is not None:
        tables.append(figures)
    tables.extend(agreement_block(info.agreement, title))
    return tables


def suggestions_block(report: SuggestionSummary) -> list[Any]:
    """The status's suggestions table: how often people kept what another model suggested
    (nothing when the project has no suggestions)."""
    if not report.n_items:
        return []
    table = Table(title="suggestions")
    table.add_column("annotator")
    table.add_column("shown", justify="right")
    table.add_column("kept", justify="right")
    for name, row in report.by_annotator.items():
        table.add_row(str(name), f"{row.n_shown:,}", _share(row.n_kept, row.kept_share))
    table.add_row("all", f"{report.n_shown:,}", _share(report.n_kept, report.kept_share), style="bold")
    return [Text(f"{report.n_items:,} items have a suggestion"), table]


def _share(n: int, share: float | None) -> str:
    return f"{n:,}" if share is None else f"{n:,} ({share:.0%})"


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


def eval_line(runs: list[RunSummary]) -> str | None:
    """The latest run's accuracy on the evaluation sample with its 95 % interval, in words.

    Examples
    --------
    >>> from hilt.cli.status import eval_line
    >>> from hilt.project.results import RunSummary
    >>> def run(accuracy, ci, n_eval, n_train):
    ...     return RunSummary(n_train, accuracy, n_eval, "margin", "2026-12-07T10:00:00+00:00",
    ...                       "2026-12-07T10:00:01+00:00", ci)
    >>> eval_line([run(0.72, [0.612, 0.81], 45, 120)])
    'Latest eval accuracy 72.0 % (95 % CI 61.2\u201381.0 %) on 45 evaluation items.'
    >>> eval_line([run(None, None, 0, 10)]) is None
    True
    """
    measured = [run for run in runs if run.eval_accuracy is not None]
    if not measured:
        return None
    run = measured[-1]
    interval = _interval(run.eval_ci)
    n_eval = run.n_eval or 0
    return (f"Latest eval {'micro-F1' if run.metrics else 'accuracy'} {_percent(run.eval_accuracy)}"
            + (f" (95 % CI {interval})" if interval else "")
            + f" on {n_eval:,} evaluation item{'s' if n_eval != 1 else ''}.")


#: How ``hilt status`` names a multi-label run's figures.
FIGURE_NAMES = {"micro_f1": "micro-F1", "macro_f1": "macro-F1", "subset_accuracy": "subset accuracy",
                "hamming_loss": "Hamming loss (lower is better)"}


def figures_table(runs: list[RunSummary]) -> Table | None:
    """A multi-label project's latest measured run, every figure with its 95 % interval
    (``None`` for a single-label project, whose runs have the accuracy only)."""
    measured = [run for run in runs if run.metrics]
    if not measured:
        return None
    run = measured[-1]
    table = Table(title=f"latest evaluation ({run.n_eval:,} items)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("95 % CI", justify="right")
    for name, figure in run.metrics.items():
        table.add_row(FIGURE_NAMES.get(name, name), _percent(figure["value"]), _interval(figure["ci"]) or "-")
    return table


def alpha_words(alpha: float | None) -> str:
    """Krippendorff's alpha with what it means (his own thresholds: 0.8 and 0.667).

    Examples
    --------
    >>> from hilt.cli.status import alpha_words
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


def weakest_annotator(
    by_annotator: dict[str, AnnotatorAgreement],
) -> tuple[str, AnnotatorAgreement] | None:
    """The annotator who agrees least often with the others (on a tie: the one with more shared items).

    Examples
    --------
    >>> from hilt.cli.status import weakest_annotator
    >>> from hilt.project.results import AnnotatorAgreement
    >>> name, figures = weakest_annotator({"ann": AnnotatorAgreement(n_items=9, agree=0.9),
    ...                                    "bob": AnnotatorAgreement(n_items=8, agree=0.5)})
    >>> name, figures.n_items, figures.agree
    ('bob', 8, 0.5)
    """
    if not by_annotator:
        return None
    return min(by_annotator.items(), key=lambda pair: (pair[1].agree, -pair[1].n_items, pair[0]))


def agreement_block(report: Agreement, project: str) -> list[Any]:
    """The status's agreement table (nothing while no item has answers from two people)."""
    if not report.n_items:
        return []
    table = Table(title="agreement between annotators", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("items labelled by 2+ people", f"{report.n_items:,}")
    table.add_row("Krippendorff's alpha" + (" (MASI)" if report.per_label is not None else ""),
                  alpha_words(report.alpha))
    for label, alpha in (report.per_label or {}).items():
        table.add_row(f"  alpha of {label}", alpha_words(alpha))
    by_annotator = report.by_annotator
    if len(by_annotator) == 2:  # each agrees with "the others" exactly as often: say it once
        (first, figures), (second, _) = sorted(by_annotator.items())
        table.add_row("agree", f"{first} and {second} on {_percent(figures.agree)} of {figures.n_items:,} "
                      "shared items")
    elif len({figures.agree for figures in by_annotator.values()}) > 1:
        name, figures = weakest_annotator(by_annotator)  # type: ignore[misc]
        table.add_row("agrees least", f"{name}: with the others' majority on {_percent(figures.agree)} of "
                      f"{figures.n_items:,} shared items")
    return [table, Text(f"Per annotator and pair: hilt agreement {shlex.quote(project)}")]


def _short_time(stamp: str | None) -> str:
    """``2026-11-25T12:03:13.678185+00:00`` -> ``2026-11-25 12:03:13 UTC`` (fits a table cell)."""
    if not stamp:
        return "running"
    return stamp[:19].replace("T", " ") + (" UTC" if stamp.endswith("+00:00") else "")

"""A project's status: the one :class:`~hilt.project.results.Status` that :meth:`Project.status`
and ``hilt status`` show.

:func:`status_dict` builds it from the store; :func:`read_status` does so from the project's store
alone (its file or database), without building the featurizer or the model. That keeps ``hilt status`` to the store's
own libraries (SQLAlchemy, numpy): scikit-learn, pandas and the embeddings take about two
seconds to import, far longer than the status takes to read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hilt.project.results import Agreement, RunSummary, Status, SuggestionSummary, WebhookStatus
from hilt.project.timing import time_spent
from hilt.quality.agreement import agreement
from hilt.quality.intervals import wilson_interval
from hilt.store import IMPORT_ANNOTATOR, Store
from hilt.store.consensus import ANNOTATE

__all__ = ["features_name", "read_status", "status_dict"]

#: The columns of a model run that the status shows.
RUN_KEYS = ("n_train", "eval_accuracy", "n_eval", "strategy", "started_at", "finished_at")


def features_name(meta: dict) -> str:
    """The featurizer's name as the project recorded it (``tfidf`` or ``scale`` for projects
    made before featurizers were recorded, as :mod:`hilt.project.training` reads them)."""
    spec = meta.get("features") or {}
    return str(spec.get("name") or ("tfidf" if meta["kind"] == "text" else "scale"))


def status_dict(store: Store, *, labels: list[str], strategy: str, kind: str, text_column: str | None,
                retrain_every: int, eval_share: float, features: str, retraining: bool = False,
                overlap: dict | None = None, scheduler: str | None = None,
                webhook: WebhookStatus | None = None) -> Status:
    """The status of the project in ``store`` with the given settings (see :meth:`Project.status`).
    ``retrain_error`` comes from the store: the last retrain's failure, whichever process ran it."""
    runs = [RunSummary(**{k: r[k] for k in RUN_KEYS}, metrics=r["metrics"],
                       eval_ci=(r["metrics"][store.task.metric]["ci"] if r["metrics"]  # the task's own interval
                                else eval_interval(r["eval_accuracy"], r["n_eval"])))
            for r in store.runs()]
    return Status(
        **store.counts(), runs=runs, agreement=Agreement.from_report(store_agreement(store)), labels=list(labels),
        strategy=strategy, kind=kind, text_column=text_column, retraining=retraining,
        retrain_error=store.run_error(), retrain_every=retrain_every, eval_share=eval_share, features=features,
        overlap=overlap, scheduler=scheduler, task=store.task.name, seconds=time_spent(store), webhook=webhook,
        suggestions=SuggestionSummary.from_counts(store.suggestion_counts()),
    )


def eval_interval(accuracy: float | None, n_eval: int) -> list[float] | None:
    """The 95 % Wilson interval ``[low, high]`` of an evaluation accuracy on ``n_eval`` items
    (``None`` without one).

    Examples
    --------
    >>> [round(x, 3) for x in eval_interval(0.75, 4)]
    [0.301, 0.954]
    >>> eval_interval(None, 0) is None
    True
    """
    if accuracy is None or not n_eval:
        return None
    interval = wilson_interval(int(round(accuracy * n_eval)), int(n_eval))
    return None if interval is None else [interval[0], interval[1]]


def store_agreement(store: Store) -> dict[str, Any]:
    """:func:`hilt.quality.agreement` over the current answers of people (labels read from a
    file at import, annotator ``"import"``, are not a person's and are left out; so are
    reviewers' decisions, which settle disagreements rather than take part in them)."""
    rows = [(a["item_id"], a["annotator"], a["label"]) for a in store.current_answers()
            if a["role"] == ANNOTATE and a["annotator"] != IMPORT_ANNOTATOR]
    report: dict[str, Any] = dict(agreement(rows))
    task = store.task
    if task.multilabel:  # sets: alpha with the MASI distance, and each label's own alpha
        from hilt.quality.label_sets import krippendorff_alpha, per_label_alpha

        labels = store.meta()["labels"]
        latest = {(item, who): frozenset(task.decode(label, labels)) for item, who, label in rows}
        units = [item for item, _ in latest]
        values = list(latest.values())
        report["alpha"] = krippendorff_alpha(units, values)
        report["per_label"] = per_label_alpha(units, values, labels) if report["items"] else {}
    elif task.widget == "spans":  # entity F1 between people, and alpha over the tokens' tags
        report.update(_span_agreement(store, task, rows))
    return report


def _span_agreement(store: Store, task: Any, rows: list[tuple[str, str, str]]) -> dict[str, Any]:
    """A spans project's agreement (:func:`hilt.tasks.spans_agreement.span_agreement`):
    ``alpha`` over the tokens' IOB2 tags in place of the whole-answer alpha, the mean pairwise
    ``entity_f1`` and each pair's (``entity_f1_pairs``)."""
    from hilt.tasks.spans_agreement import span_agreement

    labels = store.meta()["labels"]
    by_item: dict[str, dict[str, Any]] = {}
    for item, who, label in rows:
        by_item.setdefault(item, {})[who] = task.decode(label, labels)
    shared = {item: answers for item, answers in by_item.items() if len(answers) >= 2}
    texts = {item: str(store.item(item).data.get("text") or "") for item in shared}
    figures = span_agreement(shared, texts)
    return {"alpha": figures["alpha"], "entity_f1": figures["f1"],
            "entity_f1_pairs": {pair: row["f1"] for pair, row in figures["pairs"].items()}}


def read_status(path: str | Path) -> Status:
    """:meth:`hilt.project.Project.status` of the project file at ``path``, read without opening
    the project (no featurizer, model or retrain worker; ``retraining`` is ``False``, as for a
    project just opened).

    Raises the same errors as :meth:`Project.open` for a missing file or one that is not a
    hilt project.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import pandas as pd
    >>> from hilt import Project
    >>> from hilt.project.status import read_status
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
    >>> Project.create(path, pd.DataFrame({"text": ["a b", "c d"]}), ["x", "y"], features="tfidf").close()
    >>> read_status(path).n_items, read_status(path).features
    (2, 'tfidf')
    """
    from hilt.project.configuration import ProjectSettings  # the defaults an older file lacks, as Project's
    from hilt.project.webhooks import Webhooks

    store = Store.open(path)
    try:
        meta = store.meta()
        settings = ProjectSettings.from_meta(meta)
        return status_dict(
            store, labels=list(settings.labels), strategy=settings.strategy, kind=settings.kind,
            text_column=settings.text_column, retrain_every=settings.retrain_every,
            eval_share=settings.eval_share, features=features_name(meta), overlap=settings.overlap,
            # the setting only: deliveries are counted by the process that sends them
            webhook=Webhooks(store, lambda: settings.labels).status(),
        )
    finally:
        store.close()

"""The typed results a project hands its faces: status, model runs, agreement, annotators,
label issues and the reply to an answer.

Each is a frozen dataclass that the CLI, the server and the pages read by attribute, so that a
face reading a field that does not exist fails in a test (``AttributeError``) instead of
showing a blank in front of a user, as a ``.get("...")`` on a dict would. ``to_dict()`` gives
the JSON the HTTP API and ``--json`` print, key for key and in the same order as before these
types existed.

For the code written against the dicts these results used to be, each is also a read-only
:class:`collections.abc.Mapping` over the same keys: ``project.status()["n_answered"]``,
``status.get("runs")``, ``"agreement" in status`` and ``dict(status)`` keep working, and a
result compares equal to the dict it used to be. A nested result (a run in ``status["runs"]``)
is the typed object; ``to_dict()`` turns the whole tree into plain dicts and lists.

Examples
--------
>>> from hilt.project.results import RunSummary
>>> run = RunSummary(n_train=12, eval_accuracy=0.75, n_eval=4, strategy="margin",
...                  started_at="2026-12-07T10:00:00+00:00", finished_at="2026-12-07T10:00:01+00:00",
...                  eval_ci=[0.301, 0.954])
>>> run.n_train, run["eval_accuracy"], run.get("n_eval")
(12, 0.75, 4)
>>> list(run)[:3]
['n_train', 'eval_accuracy', 'n_eval']
>>> run == run.to_dict()
True
>>> run.n_trian
Traceback (most recent call last):
...
AttributeError: 'RunSummary' object has no attribute 'n_trian'
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "Agreement",
    "AnnotatorAgreement",
    "AnnotatorRow",
    "AnswerReply",
    "BulkReply",
    "LabelIssue",
    "PairAgreement",
    "RunSummary",
    "FormatImport",
    "Status",
    "TimeSpent",
    "WebhookStatus",
    "SuggestionSummary",
    "AnnotatorSuggestions",
    "SearchPage",
    "SimilarItems",
    "Status",
    "UndoBatchReply",
]


class _Result(Mapping):
    """Base of the results: ``to_dict()`` and the read-only mapping over the fields.

    Subclasses are ``@dataclass(frozen=True, eq=False)``: equality is the mapping's (equal to
    another result or a dict with the same keys and values), as it was for the dicts. A field
    whose JSON key would shadow a mapping method (``items``) takes another attribute name and
    names its key in its metadata: ``n_items: int = field(metadata={"key": "items"})``.
    """

    __slots__ = ()

    def _layout(self) -> tuple[tuple[str, str], ...]:
        """``(key, attribute)`` of each key of :meth:`to_dict`, in order (a subclass may leave out
        an absent one)."""
        return _class_layout(type(self))

    @classmethod
    def json_fields(cls) -> list[tuple[str, Any]]:
        """``(key, type)`` of each key :meth:`to_dict` can give, in order (the type of the
        attribute behind it, resolved): what a JSON schema of the result is made from.

        Examples
        --------
        >>> from hilt.project.results import PairAgreement
        >>> PairAgreement.json_fields()
        [('items', <class 'int'>), ('kappa', float | None)]
        """
        hints = typing.get_type_hints(cls)
        only = {field.name for field in dataclasses.fields(cls) if field.metadata.get("task_only")}
        # A key only some tasks send (a multi-label run's ``metrics``) is not one every reply has.
        return [(key, hints[name]) for key, name in _class_layout(cls) if name not in only]

    def to_dict(self) -> dict[str, Any]:
        """The result as plain dicts and lists: today's JSON, same keys in the same order."""
        return {key: _plain(getattr(self, name)) for key, name in self._layout()}

    def __getitem__(self, key: str) -> Any:
        for known, name in self._layout():
            if known == key:
                return getattr(self, name)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self._layout())

    def __len__(self) -> int:
        return len(self._layout())

    def __contains__(self, key: object) -> bool:
        return any(known == key for known, _ in self._layout())


def _present_layout(result: "_Result") -> tuple[tuple[str, str], ...]:
    """The class's layout without the task-only fields this result leaves ``None``."""
    only = _task_only(type(result))
    return tuple((key, name) for key, name in _class_layout(type(result))
                 if name not in only or getattr(result, name) is not None)


@functools.cache
def _task_only(cls: type) -> frozenset[str]:
    return frozenset(field.name for field in dataclasses.fields(cls) if field.metadata.get("task_only"))


@functools.cache  # a class's fields never change: read them once
def _class_layout(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((field.metadata.get("key", field.name), field.name) for field in dataclasses.fields(cls)
                 if not field.metadata.get("hidden"))


def _task_field() -> Any:
    """A field only some tasks fill (``None``, and no key, for the others: see their ``_layout``)."""
    return dataclasses.field(default=None, metadata={"task_only": True})


def _items_field() -> Any:
    """The field of an ``"items"`` count (an attribute ``items`` would hide ``Mapping.items()``)."""
    return dataclasses.field(metadata={"key": "items"})


def _plain(value: Any) -> Any:
    """``value`` with every result in it turned into its dict (lists and dicts walked)."""
    if isinstance(value, _Result):
        return value.to_dict()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


@dataclasses.dataclass(frozen=True, eq=False)
class RunSummary(_Result):
    """One finished model run, as :meth:`hilt.Project.status` lists them (oldest first).

    Attributes
    ----------
    n_train : int
        Training labels the model was fitted on (never evaluation items).
    eval_accuracy : float or None
        Accuracy on the evaluation labels (``None`` without any).
    n_eval : int
        Evaluation labels it was measured on.
    strategy : str
        The query strategy the run ranked the queue with.
    started_at, finished_at : str
        ISO-8601 UTC.
    eval_ci : list of float or None
        The 95 % interval ``[low, high]`` of ``eval_accuracy`` (``None`` without one): Wilson's
        for an accuracy, the bootstrap's for a multi-label project's micro-F1.
    metrics : dict or None
        A multi-label project's figures on the evaluation sample, name -> ``{"value", "ci"}``:
        ``micro_f1`` (also in ``eval_accuracy``, the headline), ``macro_f1``,
        ``subset_accuracy``, ``hamming_loss``. ``None`` (and not a key) for ``single`` runs.
    """

    n_train: int
    eval_accuracy: float | None
    n_eval: int
    strategy: str
    started_at: str
    finished_at: str
    eval_ci: list[float] | None
    metrics: dict[str, Any] | None = _task_field()

    def _layout(self) -> tuple[tuple[str, str], ...]:
        layout = _class_layout(type(self))
        return layout if self.metrics is not None else layout[:-1]


@dataclasses.dataclass(frozen=True, eq=False)
class AnnotatorAgreement(_Result):
    """How one annotator's answers compare with the others' majority on the items they shared.

    Attributes
    ----------
    n_items : int
        Their answers on items someone else also answered (key ``"items"``).
    agree : float
        The share (0 to 1) of those equal to the others' majority label.
    """

    n_items: int = _items_field()
    agree: float


@dataclasses.dataclass(frozen=True, eq=False)
class PairAgreement(_Result):
    """Cohen's kappa of two annotators over the items both answered.

    Attributes
    ----------
    n_items : int
        Items both answered (key ``"items"``).
    kappa : float or None
        Cohen's kappa (``None`` when undefined).
    """

    n_items: int = _items_field()
    kappa: float | None


@dataclasses.dataclass(frozen=True, eq=False)
class Agreement(_Result):
    """Agreement between annotators (``status().agreement``; see :func:`hilt.quality.agreement`).

    Attributes
    ----------
    n_items : int
        Items with answers from two or more annotators (0 without overlap; key ``"items"``).
    alpha : float or None
        Krippendorff's alpha (nominal) over those items; ``None`` when undefined.
    by_annotator : dict of str to AnnotatorAgreement
    pairs : dict of str to PairAgreement
        Keyed ``"alice|bob"`` (names sorted) for pairs with enough shared items.
    per_label : dict of str to (float or None), or None
        Multi-label projects: each label's nominal alpha (its yes/no); ``alpha`` is then
        Krippendorff's alpha with the MASI distance between sets, and ``by_annotator`` /
        ``pairs`` compare whole sets. ``None`` (and not a key) for the other tasks.
    entity_f1 : float or None
        Spans projects: the mean over pairs of annotators of their entity-level F1 (exact
        start, end and label); ``alpha`` is then Krippendorff's alpha over the tokens' IOB2 tags,
        and ``by_annotator`` / ``pairs`` compare whole answers. ``None`` (and not a key) for the
        other tasks.
    entity_f1_pairs : dict of str to float, or None
        Spans projects: each pair's entity F1, keyed ``"alice|bob"``.

    Examples
    --------
    >>> from hilt.project.results import Agreement
    >>> report = Agreement.from_report({"items": 2, "alpha": 0.5, "pairs": {},
    ...                                 "by_annotator": {"ann": {"items": 2, "agree": 0.5}}})
    >>> report.by_annotator["ann"].agree, report.to_dict()["by_annotator"]
    (0.5, {'ann': {'items': 2, 'agree': 0.5}})
    """

    n_items: int = _items_field()
    alpha: float | None
    by_annotator: dict[str, AnnotatorAgreement]
    pairs: dict[str, PairAgreement]
    per_label: dict[str, float | None] | None = _task_field()
    entity_f1: float | None = _task_field()
    entity_f1_pairs: dict[str, float] | None = _task_field()

    def _layout(self) -> tuple[tuple[str, str], ...]:
        return _present_layout(self)

    @classmethod
    def from_report(cls, report: Mapping[str, Any]) -> "Agreement":
        """From the report :func:`hilt.quality.agreement` returns (plus ``per_label``, or
        ``entity_f1`` and ``entity_f1_pairs``, if any)."""
        return cls(
            n_items=report["items"], alpha=report["alpha"],
            by_annotator={name: AnnotatorAgreement(n_items=row["items"], agree=row["agree"])
                          for name, row in report["by_annotator"].items()},
            pairs={key: PairAgreement(n_items=row["items"], kappa=row["kappa"]) for key, row in report["pairs"].items()},
            per_label=report.get("per_label"),
            entity_f1=report.get("entity_f1"),
            entity_f1_pairs=report.get("entity_f1_pairs"),
        )


@dataclasses.dataclass(frozen=True, eq=False)
class TimeSpent(_Result):
    """How long people spend per item (``status().seconds``): the median of the seconds the
    labelling page and ``hilt label`` measured (focus time: :mod:`hilt.project.timing`), over
    current answers that have a label (skips and retracted answers left out) and a measured time.

    Attributes
    ----------
    median : float or None
        Over every such answer; ``None`` when none has a time.
    n_answers : int
        How many answers the medians are over.
    by_annotator : dict of str to float
        Each person's median (only people with timed answers).
    by_label : dict of str to float
        The median over answers on items whose final label is that label (each label of a final
        set or of the final spans counts), in the labels' order.

    Examples
    --------
    >>> from hilt.project.results import TimeSpent
    >>> TimeSpent(4.5, 3, {"ana": 4.5}, {"pos": 3.0, "neg": 6.0}).to_dict()["by_label"]
    {'pos': 3.0, 'neg': 6.0}
    """

    median: float | None = None
    n_answers: int = 0
    by_annotator: dict[str, float] = dataclasses.field(default_factory=dict)
    by_label: dict[str, float] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True, eq=False)
class AnnotatorSuggestions(_Result):
    """How often one person kept the suggestions they were shown.

    Attributes
    ----------
    n_shown : int
        Their current answers (skips left out) given with a suggestion on screen.
    n_kept : int
        Of those, answers equal to the suggestion.
    kept_share : float or None
        ``n_kept / n_shown`` (``None`` when ``n_shown`` is 0).
    """

    n_shown: int
    n_kept: int
    kept_share: float | None


@dataclasses.dataclass(frozen=True, eq=False)
class SuggestionSummary(_Result):
    """Imported suggestions (another model's predictions) and how often people kept them
    (``status().suggestions``).

    Attributes
    ----------
    n_items : int
        Items with a suggestion.
    n_shown : int
        Current answers (skips left out) given with a suggestion shown: evaluation items and
        an equal share of the others are served without one.
    n_kept : int
        Of those, answers equal to the suggestion.
    kept_share : float or None
        ``n_kept / n_shown`` (``None`` when nothing was shown yet).
    by_annotator : dict of str to AnnotatorSuggestions

    Examples
    --------
    >>> from hilt.project.results import SuggestionSummary
    >>> SuggestionSummary.from_counts({"n_items": 5, "by_annotator": {"ada": (4, 3)}}).to_dict()
    {'n_items': 5, 'n_shown': 4, 'n_kept': 3, 'kept_share': 0.75, 'by_annotator': {'ada': {'n_shown': 4, 'n_kept': 3, 'kept_share': 0.75}}}
    """

    n_items: int
    n_shown: int
    n_kept: int
    kept_share: float | None
    by_annotator: dict[str, AnnotatorSuggestions]

    @classmethod
    def from_counts(cls, counts: dict[str, Any]) -> "SuggestionSummary":
        """From the store's :meth:`~hilt.store.Store.suggestion_counts` (name -> ``(shown, kept)``)."""
        by = {name: AnnotatorSuggestions(n_shown=shown, n_kept=kept, kept_share=kept / shown if shown else None)
              for name, (shown, kept) in counts["by_annotator"].items()}
        shown = sum(row.n_shown for row in by.values())
        kept = sum(row.n_kept for row in by.values())
        return cls(n_items=int(counts["n_items"]), n_shown=shown, n_kept=kept,
                   kept_share=kept / shown if shown else None, by_annotator=by)

    @classmethod
    def none(cls) -> "SuggestionSummary":
        """No suggestions, nothing shown."""
        return cls(n_items=0, n_shown=0, n_kept=0, kept_share=None, by_annotator={})


@dataclasses.dataclass(frozen=True, eq=False)
class Status(_Result):
    """A project's progress, model runs and settings: what :meth:`hilt.Project.status`,
    ``hilt status`` and ``GET /api/status`` report (``to_dict()`` is the JSON).

    Attributes
    ----------
    n_items : int
    n_answered : int
        Items with a current (final) label.
    n_skipped : int
        Current skips.
    n_left : int
        Items without a label.
    n_eval : int
        Evaluation items with a label.
    n_eval_items : int
        The evaluation sample's size.
    by_label : dict of str to int
        Items per current label.
    by_annotator : dict of str to int
        Current labels per annotator (``"import"`` for a label column).
    runs : list of RunSummary
        Finished model runs, oldest first.
    agreement : Agreement
    labels : list of str
    strategy, kind : str
    text_column : str or None
    retraining : bool
        A run is going in this process.
    retrain_error : str or None
        Why the project's last retrain failed, in whichever process it ran.
    retrain_every : int
    eval_share : float
    features : str
        The featurizer's name.
    overlap : dict or None
        ``{"share", "annotators_per_item"}``, or ``None`` without overlap.
    scheduler : str or None
        The Dask scheduler retrains run on (``None``: this process).
    task : str
        What an answer is: ``single`` or ``multilabel`` (:mod:`hilt.tasks`).
    seconds : TimeSpent
        Median seconds per item, overall, per annotator and per label.
    webhook : WebhookStatus or None
        Where events are POSTed and how their delivery went, or ``None`` without a webhook.
    suggestions : SuggestionSummary
        Imported suggestions and how often people kept them.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from hilt import Project
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "p.hilt"
    >>> with Project.create(path, pd.DataFrame({"text": ["a b", "c d"]}), ["x", "y"], features="tfidf") as project:
    ...     status = project.status()
    >>> status.n_items, status["n_answered"], status.runs, list(status.to_dict())[:4]
    (2, 0, [], ['n_items', 'n_answered', 'n_skipped', 'n_left'])
    """

    n_items: int
    n_answered: int
    n_skipped: int
    n_left: int
    n_eval: int
    n_eval_items: int
    by_label: dict[str, int]
    by_annotator: dict[str, int]
    runs: list[RunSummary]
    agreement: Agreement
    labels: list[str]
    strategy: str
    kind: str
    text_column: str | None
    retraining: bool
    retrain_error: str | None
    retrain_every: int
    eval_share: float
    features: str
    overlap: dict[str, Any] | None
    scheduler: str | None
    task: str = "single"
    seconds: TimeSpent = dataclasses.field(default_factory=TimeSpent)
    webhook: "WebhookStatus | None" = None
    suggestions: SuggestionSummary = dataclasses.field(default_factory=SuggestionSummary.none)


@dataclasses.dataclass(frozen=True, eq=False)
class WebhookStatus(_Result):
    """A project's webhook (:meth:`hilt.Project.set_webhook`): ``Status.webhook``.

    The counts are this process's (each process sends the events of its own answers and runs).

    Attributes
    ----------
    url : str
        Where events are POSTed, without its secrets (a password or a query string is ``***``).
    secret : bool
        Bodies are signed (``X-Hilt-Signature``): the project or ``$HILT_WEBHOOK_SECRET`` has a secret.
    delivered : int
        Events the receiver accepted (a 2xx reply).
    failed : int
        Events given up after their tries (or refused with a 4xx).
    dropped : int
        Events dropped unsent because the queue was full (the oldest go first).
    queued : int
        Events waiting to be sent.
    last_error : str or None
        Why the latest try failed, or ``None``.

    Examples
    --------
    >>> from hilt.project.results import WebhookStatus
    >>> WebhookStatus("https://example.org/hook", True, 3, 0, 0, 0, None).delivered
    3
    """

    url: str
    secret: bool
    delivered: int
    failed: int
    dropped: int
    queued: int
    last_error: str | None


@dataclasses.dataclass(frozen=True, eq=False)
class AnnotatorRow(_Result):
    """One person of :meth:`hilt.Project.annotator_list` (``hilt annotator list``).

    Attributes
    ----------
    name : str
    registered : bool
        Has a token.
    added_at : str or None
        When the token was given (ISO UTC).
    answers : int
        Current answers, skips included.
    retracted : int
    last_seen : str or None
        Their latest answer or undo (ISO UTC).
    role : str
        ``"annotator"``, ``"reviewer"``, ``"import"``, ``"removed"`` or ``"no token"``.
    removed_at : str or None
    median_seconds : float or None
        Their median seconds per item (:class:`TimeSpent`), ``None`` without a timed answer.
    """

    name: str
    registered: bool
    added_at: str | None
    answers: int
    retracted: int
    last_seen: str | None
    role: str
    removed_at: str | None
    median_seconds: float | None = None


@dataclasses.dataclass(frozen=True, eq=False)
class LabelIssue(_Result):
    """A labelled item whose label is likely wrong (:meth:`hilt.Project.label_issues`).

    Attributes
    ----------
    item_id : str
    label : str
        Its final label now.
    suggested : str
        The label the model prefers.
    score : float
        0 to 1, higher: more likely wrong.
    annotator : str
        Who gave the label.
    disagreement : bool
        Its annotators disagree (and no reviewer settled it).
    issue_label : str or None
        Multi-label projects: the label whose yes/no is likely wrong (``label`` and
        ``suggested`` are then sets, ``suggested`` with that label flipped). ``None`` (and not a
        key) for the other tasks.
    issues : list of dict or None
        Spans projects: how the out-of-fold model's spans (``suggested``) differ from the final
        ones (``label``), each ``{"type", "span", "predicted"}`` with ``type`` one of
        ``missed``, ``extra``, ``wrong_label``, ``wrong_boundary``
        (:func:`hilt.quality.span_issues.span_issues`). ``None`` (and not a key) for the
        other tasks.
    """

    item_id: str
    label: Any
    suggested: Any
    score: float
    annotator: str
    disagreement: bool
    issue_label: str | None = _task_field()
    issues: list[dict] | None = _task_field()

    def _layout(self) -> tuple[tuple[str, str], ...]:
        return _present_layout(self)


@dataclasses.dataclass(frozen=True, eq=False)
class AnswerReply(_Result):
    """The reply of :meth:`hilt.Project.answer`.

    Attributes
    ----------
    saved : bool
        Always ``True``: the reply comes after the commit.
    answer_id : str
    duplicate : bool
        The ``answer_id`` was stored before: nothing new was stored.
    next : Item or None
        With ``lease_next=True``: the next item, leased (``None`` when nothing is left). Without
        it the key ``"next"`` is absent from the mapping and from :meth:`to_dict`.
    leased_next : bool
        Whether ``lease_next=True`` was asked (not a key of the reply).

    Examples
    --------
    >>> from hilt.project.results import AnswerReply
    >>> reply = AnswerReply(saved=True, answer_id="a1", duplicate=False)
    >>> reply.to_dict(), "next" in reply
    ({'saved': True, 'answer_id': 'a1', 'duplicate': False}, False)
    >>> AnswerReply(True, "a1", False, next=None, leased_next=True).to_dict()["next"] is None
    True
    """

    saved: bool
    answer_id: str
    duplicate: bool
    next: Any = None
    leased_next: bool = dataclasses.field(default=False, metadata={"hidden": True})

    def _layout(self) -> tuple[tuple[str, str], ...]:
        layout = _class_layout(type(self))
        return layout if self.leased_next else layout[:3]


@dataclasses.dataclass(frozen=True, eq=False)
class FormatImport(_Result):
    """What an import of another tool's file did (:meth:`hilt.Project.import_format`, and
    ``project.created_import["format"]`` after :meth:`hilt.Project.create_from_format`).

    Attributes
    ----------
    format : str
        ``label-studio``, ``label-studio-min``, ``prodigy`` or ``hf``.
    task : str
        The project's task; ``task_from_file``: it was inferred from the file (spans marked: ``spans``;
        an annotation with several labels: ``multilabel``; else ``single``).
    labels : list of str
        The project's labels; ``labels_from_file``: they were read from the file.
    added, existing : int
        Items added; items of the file the project held already (left as they are).
    answers : int
        Answers stored, each by the person who gave it (skips included); ``repeated``: answers an
        earlier import of the same file stored already (nothing new); ``skips``: of ``answers``,
        skips (Label Studio's cancelled annotations, Prodigy's ignore and rejects hilt cannot
        turn into a label); ``rejected``: Prodigy rejects of one of two labels, stored as the other.
    suggestions : int
        Predictions stored as suggestions; ``sources``: their model versions.

    Examples
    --------
    >>> from hilt.project.results import FormatImport
    >>> FormatImport("prodigy", "single", ["a", "b"], True, False, 2, 0, 2, 0, 0, 1, 0, []).to_dict()["answers"]
    2
    """

    format: str
    task: str
    labels: list[str]
    labels_from_file: bool
    task_from_file: bool
    added: int
    existing: int
    answers: int
    repeated: int
    skips: int
    rejected: int
    suggestions: int
    sources: list[str]


@dataclasses.dataclass(frozen=True, eq=False)
class SearchPage(_Result):
    """One page of :meth:`hilt.Project.search`: the items whose shown columns hold every word.

    Attributes
    ----------
    query : str
    found : list of Item
        Best match first, shown as the labelling page shows an item (only the columns people see).
    offset : int
        How many matches come before this page.
    limit : int
    more : bool
        Whether more matches follow (the next page starts at ``offset + limit``).

    Examples
    --------
    >>> from hilt.project.results import SearchPage
    >>> SearchPage("film", [], 0, 20, False).to_dict()
    {'query': 'film', 'found': [], 'offset': 0, 'limit': 20, 'more': False}
    """

    query: str
    found: list[Any]
    offset: int
    limit: int
    more: bool


@dataclasses.dataclass(frozen=True, eq=False)
class SimilarItems(_Result):
    """What :meth:`hilt.Project.similar` finds: the items nearest to ``item_id``.

    Attributes
    ----------
    item_id : str
    found : list of Item
        Most similar first (the item itself is never among them).
    scores : list of float
        The cosine similarity of each, in [-1, 1].

    Examples
    --------
    >>> from hilt.project.results import SimilarItems
    >>> SimilarItems("7", [], []).to_dict()
    {'item_id': '7', 'found': [], 'scores': []}
    """

    item_id: str
    found: list[Any]
    scores: list[float]


@dataclasses.dataclass(frozen=True, eq=False)
class BulkReply(_Result):
    """The reply of :meth:`hilt.Project.label_many`, after the commit.

    Attributes
    ----------
    saved : bool
        Always ``True``: the reply comes after the commit of every answer of the group.
    batch : str
        The group's id (what :meth:`hilt.Project.undo_batch` takes).
    n_labelled : int
        The items of the group.
    n_stored : int
        Answers stored by this call; ``0`` when the same group was stored before (a retry).
    duplicate : bool
        Nothing new was stored: the group came before with this ``batch``.

    Examples
    --------
    >>> from hilt.project.results import BulkReply
    >>> BulkReply(True, "b1", 3, 3, False).to_dict()
    {'saved': True, 'batch': 'b1', 'n_labelled': 3, 'n_stored': 3, 'duplicate': False}
    """

    saved: bool
    batch: str
    n_labelled: int
    n_stored: int
    duplicate: bool


@dataclasses.dataclass(frozen=True, eq=False)
class UndoBatchReply(_Result):
    """The reply of :meth:`hilt.Project.undo_batch`.

    Attributes
    ----------
    batch : str
    n_retracted : int
        Answers retracted now (``0`` when the group was undone before).

    Examples
    --------
    >>> from hilt.project.results import UndoBatchReply
    >>> UndoBatchReply("b1", 3).to_dict()
    {'batch': 'b1', 'n_retracted': 3}
    """

    batch: str
    n_retracted: int

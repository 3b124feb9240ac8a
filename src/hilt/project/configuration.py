"""A project's settings and columns: :class:`ProjectSettings` and the :class:`Configuration` service.

:class:`ProjectSettings` is read from the project's meta once (:meth:`ProjectSettings.from_meta`,
with the defaults of projects made before a setting existed), checked once
(:meth:`ProjectSettings.checked`, as :meth:`hilt.Project.create` and :meth:`hilt.Project.configure`
take them) and written back as the same meta values (:meth:`ProjectSettings.meta_settings`).
``hilt status``'s light read (:mod:`hilt.project.status`) reads it too, so the defaults are
written once.

:class:`Configuration` holds a project's current settings and which columns annotators see,
and plans a :meth:`hilt.Project.configure` change (:meth:`Configuration.plan_change`); the
project then rebuilds only its training service with the new settings.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Sequence

from hilt.errors import InputError
from hilt.project.display import Display
from hilt.project.image_view import ImageView, check_image_setting, image_view
from hilt.project.media import check_image_folder, image_source, media_file
from hilt.store import Store, utc_now

# The models and strategies (scikit-learn, numba) are imported where a value is checked: the
# light status read (hilt status) reads ProjectSettings without them.

__all__ = ["DEFAULT_QUEUE_SIZE", "Configuration", "ProjectSettings", "check_labels", "check_model", "check_number"]

#: How many top-ranked items a run writes to the queue. Far more than people label between
#: two runs; when it runs dry anyway the queue falls back to the random order.
DEFAULT_QUEUE_SIZE = 2_000


@dataclass(frozen=True)
class ProjectSettings:
    """What a project was set up with: labels, strategy, the items' kind and columns, the loop's pace.

    Examples
    --------
    >>> from hilt.project.configuration import ProjectSettings
    >>> settings = ProjectSettings.from_meta({"labels": ["pos", "neg"], "strategy": "margin", "kind": "text"})
    >>> settings.retrain_every, settings.eval_share, settings.lease_seconds, settings.job_seed
    (10, 0.1, 600.0, 0)
    >>> settings.meta_settings()
    {'retrain_every': 10, 'eval_share': 0.1, 'lease_seconds': 600.0, 'queue_size': 2000}
    """

    labels: tuple[str, ...]
    strategy: str
    kind: str = "text"
    text_column: str | None = None
    id_column: str | None = None
    feature_columns: tuple[str, ...] = ()
    retrain_every: int = 10
    eval_share: float = 0.1
    lease_seconds: float = 600.0
    queue_size: int = DEFAULT_QUEUE_SIZE
    #: ``None`` when the project was made without a seed (the meta then has none).
    seed: int | None = None
    #: ``{"share", "annotators_per_item"}`` when some items go to several people, else ``None``.
    overlap: dict | None = None
    #: What an answer is (:mod:`hilt.tasks`): ``single`` for every project made before tasks existed.
    task: str = "single"

    @classmethod
    def from_meta(cls, meta: dict) -> "ProjectSettings":
        """The settings a project's meta holds, with the defaults of older projects."""
        settings = meta.get("settings") or {}
        seed = settings.get("seed")
        return cls(
            labels=tuple(meta["labels"]), strategy=meta["strategy"], kind=meta["kind"],
            text_column=meta.get("text_column"), id_column=meta.get("id_column"),
            feature_columns=tuple(meta.get("feature_columns") or []),
            retrain_every=int(settings.get("retrain_every", 10)), eval_share=float(settings.get("eval_share", 0.1)),
            lease_seconds=float(settings.get("lease_seconds", 600)),
            queue_size=int(settings.get("queue_size", DEFAULT_QUEUE_SIZE)),
            seed=None if seed is None else int(seed), overlap=meta.get("overlap"),
            task=meta.get("task") or "single",
        )

    @classmethod
    def checked(cls, labels: Any, strategy: str, *, retrain_every: Any = 10, eval_share: Any = 0.1,
                lease_seconds: Any = 600, queue_size: Any = DEFAULT_QUEUE_SIZE, seed: Any = None,
                overlap: Any = 0.0, annotators_per_item: Any = 2, task: Any = "single") -> "ProjectSettings":
        """The settings :meth:`hilt.Project.create` was given, each checked (in this order: the
        first mistake is the one reported); the items' kind and columns come later, from the data
        (:func:`dataclasses.replace`)."""
        from hilt.strategies import check_strategy
        from hilt.tasks import check_task

        task = check_task(task)
        labels = check_labels(labels, task)
        strategy = check_strategy(strategy, task=task)
        check_number("retrain_every", retrain_every, 1, None, whole=True)
        check_number("eval_share", eval_share, 0.0, 0.9)
        check_number("lease_seconds", lease_seconds, 1, None)
        check_number("queue_size", queue_size, 1, None, whole=True)
        check_overlap(overlap, annotators_per_item)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
            raise InputError(f"Expected seed to be a whole number >= 0 or None; got {seed!r}.")
        return cls(labels=tuple(labels), strategy=strategy, retrain_every=int(retrain_every),
                   eval_share=float(eval_share), lease_seconds=float(lease_seconds), queue_size=int(queue_size),
                   seed=None if seed is None else int(seed), task=task,
                   overlap=({"share": float(overlap), "annotators_per_item": int(annotators_per_item)}
                            if overlap > 0 else None))

    @property
    def job_seed(self) -> int:
        """The seed of the retrain job's random choices (0 for a project made without one)."""
        return int(self.seed or 0)

    def meta_settings(self) -> dict[str, Any]:
        """The meta ``settings`` value (its keys in the order project files have always had)."""
        return {"retrain_every": int(self.retrain_every), "eval_share": float(self.eval_share),
                "lease_seconds": float(self.lease_seconds), "queue_size": int(self.queue_size),
                **({"seed": int(self.seed)} if self.seed is not None else {})}

    def overlap_arguments(self) -> dict:
        """``add_items``'s overlap keywords from the ``overlap`` setting."""
        if not self.overlap:
            return {}
        return {"overlap": float(self.overlap["share"]),
                "annotators_per_item": int(self.overlap["annotators_per_item"])}

    def summary(self) -> dict:
        """What :meth:`hilt.Project.settings` returns."""
        return {"labels": list(self.labels), "strategy": self.strategy, "retrain_every": self.retrain_every,
                "eval_share": self.eval_share, "lease_seconds": self.lease_seconds}


class Configuration:
    """A project's current settings, the columns annotators see, and changes to both.

    ``settings`` is swapped whole by :meth:`hilt.Project.configure` (never changed in place);
    the other services read it at each call, so they always act on the current one.
    """

    def __init__(self, store: Store, settings: ProjectSettings, meta: dict):
        self._store = store
        self.settings = settings
        self.display = Display.from_meta(meta.get("display"))
        self.data_columns: list[str] = list(meta.get("data_columns") or [])

    # -- columns ---------------------------------------------------------------------------
    def shown_columns(self) -> list[str]:
        """The item columns annotators see (as stored: the text column is ``"text"``).

        Set at creation by ``show_columns`` / ``hide_columns``; columns whose values are all
        label names are hidden unless shown explicitly. Projects made before the setting show
        every column.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"], "stars": [5, 1], "hint": ["pos", "neg"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     text_column="text") as project:
        ...     project.shown_columns
        ['text', 'stars']
        """
        return self.display.visible(self.data_columns)

    def hidden_columns(self) -> list[str]:
        """The item columns annotators do not see (kept in the project and the export)."""
        return [c for c in self.data_columns if not self.display.shows(c)]

    def image_columns(self) -> str | list[str]:
        """The image setting :meth:`set_image_columns` made (``"auto"`` unless changed)."""
        return self._store.meta().get("image_columns", "auto")

    def image_view(self) -> ImageView | None:
        """The shown columns that faces draw as a square image (:mod:`hilt.project.image_view`),
        or ``None``. Read from the file each time, so ``hilt config`` reaches a running server's
        next page.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({f"px{k}": [k, 1] for k in range(16)})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["a", "b"]) as project:
        ...     side = project.image_view.side
        ...     _ = project.set_image_columns("off")
        ...     side, project.image_view
        (4, None)
        """
        return image_view(self.shown_columns(), self.image_columns())

    def set_image_columns(self, setting: str | Sequence[str]) -> ImageView | None:
        """Set which shown columns are drawn as an image: ``"auto"`` (found by name, the
        default), ``"off"``, or column names / patterns (``"px*"``) in row-major order. Returns
        the :meth:`image_view` it gives."""
        self._store.set_meta("image_columns", check_image_setting(setting, self.shown_columns()))
        return self.image_view()

    def image_source(self) -> dict | None:
        """``{"column", "folder"}``: the column of image paths or URLs the pages show as an image,
        and the folder its paths are relative to (``None``: only URLs are shown); ``None`` for a
        project without an image column. Read from the file each time (``hilt config`` reaches
        a running server's next request)."""
        return image_source(self._store.meta())

    def set_image_folder(self, folder: Any) -> dict:
        """Set the folder the image column's paths are relative to (it must exist); no retrain.
        Returns :meth:`image_source`."""
        if not self._store.meta().get("image_column"):
            raise InputError("Expected a project with an image column (Project.create(..., image_column=), hilt init "
                             "--image-column) to set its image folder; this project has none.")
        self._store.set_meta("image_folder", check_image_folder(folder))
        return self.image_source() or {}

    def media_file(self, path: str) -> Path:
        """The file of the image folder that ``GET /media/PATH`` sends (:func:`hilt.project.media.media_file`)."""
        source = self.image_source()
        return media_file(None if source is None else source["folder"], path)

    def add_columns(self, stored: dict, label_like: Sequence[str]) -> None:
        """Columns first seen in a later import (``stored``: file column -> stored key): recorded,
        and hidden when they hold label names (unless the project shows only chosen columns,
        which hides every new column anyway)."""
        new = [key for key in stored.values() if key not in self.data_columns]
        if not new:
            return
        hide = [stored[c] for c in label_like if stored[c] in new]
        if hide and self.display.mode == "hide":
            self.display = Display("hide", self.display.names + tuple(hide), self.display.always)
            self._store.set_meta("display", self.display.to_meta())
        self.data_columns += new
        self._store.set_meta("data_columns", self.data_columns)

    # -- changing settings -----------------------------------------------------------------
    def plan_change(self, *, model: Any, strategy: str | None, retrain_every: int | None,
                    eval_share: float | None, lease_seconds: float | None, labels: Sequence[str] | None,
                    rename: tuple[str, str] | None) -> tuple[dict[str, Any], tuple[str, str] | None]:
        """Change settings after creation, recorded in the project file (with a dated entry in
        its ``config_history``); each value is checked as :meth:`hilt.Project.create` checks it.

        ``labels`` may add labels (every current label must stay: answers use them);
        ``rename=(old, new)`` renames a label together with every answer that gave it.
        ``eval_share`` sets how often evaluation items are served; the evaluation sample
        itself was drawn at import and stays. The project's training (its background worker)
        restarts with the new settings; other processes that have the project open (a running
        ``hilt serve``) see them when they open it again.

        Returns the meta values to write and the checked rename; :meth:`hilt.Project.configure`
        writes them, rebuilds training and returns :meth:`hilt.Project.settings` after the change,
        plus ``renamed`` (answers renamed).

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad", "fine"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     item = project.next_item("ada")
        ...     _ = project.answer(item.id, "neg", "ada")
        ...     changed = project.configure(labels=["pos", "neg", "meh"], rename=("neg", "negative"),
        ...                                 retrain_every=5)
        ...     changed["labels"], changed["renamed"], project.status()["by_label"]
        (['pos', 'negative', 'meh'], 1, {'negative': 1})
        """
        current = list(self.settings.labels)
        if rename is not None:
            if (isinstance(rename, str) or not isinstance(rename, Sequence) or len(rename) != 2
                    or not all(isinstance(n, str) for n in rename)):
                raise InputError(f"Expected rename as (old label, new label); got {rename!r}.")
            old, new = (n.strip() for n in rename)
            if old not in current:
                raise InputError(f"Expected a label to rename from {', '.join(current)}; got {old!r}.")
            if not new or new in current:
                raise InputError(f"Expected a new, unused label name to rename {old!r} to; got {new!r}.")
            current = [new if label == old else label for label in current]
            rename = (old, new)
        if labels is not None:
            wanted = check_labels(labels, self.settings.task)
            if rename is not None:  # the list may name the renamed label by its old name or its new one
                wanted = check_labels([rename[1] if label == rename[0] else label for label in wanted],
                                      self.settings.task)
            missing = [label for label in current if label not in wanted]
            if missing:
                raise InputError(
                    f"Expected the new labels to keep every current label (answers use them); missing: "
                    f"{', '.join(missing)}. Add labels by listing them all ({','.join(current)},NEW); "
                    "rename one with rename=OLD:NEW."
                )
            current = wanted
        if strategy is not None:
            from hilt.strategies import check_strategy

            strategy = check_strategy(strategy, task=self.settings.task)
        if retrain_every is not None:
            check_number("retrain_every", retrain_every, 1, None, whole=True)
        if eval_share is not None:
            check_number("eval_share", eval_share, 0.0, 0.9)
        if lease_seconds is not None:
            check_number("lease_seconds", lease_seconds, 1, None)
        if model is not None:
            check_model(model, current)
        meta = self._store.meta()
        changes = {k: v for k, v in (("strategy", strategy), ("retrain_every", retrain_every),
                                      ("eval_share", eval_share), ("lease_seconds", lease_seconds)) if v is not None}
        if current != list(self.settings.labels):
            changes["labels"] = current
        if rename is not None:
            changes["rename"] = list(rename)
        settings = dict(meta.get("settings") or {})
        settings.update({k: changes[k] for k in ("retrain_every", "eval_share", "lease_seconds") if k in changes})
        values: dict[str, Any] = {"settings": settings, "labels": current,
                                  "strategy": changes.get("strategy", self.settings.strategy)}
        if rename is not None:  # a label's description follows it to its new name
            from hilt.project.guidelines import renamed_descriptions

            described = renamed_descriptions(meta, *rename)
            if described is not None:
                values["label_descriptions"] = described
        if changes:
            values["config_history"] = list(meta.get("config_history") or []) + [{"at": utc_now(), "changes": changes}]
        return values, rename

    def reload(self) -> ProjectSettings:
        """Read the settings again from the meta (after :meth:`plan_change`'s values are written)."""
        self.settings = ProjectSettings.from_meta(self._store.meta())
        return self.settings

    def with_items(self, **values: Any) -> ProjectSettings:
        """The settings with the items' kind and columns found in the data (at creation)."""
        return replace(self.settings, **values)


# -- checks shared by create and configure ---------------------------------------------------

def check_model(model: Any, labels: Sequence[str]) -> None:
    """Raise :class:`InputError` unless ``model`` is a scikit-learn classifier hilt can copy and fit."""
    from hilt.models import AlignedModel, fresh_copy

    AlignedModel(model, list(labels))  # a clear error for an object without predict_proba / decision_function
    try:
        fresh_copy(model)  # every run fits a fresh clone, so it must clone now, not in the worker
    except TypeError as error:
        raise InputError(
            f"Expected a scikit-learn classifier (with get_params, so that it can be cloned); got "
            f"{type(model).__name__}: {error}"
        ) from None


def check_labels(labels: Any, task: str = "single") -> list[str]:
    """The labels, stripped, or an :class:`InputError`: at least two distinct non-empty strings
    (one is enough for ``spans``: marking the people a text names is a whole task)."""
    # Every task names its labels this way: a multi-label answer is a set of these.
    if isinstance(labels, str) or not isinstance(labels, Sequence):
        raise InputError(f"Expected the labels as a list of strings like ['pos', 'neg']; got {labels!r}.")
    labels = [label.strip() if isinstance(label, str) else label for label in labels]
    if not all(isinstance(label, str) and label for label in labels):
        raise InputError(f"Expected every label to be a non-empty string; got {labels!r}.")
    if len(labels) < (1 if task == "spans" else 2):
        raise InputError(f"Expected at least {'one label' if task == 'spans' else 'two labels'}; got {labels!r}.")
    if len(set(labels)) != len(labels):
        raise InputError(f"Expected distinct labels; got {labels!r}.")
    return labels


def check_overlap(overlap: Any, annotators_per_item: Any) -> None:
    check_number("overlap", overlap, 0.0, 1.0)
    check_number("annotators_per_item", annotators_per_item, 1, None, whole=True)
    if overlap > 0 and annotators_per_item < 2:
        raise InputError(
            f"Expected annotators_per_item of at least 2 with overlap {overlap} (an overlapped item "
            f"goes to several different people); got {annotators_per_item}. Use overlap 0 to label "
            "every item once."
        )


def check_number(name: str, value: Any, low: float, high: float | None, *, whole: bool = False) -> None:
    """Raise :class:`InputError` unless ``value`` is a (whole) number in ``[low, high]``."""
    kinds = (int,) if whole else (int, float)
    if (isinstance(value, bool) or not isinstance(value, kinds) or value != value  # NaN
            or value < low or (high is not None and value > high)):
        expected = f"a {'whole ' if whole else ''}number >= {low}" + (f" and <= {high}" if high is not None else "")
        raise InputError(f"Expected {name} to be {expected}; got {value!r}.")

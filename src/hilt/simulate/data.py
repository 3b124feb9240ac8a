"""Where a simulation's labelled items come from: a bundled data set, a file, or a project."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

# The multi-label data sets ``hilt simulate NAME --task multilabel`` knows without a file.
from hilt.datasets import MULTILABEL_DATASETS, SPAN_DATASETS
from hilt.errors import InputError, NotFoundError
from hilt.store.location import ProjectLocation

__all__ = ["MULTILABEL_DATASETS", "NAMED_DATASETS", "SPAN_DATASETS", "LabelledData", "load_data", "parse_label_sets"]

#: Data sets ``hilt simulate NAME`` knows without a file.
NAMED_DATASETS = ("digits", "breast_cancer", "wine", "iris", "movie_reviews")



@dataclass
class LabelledData:
    """Items with their true labels: the oracle's answer key.

    ``items`` is a 1-D object array of texts (``kind="text"``) or a 2-D float array of table
    rows (``kind="table"``); ``y`` holds one label (a string) per item, or for
    ``task="multilabel"`` one tuple of labels per item (in ``labels`` order; ``()`` = none).
    """

    name: str
    items: Any
    y: np.ndarray
    kind: str
    labels: list[str]
    notes: list[str] = field(default_factory=list)
    #: The featurizer the items come with (a replayed project's own), used unless one is asked for.
    featurizer: Any = None
    #: ``single`` (one label per item), ``multilabel`` (a set of labels per item) or ``spans``
    #: (a list of ``{"start", "end", "label"}`` per text).
    task: str = "single"

    def __len__(self) -> int:
        return int(self.y.shape[0])


def load_data(
    data: Any = None,
    *,
    label_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    project: str | Path | ProjectLocation | None = None,
    task: str = "single",
    label_separator: str = ";",
    vectors: str | None = None,
) -> LabelledData:
    """Resolve the ``data`` argument of :func:`hilt.simulate.run`.

    ``data`` is a bundled data set name (see :data:`NAMED_DATASETS`), a CSV / JSONL / Parquet
    path (with ``label_column``), a pandas DataFrame (with ``label_column``), or ``None`` with
    ``project`` (a hilt project file whose labelled items are replayed). ``id_column`` names a
    file's column of item ids, which is then never taken as the text or as a feature.

    ``vectors`` is the features asked for: when they are the items' own vectors
    (``vectors:COLUMN``, ``vectors:FILE.npz``, ``tfidf+vectors:…``), ``items`` are
    :class:`hilt.features.vectors.VectorItems` (each item's cell of the column, its id and text),
    and the column is never the text nor a table feature.

    With ``task="multilabel"`` the label column holds each item's set of labels: a list (a
    JSON array in JSONL, a list in a frame or Parquet file) or a text of labels joined by
    ``label_separator`` (``"a;c"``; a text starting with ``[`` is read as a JSON array). An
    empty list, or an empty cell of a CSV file, is the empty set ("none of these"); a missing
    value in JSONL or a frame (``null``, ``None``) is an unlabelled row and left out.
    Bundled: :data:`MULTILABEL_DATASETS`.

    Examples
    --------
    >>> from hilt.simulate.data import load_data
    >>> iris = load_data("iris")
    >>> len(iris), iris.kind, iris.labels
    (150, 'table', ['setosa', 'versicolor', 'virginica'])
    """
    if task not in ("single", "multilabel", "spans"):
        raise InputError(f"Expected task to be one of single, multilabel, spans; got {task!r}.")
    if task == "spans":
        return _load_spans(data, label_column=label_column, text_column=text_column, project=project)
    if task == "multilabel":
        return _load_multilabel(data, label_column=label_column, text_column=text_column, id_column=id_column,
                                project=project, separator=label_separator)
    if project is not None:
        if data is not None:
            raise InputError(
                f"Expected either a data set or --project, not both; got {data!r} and project {str(project)!r}."
            )
        return _from_project(ProjectLocation.of(project))
    if data is None:
        raise InputError(
            "Expected a data set: a file (CSV, JSONL or Parquet) with --label-column, one of "
            f"{', '.join(NAMED_DATASETS)}, or --project PROJECT to replay a project's labels."
        )
    own = _own_vectors(vectors)
    if isinstance(data, pd.DataFrame):
        if label_column is None:
            raise InputError("Expected label_column naming the frame's column of true labels.")
        return _read("data", data, label_column=label_column, text_column=text_column, id_column=id_column,
                     vectors=own)
    text = str(data)
    path = Path(text)
    if text in NAMED_DATASETS and not path.exists():
        if label_column is not None or text_column is not None or id_column is not None:
            raise InputError(
                f"--label-column, --text-column and --id-column apply to a file; {text!r} is a bundled data set."
            )
        return _named(text)
    if not path.exists():
        raise NotFoundError(
            f"Expected a data file or one of {', '.join(NAMED_DATASETS)}; got {text!r}, "
            "which is neither (no such file)."
        )
    if label_column is None:
        raise InputError(
            f"Expected --label-column naming the column of {path.name} that holds the true labels."
        )
    return _read(path.stem, path, label_column=label_column, text_column=text_column, id_column=id_column,
                 vectors=own)


def _own_vectors(features: str | None):
    """The featurizer of the items' own vectors that ``features`` names, else ``None``."""
    if not isinstance(features, str) or ":" not in features:
        return None
    from hilt.features import get_featurizer

    prefix = features.partition(":")[0].strip().lower()
    if prefix not in ("vectors", "tfidf+vectors"):
        return None
    return get_featurizer(features, "text")


def project_name(project) -> str:
    """How messages name a project: its file name, or its database without the password."""
    location = project.location
    return location.display if location.is_database else location.path.name


def _named(name: str) -> LabelledData:
    from hilt.datasets import load_movie_reviews, load_sklearn

    if name == "movie_reviews":
        return _read(name, load_movie_reviews(), label_column="sentiment", text_column="text")
    return _read(name, load_sklearn(name), label_column="label")


def _from_project(path: ProjectLocation) -> LabelledData:
    if not path.is_database and not path.path.is_file():
        raise NotFoundError(f"Expected a hilt project file at {str(path.path)!r}, but there is no such file.")
    from hilt.project import Project

    with Project.open(path, scheduler=False) as project:  # only its labelled items are read
        name = project_name(project)
        frame = project.labelled_items()
        kind, text_column, features = project.kind, project.text_column, project.feature_columns
        featurizer = project.featurizer
    if frame.empty:
        raise InputError(
            f"Expected labelled items in project {name}, but it has none yet. Label some first "
            f"(hilt label {name}, or hilt serve {name}), then simulate again."
        )
    # Only the columns the project itself learns from: an id or free-text column left in the
    # item data must not become a feature here when the project never used it.
    if kind == "text" and text_column in frame.columns:
        frame = frame[[text_column, "label"]]
    elif kind == "table" and features and set(features) <= set(frame.columns):
        frame = frame[[*features, "label"]]
        text_column = None
    found = sorted(set(frame["label"].astype(str)))
    if len(found) < 2:
        raise InputError(
            f"Expected answers with at least two different labels in project {name}; its "
            f"{len(frame)} labelled item{'s' if len(frame) != 1 else ''} all have {found[0]!r}. "
            "Label items of other classes first, then simulate again."
        )
    stem = name.rsplit("/", 1)[-1] if path.is_database else path.path.stem
    data = _read(stem, frame, label_column="label", text_column=text_column if kind == "text" else None)
    data.notes.append(f"Replaying the {len(data)} labelled items of project {name} (its other items are left out).")
    data.featurizer = featurizer
    return data


def _read(name: str, source: Any, *, label_column: str, text_column: str | None = None,
          id_column: str | None = None, vectors: Any = None) -> LabelledData:
    """Items and labels through hilt's importer (the same checks and messages as ``hilt init``).

    Rows without a label are left out, and counted in ``notes``. With ``vectors`` (a featurizer
    of the items' own vectors) the items are :class:`hilt.features.vectors.VectorItems`.
    """
    from hilt.importing import read_items

    column = getattr(vectors, "vector_column", None)
    kept = {column: f"the vectors column of features {vectors.name!r}"} if column is not None else {}
    imported = read_items(source, text_column=text_column, label_column=label_column, id_column=id_column,
                          kept_columns=kept, own_features=vectors is not None)
    row_labels = imported.labels or []
    keep = np.array([label is not None for label in row_labels], dtype=bool)
    notes: list[str] = []
    if not keep.all():
        n = int((~keep).sum())
        notes.append(f"Left out {n} row{'s' if n != 1 else ''} without a label.")
    frame = imported.frame.loc[keep]
    y = np.array([label for label in row_labels if label is not None], dtype=object)
    if imported.kind == "text":
        items = np.asarray(frame[imported.text_column].astype(str).to_numpy(), dtype=object)
        if text_column is None:
            # The importer takes a lone string column as the text; say so, since a table with
            # a name column would otherwise be simulated as texts without a word of warning.
            notes.append(
                f"Used column {imported.text_column!r} as the item text (the only string column); "
                "pass --text-column to choose another, or drop it to use the numeric columns."
            )
    else:
        items = frame[imported.feature_columns].to_numpy(dtype=np.float64)
        ignored = [c for c in frame.columns if c not in imported.feature_columns]
        if ignored:
            notes.append(f"Ignored non-numeric columns {ignored} (pass --text-column to use texts).")
    labels = sorted(set(y.tolist()))
    if len(labels) < 2:
        raise InputError(
            f"Expected at least two different labels in column {label_column!r}, got {labels!r}."
        )
    if vectors is not None:
        from hilt.features.vectors import VectorItems

        ids = [key for key, keep_it in zip(imported.ids, keep) if keep_it]
        items = VectorItems(values=frame[column].tolist() if column is not None else None, ids=ids,
                            texts=items.tolist() if imported.kind == "text" else None)
        notes = [n for n in notes if not n.startswith("Ignored non-numeric")]
    return LabelledData(name=name, items=items, y=y, kind=imported.kind, labels=labels, notes=notes)


# -- several labels per item ----------------------------------------------------------------
def parse_label_sets(values: Any, separator: str = ";", where: str = "the label column") -> list[tuple[str, ...] | None]:
    """Each value of a multi-label column as a tuple of labels (text), or None (unlabelled).

    A list, tuple, set or array is taken as it is; a text is split at ``separator`` (a text
    starting with ``[`` is read as a JSON array); an empty text is the empty set; ``None`` and
    NaN are unlabelled. A label given twice in one value is an error naming the row.

    Examples
    --------
    >>> from hilt.simulate.data import parse_label_sets
    >>> parse_label_sets([["b", "a"], "a; c", "", '["c"]', None, float("nan")])
    [('b', 'a'), ('a', 'c'), (), ('c',), None, None]
    """
    from hilt.tasks.multilabel import label_list

    out: list[tuple[str, ...] | None] = []
    for row, given in enumerate(values):
        try:
            value = label_list(given, separator)
        except ValueError:
            raise InputError(f"Expected a JSON array of labels in {where}, row {row}; got {given!r}.") from None
        if value is None:
            out.append(None)
            continue
        if not isinstance(value, (list, tuple, set, frozenset)):
            raise InputError(
                f"Expected a list of labels (or labels joined by {separator!r}) in {where}, row {row}; got {value!r}."
            )
        labels = tuple(str(label) for label in value)
        if len(set(labels)) != len(labels):
            raise InputError(f"Expected each label at most once per item in {where}, row {row}; got {list(labels)!r}.")
        out.append(labels)
    return out


def _load_multilabel(data: Any, *, label_column: str | None, text_column: str | None, id_column: str | None,
                     project: Any, separator: str) -> LabelledData:
    if project is not None:
        raise InputError("Expected a multi-label data file or data set for --task multilabel; replaying a "
                         "project's answers (--project) is for single-label projects so far.")
    if data is None:
        raise InputError(
            "Expected a data set: a file (CSV, JSONL or Parquet) whose --label-column holds each item's labels "
            f"(JSON lists, or labels joined by {separator!r}), or one of {', '.join(MULTILABEL_DATASETS)}."
        )
    if not isinstance(data, pd.DataFrame) and str(data) in MULTILABEL_DATASETS and not Path(str(data)).exists():
        if label_column is not None or text_column is not None or id_column is not None:
            raise InputError(
                f"--label-column, --text-column and --id-column apply to a file; {data!r} is a bundled data set."
            )
        from hilt.datasets import load_multilabel

        frame, label_column, text_column = load_multilabel(str(data))
        name = str(data)
        source: Any = frame
    elif isinstance(data, pd.DataFrame):
        name, source = "data", data
    else:
        path = Path(str(data))
        if not path.exists():
            raise NotFoundError(
                f"Expected a data file or one of {', '.join(MULTILABEL_DATASETS)}; got {str(data)!r}, "
                "which is neither (no such file)."
            )
        name, source = path.stem, path
    if label_column is None:
        raise InputError("Expected --label-column naming the column that holds each item's labels.")
    from hilt.importing import read_items

    imported = read_items(source, text_column=text_column, id_column=id_column, exclude_columns=[label_column])
    frame = imported.frame
    raw = frame[label_column].tolist()
    csv_file = isinstance(source, Path) and any(suffix in (".csv", ".tsv") for suffix in source.suffixes)
    if csv_file:  # a CSV cell cannot hold null apart from "": an empty cell is the empty set
        raw = ["" if value is None or (isinstance(value, float) and np.isnan(value)) else value for value in raw]
    sets = parse_label_sets(raw, separator, where=f"column {label_column!r}")
    keep = np.array([value is not None for value in sets], dtype=bool)
    notes: list[str] = []
    if not keep.all():
        n = int((~keep).sum())
        notes.append(f"Left out {n} row{'s' if n != 1 else ''} without labels (null).")
    frame = frame.loc[keep]
    found = sorted({label for value in sets if value is not None for label in value}, key=_natural)
    if len(found) < 2:
        raise InputError(f"Expected at least two different labels in column {label_column!r}, got {found!r}.")
    order = {label: i for i, label in enumerate(found)}
    y = np.empty(int(keep.sum()), dtype=object)  # one tuple per item (np.array would make a 2-D array)
    y[:] = [tuple(sorted(value, key=order.__getitem__)) for value in sets if value is not None]
    if imported.kind == "text":
        items = np.asarray(frame[imported.text_column].astype(str).to_numpy(), dtype=object)
    else:
        items = frame[imported.feature_columns].to_numpy(dtype=np.float64)
    return LabelledData(name=name, items=items, y=y, kind=imported.kind, labels=found, notes=notes, task="multilabel")


def _natural(label: str) -> tuple:
    """Sort key that puts Class2 before Class10."""
    import re

    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", label))


def _load_spans(data: Any, *, label_column: str | None, text_column: str | None, project: Any) -> LabelledData:
    """Texts with their true spans (``task="spans"``): a bundled set of :data:`SPAN_DATASETS`, a
    CoNLL / IOB2 file (``.conll``, ``.iob``), or a CSV / JSONL / Parquet file or a frame with a
    text column and a column of span lists (``label_column``, default ``spans``: a JSON list per
    cell, checked against its row's text). Rows without a spans value are left out."""
    from hilt.importing.conll import CONLL_SUFFIXES, read_conll
    from hilt.tasks.spans_cells import read_spans_cell

    if project is not None:
        raise InputError("Expected a data set for --task spans (a CoNLL file, a file with texts and spans, or "
                         f"{', '.join(SPAN_DATASETS)}); replaying a spans project (--project) is not supported yet.")
    if data is None:
        raise InputError(f"Expected a data set for --task spans: {', '.join(SPAN_DATASETS)}, a CoNLL file "
                         "(.conll, .iob) or a CSV / JSONL / Parquet file with a text column and a spans column.")
    if isinstance(data, (str, Path)) and str(data) in SPAN_DATASETS and not Path(str(data)).exists():
        from hilt.datasets import load_spans

        loaded = load_spans(str(data))
        return _span_data(str(data), loaded.texts, loaded.spans, list(loaded.labels))
    if isinstance(data, (str, Path)) and Path(str(data)).suffix.lower() in CONLL_SUFFIXES:
        texts, spans = read_conll(Path(str(data)))
        labels = sorted({s["label"] for answer in spans for s in answer})
        return _span_data(Path(str(data)).name, texts, spans, labels)
    from hilt.importing import read_items
    from hilt.tasks.spans import span_list

    name = "data"
    if not isinstance(data, pd.DataFrame):
        path = Path(str(data))
        if not path.exists():
            raise NotFoundError(f"Expected a CoNLL file, a data file or one of {', '.join(SPAN_DATASETS)}; got "
                                f"{str(data)!r}, which is neither (no such file).")
        name = path.name
    column, text = label_column or "spans", text_column or "text"
    frame = read_items(data, text_column=text).frame  # the importer's checks and messages, as hilt init
    if column not in frame.columns:
        raise InputError(f"Expected a column {column!r} of spans (--label-column) in {name}; the columns are: "
                         f"{', '.join(map(str, frame.columns))}.")
    texts_all = [str(t) for t in frame[text].tolist()]
    cells = frame[column].tolist()
    labels = sorted({str(s.get("label")) for v in cells for s in (_spans_or_none(span_list, v) or [])
                     if isinstance(s, dict)})
    found = [(t, read_spans_cell(v, labels, text=t, where=f"{name}, row {i + 1}, column {column!r}"))
             for i, (t, v) in enumerate(zip(texts_all, cells))]
    kept = [(t, spans) for t, spans in found if spans is not None]
    notes = [f"{len(found) - len(kept)} rows without spans were left out."] if len(kept) < len(found) else []
    data_set = _span_data(name, [t for t, _ in kept], [spans for _, spans in kept], labels)
    data_set.notes.extend(notes)
    return data_set


def _spans_or_none(span_list: Any, value: Any) -> Any:
    """The cell's list as given (unchecked), or ``None`` for a cell that is not one (reported by the check)."""
    try:
        spans = span_list(value)
    except ValueError:
        return None
    return spans if isinstance(spans, list) else None


def _span_data(name: str, texts: list[str], spans: list[list[dict]], labels: list[str]) -> LabelledData:
    if not labels:
        raise InputError(f"Expected some spans to learn from in {name}; none of its {len(texts)} texts has one.")
    y = np.empty(len(spans), dtype=object)
    y[:] = [list(answer) for answer in spans]
    return LabelledData(name=name, items=np.asarray(texts, dtype=object), y=y, kind="text", labels=labels,
                        task="spans")

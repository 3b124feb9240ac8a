"""Entity-level figures of a spans model on the evaluation sample, each with a 95 % bootstrap interval.

A predicted span counts as right only when the truth holds the very same ``(start, end, label)``
(seqeval's strict convention on IOB2 tags, which :mod:`tests.test_tasks_spans` checks). The
interval resamples evaluation *items* with a fixed seed, so the same answers always give the same
interval; each resample's figures come from per-item counts weighted by how often the resample
drew each item (one matrix product, as :mod:`hilt.tasks.multilabel_metrics` does).
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from hilt.tasks.bootstrap import BOOTSTRAP_ROUNDS, bootstrap_weights, with_intervals

__all__ = ["BOOTSTRAP_ROUNDS", "METRICS", "entity_counts", "span_metrics"]

#: The figures, in the order they are reported; the first is the headline.
METRICS = ("entity_f1", "entity_precision", "entity_recall")


def _keys(spans: Iterable[Mapping[str, Any]]) -> set[tuple[int, int, str]]:
    return {(int(s["start"]), int(s["end"]), str(s["label"])) for s in spans}


def entity_counts(truth: Sequence[Iterable[Mapping[str, Any]]], predicted: Sequence[Iterable[Mapping[str, Any]]],
                  ) -> np.ndarray:
    """``(n_items, 3)`` float64: per item the spans right (tp), predicted but not true (fp) and
    true but not predicted (fn).

    Examples
    --------
    >>> entity_counts([[{"start": 0, "end": 3, "label": "PER"}]],
    ...               [[{"start": 0, "end": 3, "label": "PER"}, {"start": 4, "end": 6, "label": "LOC"}]])
    array([[1., 1., 0.]])
    """
    if len(truth) != len(predicted):
        raise ValueError(f"Expected as many predicted answers as true ones ({len(truth)}); got {len(predicted)}.")
    out = np.zeros((len(truth), 3))
    for i, (true, guess) in enumerate(zip(truth, predicted)):
        t, p = _keys(true), _keys(guess)
        out[i] = (len(t & p), len(p - t), len(t - p))
    return out


def _figures(tp: np.ndarray, fp: np.ndarray, fn: np.ndarray) -> dict[str, np.ndarray]:
    # seqeval's zero division: a figure whose denominator is 0 is 0, except when there is
    # nothing at all (no true span, none predicted): the model found all of nothing, so 1.
    nothing = (tp + fp + fn) == 0
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / np.where(tp + fp > 0, tp + fp, 1), 0.0)
        recall = np.where(tp + fn > 0, tp / np.where(tp + fn > 0, tp + fn, 1), 0.0)
        f1 = np.where(2 * tp + fp + fn > 0, 2 * tp / np.where(2 * tp + fp + fn > 0, 2 * tp + fp + fn, 1), 0.0)
    return {"entity_f1": np.where(nothing, 1.0, f1), "entity_precision": np.where(nothing, 1.0, precision),
            "entity_recall": np.where(nothing, 1.0, recall)}


def span_metrics(truth: Sequence[Iterable[Mapping[str, Any]]], predicted: Sequence[Iterable[Mapping[str, Any]]], *,
                 seed: int = 0, rounds: int = BOOTSTRAP_ROUNDS) -> dict[str, dict[str, Any]]:
    """Entity F1, precision and recall (micro over all spans, exact match), each ``{"value", "ci"}``.

    Parameters
    ----------
    truth, predicted : sequence of span lists
        One list of ``{"start", "end", "label"}`` per evaluation item.
    seed : int, default 0
        Seeds the bootstrap.
    rounds : int, default 1000

    Returns
    -------
    dict
        name -> ``{"value": float, "ci": [low, high]}`` in :data:`METRICS` order; empty for no items.

    Examples
    --------
    >>> per, loc = {"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 14, "label": "LOC"}
    >>> truth = [[per, loc], [per], []]
    >>> guess = [[per], [{"start": 0, "end": 3, "label": "LOC"}], [loc]]
    >>> figures = span_metrics(truth, guess)
    >>> {name: round(f["value"], 4) for name, f in figures.items()}   # 1 right of 3 predicted, of 3 true
    {'entity_f1': 0.3333, 'entity_precision': 0.3333, 'entity_recall': 0.3333}
    >>> low, high = figures["entity_f1"]["ci"]; low <= 0.3333 <= high
    True
    """
    counts = entity_counts(truth, predicted)
    n = len(counts)
    if n == 0:
        return {}
    total = counts.sum(axis=0)
    value = _figures(total[0], total[1], total[2])
    weights = bootstrap_weights(n, rounds, seed)
    boot_counts = weights @ counts
    boot = _figures(boot_counts[:, 0], boot_counts[:, 1], boot_counts[:, 2])
    return with_intervals(value, boot, METRICS)

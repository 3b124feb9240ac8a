"""Labels a team can trust: the :class:`Quality` service (agreement, likely label errors, review).

It is given what it uses explicitly: the store, the project's configuration (labels, shown
columns), the training service (feature rows, fresh estimators, the retrain count), the
labelling service (an answer's checks) and the team (who reviews). The math lives in
:mod:`hilt.quality`; the rule for an item's final answer in the project's task (:mod:`hilt.tasks`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Iterable

import numpy as np

from hilt.errors import InputError
from hilt.project.configuration import Configuration
from hilt.project.labelling import check_seconds
from hilt.project.results import Agreement, LabelIssue
from hilt.store import Store
from hilt.tasks import REVIEW, Decision
from hilt.tasks.spans_text import tokenize

if TYPE_CHECKING:
    from hilt.project.labelling import Labelling
    from hilt.project.team import Team
    from hilt.project.training import Training

__all__ = ["Quality"]

#: Folds of the out-of-fold predictions label issues are found from.
ISSUE_FOLDS = 5


class Quality:
    """Agreement, likely label errors and review of the project in ``store``."""

    def __init__(self, store: Store, config: Configuration, training: "Training", labelling: "Labelling",
                 team: "Team"):
        self._store = store
        self._config = config
        self._training = training
        self._labelling = labelling
        self._team = team
        self._issues_lock = threading.Lock()
        #: ``(answers key, rows)`` of the last label issues computed.
        self._issues_cache: tuple | None = None

    # -- agreement -------------------------------------------------------------------------
    def agreement(self) -> Agreement:
        """Agreement between annotators on items two or more of them labelled (overlap): an
        :class:`~hilt.project.results.Agreement` with ``items``, ``alpha`` (Krippendorff's,
        nominal), ``by_annotator`` and ``pairs`` (Cohen's kappa); see
        :func:`hilt.quality.agreement`. Also ``status().agreement``."""
        from hilt.project.status import store_agreement

        return Agreement.from_report(store_agreement(self._store))

    # -- likely label errors ---------------------------------------------------------------
    def label_issues(self, limit: int = 50) -> list[LabelIssue]:
        """Labelled items whose label is most likely wrong, most likely first.

        Every labelled item (evaluation items too) gets a predicted probability from a copy of
        the project's model that did not see that item's label (out-of-fold, ``ISSUE_FOLDS``
        folds, on the project's cached features); confident learning
        (:func:`hilt.quality.find_label_issues`) flags the labels the model confidently
        contradicts. Items whose annotators disagree (and no reviewer settled) come too, flagged
        or not. Items a reviewer decided are left out: a person already looked.

        Returns :class:`~hilt.project.results.LabelIssue` rows ``{"item_id", "label", "suggested",
        "score", "annotator", "disagreement"}``:
        ``score`` in [0, 1] (higher: more likely wrong), ``suggested`` the label the model
        prefers, ``annotator`` who gave the label. An empty list while fewer than two
        different labels exist.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> texts = ["good fun", "great fun", "good film", "bad mess", "awful mess", "bad film"] * 4
        >>> labels = ["pos", "pos", "pos", "neg", "neg", "neg"] * 4
        >>> labels[0] = "neg"  # a slip
        >>> frame = pd.DataFrame({"text": texts, "y": labels})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"],
        ...                     label_column="y", features="tfidf") as project:
        ...     found = project.label_issues(limit=1)
        >>> found[0].item_id, found[0].label, found[0].suggested
        ('0', 'neg', 'pos')
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(f"Expected limit to be a whole number >= 1; got {limit!r}.")
        return [LabelIssue(**row) for row in self._issue_rows()[:limit]]

    def _issue_rows(self) -> list[dict]:
        """Every row :meth:`label_issues` can return, ranked; cached until an annotator's answer
        changes (review decisions only remove rows, so they do not cost a refit)."""
        answers = self._store.current_answers()
        key = tuple((a["order"], a["role"]) for a in answers if a["role"] != REVIEW)
        with self._issues_lock:
            cached = self._issues_cache
            if cached is None or cached[0] != key:
                cached = (key, self._compute_issue_rows(answers))
                self._issues_cache = cached
        reviewed = {a["item_id"] for a in answers if a["role"] == REVIEW}
        return [row for row in cached[1] if row["item_id"] not in reviewed]

    def _compute_issue_rows(self, answers: list[dict]) -> list[dict]:
        from hilt.quality.label_issues import find_label_issues, out_of_fold_probabilities

        decisions = self._store.decisions()
        if self._store.task.multilabel:
            return self._compute_pair_issues(answers, decisions)
        if self._store.task.widget == "spans":
            return self._compute_span_issues(answers, decisions)
        if len({d.label for d in decisions.values()}) < 2:
            return []
        by_order = {a["order"]: a for a in answers}
        # The labelled items' rows only (from the cluster's workers when the project has one).
        X, kept = self._training.feature_rows(sorted(decisions))
        items = [int(r) for r in kept]
        labels = list(self._config.settings.labels)
        # One final label per item against the model's per-label probabilities (single); a
        # multi-label project flags (item, label) pairs instead (_compute_pair_issues).
        code = {label: j for j, label in enumerate(labels)}
        y = np.array([code[decisions[r].label] for r in items], dtype=np.int64)
        probs = out_of_fold_probabilities(self._training.new_estimator, X, y,
                                          folds=ISSUE_FOLDS, n_classes=len(labels))
        flagged, scores, suggested = find_label_issues(y, probs)
        score_of = {int(i): (float(s), int(g)) for i, s, g in zip(flagged, scores, suggested)}
        rows = []
        for i, rowid in enumerate(items):
            decision: Decision = decisions[rowid]
            if i not in score_of and not decision.disagreement:
                continue
            if i in score_of:
                score, better = score_of[i]
            else:  # a disagreement the model does not flag: ranked by the model's doubt in the label
                score, better = float(1.0 - probs[i, y[i]]), int(np.argmax(probs[i]))
            first = by_order[decision.order]
            rows.append({"item_id": first["item_id"], "label": decision.label, "suggested": labels[better],
                         "score": score, "annotator": first["annotator"], "disagreement": decision.disagreement})
        rows.sort(key=lambda row: -row["score"])
        return rows

    def _compute_pair_issues(self, answers: list[dict], decisions: dict[int, Decision]) -> list[dict]:
        """Multi-label issues: one row per (item, label) pair whose yes/no the out-of-fold
        probability of that label confidently contradicts (confident learning per label,
        :func:`hilt.quality.label_sets.find_pair_issues`), with ``issue_label`` the label and
        ``suggested`` the set with that label flipped; items whose annotators disagree come too."""
        from hilt.quality.label_issues import out_of_fold_probabilities
        from hilt.quality.label_sets import find_pair_issues

        if not decisions:
            return []
        task, labels = self._store.task, list(self._config.settings.labels)
        X, kept = self._training.feature_rows(sorted(decisions))
        items = [int(r) for r in kept]
        finals = [task.decode(decisions[r].label, labels) for r in items]
        given = task.indicator(finals, labels)
        probs = np.full(given.shape, np.nan)
        for j in range(len(labels)):
            y = given[:, j].astype(np.int64)
            if y.min(initial=0) != y.max(initial=0):  # each label one-vs-rest, like the task's model
                probs[:, j] = out_of_fold_probabilities(self._training.new_estimator, X, y, folds=ISSUE_FOLDS,
                                                        n_classes=2)[:, 1]
        usable = ~np.isnan(probs).any(axis=0)
        found_items, found_labels, found_scores = find_pair_issues(
            given[:, usable], np.nan_to_num(probs[:, usable]))
        columns = np.flatnonzero(usable)
        by_order = {a["order"]: a for a in answers}
        rows, flagged = [], set()
        for i, j, score in zip(found_items.tolist(), columns[found_labels].tolist(), found_scores.tolist()):
            flagged.add(i)
            rows.append(self._pair_row(items[i], decisions, by_order, finals[i], labels[j], float(score)))
        for i, rowid in enumerate(items):  # disagreements the model does not flag, by its doubt
            if i in flagged or not decisions[rowid].disagreement:
                continue
            p = np.nan_to_num(probs[i], nan=0.5)
            doubt = np.where(given[i], 1.0 - p, p)
            j = int(np.argmax(doubt))
            rows.append(self._pair_row(rowid, decisions, by_order, finals[i], labels[j], float(doubt[j])))
        rows.sort(key=lambda row: -row["score"])
        return rows

    def _compute_span_issues(self, answers: list[dict], decisions: dict[int, Decision]) -> list[dict]:
        """Spans issues: items whose final spans the out-of-fold sequence model's differ from
        (:func:`hilt.quality.span_issues.span_issue_rows`: missed, extra, wrong label, wrong
        boundary; ranked by 1 - entity F1 between the two), with ``suggested`` the model's
        spans; items whose annotators disagree come too."""
        from hilt.quality.span_issues import out_of_fold_spans, span_issue_rows

        task, labels = self._store.task, list(self._config.settings.labels)
        _, rowids, _ = self._training.features.get(self._store)
        texts = self._training.features.texts(self._store)
        position = {int(r): i for i, r in enumerate(rowids)}
        items = [r for r in sorted(decisions) if r in position]
        finals = {r: task.decode(decisions[r].label, labels) for r in items}
        if not any(finals.values()):  # nothing marked anywhere: no model to disagree with
            return []
        predicted = out_of_fold_spans(lambda: task.make_model(None, labels),
                                      texts[[position[r] for r in items]], [finals[r] for r in items],
                                      folds=ISSUE_FOLDS)
        guessed = dict(zip(items, predicted))
        by_order = {a["order"]: a for a in answers}
        rows, seen = [], set()
        for row in span_issue_rows(finals, guessed):
            seen.add(row["item"])
            rows.append(self._span_row(row["item"], decisions, by_order, finals, guessed, row["score"], row["issues"]))
        for r in items:  # disagreements the model does not flag
            if r not in seen and decisions[r].disagreement:
                rows.append(self._span_row(r, decisions, by_order, finals, guessed, 0.0, []))
        rows.sort(key=lambda row: -row["score"])
        return rows

    @staticmethod
    def _span_row(rowid: int, decisions: dict[int, Decision], by_order: dict, finals: dict, guessed: dict,
                  score: float, issues: list[dict]) -> dict:
        decision = decisions[rowid]
        first = by_order[decision.order]
        return {"item_id": first["item_id"], "label": finals[rowid], "suggested": guessed.get(rowid),
                "score": float(score), "annotator": first["annotator"], "disagreement": decision.disagreement,
                "issues": issues}

    def _pair_row(self, rowid: int, decisions: dict[int, Decision], by_order: dict, final: list[str],
                  label: str, score: float) -> dict:
        labels = list(self._config.settings.labels)
        decision = decisions[rowid]
        first = by_order[decision.order]
        flipped = [name for name in labels if (name in final) != (name == label)]
        return {"item_id": first["item_id"], "label": final, "suggested": flipped, "score": score,
                "annotator": first["annotator"], "disagreement": decision.disagreement, "issue_label": label}

    # -- review ----------------------------------------------------------------------------
    def review_items(self, reviewer: str, limit: int = 20, *, include_issues: bool = True) -> list[dict]:
        """What ``reviewer`` should look at, in order: items whose annotators disagree (oldest
        first), then likely label errors (:meth:`label_issues`), none a reviewer decided yet.

        Each row: ``item_id``, ``data`` (the columns annotators see), ``label`` (the current
        final label), ``answers`` (every current answer: ``annotator``, ``label``, ``role``,
        ``answered_at``), ``reason`` (``"disagreement"`` or ``"likely error"``),
        ``suggested`` and ``score`` (from :meth:`label_issues`, ``None`` for a disagreement the
        model does not flag); a spans project's rows also carry ``tokens`` (the text's, as a served
        item's). Raises :class:`hilt.errors.ForbiddenError` for a non-reviewer.
        """
        self._team.check_reviewer(reviewer)
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise InputError(f"Expected limit to be a whole number >= 1; got {limit!r}.")
        answers = self._store.current_answers()
        decided = self._decisions_by_key(answers)
        by_item: dict[str, list[dict]] = {}
        for a in answers:
            by_item.setdefault(a["item_id"], []).append(a)
        disagreed = [key for key, d in decided.items() if d.disagreement and not d.reviewed]
        disagreed.sort(key=lambda key: by_item[key][0]["order"])
        issues = self._issue_rows() if include_issues else []
        issue_of = {row["item_id"]: row for row in issues}
        order = disagreed + [row["item_id"] for row in issues if row["item_id"] not in decided
                             or not decided[row["item_id"]].disagreement]
        rows = []
        spans = self._store.task.widget == "spans"
        for key in order[:limit]:
            issue = issue_of.get(key)
            data = self._config.display.filter(self._store.item(key).data)
            rows.append({
                "item_id": key, "data": data,
                "label": self._labelling.decode(decided[key].label),
                "answers": [{**{k: a[k] for k in ("annotator", "label", "role", "answered_at")},
                             "label": self._labelling.decode(a["label"])} for a in by_item[key]],
                "reason": "disagreement" if decided[key].disagreement else "likely error",
                "suggested": issue["suggested"] if issue else None, "score": issue["score"] if issue else None,
            })
            if spans:  # the review page marks the same tokens as the labelling page
                rows[-1]["tokens"] = [list(t) for t in tokenize(str(data.get("text") or ""))]
        return rows

    def review(self, item_id: str, label: Any, reviewer: str, answer_id: str | None = None, *,
               seconds: float | None = None) -> dict:
        """Record ``reviewer``'s decision on ``item_id``: it becomes the item's final label.

        Kept as an answer with the role ``review`` (``export(..., include_retracted=True)`` shows
        it beside every other answer). Committed before it returns; a repeated ``answer_id``
        stores nothing new. Raises :class:`hilt.errors.ForbiddenError` when ``reviewer`` is
        not a reviewer, :class:`hilt.errors.InputError` for a label outside the project's
        labels, :class:`hilt.errors.NotFoundError` for an unknown item; nothing is stored then.
        A multi-label reviewer gives a set (a list; ``[]``: none of these), which settles the item.
        ``seconds``: how long the reviewer spent on the item, kept with the decision as
        :meth:`hilt.Project.answer` keeps it (``None``: not measured).

        Returns ``{"saved": True, "answer_id", "duplicate", "label"}`` (``label``: the item's
        final label now).
        """
        self._team.check_reviewer(reviewer)
        if label is None:
            raise InputError(
                f"Expected a review decision to be one of {', '.join(self._config.settings.labels)}; got None.")
        label, answer_id = self._labelling.checked(label, reviewer, answer_id, item_id)
        with self._labelling.watch([str(item_id)], reviewer):
            result = self._store.record_answer(str(item_id), label, reviewer, answer_id, role=REVIEW,
                                               seconds=check_seconds(seconds))
        self._training.count_training(result)
        self._training.maybe_retrain()  # a decision that completes a batch starts the run
        final = self._decisions_by_key(a for a in self._store.current_answers() if a["item_id"] == str(item_id))
        return {"saved": True, "answer_id": result["answer_id"], "duplicate": result["duplicate"],
                "label": self._labelling.decode(final[str(item_id)].label)}

    def _decisions_by_key(self, answers: Iterable[dict]) -> dict[str, Decision]:
        """Item key -> :class:`~hilt.tasks.Decision` from :meth:`Store.current_answers` rows."""
        return self._store.task.final_answers(
            ((a["item_id"], a["order"], a["annotator"], a["label"], a["role"]) for a in answers),
            list(self._config.settings.labels))

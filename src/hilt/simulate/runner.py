"""Run the active learner with an oracle, for every strategy and seed, in parallel if asked."""

from __future__ import annotations

import math
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from hilt.errors import InputError
from hilt.learner import ActiveLearner
from hilt.models import AlignedModel, MultiLabelModel, label_indicator, make_featurizer
from hilt.sampling import METHODS
from hilt.strategies import STRATEGIES, check_strategy
from hilt.simulate.data import LabelledData, load_data
from hilt.simulate.estimators import MODELS, make_classifier
from hilt.simulate.results import Curve, SimulationResult

__all__ = ["run", "initial_positions", "TWO_LABEL_NAME", "DEFAULT_MULTILABEL_STRATEGIES", "DEFAULT_SPANS_STRATEGIES"]

#: The name the four uncertainty methods run under when there are only two labels.
TWO_LABEL_NAME = "uncertainty"

#: What ``hilt simulate`` compares when no strategies are named: every family of
#: :mod:`hilt.strategies` (the other ``+diverse`` variants and mixes on request).
DEFAULT_STRATEGIES = (
    "random", "least", "margin", "ratio", "entropy", "margin+diverse", "margin+dense", "committee",
    "cluster", "representative", "outlier", "margin+diverse:8/random:1/outlier:1",
)

#: What ``hilt simulate --task multilabel`` compares when no strategies are named: the per-label
#: methods averaged over labels and at their most uncertain label (``:max``), label cardinality
#: inconsistency, committee, ``+diverse`` and the book's mix.
DEFAULT_MULTILABEL_STRATEGIES = (
    "random", "margin", "ratio", "entropy", "margin:max", "cardinality", "margin+diverse", "margin:max+diverse",
    "committee", "margin+diverse:8/random:1/outlier:1",
)

#: What ``hilt simulate --task spans`` compares when no strategies are named: the sequence
#: methods over labellings (least, margin) and tokens (mean and max entropy), +diverse, and the
#: features-only cluster, against random.
DEFAULT_SPANS_STRATEGIES = (
    "random", "least", "margin", "entropy", "entropy:max", "margin+diverse", "cluster",
)

#: Multi-label names that always rank alike: with two classes per label least and margin are both
#: 1 - |2p - 1|, and every ``:max`` form is a falling function of the closest label's max(p, 1 - p).
_MULTILABEL_TWINS = (
    (("least", "margin"), "margin"),
    (("least:max", "margin:max", "ratio:max", "entropy:max"), "uncertainty:max"),
)


#: The figure each task's curves plot (``accuracy`` for ``single``).
_METRIC = {"multilabel": "micro-F1", "spans": "entity-F1"}


@dataclass
class _Problem:
    """Everything one run needs; sent once to each worker process."""

    X_pool: Any
    y_pool: np.ndarray
    X_test: Any
    y_test: np.ndarray
    labels: list[str]
    kind: str
    model: Any  # a name from MODELS, or an unfitted scikit-learn classifier
    classifier_C: float  # the logistic regression's strength for these features
    features: str  # the featurizer's name, for messages
    init: int
    batch: int
    budget: int
    task: str = "single"


def run(
    data: Any = None,
    *,
    label_column: str | None = None,
    text_column: str | None = None,
    id_column: str | None = None,
    project: str | Path | None = None,
    strategies: str | Sequence[str] | None = None,
    init: int = 20,
    batch: int = 10,
    budget: int = 400,
    seeds: int | Sequence[int] = 5,
    model: Any = "logistic",
    features: Any = None,
    test_size: float = 0.25,
    split_seed: int = 0,
    at: Sequence[int] | None = None,
    jobs: int = 1,
    progress: bool | Callable[[int, int], None] = False,
    task: str = "single",
    label_separator: str = ";",
) -> SimulationResult:
    """Simulate labelling with each strategy, the true labels answering in place of a person.

    A stratified test split (the same for every strategy and seed) is held out; the rest is
    the pool. For each strategy and seed the learner starts from the same ``init`` random
    items (more random rounds of ``batch`` if those hold only one label), then asks for
    ``batch`` labels at a time until ``budget`` labels are used, and its test accuracy is
    recorded after every round. The full-data accuracy is the same model trained on the
    whole pool.

    Parameters
    ----------
    data : str, path or DataFrame, optional
        A bundled data set name (``digits``, ``breast_cancer``, ``wine``, ``iris``,
        ``movie_reviews``), a CSV / JSONL / Parquet file or a DataFrame (with
        ``label_column``; with ``text_column`` for texts, else the numeric columns are the
        features). Leave out with ``project``.
    id_column : str, optional
        A file's column of item ids: never taken as the text or as a feature.
    project : path, optional
        A hilt project whose labelled items (with the labels given so far) form the pool.
    strategies : str or sequence of str, optional
        Names from :data:`hilt.strategies.STRATEGIES` or mixes (``margin+diverse:8/random:1``), as
        a comma-separated string or a list; default :data:`DEFAULT_STRATEGIES`. With two labels
        the four uncertainty methods rank items identically, so they run once, as
        ``"uncertainty"`` (and their ``+diverse`` variants once, as ``"uncertainty+diverse"``).
    init, batch, budget : int
        Initial random labels, labels per round, total labels per run (capped at the pool size).
    seeds : int or sequence of int
        ``5`` means seeds ``0..4``.
    model : str or scikit-learn classifier
        One of :data:`hilt.simulate.MODELS`, or an unfitted classifier with ``predict_proba``
        (or ``decision_function``) that is cloned for every run. Either is fitted on the cached
        features, never on the raw items.
    features : str or scikit-learn transformer, optional
        How items become features (:func:`hilt.features.get_featurizer`): ``tfidf``,
        ``embeddings``, ``tfidf+embeddings`` for texts, ``scale`` for tables, or a transformer;
        default the project's own with ``project``, else :data:`hilt.features.DEFAULT_FEATURES`
        for the data's kind. Fitted once on the pool; the
        ``logistic`` model uses the strength chosen for these features.
    test_size : float
        Share of the items held out for testing, in (0, 1).
    split_seed : int
        Seeds the test split.
    at : sequence of int, optional
        Label counts for the table's accuracy columns (each must be on the curves' grid).
    jobs : int
        Worker processes; the results are the same for any number.
    progress : bool or callable
        ``True`` shows a progress bar on stderr; a callable is called with ``(done, total)``.
    task : {"single", "multilabel"}, default "single"
        ``multilabel``: each item has a set of labels (the label column holds lists, or labels
        joined by ``label_separator``; bundled: :data:`hilt.datasets.MULTILABEL_DATASETS`); the
        model is a :class:`hilt.models.MultiLabelModel`, the curves are of test micro-F1 (random
        is the baseline as always), the test split is random (not stratified), and the default
        strategies are :data:`DEFAULT_MULTILABEL_STRATEGIES`.
    label_separator : str, default ";"
        Joins the labels of one item in a text cell (``task="multilabel"``).

    Returns
    -------
    SimulationResult

    Examples
    --------
    >>> from hilt import simulate
    >>> result = simulate.run("iris", strategies="random,margin", init=6, batch=6, budget=30, seeds=2)
    >>> list(result.table().index)
    ['random', 'margin']
    >>> result.curves[0].n_labels
    [6, 12, 18, 24, 30]
    """
    if task not in ("single", "multilabel", "spans"):
        raise InputError(f"Expected task to be one of single, multilabel, spans; got {task!r}.")
    plan = _plan_strategies(strategies, task)
    seed_list = _check_seeds(seeds)
    init, batch, budget = (_check_count(name, value) for name, value in
                           (("init", init), ("batch", batch), ("budget", budget)))
    jobs = _check_count("jobs", jobs)
    model_name = _check_model(model)
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0 < test_size < 1:
        raise InputError(f"Expected test_size to be a share between 0 and 1 (e.g. 0.25), got {test_size!r}.")
    if budget < init:
        raise InputError(f"Expected budget >= init, got budget {budget} and init {init}.")

    source = load_data(data, label_column=label_column, text_column=text_column, id_column=id_column,
                       project=project, task=task, label_separator=label_separator,
                       vectors=features if isinstance(features, str) and task == "single" else None)
    notes = list(source.notes)
    pool_idx, test_idx = _split(source, test_size, split_seed)
    n_pool = pool_idx.size
    if init > n_pool:
        raise InputError(f"Expected init <= the pool size {n_pool} (after the test split), got {init}.")
    if budget > n_pool:
        notes.append(f"Budget {budget} is more than the pool; capped at its {n_pool} items.")
        budget = n_pool

    display_names: dict[str, str] = {}
    if task == "multilabel":
        plan = _merge_multilabel_twins(plan, display_names, notes)
    elif task == "single" and len(source.labels) == 2:
        plan = _merge_two_label_twins(plan, display_names, notes)

    if task == "spans":
        # The sequence model reads the texts; each run's learner places them by TF-IDF (or
        # ``features``) for the diversity strategies.
        if model != "logistic":
            raise InputError("Expected no --model for --task spans: its sequence model (a CRF over tokens, "
                             "hilt.tasks.span_model.SpanModel) is the one a spans project trains.")
        problem = _Problem(
            X_pool=_take(source.items, pool_idx), y_pool=source.y[pool_idx],
            X_test=_take(source.items, test_idx), y_test=source.y[test_idx],
            labels=source.labels, kind=source.kind, model=None, classifier_C=1.0,
            features=features if isinstance(features, str) else "tfidf", init=init, batch=batch,
            budget=budget, task=task,
        )
        model_name = "crf"
    else:
        # A replayed project runs on its own features unless others are asked for.
        # Without features named, a model that refuses negative input (naive Bayes) gets TF-IDF.
        classifier = make_classifier(model, source.kind) if isinstance(model, str) else model
        featurizer = make_featurizer(source.kind, features if features is not None else source.featurizer,
                                     model=classifier)
        problem = _Problem(
            X_pool=featurizer.fit_matrix(_take(source.items, pool_idx)),
            y_pool=source.y[pool_idx],
            X_test=featurizer.transform_matrix(_take(source.items, test_idx)),
            y_test=source.y[test_idx],
            labels=source.labels,
            kind=source.kind,
            model=model,
            classifier_C=featurizer.classifier_C,
            features=featurizer.name,
            init=init,
            batch=batch,
            budget=budget,
            task=task,
        )
    full = _full_accuracy(problem)
    tasks = [(name, query, seed) for name, query in plan for seed in seed_list]
    curves = _run_all(problem, tasks, jobs, progress)

    grid = sorted(set.intersection(*(set(c.n_labels) for c in curves)))
    checkpoints = _check_at(at, grid, {n for c in curves for n in c.n_labels}) if at else _default_at(grid, budget)
    settings = {
        "dataset": source.name,
        "kind": source.kind,
        "labels": source.labels,
        "n_pool": int(n_pool),
        "n_test": int(test_idx.size),
        "model": model_name,
        "features": problem.features,
        "classifier_C": problem.classifier_C if model_name == "logistic" else None,
        "strategies": [name for name, _ in plan],
        "init": init,
        "batch": batch,
        "budget": budget,
        "seeds": seed_list,
        "test_size": test_size,
        "split_seed": split_seed,
        "at": checkpoints,
        # What always answering the test split's most common label scores: the floor that the
        # full-data accuracy must clear for the data to be learnable as configured.
        "majority_share": _majority_share(problem),
        "task": task,
        "metric": _METRIC.get(task, "accuracy"),
    }
    return SimulationResult(
        dataset=source.name,
        full_accuracy=full,
        settings=settings,
        curves=curves,
        notes=notes,
        display_names=display_names,
    )


def _merge_two_label_twins(plan: list[tuple[str, str]], display_names: dict[str, str],
                           notes: list[str]) -> list[tuple[str, str]]:
    """With two labels every uncertainty score is a monotone function of the top probability,
    so the four methods (and their ``+diverse`` variants) pick the same items: run each once."""
    merged: list[tuple[str, str]] = []
    for suffix, shown in (("", TWO_LABEL_NAME), ("+diverse", TWO_LABEL_NAME + "+diverse")):
        twins = [s for s, _ in plan if s in {m + suffix for m in METHODS}]
        if len(twins) > 1:
            display_names[shown] = f"{shown} ({' = '.join(twins)})"
            notes.append(
                f"With two labels, {', '.join(twins)} rank items identically (each is a monotone "
                f"function of the top probability), so they were run once, as '{shown}'."
            )
    out, done = [], set()
    for name, query in plan:
        suffix = "+diverse" if name.endswith("+diverse") else ""
        if name in {m + suffix for m in METHODS} and (TWO_LABEL_NAME + suffix) in display_names:
            if suffix not in done:
                out.append((TWO_LABEL_NAME + suffix, query))
                done.add(suffix)
            continue
        out.append((name, query))
    return out


def _merge_multilabel_twins(plan: list[tuple[str, str]], display_names: dict[str, str],
                            notes: list[str]) -> list[tuple[str, str]]:
    """Run each group of always-alike multi-label names (:data:`_MULTILABEL_TWINS`, and the same
    with ``+diverse`` or ``+dense``) once, under the group's name."""
    names = [name for name, _ in plan]
    rename: dict[str, str] = {}
    for members, shown in _MULTILABEL_TWINS:
        for suffix in ("", "+diverse", "+dense"):
            twins = [m + suffix for m in members if m + suffix in names]
            if len(twins) < 2:
                continue
            label = shown + suffix
            display_names[label] = f"{label} ({' = '.join(twins)})"
            notes.append(
                f"For multi-label items, {', '.join(twins)} rank items identically (per label, "
                + ("least and margin are both 1 - |2p - 1|" if members[0] == "least" else
                   "each :max score falls as the closest label's max(p, 1 - p) rises")
                + f"), so they were run once, as '{label}'."
            )
            rename.update({twin: label for twin in twins})
    out, done = [], set()
    for name, query in plan:
        label = rename.get(name, name)
        if label not in done:
            out.append((label, query))
            done.add(label)
    return out


# -- one run --------------------------------------------------------------------------------
def initial_positions(y: np.ndarray, init: int, batch: int, budget: int, seed: int,
                      ready: Callable[[list], bool] | None = None) -> np.ndarray:
    """The first pool positions every strategy labels for ``seed``: ``init`` random items, then
    more random rounds of ``batch`` while a model cannot learn from them yet (cold start:
    ``ready(answers)`` is false; default: fewer than two different labels).

    Examples
    --------
    >>> import numpy as np
    >>> from hilt.simulate import initial_positions
    >>> y = np.array(["a"] * 8 + ["b"] * 2, dtype=object)
    >>> first = initial_positions(y, init=1, batch=3, budget=10, seed=0)
    >>> len(set(y[first])) == 2 and (len(first) - 1) % 3 == 0
    True
    """
    ready = ready or (lambda answers: len(set(answers)) >= 2)
    order = np.random.default_rng(seed).permutation(y.shape[0])
    n = min(init, budget)
    while not ready(y[order[:n]].tolist()) and n < min(budget, y.shape[0]):
        n = min(n + batch, budget)
    return order[:n].astype(np.int64)


def _run_one(problem: _Problem, strategy: str, query: str, seed: int) -> Curve:
    from threadpoolctl import threadpool_limits

    # One BLAS thread per run: parallelism comes from running several runs at once, and the
    # same arithmetic in every process keeps results identical for any --jobs.
    with threadpool_limits(limits=1):
        spans = problem.task == "spans"
        learner = ActiveLearner(
            problem.X_pool,
            labels=problem.labels,
            strategy=query,
            model=None if spans else _classifier(problem, seed),
            features=problem.features if spans else None,
            random_state=seed,
            task=problem.task,
        )
        first = initial_positions(problem.y_pool, problem.init, problem.batch, problem.budget, seed,
                                  ready=learner.model.can_fit if spans else None)
        picked = [first]
        learner.teach(first, problem.y_pool[first])
        # The task's figure: accuracy (single), micro-F1 (multilabel).
        n_labels, accuracy = [learner.n_labelled], [learner.score(problem.X_test, problem.y_test)]
        while learner.n_labelled < problem.budget:
            chosen = learner.query(min(problem.batch, problem.budget - learner.n_labelled))
            learner.teach(chosen, problem.y_pool[chosen])
            picked.append(chosen)
            n_labels.append(learner.n_labelled)
            accuracy.append(learner.score(problem.X_test, problem.y_test))
    return Curve(
        strategy=strategy,
        seed=seed,
        n_labels=n_labels,
        accuracy=[float(a) for a in accuracy],
        picked=np.concatenate(picked).tolist(),
    )


def _classifier(problem: _Problem, seed: int) -> Any:
    if isinstance(problem.model, str):
        return make_classifier(problem.model, problem.kind, seed, C=problem.classifier_C)
    from sklearn.base import clone

    return clone(problem.model)


def _full_accuracy(problem: _Problem) -> float:
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        if problem.task == "spans":
            from hilt.tasks.span_model import SpanModel
            from hilt.tasks.spans_metrics import entity_f1

            span_model = SpanModel(problem.labels).fit(problem.X_pool, list(problem.y_pool))
            return entity_f1(list(problem.y_test), span_model.predict(problem.X_test))
        multilabel = problem.task == "multilabel"
        model = (MultiLabelModel if multilabel else AlignedModel)(_classifier(problem, 0), problem.labels)
        try:
            model.fit(problem.X_pool, list(problem.y_pool))
        except (ValueError, TypeError) as error:  # e.g. naive Bayes on embeddings (negative values)
            if isinstance(error, InputError):
                raise
            raise InputError(
                f"Expected the model to fit the {problem.features} features; it raised {type(error).__name__}: "
                f"{error} Choose other --features (tfidf has no negative values) or another --model."
            ) from None
        if multilabel:
            return _micro_f1(label_indicator(list(problem.y_test), problem.labels),
                             (model.predict_proba(problem.X_test) >= 0.5).astype(np.uint8))
        return float(np.mean(model.predict(problem.X_test) == problem.y_test))


def _micro_f1(truth: np.ndarray, predicted: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(truth, predicted, average="micro", zero_division=1.0))


def _majority_share(problem: _Problem) -> float:
    """What always answering the most common answer scores on the test split: the most common
    label's share (single); for multilabel the micro-F1 of giving every item the pool's most
    common label set."""
    if problem.task == "spans":  # marking nothing: right only where nothing is to be marked
        from hilt.tasks.spans_metrics import entity_f1

        return entity_f1(list(problem.y_test), [[] for _ in range(len(problem.y_test))])
    if problem.task != "multilabel":
        return float(np.unique(problem.y_test, return_counts=True)[1].max() / problem.y_test.size)
    sets, counts = np.unique(np.array([";".join(s) for s in problem.y_pool], dtype=object), return_counts=True)
    common = [label for label in str(sets[counts.argmax()]).split(";") if label]
    truth = label_indicator(list(problem.y_test), problem.labels)
    guess = np.repeat(label_indicator([common], problem.labels), truth.shape[0], axis=0)
    return _micro_f1(truth, guess)


# -- many runs ------------------------------------------------------------------------------
_WORKER_PROBLEM: _Problem | None = None


def _init_worker(problem: _Problem) -> None:
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = problem


def _run_in_worker(task: tuple[str, str, int]) -> Curve:
    assert _WORKER_PROBLEM is not None
    return _run_one(_WORKER_PROBLEM, *task)


def _run_all(problem: _Problem, tasks: list, jobs: int, progress: Any) -> list[Curve]:
    jobs = min(jobs, len(tasks))
    report, finish = _progress(progress, len(tasks))
    results: dict[tuple[str, int], Curve] = {}
    try:
        if jobs == 1:
            report(0)
            for done, (name, query, seed) in enumerate(tasks, start=1):
                results[(name, seed)] = _run_one(problem, name, query, seed)
                report(done)
        else:
            # Submit every task before the progress bar's thread starts (workers fork on submit).
            with ProcessPoolExecutor(max_workers=jobs, initializer=_init_worker, initargs=(problem,)) as pool:
                futures = [pool.submit(_run_in_worker, task) for task in tasks]
                report(0)
                for done, future in enumerate(as_completed(futures), start=1):
                    curve = future.result()
                    results[(curve.strategy, curve.seed)] = curve
                    report(done)
    finally:
        finish()
    return [results[(name, seed)] for name, _, seed in tasks]


def _progress(progress: Any, total: int) -> tuple[Callable[[int], None], Callable[[], None]]:
    if callable(progress):
        return (lambda done: progress(done, total)), (lambda: None)
    if not progress:
        return (lambda done: None), (lambda: None)
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    bar = Progress(
        TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("runs"),
        TimeElapsedColumn(), TimeRemainingColumn(), console=Console(stderr=True), transient=True,
    )
    task = bar.add_task("runs", total=total)
    state = {"started": False}

    def report(done: int) -> None:
        if not state["started"]:
            bar.start()
            state["started"] = True
        bar.update(task, completed=done)

    def finish() -> None:
        if state["started"]:
            bar.stop()

    return report, finish


# -- checks ---------------------------------------------------------------------------------
def _plan_strategies(strategies: str | Sequence[str] | None, task: str = "single") -> list[tuple[str, str]]:
    if strategies is None:
        names = list({"multilabel": DEFAULT_MULTILABEL_STRATEGIES,
                      "spans": DEFAULT_SPANS_STRATEGIES}.get(task, DEFAULT_STRATEGIES))
    elif isinstance(strategies, str):
        names = [s.strip() for s in strategies.split(",") if s.strip()]
    else:
        names = [str(s).strip() for s in strategies]
    if not names:
        raise InputError(f"Expected at least one strategy from {', '.join(STRATEGIES)}; got none.")
    names = [check_strategy(name, task=task) for name in names]
    return [(name, name) for name in dict.fromkeys(names)]


def _check_model(model: Any) -> str:
    """The model's name for the table and the JSON; raises for neither a name nor a classifier."""
    if isinstance(model, str):
        if model not in MODELS:
            raise InputError(f"Expected model to be one of {', '.join(MODELS)}; got {model!r}.")
        return model
    AlignedModel(model, ["a", "b"])  # raises a clear error for a non-classifier
    steps = getattr(model, "steps", None)
    if steps:
        return " + ".join(type(step).__name__ for _, step in steps)
    return type(model).__name__


def _check_count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise InputError(f"Expected {name} to be a whole number >= 1, got {value!r}.")
    return int(value)


def _check_seeds(seeds: int | Sequence[int]) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        return list(range(_check_count("seeds", seeds)))
    try:
        values = [int(s) for s in seeds]  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise InputError(f"Expected seeds to be a count or a list of whole numbers, got {seeds!r}.") from None
    if not values or len(set(values)) != len(values):
        raise InputError(f"Expected at least one seed and no seed twice, got {seeds!r}.")
    return values


def _split(source: LabelledData, test_size: float, split_seed: int) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.model_selection import train_test_split

    if source.task in ("multilabel", "spans"):  # label sets and span lists are too many to stratify on: a random split
        n = len(source)
        if n < 4:
            raise InputError(f"Expected at least 4 labelled items to split into pool and test set, got {n}.")
        pool, test = train_test_split(np.arange(n), test_size=test_size, random_state=split_seed)
        return np.sort(pool), np.sort(test)

    labels, counts = np.unique(source.y.astype(str), return_counts=True)
    if counts.min() < 2:
        rare = [str(label) for label, count in zip(labels, counts) if count < 2]
        raise InputError(
            f"Expected at least 2 items per label for a stratified test split; label {rare[0]!r} has 1"
            + (f" (and {len(rare) - 1} more labels)" if len(rare) > 1 else "")
            + ". Label more items of it, or leave it out."
        )
    n, k = len(source), labels.size
    n_test = math.ceil(test_size * n)  # as train_test_split rounds a share
    if n_test < k or n - n_test < k:
        raise InputError(
            f"Expected enough items for a stratified split into pool and test set, each with at least "
            f"one item per label: {n} labelled items with {k} labels and test_size {test_size} give "
            f"{n - n_test} pool and {n_test} test items, and each needs at least {k}. Label more items, "
            "or change --test-size."
        )
    try:
        pool, test = train_test_split(
            np.arange(len(source)), test_size=test_size, stratify=source.y.astype(str), random_state=split_seed
        )
    except ValueError as error:
        raise InputError(f"Could not make a stratified test split of {len(source)} items: {error}") from None
    # Sorted positions: the pool order does not depend on how the splitter shuffled.
    return np.sort(pool), np.sort(test)


def _take(items: Any, positions: np.ndarray) -> Any:
    return items[positions]


def _default_at(grid: list[int], budget: int) -> list[int]:
    """Round label counts on the grid (at most three) plus the budget."""
    if not grid:
        return []
    last = grid[-1]
    nice = [m * 10**e for e in range(0, 7) for m in (1, 2, 5)]
    round_ones = [n for n in nice if n in grid and grid[0] < n < last]
    if round_ones:
        chosen = round_ones[-3:]
    else:
        chosen = sorted({grid[len(grid) // 4], grid[len(grid) // 2]} - {last})
    return chosen + [last]


def _check_at(at: Sequence[int], grid: list[int], anywhere: set[int]) -> list[int]:
    out = []
    for value in at:
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or int(value) not in grid:
            shown = ", ".join(str(n) for n in grid[:4]) + (f", …, {grid[-1]}" if len(grid) > 4 else "")
            raise InputError(
                f"Expected label counts on every curve ({shown}: init, then one round of batch "
                f"labels after another, up to the budget); got {value!r}."
            )
        out.append(int(value))
    return out

"""`hilt.simulate`: the active learner against an oracle, and what its results report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hilt import simulate
from hilt.errors import HiltError, InputError, NotFoundError
from hilt.simulate import Curve, SimulationResult

SMALL = dict(init=10, batch=10, budget=50, seeds=2)


@pytest.fixture(scope="module")
def iris_result():
    return simulate.run("iris", **SMALL)


def test_table_has_a_row_per_strategy_and_the_promised_columns(iris_result):
    table = iris_result.table()
    assert list(table.index) == list(simulate.DEFAULT_STRATEGIES)
    assert list(table.columns) == [
        "acc @ 20", "acc @ 50", "labels to 95 %", "labels to 99 %", "area under curve",
    ]
    assert all("±" in cell for cell in table["acc @ 50"])
    assert len(iris_result.curves) == len(simulate.DEFAULT_STRATEGIES) * 2
    assert 0.8 < iris_result.full_accuracy <= 1.0


def test_label_counts_strictly_increase_from_init_to_budget(iris_result):
    for curve in iris_result.curves:
        assert curve.n_labels == [10, 20, 30, 40, 50]
        assert np.all(np.diff(curve.n_labels) > 0)
        assert len(curve.accuracy) == len(curve.n_labels)
        assert all(0.0 <= a <= 1.0 for a in curve.accuracy)
        # Every item is labelled once, and the counts match what was picked.
        assert len(curve.picked) == len(set(curve.picked)) == curve.n_labels[-1]


def test_every_strategy_starts_from_the_same_initial_labels_per_seed(iris_result):
    for seed in (0, 1):
        firsts = {tuple(c.picked[:10]) for c in iris_result.curves if c.seed == seed}
        assert len(firsts) == 1
    seed0 = next(c for c in iris_result.curves if c.seed == 0)
    seed1 = next(c for c in iris_result.curves if c.seed == 1)
    assert seed0.picked[:10] != seed1.picked[:10]


def test_random_picks_differ_from_uncertainty_picks(iris_result):
    random = next(c for c in iris_result.curves if c.strategy == "random" and c.seed == 0)
    margin = next(c for c in iris_result.curves if c.strategy == "margin" and c.seed == 0)
    assert random.picked[:10] == margin.picked[:10]
    assert random.picked[10:] != margin.picked[10:]
    # And so do the learning curves they produce, seed by seed and on the mean over seeds.
    summary = iris_result.summary()
    assert summary["random"].mean[0] == summary["margin"].mean[0]  # the same initial labels
    assert summary["random"].mean != summary["margin"].mean
    assert any(
        r.accuracy != m.accuracy
        for r, m in zip(iris_result.curves_of("random"), iris_result.curves_of("margin"))
    )


def test_deterministic_for_a_seed_and_for_any_number_of_jobs():
    args = dict(strategies="random,margin", init=10, batch=5, budget=40, seeds=[3, 4])
    one = simulate.run("wine", **args)
    again = simulate.run("wine", **args)
    parallel = simulate.run("wine", jobs=2, **args)
    assert one.to_dict() == again.to_dict() == parallel.to_dict()
    assert [c.seed for c in one.curves] == [3, 4, 3, 4]


def test_two_labels_run_the_uncertainty_curve_once_and_say_so():
    result = simulate.run("breast_cancer", init=10, batch=10, budget=40, seeds=1,
                          strategies="random,least,margin,ratio,entropy,least+diverse,margin+diverse,cluster")
    assert result.strategies == ["random", simulate.TWO_LABEL_NAME, simulate.TWO_LABEL_NAME + "+diverse", "cluster"]
    assert any("rank items identically" in note for note in result.notes)
    assert list(result.table().index) == ["random", "uncertainty (least = margin = ratio = entropy)",
                                          "uncertainty+diverse (least+diverse = margin+diverse)", "cluster"]
    # Asking for a single uncertainty method keeps its own name.
    single = simulate.run("breast_cancer", strategies="random,entropy", init=10, batch=10, budget=30, seeds=1)
    assert single.strategies == ["random", "entropy"]


def test_cold_start_keeps_drawing_random_rounds_until_two_labels_exist():
    y = np.array(["a"] * 40 + ["b"] * 2, dtype=object)
    first = simulate.initial_positions(y, init=1, batch=4, budget=42, seed=0)
    assert len(set(y[first])) == 2 and (len(first) - 1) % 4 == 0
    # On real data: init 1 and every strategy of a seed still starts alike.
    result = simulate.run("iris", strategies="random,least,entropy", init=1, batch=3, budget=21, seeds=1)
    starts = {c.n_labels[0] for c in result.curves}
    assert len(starts) == 1 and (starts.pop() - 1) % 3 == 0
    n0 = result.curves[0].n_labels[0]
    assert len({tuple(c.picked[:n0]) for c in result.curves}) == 1


def test_json_holds_every_curve_and_reads_back(iris_result, tmp_path):
    path = iris_result.to_json(tmp_path / "curves.json")
    raw = json.loads(path.read_text())
    assert raw["full_accuracy"] == iris_result.full_accuracy
    assert len(raw["curves"]) == len(iris_result.curves)
    assert {"strategy", "seed", "n_labels", "accuracy"} <= set(raw["curves"][0])
    back = SimulationResult.from_json(path)
    assert back.table().equals(iris_result.table())
    assert back.recommendation == iris_result.recommendation


def test_plot_writes_a_png(iris_result, tmp_path):
    path = iris_result.plot(tmp_path / "curves.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert path.stat().st_size > 10_000


def _dozen_strategies_won_by_a_dotted_family() -> SimulationResult:
    """Twelve strategies (tab20's palette, no bands) won by ``margin+dense``, whose family is
    drawn dotted: the winner that was the palest dotted line."""
    grid = [10, 20, 30, 40]
    others = ["least", "margin", "ratio", "entropy", "margin+diverse", "committee", "cluster",
              "representative", "outlier", "margin+diverse:8/random:1/outlier:1"]
    curves = [Curve("random", 0, grid, [0.5, 0.6, 0.7, 0.8])]
    curves += [Curve(name, 0, grid, [0.5, 0.62 + i / 1000, 0.72, 0.82]) for i, name in enumerate(others)]
    curves.append(Curve("margin+dense", 0, grid, [0.5, 0.8, 0.9, 0.9]))
    return SimulationResult("toy", 0.9, {"budget": 40, "n_test": 1000}, curves)


def test_plot_draws_the_recommended_strategy_solid_thick_on_top_and_named():
    from hilt.simulate.plot import learning_curve_figure

    result = _dozen_strategies_won_by_a_dotted_family()
    assert result.recommended == ["margin+dense"]
    ax = learning_curve_figure(result).axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    winner = lines["margin+dense (recommended)"]
    assert winner.get_linestyle() == "-"
    rest = [line for label, line in lines.items() if line is not winner]
    assert winner.get_linewidth() >= 2.5 * max(line.get_linewidth() for line in rest)
    assert winner.get_zorder() > max(line.get_zorder() for line in rest)
    assert sum("(recommended)" in label for label in lines) == 1
    baseline = lines["random (baseline)"]
    assert baseline.get_linestyle() == "--" and baseline.get_color() == "#555555"
    assert "recommended: margin+dense" in ax.get_title()
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "margin+dense (recommended)" in legend and "random (baseline)" in legend


def test_plot_marks_a_tie_and_a_recommended_random():
    from hilt.simulate.plot import learning_curve_figure

    tie = SimulationResult("toy", 1.0, {"budget": 30}, [
        Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
        Curve("margin", 0, [10, 20, 30], [0.5, 0.9, 1.0]),
        Curve("ratio", 0, [10, 20, 30], [0.5, 0.9, 1.0])])
    assert tie.recommended == ["margin", "ratio"]
    ax = learning_curve_figure(tie).axes[0]
    assert {line.get_label() for line in ax.get_lines() if line.get_linestyle() == "-"
            and line.get_linewidth() > 3} == {"margin (recommended)", "ratio (recommended)"}
    assert "recommended: margin or ratio" in ax.get_title()
    plain = SimulationResult("toy", 0.95, {"budget": 30}, [
        Curve("random", 0, [10, 20, 30], [0.6, 0.9, 0.95]),
        Curve("margin", 0, [10, 20, 30], [0.6, 0.8, 0.95])])
    assert plain.recommended == ["random"]
    lines = {line.get_label(): line for line in learning_curve_figure(plain).axes[0].get_lines()}
    assert lines["random (baseline, recommended)"].get_linestyle() == "-"


def test_caution_when_the_test_split_cannot_tell_the_recommendation_from_random():
    curves = [Curve("random", 0, [10, 20, 30], [0.5, 0.7, 0.8]),
              Curve("margin", 0, [10, 20, 30], [0.5, 0.76, 0.85])]
    small = SimulationResult("toy", 0.85, {"budget": 30, "n_test": 33}, curves)
    assert small.recommended == ["margin"]
    # 33 items at 0.85: the Wilson interval is [0.69, 0.93], ±0.121; margin leads by 0.0425.
    assert small.caution.startswith("Caution: the test split holds only 33 items, so one accuracy on it is "
                                    "uncertain by ±0.121 (the 95 % Wilson interval at 0.850), more than the "
                                    "lead of margin over random (0.042 in area under the curve): label more")
    assert "--label-column" in small.caution
    assert small.to_dict()["caution"] == small.caution
    # The same lead on 2,000 items (±0.016) is told apart: no caution.
    large = SimulationResult("toy", 0.85, {"budget": 30, "n_test": 2000}, curves)
    assert large.caution is None and large.to_dict()["caution"] is None
    # Nor without the test split's size (results written before it was recorded).
    assert SimulationResult("toy", 0.85, {"budget": 30}, curves).caution is None


def test_caution_for_a_recommended_random_names_the_best_other_strategy():
    curves = [Curve("random", 0, [10, 20, 30], [0.6, 0.9, 0.95]),
              Curve("margin", 0, [10, 20, 30], [0.6, 0.8, 0.95])]
    small = SimulationResult("toy", 0.95, {"budget": 30, "n_test": 40}, curves)
    assert small.recommendation.startswith("Recommended: random.")
    assert "the gap between random and margin (0.050 in area under the curve)" in small.caution
    assert SimulationResult("toy", 0.95, {"budget": 30, "n_test": 5000}, curves).caution is None


def test_caution_on_a_small_replayed_project(tmp_path):
    from hilt import Project
    from hilt.datasets import load_sklearn

    frame = load_sklearn("iris").sample(60, random_state=0)
    with Project.create(tmp_path / "p.hilt", frame, ["setosa", "versicolor", "virginica"],
                        label_column="label"):
        pass
    result = simulate.run(project=tmp_path / "p.hilt", strategies="random,margin", init=6, batch=6,
                          budget=30, seeds=1)
    assert result.settings["n_test"] == 15
    assert result.caution is not None and "holds only 15 items" in result.caution


def test_recommendation_names_the_best_and_its_gain_over_random(iris_result):
    line = iris_result.recommendation
    assert line.startswith("Recommended: ")
    assert "random" in line


def test_recommendation_says_when_uncertainty_did_not_beat_random():
    curves = [
        Curve("random", 0, [10, 20, 30], [0.6, 0.9, 0.95]),
        Curve("margin", 0, [10, 20, 30], [0.6, 0.8, 0.95]),
    ]
    result = SimulationResult("toy", 0.95, {"budget": 30, "at": [20]}, curves)
    assert "No other strategy beat random" in result.recommendation
    assert result.table().loc["margin", "labels to 99 %"] == "30"


def test_recommendation_prefers_fewer_labels_to_99_percent_over_a_larger_area():
    curves = [
        Curve("random", 0, [10, 20, 30], [0.6, 0.99, 1.0]),
        Curve("margin", 0, [10, 20, 30], [0.9, 0.95, 0.96]),
    ]
    line = SimulationResult("toy", 1.0, {"budget": 30}, curves).recommendation
    assert line.startswith("Recommended: random. No other strategy beat random")
    assert "margin, needs > 30, though it is ahead earlier on (area under the curve 0.940 vs 0.895)" in line


def test_labels_needed_is_the_median_of_the_seeds_with_their_range():
    """Issue 11, defect 13: labels needed is one definition, the seeds' median (not the mean
    curve's, which reached 95 % at 30 here though seed 1 never did)."""
    curves = [
        Curve("margin", 0, [10, 20, 30], [0.5, 0.99, 1.0]),
        Curve("margin", 1, [10, 20, 30], [0.5, 0.8, 0.9]),
    ]
    result = SimulationResult("toy", 1.0, {"budget": 30}, curves)
    summary = result.summary()["margin"]
    assert summary.mean == pytest.approx([0.5, 0.895, 0.95])
    assert summary.to_reach_by_seed[0.95] == [20, None]
    assert summary.to_reach[0.95] is None  # half the seeds never got there
    assert summary.to_reach_by_seed[0.99] == [20, None]
    assert result.table().loc["margin", "labels to 99 %"] == "> 30 (20–> 30)"


def test_labels_needed_lies_within_the_seeds_range():
    """Issue 11, defect 13: seeds reaching 99 % at 20 and 30 and dipping after it gave the mean
    curve's "50 (20–30)"; the figure is now the seeds' median, inside their range."""
    grid = [10, 20, 30, 40, 50]
    curves = [
        Curve("margin", 0, grid, [0.5, 0.99, 0.8, 0.8, 0.99]),
        Curve("margin", 1, grid, [0.5, 0.8, 0.99, 0.8, 0.99]),
        Curve("margin", 2, grid, [0.5, 0.8, 0.99, 0.8, 0.99]),
    ]
    result = SimulationResult("toy", 1.0, {"budget": 50}, curves)
    assert result.table().loc["margin", "labels to 99 %"] == "30 (20–30)"
    assert result.to_dict()["summary"][0]["labels_to_99"] == 30


def test_an_exact_tie_is_called_a_tie():
    """Issue 11, defect 13: margin and ratio with the same figures are recommended as a tie, not
    one of them by the order they ran in (or a difference the table cannot show)."""
    curves = [
        Curve("random", 0, [10, 20, 30, 40], [0.5, 0.6, 0.7, 0.8]),
        Curve("margin", 0, [10, 20, 30, 40], [0.5, 0.9, 1.0, 1.0]),
        Curve("ratio", 0, [10, 20, 30, 40], [0.5, 0.9, 1.0, 1.0 + 1e-9]),
    ]
    line = SimulationResult("toy", 1.0, {"budget": 40}, curves).recommendation
    assert line.startswith("Recommended: margin or ratio (a tie: the same labels needed and area under "
                           "the curve 0.883; either serves equally).")
    assert "random needs > 40" in line


def test_no_recommendation_when_the_model_cannot_learn_the_data():
    """Issue 11, defect 13: a full-data accuracy no better than the majority class (an id column
    taken as the text) gets no recommendation, but what to check."""
    curves = [Curve("random", 0, [10, 20], [0.3, 0.4]), Curve("margin", 0, [10, 20], [0.35, 0.4])]
    settings = {"budget": 20, "majority_share": 0.399, "kind": "text"}
    line = SimulationResult("wine", 0.40, settings, curves).recommendation
    assert line.startswith("No recommendation: the model cannot learn this data as configured.")
    assert "Recommended" not in line
    for hint in ("0.400", "0.399", "--text-column", "--id-column", "--features", "--label-column"):
        assert hint in line
    # Clearly above the majority share: a recommendation as before.
    assert SimulationResult("wine", 0.9, settings, curves).recommendation.startswith("Recommended")


def test_a_string_id_column_is_not_the_text(tmp_path):
    """Issue 11, defect 1 (simulate): with --id-column, a table's string id column is neither the
    text nor a feature: wine is simulated as a table and learnt."""
    frame = simulate.load_data("wine")
    table = pd.DataFrame(frame.items).add_prefix("f")
    table.insert(0, "id", [f"wine-{i:03d}" for i in range(len(table))])
    table["target"] = frame.y
    # Shuffled before the ids are given, so that an id says nothing about the class.
    table = table.sample(frac=1.0, random_state=0)
    table["id"] = [f"wine-{i:03d}" for i in range(len(table))]
    path = tmp_path / "wine.csv"
    table.to_csv(path, index=False)
    args = dict(label_column="target", strategies="random,margin", init=10, batch=10, budget=30, seeds=1)
    as_text = simulate.run(path, text_column="id", **args)  # the ids as texts: nothing to learn
    assert as_text.settings["kind"] == "text" and as_text.recommendation.startswith("No recommendation")
    result = simulate.run(path, id_column="id", **args)
    assert result.settings["kind"] == "table" and result.full_accuracy > 0.9
    assert result.recommendation.startswith("Recommended")


def test_budget_larger_than_the_pool_is_capped_with_a_note():
    result = simulate.run("iris", strategies="random", init=30, batch=40, budget=1000, seeds=1, test_size=0.2)
    assert result.curves[0].n_labels[-1] == 120
    assert any("capped" in note for note in result.notes)


def test_progress_callback_counts_runs():
    calls = []
    simulate.run("iris", strategies="random,margin", init=10, batch=10, budget=20, seeds=2,
                 progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 4) and calls[-1] == (4, 4)


@pytest.mark.parametrize("model", sorted(simulate.MODELS))
def test_every_named_model_runs(model):
    result = simulate.run("wine", strategies="random,margin", init=10, batch=10, budget=30, seeds=1, model=model)
    assert result.settings["model"] == model
    assert all(len(c.accuracy) == 3 for c in result.curves)


def test_a_csv_of_table_rows(tmp_path):
    from hilt.datasets import load_sklearn

    frame = load_sklearn("wine")
    frame.loc[3, "label"] = None
    frame.to_csv(tmp_path / "wine.csv", index=False)
    result = simulate.run(tmp_path / "wine.csv", label_column="label", strategies="random,least", **SMALL)
    assert result.dataset == "wine"
    assert result.settings["kind"] == "table"
    assert result.settings["n_pool"] + result.settings["n_test"] == len(frame) - 1
    assert any("without a label" in note for note in result.notes)
    # A string column is taken as the text (as `hilt init` does), and the output says so.
    frame.insert(0, "name", [f"wine number {i}" for i in range(len(frame))])
    frame.to_parquet(tmp_path / "named.parquet")
    named = simulate.run(tmp_path / "named.parquet", label_column="label", strategies="random", **SMALL)
    assert named.settings["kind"] == "text"
    assert any("'name' as the item text" in note for note in named.notes)


def test_a_jsonl_of_texts(tmp_path):
    from hilt.datasets import load_movie_reviews

    reviews = load_movie_reviews().sample(300, random_state=0)
    path = tmp_path / "reviews.jsonl"
    reviews.to_json(path, orient="records", lines=True)
    result = simulate.run(path, label_column="sentiment", text_column="text", init=10, batch=10, budget=40, seeds=1,
                          strategies="random,least,margin,ratio,entropy")
    assert result.settings["kind"] == "text"
    assert result.settings["labels"] == ["fresh", "rotten"]
    assert result.strategies == ["random", "uncertainty"]


def test_a_dataframe():
    frame = pd.DataFrame({"x": np.arange(40.0), "y": ["lo"] * 20 + ["hi"] * 20})
    result = simulate.run(frame, label_column="y", strategies="margin", init=4, batch=4, budget=12, seeds=1)
    assert result.curves[0].n_labels == [4, 8, 12]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(strategies="random,best"), "strategy to be one of"),
        (dict(strategies=""), "at least one strategy"),
        (dict(init=0), "init to be a whole number >= 1"),
        (dict(batch=2.5), "batch to be a whole number"),
        (dict(budget=10, init=20), "budget >= init"),
        (dict(seeds=0), "seeds to be a whole number >= 1"),
        (dict(seeds=[1, 1]), "no seed twice"),
        (dict(model="deep"), "model to be one of"),
        (dict(test_size=1.5), "test_size to be a share"),
        (dict(jobs=0), "jobs to be a whole number"),
        (dict(at=[25]), "label counts on every curve"),
        (dict(init=200, budget=300), "init <= the pool size"),
    ],
)
def test_bad_arguments_raise_clear_errors(kwargs, message):
    args = dict(strategies="random", init=10, batch=10, budget=30, seeds=1) | kwargs
    with pytest.raises(InputError, match=message):
        simulate.run("iris", **args)


def test_bad_data_raises_clear_errors(tmp_path):
    with pytest.raises(NotFoundError, match="no such file"):
        simulate.run("iris.csv")
    with pytest.raises(InputError, match="Expected a data set"):
        simulate.run()
    with pytest.raises(InputError, match="apply to a file"):
        simulate.run("iris", label_column="label")
    (tmp_path / "a.csv").write_text("x,label\n1,a\n2,a\n3,b\n4,b\n5,c\n")
    with pytest.raises(InputError, match="--label-column"):
        simulate.run(tmp_path / "a.csv")
    with pytest.raises(HiltError, match="nope"):
        simulate.run(tmp_path / "a.csv", label_column="nope")
    with pytest.raises(InputError, match="label 'c' has 1"):
        simulate.run(tmp_path / "a.csv", label_column="label")
    (tmp_path / "one.csv").write_text("x,label\n1,a\n2,a\n")
    with pytest.raises(InputError, match="two different labels"):
        simulate.run(tmp_path / "one.csv", label_column="label")
    with pytest.raises(InputError, match="not both"):
        simulate.run("iris", project=tmp_path / "p.hilt")


# -- --project: replaying the answers a project holds ------------------------------------------
def _answered_text_project(path, n_answered: int, n_skipped: int = 0):
    """A movie-review project where one annotator answered ``n_answered`` items with their true
    labels and skipped ``n_skipped`` more; returns the answered ids and their labels."""
    from hilt import Project
    from hilt.datasets import load_movie_reviews

    reviews = load_movie_reviews().sample(400, random_state=2)
    truth = dict(zip(reviews["id"].astype(str), reviews["sentiment"]))
    items = reviews.drop(columns=["sentiment"])
    ids = list(truth)
    # retrain_every above the answer count: no background retrain competes with the test.
    with Project.create(path, items, ["fresh", "rotten"], text_column="text", id_column="id",
                        retrain_every=10_000, seed=0) as project:
        for item_id in ids[:n_answered]:
            project.answer(item_id, truth[item_id], "ann")
        for item_id in ids[n_answered:n_answered + n_skipped]:
            project.answer(item_id, None, "ann")
    return {i: truth[i] for i in ids[:n_answered]}


def test_project_replay_uses_only_the_labelled_items(tmp_path):
    answered = _answered_text_project(tmp_path / "reviews.hilt", n_answered=120, n_skipped=7)
    result = simulate.run(project=tmp_path / "reviews.hilt", init=10, batch=10, budget=60, seeds=2,
                          strategies="random,least,margin,ratio,entropy")
    s = result.settings
    # 400 items in the project, 7 skipped: only the 120 answered ones are replayed.
    assert s["n_pool"] + s["n_test"] == len(answered) == 120
    assert s["kind"] == "text" and s["labels"] == ["fresh", "rotten"]
    assert result.dataset == "reviews"
    assert any("Replaying the 120 labelled items of project reviews.hilt" in n for n in result.notes)
    assert result.strategies == ["random", simulate.TWO_LABEL_NAME]
    for curve in result.curves:
        assert curve.n_labels == [10, 20, 30, 40, 50, 60]
        assert max(curve.picked) < s["n_pool"]


def test_project_replay_of_table_rows_created_with_a_label_column(tmp_path):
    from hilt import Project
    from hilt.datasets import load_sklearn

    frame = load_sklearn("wine")
    frame.insert(0, "code", [f"w{i}" for i in range(len(frame))])  # an id, not a feature
    frame.loc[frame.index[90:], "label"] = None
    labels = sorted(frame["label"].dropna().unique())
    with Project.create(tmp_path / "wine.hilt", frame, labels, id_column="code", label_column="label"):
        pass
    result = simulate.run(project=tmp_path / "wine.hilt", strategies="random,margin",
                          init=10, batch=10, budget=40, seeds=1)
    assert result.settings["n_pool"] + result.settings["n_test"] == 90
    assert result.settings["kind"] == "table"
    assert not any("Ignored" in note for note in result.notes)


def test_project_replay_with_too_few_labels_says_what_to_do(tmp_path):
    from hilt import Project
    from hilt.datasets import load_sklearn

    frame = load_sklearn("wine")
    empty = frame.drop(columns=["label"])
    with Project.create(tmp_path / "empty.hilt", empty, ["class_0", "class_1", "class_2"]):
        pass
    with pytest.raises(InputError, match=r"labelled items in project empty.hilt, but it has none yet.*hilt label"):
        simulate.run(project=tmp_path / "empty.hilt")

    one = frame.copy()
    one["label"] = None
    one.loc[:5, "label"] = "class_0"
    with Project.create(tmp_path / "one.hilt", one, ["class_0", "class_1", "class_2"], label_column="label"):
        pass
    with pytest.raises(InputError, match=r"at least two different labels in project one.hilt; its 6 labelled items all have 'class_0'"):
        simulate.run(project=tmp_path / "one.hilt")

    few = frame.copy()
    few["label"] = None
    few.loc[[0, 1], "label"] = "class_0"
    few.loc[[100, 101], "label"] = "class_1"
    with Project.create(tmp_path / "few.hilt", few, ["class_0", "class_1", "class_2"], label_column="label"):
        pass
    with pytest.raises(InputError, match=r"4 labelled items with 2 labels .* give 3 pool and 1 test items"):
        simulate.run(project=tmp_path / "few.hilt", init=2, budget=3)
    with pytest.raises(NotFoundError, match="no such file"):
        simulate.run(project=tmp_path / "missing.hilt")


def test_a_classifier_object_as_the_model():
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import MinMaxScaler

    model = make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=500))
    args = dict(strategies="random,margin", init=10, batch=10, budget=40, seeds=2)
    result = simulate.run("wine", model=model, **args)
    assert result.settings["model"] == "MinMaxScaler + LogisticRegression"
    assert not hasattr(model[-1], "coef_")  # the user's object is cloned, never fitted
    assert result.to_dict() == simulate.run("wine", model=model, jobs=2, **args).to_dict()
    with pytest.raises(InputError, match="predict_proba or decision_function"):
        simulate.run("wine", model=MinMaxScaler(), **args)


def test_recommendation_says_what_decided_a_tie_in_labels_needed():
    curves = [
        Curve("random", 0, [10, 20, 30], [0.96, 0.97, 0.97]),
        Curve("margin", 0, [10, 20, 30], [0.96, 0.96, 0.97]),
    ]
    line = SimulationResult("toy", 1.0, {"budget": 30}, curves).recommendation
    assert line == (
        "Recommended: random. No other strategy beat random sampling here: random reaches "
        "95 % of the full-data accuracy (1.000) with 10 labels; the best other strategy, margin, "
        "needs 10 too, and random's area under the curve is larger (0.968 vs 0.963)."
    )


# -- several labels per item ------------------------------------------------------------------
from hilt.simulate.data import parse_label_sets  # noqa: E402

ML_SMALL = dict(init=20, batch=20, budget=100, seeds=2, task="multilabel")


@pytest.fixture(scope="module")
def multilabel_result():
    return simulate.run("synthetic_multilabel", strategies="random,least,margin,entropy,margin:max,ratio:max,"
                        "cardinality,margin+diverse,margin:max:3/random:1", **ML_SMALL)


def test_a_multilabel_simulation_has_micro_f1_curves_with_random_as_the_baseline(multilabel_result):
    result = multilabel_result
    assert result.settings["task"] == "multilabel" and result.settings["metric"] == "micro-F1"
    table = result.table()
    assert [c for c in table.columns if c.startswith("micro-F1 @ ")] == ["micro-F1 @ 40", "micro-F1 @ 60",
                                                                         "micro-F1 @ 100"]
    assert [result.display_name(s) for s in result.settings["strategies"]] == list(table.index)
    assert result.settings["strategies"] == ["random", "margin", "entropy", "uncertainty:max", "cardinality",
                                             "margin+diverse", "margin:max:3/random:1"]
    assert "least = margin" in result.display_name("margin")
    assert "margin:max = ratio:max" in result.display_name("uncertainty:max")
    assert any("rank items identically" in note for note in result.notes)
    for curve in result.curves:
        assert curve.n_labels == [20, 40, 60, 80, 100] and len(set(curve.picked)) == 100
        assert all(0.0 <= f <= 1.0 for f in curve.accuracy)
    assert 0.5 < result.full_accuracy <= 1.0
    assert "full-data micro-F1" in result.recommendation
    runs = {c.strategy: c for c in result.curves if c.seed == 0}
    assert runs["random"].picked[:20] == runs["margin"].picked[:20]  # the same start for every strategy


def test_a_multilabel_simulation_is_the_same_for_any_number_of_jobs():
    args = dict(strategies="random,margin:max", init=20, batch=20, budget=60, seeds=2, task="multilabel")
    one = simulate.run("synthetic_multilabel", jobs=1, **args)
    two = simulate.run("synthetic_multilabel", jobs=2, **args)
    assert [c.accuracy for c in one.curves] == [c.accuracy for c in two.curves]
    assert [c.picked for c in one.curves] == [c.picked for c in two.curves]


def test_multilabel_files_jsonl_lists_and_csv_joined(tmp_path):
    from hilt.datasets import load_multilabel

    frame, label_column, _ = load_multilabel("synthetic_multilabel")
    frame = frame.head(300)
    as_lists = frame.assign(labels=[value.split(";") if value else [] for value in frame["labels"]])
    as_lists.to_json(tmp_path / "tags.jsonl", orient="records", lines=True, double_precision=15)
    frame.assign(labels=frame["labels"].str.replace(";", "|")).to_csv(tmp_path / "tags.csv", index=False)
    args = dict(strategies="random,margin", init=20, batch=20, budget=60, seeds=1, task="multilabel")
    from_jsonl = simulate.run(tmp_path / "tags.jsonl", label_column="labels", **args)
    from_csv = simulate.run(tmp_path / "tags.csv", label_column="labels", label_separator="|", **args)
    assert from_jsonl.settings["labels"] == from_csv.settings["labels"] == [f"L{j}" for j in range(6)]
    np.testing.assert_allclose([c.accuracy for c in from_jsonl.curves], [c.accuracy for c in from_csv.curves])
    assert from_jsonl.settings["n_pool"] + from_jsonl.settings["n_test"] == 300


def test_texts_with_several_tags_in_a_frame():
    rng = np.random.default_rng(0)
    words = {"fun": "joke laugh", "sad": "tears loss", "scary": "ghost dark"}
    rows = []
    for _ in range(240):
        tags = [t for t in words if rng.random() < 0.4]
        rows.append({"text": " ".join([words[t] for t in tags] + ["film", "story"]), "tags": tags})
    result = simulate.run(pd.DataFrame(rows), label_column="tags", text_column="text", features="tfidf",
                          strategies="random,margin:max", init=20, batch=20, budget=60, seeds=1, task="multilabel")
    assert result.settings["kind"] == "text" and result.settings["labels"] == ["fun", "sad", "scary"]
    assert result.full_accuracy > 0.9


def test_parse_label_sets():
    assert parse_label_sets(["a;b", " a ; ", "", "[]", '["x", "y"]', ("t",), None, np.nan], ";") == \
        [("a", "b"), ("a",), (), (), ("x", "y"), ("t",), None, None]
    assert parse_label_sets(["a|b"], "|") == [("a", "b")]
    with pytest.raises(InputError, match="at most once per item .* row 0"):
        parse_label_sets(["a;a"])
    with pytest.raises(InputError, match="JSON array .* row 1"):
        parse_label_sets(["a", "[nope"])
    with pytest.raises(InputError, match="list of labels .* row 0"):
        parse_label_sets([3])


@pytest.mark.parametrize("call, error, message", [
    (lambda: simulate.run("synthetic_multilabel", task="multi"), InputError, "task to be one of single, multilabel"),
    (lambda: simulate.run("iris", strategies="margin:max"), InputError, "task 'single'"),
    (lambda: simulate.run("iris", task="multilabel"), NotFoundError, "synthetic_multilabel"),
    (lambda: simulate.run(pd.DataFrame({"x": [1.0, 2.0], "t": [["a"], ["a"]]}), label_column="t", task="multilabel"),
     InputError, "at least two different labels"),
    (lambda: simulate.run("synthetic_multilabel", label_column="labels", task="multilabel"), InputError,
     "apply to a file"),
    (lambda: simulate.run(project="p.hilt", task="multilabel"), InputError, "single-label projects"),
])
def test_bad_multilabel_simulations(call, error, message):
    with pytest.raises(error, match=message):
        call()

"""`hilt simulate` through the real executable: table, notes, recommendation, files, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

HILT = str(Path(sys.executable).with_name("hilt"))


from helpers import hilt, hilt_exe  # noqa: E402


def simulate_defaults() -> list[str]:
    from hilt.cli.simulate import DEFAULT_STRATEGIES
    from hilt.simulate import DEFAULT_STRATEGIES as LIBRARY_DEFAULTS

    assert DEFAULT_STRATEGIES.split(",") == list(LIBRARY_DEFAULTS)  # one default, written twice
    return list(LIBRARY_DEFAULTS)


def test_simulate_help_lists_every_strategy_with_one_line_each(tmp_path):
    from hilt.strategies import DESCRIPTIONS

    result = hilt("simulate", "--help", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    for name, text in DESCRIPTIONS.items():
        assert any(line.strip().startswith(name + " ") and text in line for line in lines), name
    assert "margin+diverse:8/random:1/outlier:1" in result.stdout


def test_simulate_a_bundled_set_prints_the_table_and_writes_plot_and_json(tmp_path):
    result = hilt_exe(
        "simulate", "iris", "--init", "10", "--batch", "10", "--budget", "50", "--seeds", "2",
        "--at", "20,40", "--json", "curves.json", "--plot", "curves.png", "--jobs", "2", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for strategy in simulate_defaults():
        assert f"│ {strategy} " in out
    for column in ("acc @ 20", "acc @ 40", "labels to 95 %", "labels to 99 %", "area under curve"):
        assert column in out
    assert "full-data accuracy" in out and "Recommended: " in out
    raw = json.loads((tmp_path / "curves.json").read_text())
    assert len(raw["curves"]) == 2 * len(simulate_defaults()) and raw["settings"]["at"] == [20, 40]
    assert all(c["n_labels"] == [10, 20, 30, 40, 50] for c in raw["curves"])
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_simulate_a_text_file_with_two_labels_runs_uncertainty_once(tmp_path):
    from hilt.datasets import load_movie_reviews

    load_movie_reviews().sample(300, random_state=1).to_csv(tmp_path / "reviews.csv", index=False)
    result = hilt(
        "simulate", "reviews.csv", "--label-column", "sentiment", "--text-column", "text",
        "--init", "10", "--batch", "10", "--budget", "40", "--seeds", "1", "--quiet", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "uncertainty (least = margin = ratio = entropy)" in result.stdout
    assert "rank items identically" in result.stdout
    assert "│ margin " not in result.stdout
    assert (tmp_path / "simulate-reviews.png").exists()  # the default plot path


@pytest.mark.parametrize(
    "args, message",
    [
        (["nosuchset"], "no such file"),
        (["iris", "--strategies", "random,best"], "strategy to be one of"),
        (["iris", "--strategies", "margin:8/random:0"], "weight > 0"),
        (["iris", "--strategies", "margin:8/random:"], "nothing after ':'"),
        (["iris", "--strategies", "margin:8/randm:1"], "part 2 of the mix"),
        (["iris", "--test-size", "2"], "test_size to be a share"),
        (["iris", "--budget", "10"], "budget >= init"),
        (["iris", "--at", "fifty"], "--at to be comma-separated"),
        (["iris", "--model", "deep"], "model to be one of"),
        (["data.csv"], "--label-column"),
        ([], "Expected a data set"),
        (["--project", "missing.hilt"], "missing.hilt"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_and_no_traceback(tmp_path, args, message):
    (tmp_path / "data.csv").write_text("x,label\n1,a\n2,b\n")
    result = hilt("simulate", *args, "--no-plot", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert message in " ".join(result.stderr.split())


def test_two_runs_with_the_same_seeds_write_the_same_json(tmp_path):
    common = ["simulate", "wine", "--strategies", "random,least,entropy", "--init", "10", "--batch", "5",
              "--budget", "40", "--seeds", "2", "--test-size", "0.3", "--model", "logistic", "--no-plot", "-q"]
    first = hilt(*common, "--json", "a.json", cwd=tmp_path)
    second = hilt(*common, "--json", "b.json", "--jobs", "2", cwd=tmp_path)
    assert first.returncode == 0 and second.returncode == 0, first.stderr + second.stderr
    a, b = (json.loads((tmp_path / name).read_text()) for name in ("a.json", "b.json"))
    assert a == b
    assert a["settings"]["test_size"] == 0.3 and a["settings"]["strategies"] == ["random", "least", "entropy"]
    # The invariants, read from the file: counts strictly increase, every strategy of a seed
    # starts from the same items, and random goes its own way after them.
    for curve in a["curves"]:
        assert all(later > earlier for earlier, later in zip(curve["n_labels"], curve["n_labels"][1:]))
    for seed in (0, 1):
        curves = {c["strategy"]: c for c in a["curves"] if c["seed"] == seed}
        assert len({tuple(c["picked"][:10]) for c in curves.values()}) == 1
        assert curves["random"]["picked"] != curves["least"]["picked"]
    means = {s["strategy"]: s["mean"] for s in a["summary"]}
    assert means["random"] != means["least"]


def test_simulate_replays_a_project(tmp_path):
    from hilt.datasets import load_sklearn

    frame = load_sklearn("iris")
    frame.loc[frame.index[::3], "label"] = None  # a third of the items not labelled yet
    frame.to_csv(tmp_path / "iris.csv", index=False)
    init = hilt("init", "iris.hilt", "--data", "iris.csv", "--labels", "setosa,versicolor,virginica",
                "--label-column", "label", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    result = hilt("simulate", "--project", "iris.hilt", "--init", "10", "--batch", "10", "--budget", "50",
                  "--seeds", "2", "--json", "replay.json", "--no-plot", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Replaying the 100 labelled items of project iris.hilt" in " ".join(result.stdout.split())
    raw = json.loads((tmp_path / "replay.json").read_text())
    assert raw["settings"]["n_pool"] + raw["settings"]["n_test"] == 100
    # 25 held-out items cannot tell strategies apart on iris: the command says so, and what to do.
    out = " ".join(result.stdout.split())
    assert "Caution: the test split holds only 25 items, so one accuracy on it is uncertain by ±" in out
    assert "label more items, or simulate on a larger labelled file" in out
    assert raw["caution"] is not None and raw["caution"] in out and raw["recommended"]


def test_simulate_on_a_large_test_split_prints_no_caution(tmp_path):
    # A hyperplane in 20 dimensions (no noise): random labels learn it slowly, margin's fast
    # (0.039 more in area under the curve, measured), and 4,000 held-out items at 0.997 measure
    # accuracy to ±0.002: a lead the split can tell.
    rng = np.random.default_rng(0)
    n, d = 16_000, 20
    x = rng.normal(size=(n, d))
    frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(d)])
    frame["label"] = np.where(x @ rng.normal(size=d) > 0, "yes", "no")
    frame.to_csv(tmp_path / "plane.csv", index=False)
    result = hilt("simulate", "plane.csv", "--label-column", "label", "--strategies", "random,margin",
                  "--init", "10", "--batch", "10", "--budget", "100", "--seeds", "2", "--json", "c.json",
                  "--no-plot", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    raw = json.loads((tmp_path / "c.json").read_text())
    assert raw["settings"]["n_test"] == 4000
    assert "Caution" not in result.stdout and raw["caution"] is None, result.stdout


def test_simulate_a_project_with_one_label_exits_2(tmp_path):
    (tmp_path / "items.csv").write_text("x,label\n" + "".join(f"{i},{'a' if i < 5 else ''}\n" for i in range(20)))
    init = hilt_exe("init", "p.hilt", "--data", "items.csv", "--labels", "a,b", "--label-column", "label", cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    result = hilt_exe("simulate", "--project", "p.hilt", "--no-plot", cwd=tmp_path)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "at least two different labels in project p.hilt" in " ".join(result.stderr.split())


@pytest.mark.parametrize(
    "args, message",
    [
        (["data.csv", "--label-column", "nope"], "nope"),
        (["iris", "--test-size", "0"], "test_size to be a share"),
        (["iris", "--test-size", "1"], "test_size to be a share"),
        (["iris", "--init", "0"], "init to be a whole number >= 1"),
        (["iris", "--seeds", "0"], "seeds to be a whole number >= 1"),
        (["iris", "--jobs", "0"], "jobs to be a whole number >= 1"),
        (["iris", "--batch", "0"], "batch to be a whole number >= 1"),
        (["iris", "--strategies", ""], "at least one strategy"),
        (["iris", "--at", "25"], "label counts on every curve"),
        (["iris", "--label-column", "label"], "apply to a file"),
        (["iris", "--project", "p.hilt"], "not both"),
    ],
)
def test_more_bad_arguments_exit_2(tmp_path, args, message):
    (tmp_path / "data.csv").write_text("x,label\n1,a\n2,b\n3,a\n4,b\n")
    result = hilt("simulate", *args, "--no-plot", "-q", cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert message in " ".join(result.stderr.split())


def test_progress_bar_counts_runs_on_stderr_and_quiet_hides_it(tmp_path):
    import os
    import re

    # The bar draws only on a terminal; these variables make rich treat the pipe as one.
    env = {**os.environ, "TTY_COMPATIBLE": "1", "FORCE_COLOR": "1"}
    args = [HILT, "simulate", "iris", "--strategies", "random,margin", "--init", "10", "--budget", "30",
            "--seeds", "2", "--no-plot"]
    shown = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert shown.returncode == 0, shown.stderr
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.stderr)
    assert "simulating" in plain and "0/4 runs" in plain and "4/4 runs" in plain
    assert "simulating" not in shown.stdout  # the table stays clean for pipes
    quiet = subprocess.run([*args, "--quiet"], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env)
    assert quiet.returncode == 0 and "simulating" not in quiet.stderr


def test_id_column_option_keeps_a_string_id_out_of_the_text(tmp_path):
    """Issue 11, defect 1 (simulate's half) and 13: `hilt simulate --id-column id` simulates a
    table with a string id column on its numeric features, and the report says what its
    labels-needed figures are."""
    from hilt.simulate import load_data

    wine = load_data("wine")
    table = pd.DataFrame(wine.items).add_prefix("f")
    table["target"] = wine.y
    table = table.sample(frac=1.0, random_state=0)
    table.insert(0, "id", [f"wine-{i:03d}" for i in range(len(table))])
    table.to_csv(tmp_path / "wine.csv", index=False)
    result = hilt("simulate", "wine.csv", "--label-column", "target", "--id-column", "id", "--strategies",
                  "random,margin", "--init", "10", "--batch", "10", "--budget", "30", "--seeds", "2",
                  "--no-plot", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "as the item text" not in result.stdout and "Recommended: " in result.stdout
    assert "the median over seeds (in brackets: the range over seeds)" in result.stdout
    accuracy = float(result.stdout.split("full-data accuracy ")[1].split()[0])
    assert accuracy > 0.9


# -- --task multilabel ------------------------------------------------------------------------
def test_simulate_help_lists_the_multilabel_strategies_and_the_task():
    from hilt.cli.simulate import DEFAULT_MULTILABEL_STRATEGIES
    from hilt.simulate import DEFAULT_MULTILABEL_STRATEGIES as LIBRARY_DEFAULTS
    from hilt.strategies import MULTILABEL_DESCRIPTIONS

    assert DEFAULT_MULTILABEL_STRATEGIES.split(",") == list(LIBRARY_DEFAULTS)  # one default, written twice
    result = hilt("simulate", "--help")
    assert result.returncode == 0 and "--task" in result.stdout and "--label-separator" in result.stdout
    lines = result.stdout.splitlines()
    for name, text in MULTILABEL_DESCRIPTIONS.items():
        assert any(line.strip().startswith(name + " ") and text in line for line in lines), name


def test_simulate_a_multilabel_file_prints_micro_f1_and_writes_json(tmp_path):
    from hilt.datasets import load_multilabel

    frame, _, _ = load_multilabel("synthetic_multilabel")
    frame.head(400).to_csv(tmp_path / "tags.csv", index=False)
    result = hilt("simulate", "tags.csv", "--task", "multilabel", "--label-column", "labels",
                  "--strategies", "random,margin:max,margin:max:3/random:1", "--init", "20", "--batch", "20",
                  "--budget", "80", "--seeds", "2", "--no-plot", "--json", "curves.json", "-q", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "micro-F1 @ 40" in result.stdout and "full-data micro-F1" in result.stdout
    assert "│ margin:max:3/random:1 " in result.stdout and "Recommended: " in result.stdout
    raw = json.loads((tmp_path / "curves.json").read_text())
    assert raw["settings"]["task"] == "multilabel" and raw["settings"]["metric"] == "micro-F1"
    assert len(raw["curves"]) == 6


@pytest.mark.parametrize("args, message", [
    (["iris", "--strategies", "margin:max"], "task 'single'"),
    (["synthetic_multilabel", "--task", "multilabel", "--strategies", "margin:max/random:1"], "write margin:max:1"),
    (["iris", "--task", "multi"], "task to be one of single, multilabel"),
])
def test_simulate_multilabel_mistakes_are_one_paragraph_errors(args, message, tmp_path):
    result = hilt("simulate", *args, "--no-plot", "-q", cwd=tmp_path)
    assert result.returncode == 2
    assert message in " ".join(result.stderr.split())

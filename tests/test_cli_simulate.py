"""`hilt simulate` through the real executable: table, notes, recommendation, files, errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HILT = str(Path(sys.executable).with_name("hilt"))


def hilt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([HILT, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def test_simulate_a_bundled_set_prints_the_table_and_writes_plot_and_json(tmp_path):
    result = hilt(
        "simulate", "iris", "--init", "10", "--batch", "10", "--budget", "50", "--seeds", "2",
        "--at", "20,40", "--json", "curves.json", "--plot", "curves.png", "--jobs", "2", cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for strategy in ("random", "least", "margin", "ratio", "entropy"):
        assert f"│ {strategy} " in out
    for column in ("acc @ 20", "acc @ 40", "labels to 95 %", "labels to 99 %", "area under curve"):
        assert column in out
    assert "full-data accuracy" in out and "Recommended: " in out
    raw = json.loads((tmp_path / "curves.json").read_text())
    assert len(raw["curves"]) == 10 and raw["settings"]["at"] == [20, 40]
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

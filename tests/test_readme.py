"""The README's Python examples run as written (in a folder holding the bundled reviews as reviews.csv)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from hilt.datasets import load_movie_reviews

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)


def test_the_readme_has_python_examples():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_readme_example_runs(number, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    load_movie_reviews().to_csv("reviews.csv", index=False)
    exec(compile(BLOCKS[number], f"README.md python block {number + 1}", "exec"), {"__name__": "__readme__"})
    if "print(" in BLOCKS[number]:
        assert capsys.readouterr().out.strip(), "the example prints something"

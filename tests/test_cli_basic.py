"""The real `hilt` executable: help, version, and a clean error for bad options."""

from __future__ import annotations

from hilt import __version__

from helpers import heavy_imports
from helpers import hilt_exe as run  # the real executable: these are its smoke tests


def test_help_lists_commands():
    result = run("--help")
    assert result.returncode == 0
    assert "version" in result.stdout and "demo" in result.stdout


def test_version():
    result = run("version")
    assert result.returncode == 0
    assert result.stdout.strip() == __version__


def test_unknown_command_is_a_usage_error_without_traceback():
    result = run("frobnicate")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


# --- issue 11, defect 7: commands that need no model do not import its libraries ---------------

def test_help_imports_no_model_library():
    """Issue 11, defect 7 (a guard: this held before the fix): `hilt --help` imports none of
    scikit-learn, pandas, scipy, WordLlama."""
    loaded, result = heavy_imports("--help")
    assert "Usage" in result.stdout and loaded == []


def test_status_imports_no_model_library(tmp_path):
    """Issue 11, defect 7: `hilt status` reads the project file without importing scikit-learn,
    pandas, scipy or WordLlama (it took ~2.5 s, 1.8 s of it importing scikit-learn), and
    still shows the project, with --json too."""
    import pandas as pd

    from hilt import Project

    path = tmp_path / "p.hilt"
    with Project.create(path, pd.DataFrame({"text": ["good film", "bad film", "fine"]}), ["pos", "neg"],
                        eval_share=0.0, features="tfidf") as project:
        item = project.next_item("ana")
        project.answer(item.id, "neg", "ana")
    loaded, result = heavy_imports("status", path)
    assert loaded == [] and result.stdout.count("neg") >= 1 and "tfidf" in result.stdout, result.stderr
    loaded, result = heavy_imports("status", path, "--json")
    assert loaded == [] and '"n_answered": 1' in result.stdout


def test_bad_labels_error_imports_no_model_library(tmp_path):
    """Issue 11, defect 7: a bad --labels is refused before scikit-learn or pandas is imported."""
    (tmp_path / "d.csv").write_text("text\nhello\nworld\n")
    loaded, result = heavy_imports("init", "p.hilt", "--data", "d.csv", "--labels", "pos", cwd=tmp_path)
    assert "at least two labels" in result.stderr and loaded == []

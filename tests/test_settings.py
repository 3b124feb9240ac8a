"""`hilt.settings`: every environment variable hilt reads, one parser per type, and nothing in
src/hilt that reads a variable the module does not list."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from hilt import settings
from hilt.errors import InputError

SRC = Path(__file__).resolve().parents[1] / "src" / "hilt"


# ---- the values, and the messages for values that do not parse ----------------------------------

def test_each_variable_is_read_when_asked_not_at_import(monkeypatch):
    monkeypatch.delenv("HILT_DASK_TIMEOUT", raising=False)
    assert settings.DASK_TIMEOUT.read() == 10.0
    monkeypatch.setenv("HILT_DASK_TIMEOUT", "2")
    assert settings.DASK_TIMEOUT.read() == 2.0


@pytest.mark.parametrize("variable, text, value", [
    (settings.DASK_SCHEDULER, None, None),
    (settings.DASK_SCHEDULER, "   ", None),
    (settings.DASK_SCHEDULER, " tcp://10.1.2.3:8786 ", "tcp://10.1.2.3:8786"),
    (settings.DASK_TIMEOUT, None, 10.0),
    (settings.DASK_TIMEOUT, " ", 10.0),
    (settings.DASK_TIMEOUT, " 2.5 ", 2.5),
    (settings.DASK_TIMEOUT, "inf", math.inf),
    (settings.DASK_RUN_TIMEOUT, None, 3600.0),
    (settings.DASK_RUN_TIMEOUT, "", 3600.0),
    (settings.DASK_RUN_TIMEOUT, "90", 90.0),
    (settings.DASK_RUN_TIMEOUT, "0", 0.0),  # taken, as it always was: every run gives up at once
    (settings.DASK_PARTITION_ITEMS, None, 250_000),
    (settings.DASK_PARTITION_ITEMS, " 300 ", 300),
    (settings.DASK_PARTITION_ITEMS, "1_000", 1000),  # int() syntax, as before
    (settings.RETRAIN_PROCESS, None, "auto"),
    (settings.RETRAIN_PROCESS, " Always ", "always"),
    (settings.RETRAIN_PROCESS, "never", "never"),
    (settings.RETRAIN_PROCESS, "sometimes", "auto"),  # an unknown word: what unset does
    (settings.NO_NUMBA, None, False),
    (settings.NO_NUMBA, "", False),
    (settings.NO_NUMBA, "0", True),  # any non-empty value
    (settings.CACHE_DIR, "/srv/hilt cache", Path("/srv/hilt cache")),
])
def test_values_as_each_reader_took_them_before(variable, text, value):
    environ = {} if text is None else {variable.name: text}
    assert variable.read(environ) == value


def test_the_cache_folder_defaults_under_the_home_folder_of_the_moment(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert settings.CACHE_DIR.read({}) == tmp_path / ".cache" / "hilt"
    assert settings.CACHE_DIR.read({"HILT_CACHE_DIR": ""}) == tmp_path / ".cache" / "hilt"


@pytest.mark.parametrize("variable, text, message", [
    (settings.DASK_TIMEOUT, "soon", "Expected HILT_DASK_TIMEOUT to be a number of seconds; got 'soon'."),
    (settings.DASK_TIMEOUT, "0", "Expected HILT_DASK_TIMEOUT to be > 0 seconds; got '0'."),
    (settings.DASK_TIMEOUT, "-1", "Expected HILT_DASK_TIMEOUT to be > 0 seconds; got '-1'."),
    (settings.DASK_TIMEOUT, "nan", "Expected HILT_DASK_TIMEOUT to be > 0 seconds; got 'nan'."),
    (settings.DASK_RUN_TIMEOUT, "an hour", "Expected HILT_DASK_RUN_TIMEOUT to be a number of seconds; got 'an hour'."),
    (settings.DASK_PARTITION_ITEMS, "0", "Expected HILT_DASK_PARTITION_ITEMS to be a whole number >= 1; got '0'."),
    (settings.DASK_PARTITION_ITEMS, "-4", "Expected HILT_DASK_PARTITION_ITEMS to be a whole number >= 1; got '-4'."),
    (settings.DASK_PARTITION_ITEMS, "many",
     "Expected HILT_DASK_PARTITION_ITEMS to be a whole number >= 1; got 'many'."),
    (settings.DASK_PARTITION_ITEMS, "2.5", "Expected HILT_DASK_PARTITION_ITEMS to be a whole number >= 1; got '2.5'."),
])
def test_a_value_that_does_not_parse_names_the_variable_what_was_expected_and_what_came(variable, text, message):
    with pytest.raises(InputError) as error:
        variable.read({variable.name: text})
    assert str(error.value) == message


def test_the_modules_that_used_these_variables_keep_their_names():
    from hilt.cluster import CONNECT_TIMEOUT_ENV, SCHEDULER_ENV, partitions
    from hilt.project.cluster import RUN_TIMEOUT_ENV
    from hilt.project.worker import PROCESS_ENV

    assert (SCHEDULER_ENV, CONNECT_TIMEOUT_ENV, RUN_TIMEOUT_ENV, PROCESS_ENV) == (
        "HILT_DASK_SCHEDULER", "HILT_DASK_TIMEOUT", "HILT_DASK_RUN_TIMEOUT", "HILT_RETRAIN_PROCESS")
    assert (partitions.PARTITION_ITEMS_ENV, partitions.PARTITION_ITEMS) == ("HILT_DASK_PARTITION_ITEMS", 250_000)


def test_every_variable_is_described():
    names = [variable.name for variable in settings.VARIABLES]
    assert len(names) == len(set(names)) and all(name.startswith("HILT_") for name in names)
    for variable in settings.VARIABLES:
        assert variable.kind.expected and variable.default_text and variable.read_by and variable.meaning


# ---- nothing else reads the environment behind the module's back ----------------------------------

def _environment_reads(tree: ast.AST) -> list[str]:
    """The variable names a module reads: ``os.environ.get("X")``, ``os.environ["X"]``,
    ``os.getenv("X")`` with a literal name."""
    names = []
    for node in ast.walk(tree):
        target = None
        if isinstance(node, ast.Call) and node.args:
            func = ast.unparse(node.func)
            if func in ("os.environ.get", "os.getenv", "environ.get", "getenv"):
                target = node.args[0]
        elif isinstance(node, ast.Subscript) and ast.unparse(node.value) in ("os.environ", "environ"):
            target = node.slice
        if isinstance(target, ast.Constant) and isinstance(target.value, str):
            names.append(target.value)
    return names


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def test_only_the_settings_module_names_a_hilt_variable_and_every_other_read_is_listed():
    others = {name for other in settings.OTHER_VARIABLES for name in other.names}
    hilt_names = {variable.name for variable in settings.VARIABLES}
    unlisted, named_elsewhere = [], []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        where = path.relative_to(SRC).as_posix()
        for name in _environment_reads(tree):
            if name not in others and name not in hilt_names:
                unlisted.append(f"{where}: {name}")
            elif name in hilt_names and where != "settings.py":
                named_elsewhere.append(f"{where}: reads {name}")
        if where == "settings.py":
            continue
        docstrings = _docstrings(tree)
        for node in ast.walk(tree):
            # A literal "HILT_…" outside a docstring or a message is a read (or a name for one)
            # that belongs in hilt.settings.
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and node.value.strip() in hilt_names):
                named_elsewhere.append(f"{where}:{node.lineno}: {node.value!r}")
    assert not unlisted, f"environment variables read but not listed in hilt.settings: {unlisted}"
    assert not named_elsewhere, f"HILT_ variables named outside hilt.settings: {named_elsewhere}"


def test_hilt_settings_is_at_the_bottom_of_the_layers():
    """hilt.sampling, the lowest layer, reads HILT_NO_NUMBA through it: it may import only the
    errors."""
    tree = ast.parse((SRC / "settings.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert {name for name in imported if name and name.startswith("hilt")} == {"hilt.errors"}


def test_the_configuration_page_takes_its_table_from_the_module():
    """The page holds the marker that docs/hooks.py replaces with the tables at build time (the
    built page is checked in test_docs.py), and no hand-written copy of them."""
    import importlib.util

    page = (SRC.parents[1] / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    assert page.count("<!-- hilt:environment -->") == 1
    for variable in settings.VARIABLES:
        assert f"`{variable.name}` |" not in page, f"{variable.name} is written by hand on the page"
    spec = importlib.util.spec_from_file_location("hilt_docs_hooks", SRC.parents[1] / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    tables = hooks.environment_tables()
    for variable in settings.VARIABLES:
        assert f"| `{variable.name}` | {variable.kind.expected} | {variable.default_text} |" in tables
    for other in settings.OTHER_VARIABLES:
        assert all(f"`{name}`" in tables for name in other.names)

"""Helpers the test modules share (not fixtures: those are in conftest.py).

Two ways to run the command line, for the same ``subprocess.CompletedProcess`` result:

- :func:`hilt` runs ``hilt ARGS`` in this process through Click's test runner. It is what the
  executable does (the same Typer app, the same exit codes, stdout and stderr apart), without
  starting Python and importing numpy, scikit-learn, numba and pandas again for every call
  (1-2 s each, some 230 calls in the suite). A bug's exception is raised in the test, so a test
  that asserts "no traceback" cannot pass on a crash.
- :func:`hilt_exe` runs the real ``hilt`` executable as a subprocess. Each command keeps a few
  tests through it (the entry point, a real stdin, signals, the process's own exit code).
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

HILT_EXE = str(Path(sys.executable).with_name("hilt"))


@contextmanager
def _working_directory(folder: str | os.PathLike | None):
    if folder is None:
        yield
        return
    before = os.getcwd()
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(before)


def hilt(*args: object, input: str | None = None, env: dict[str, str] | None = None,
         cwd: str | os.PathLike | None = None, timeout: float | None = None) -> subprocess.CompletedProcess:
    """``hilt ARGS`` in this process; returns what :func:`hilt_exe` would (code, stdout, stderr).

    ``env`` holds variables to set for the call (a ``None`` value unsets one); ``timeout`` is
    accepted for the same signature as :func:`hilt_exe` and not enforced in process.
    """
    from typer.testing import CliRunner

    from hilt.cli import app

    argv = [str(arg) for arg in args]
    runner = CliRunner()
    with _working_directory(cwd):
        result = runner.invoke(app, argv, input=input, env=env, catch_exceptions=True, prog_name="hilt")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        # A bug, not a user error: the executable would print a traceback and exit 1.
        raise result.exception
    return subprocess.CompletedProcess(["hilt", *argv], result.exit_code, result.stdout, result.stderr)


def hilt_exe(*args: object, input: str | None = None, env: dict[str, str] | None = None,
             cwd: str | os.PathLike | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    """The real ``hilt`` executable as a subprocess (``env`` is added to this process's environment)."""
    environment = None if env is None else {key: value for key, value in {**os.environ, **env}.items()
                                             if value is not None}
    return subprocess.run([HILT_EXE, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          input=input, env=environment, cwd=cwd,
                          stdin=None if input is not None else subprocess.DEVNULL)

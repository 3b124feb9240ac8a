"""The real `hilt` executable: help, version, and a clean error for bad options."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hilt import __version__

HILT = str(Path(sys.executable).with_name("hilt"))


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([HILT, *args], capture_output=True, text=True, timeout=120)


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

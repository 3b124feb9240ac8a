"""The shared fixtures' own helpers (tests/conftest.py)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

import conftest


@pytest.mark.parametrize("worker", ["gw0", "gw1"])
def test_free_port_gives_each_xdist_worker_its_own_ports_of_either_parity(monkeypatch, worker):
    # bind(port 0) gives ports of one parity only, so a worker whose residue the kernel never
    # picks waited forever (the hang of a whole CI run): the ports come from a range of their own.
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "2")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    ports = [conftest.free_port() for _ in range(20)]
    assert len(set(ports)) == 20
    assert {port % 2 for port in ports} == {int(worker[2:])}


def test_free_port_skips_a_port_someone_listens_on(monkeypatch):
    monkeypatch.setenv("PYTEST_XDIST_WORKER_COUNT", "1")
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw0")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        taken = listener.getsockname()[1]
        listener.listen()
        monkeypatch.setattr(conftest, "_PORTS", range(taken, taken + 1))
        monkeypatch.setattr(conftest, "_HANDED_OUT", set())
        with pytest.raises(RuntimeError, match=f"No free port left in {taken}..{taken}"):
            conftest.free_port()


GROUPED_TESTS = """
import os, pytest

@pytest.mark.parametrize("n", range(8))
@pytest.mark.xdist_group("together")
def test_grouped(n):
    with open(os.path.join(os.environ["GROUPED_OUT"], f"grouped-{n}"), "w") as out:
        out.write(os.environ["PYTEST_XDIST_WORKER"])

@pytest.mark.parametrize("n", range(8))
def test_free(n):
    pass
"""


def test_xdist_groups_stay_on_one_worker_under_loadgroup(tmp_path):
    # make test relies on --dist loadgroup keeping an xdist_group on one worker (the Dask tests share
    # one session cluster). pytest 9.2 with pytest-xdist 3.8 silently spread them: this catches a
    # pair of versions that does it again.
    (tmp_path / "test_grouped.py").write_text(GROUPED_TESTS)
    (tmp_path / "out").mkdir()
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-n", "2", "--dist", "loadgroup", "-p", "no:cacheprovider",
         "--rootdir", str(tmp_path), str(tmp_path / "test_grouped.py")],
        capture_output=True, text=True, timeout=120, cwd=tmp_path,
        env={**os.environ, "GROUPED_OUT": str(tmp_path / "out")},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    written = list((tmp_path / "out").iterdir())
    assert len(written) == 8
    assert len({path.read_text() for path in written}) == 1, "the group ran on more than one worker"

"""The PostgreSQL test set-up itself (tests/pg_server.py, the fixtures in conftest.py): a real
server, one fresh database per test, committed data surviving a restart and a crash, loopback only."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

import pg_server
from pg_server import PostgresError, PostgresServer, RestartUnsupported

SEEN_DATABASES: list[str] = []


def owned_or_skip(server: PostgresServer) -> None:
    if not server.owned:
        pytest.skip(f"the server comes from {pg_server.ENV_URL}; the tests do not restart or inspect it")


def scalar(url: str, sql: str):
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar_one()
    finally:
        engine.dispose()


def test_fixture_gives_a_working_postgresql_database(postgres_server, postgres_url):
    assert postgres_url.startswith("postgresql+psycopg://")
    version = scalar(postgres_url, "SELECT version()")
    assert version.startswith("PostgreSQL ")
    name = postgres_url.rsplit("/", 1)[1]
    assert name.startswith("hilt_test_")
    assert scalar(postgres_url, "SELECT current_database()") == name
    if postgres_server.owned:
        # The highest installed version is the one running.
        major = int(scalar(postgres_url, "SHOW server_version_num")) // 10000
        assert str(major) == postgres_server.bin_dir.parent.name
        assert scalar(postgres_url, "SHOW fsync") == "on"


# These three run in this order on one worker (under pytest-xdist, one group): the last checks
# that the databases the first two were given are gone.
in_order = pytest.mark.xdist_group("pg-server-fresh-databases")


@in_order
@pytest.mark.parametrize("run", [1, 2])
def test_each_test_gets_a_fresh_empty_database(postgres_url, run):
    name = postgres_url.rsplit("/", 1)[1]
    assert name not in SEEN_DATABASES
    tables = "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
    assert scalar(postgres_url, tables) == 0
    engine = create_engine(postgres_url)
    with engine.begin() as conn:  # left behind on purpose: the other run must not see it
        conn.execute(text("CREATE TABLE leftover (x int)"))
    engine.dispose()
    SEEN_DATABASES.append(name)


@in_order
def test_the_database_is_dropped_after_its_test(postgres_server):
    assert len(SEEN_DATABASES) == 2, "runs after test_each_test_gets_a_fresh_empty_database"
    with postgres_server.connect() as conn:
        left = conn.execute("SELECT datname FROM pg_database WHERE datname = ANY(%s)", [SEEN_DATABASES]).fetchall()
    assert left == []


def test_committed_data_survives_restart_and_crash(postgres_server, postgres_url):
    owned_or_skip(postgres_server)
    port = postgres_server.port
    engine = create_engine(postgres_url, pool_pre_ping=True)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE answers (id int PRIMARY KEY, label text)"))
            conn.execute(text("INSERT INTO answers VALUES (1, 'pos')"))
        open_conn = engine.connect()  # a session open across the restart; it breaks, the data does not

        postgres_server.restart()
        assert postgres_server.port == port
        open_conn.invalidate()
        open_conn.close()
        with engine.begin() as conn:
            assert conn.execute(text("SELECT label FROM answers WHERE id = 1")).scalar_one() == "pos"
            conn.execute(text("INSERT INTO answers VALUES (2, 'neg')"))

        # SIGKILL, no shutdown checkpoint: the commit must come back from the WAL.
        postgres_server.kill()
        assert not postgres_server.is_running()
        postgres_server.start()
        engine.dispose()  # pooled connections died with the server
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT id, label FROM answers ORDER BY id")).all()
        assert [tuple(row) for row in rows] == [(1, "pos"), (2, "neg")]
    finally:
        engine.dispose()


def listening_addresses(port: int) -> set[str]:
    """Local addresses of the TCP sockets listening on ``port`` (from /proc/net/tcp and tcp6)."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            address, port_hex = fields[1].rsplit(":", 1)
            if fields[3] == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_server_listens_on_loopback_only(postgres_server, postgres_url):
    owned_or_skip(postgres_server)
    assert scalar(postgres_url, "SHOW listen_addresses") == "127.0.0.1"
    assert scalar(postgres_url, "SHOW unix_socket_directories") == str(postgres_server.base_dir)
    assert listening_addresses(postgres_server.port) == {"0100007F"}  # 127.0.0.1, little-endian


def test_a_server_from_the_environment_is_used_and_left_alone(postgres_server, monkeypatch):
    monkeypatch.setenv(pg_server.ENV_URL, postgres_server.url)
    outside = pg_server.server_from_env()
    assert not outside.owned and outside.port == postgres_server.port
    url = outside.create_database()
    assert scalar(url, "SELECT 1") == 1
    outside.drop_database(url.rsplit("/", 1)[1])
    with pytest.raises(RestartUnsupported, match=pg_server.ENV_URL):
        outside.restart()
    with pytest.raises(RestartUnsupported):
        outside.kill()
    outside.stop()  # a no-op: the server still answers
    assert postgres_server.is_running()


def test_missing_postgresql_is_a_clear_error(tmp_path):
    with pytest.raises(PostgresError, match="make postgres"):
        pg_server.find_bin_dir(tmp_path)
    with pytest.raises(PostgresError, match="make postgres"):
        pg_server.start_server(bin_dir=tmp_path)


def test_runuser_is_found_outside_a_plain_users_path(monkeypatch):
    """A new user's PATH (/usr/local/bin:/usr/bin:/bin) has no /usr/sbin, where Debian keeps runuser."""
    monkeypatch.setenv("PATH", "/usr/local/bin:/usr/bin:/bin")
    found = pg_server.find_program("runuser")
    assert found.endswith("/runuser") and os.access(found, os.X_OK)


def test_a_missing_program_says_where_it_was_looked_for(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(PostgresError) as caught:
        pg_server.find_program("no-such-program-hilt", extra_dirs=(str(tmp_path / "sbin"),))
    message = str(caught.value)
    assert "no-such-program-hilt" in message and str(tmp_path) in message and "sbin" in message

"""A throwaway PostgreSQL for the tests: a real server in a temporary folder on a free port.

``start_server()`` runs Debian's ``initdb`` and ``pg_ctl`` (the highest version under
``/usr/lib/postgresql/*/bin``) and gives back a :class:`PostgresServer` whose ``url`` is the
SQLAlchemy URL of its ``postgres`` database. The server trusts every connection, so it listens on
127.0.0.1 only and on a unix socket inside its own temporary folder; durability settings are
PostgreSQL's defaults (``fsync=on``), because the tests of the PostgreSQL store test durability.

``initdb`` refuses to run as root. As root the temporary folder is given to the ``postgres`` user
(which Debian's package creates) and every PostgreSQL program runs through
``runuser -u postgres --``; as any other user they run directly.

``server_from_env()`` uses the server at ``HILT_TEST_POSTGRES_URL`` instead when that is set
(a SQLAlchemy URL of a database the user may ``CREATE DATABASE`` from); such a server is never
started, stopped, restarted or killed by the tests, and ``restart()`` / ``kill()`` raise
:class:`RestartUnsupported`.

``make postgres`` installs Debian's ``postgresql`` package when no ``initdb`` is found.
"""

from __future__ import annotations

import atexit
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

ENV_URL = "HILT_TEST_POSTGRES_URL"
PG_ROOT = Path("/usr/lib/postgresql")
HOST = "127.0.0.1"
SUPERUSER = "postgres"
RUN_AS = "postgres"  # the system user the programs run as when the tests run as root


class PostgresError(RuntimeError):
    """PostgreSQL could not be found, started, stopped or reached; the message says why and what to do."""


class RestartUnsupported(PostgresError):
    """``restart()`` / ``kill()`` on a server given by ``HILT_TEST_POSTGRES_URL``: the tests do not own it."""


def find_bin_dir(root: Path = PG_ROOT) -> Path:
    """The ``bin`` folder of the highest PostgreSQL version with ``initdb`` and ``pg_ctl``."""
    found = []
    for initdb in root.glob("*/bin/initdb"):
        bin_dir = initdb.parent
        version = bin_dir.parent.name
        if re.fullmatch(r"\d+(\.\d+)?", version) and (bin_dir / "pg_ctl").exists():
            found.append((tuple(int(part) for part in version.split(".")), bin_dir))
    if not found and root == PG_ROOT:
        # Not Debian's layout: initdb and pg_ctl side by side on PATH or in a system folder.
        try:
            bin_dir = Path(find_program("initdb")).parent
        except PostgresError:
            bin_dir = None
        if bin_dir is not None and (bin_dir / "pg_ctl").exists():
            return bin_dir
    if not found:
        raise PostgresError(
            f"No PostgreSQL server programs found (expected {root}/<version>/bin/initdb and pg_ctl). "
            "Install them with `make postgres` (apt-get install postgresql), or point the tests at a "
            f"running server with {ENV_URL}=postgresql+psycopg://USER:PASSWORD@HOST:PORT/postgres."
        )
    return max(found)[1]


# Where system programs live when a plain user's PATH (e.g. /usr/local/bin:/usr/bin:/bin) lacks them.
SYSTEM_BIN_DIRS = ("/usr/sbin", "/sbin", "/usr/local/sbin", "/usr/bin", "/bin")


def find_program(name: str, extra_dirs: tuple[str, ...] = SYSTEM_BIN_DIRS) -> str:
    """The full path of ``name``: on ``PATH`` first, then in the system folders that a user's
    ``PATH`` often leaves out (``runuser`` is in /usr/sbin on Debian)."""
    found = shutil.which(name)
    if found:
        return found
    for folder in extra_dirs:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    raise PostgresError(
        f"`{name}` not found: looked on PATH ({os.environ.get('PATH', '')}) and in {', '.join(extra_dirs)}."
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def _deferred_interrupts():
    """Hold Ctrl-C back while the server is started or stopped, then raise it: a server half
    started or half stopped when the interrupt lands would be left running, unowned."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
    if caught:
        raise KeyboardInterrupt


def _psycopg_conninfo(sqlalchemy_url: str) -> str:
    """``postgresql+psycopg://...`` -> the libpq URI psycopg connects with."""
    from sqlalchemy.engine import make_url

    return make_url(sqlalchemy_url).set(drivername="postgresql").render_as_string(hide_password=False)


class PostgresServer:
    """A PostgreSQL server for the tests; create one with :func:`start_server` or :func:`server_from_env`.

    Attributes
    ----------
    url : str
        SQLAlchemy URL of the maintenance database (``postgresql+psycopg://postgres@127.0.0.1:PORT/postgres``).
    host, port : str, int
        Where it listens (TCP).
    owned : bool
        True when the tests started it (and so may restart, kill and stop it).
    base_dir : Path or None
        The temporary folder holding ``data/`` (the cluster), ``server.log`` and the unix socket.
    """

    def __init__(self, url: str, *, owned: bool, bin_dir: Path | None = None, base_dir: Path | None = None,
                 port: int | None = None, as_root: bool = False):
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        self.url = url
        self.host = parsed.host or HOST
        self.port = port or parsed.port or 5432
        self.owned = owned
        self.bin_dir = bin_dir
        self.base_dir = base_dir
        self._as_root = as_root
        self._runuser = find_program("runuser") if as_root else None
        self._stopped = False

    # --- paths and commands -------------------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        return self.base_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.base_dir / "server.log"

    def _cmd(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        return [self._runuser, "-u", RUN_AS, "--", *command] if self._as_root else command

    def _run(self, program: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
        # cwd: the programs look up the current folder, which /root (0700) hides from `postgres`.
        command = self._cmd(program, *args)
        try:
            # A session of their own: a Ctrl-C at the terminal goes to the tests, not to pg_ctl.
            done = subprocess.run(command, cwd=self.base_dir, stdin=subprocess.DEVNULL, capture_output=True,
                                  text=True, timeout=timeout, start_new_session=True)
        except subprocess.TimeoutExpired as error:
            raise PostgresError(f"{program} did not finish in {timeout} s: {' '.join(command)}\n"
                                f"{self._log_tail()}") from error
        return done

    def _log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(errors="replace").splitlines()[-lines:]
        except (OSError, TypeError, AttributeError):
            return ""
        return "server log (last lines):\n" + "\n".join(text) if text else ""

    def _require_owned(self, what: str) -> None:
        if not self.owned:
            raise RestartUnsupported(
                f"{what} needs a PostgreSQL the tests started themselves; this one comes from {ENV_URL} "
                f"({self.host}:{self.port}) and is left alone. Unset {ENV_URL} to run this test."
            )

    # --- connections ----------------------------------------------------------------------------

    def connect(self, database: str | None = None, timeout: float = 10):
        """A psycopg connection in autocommit mode (for ``CREATE DATABASE`` and checks)."""
        import psycopg

        return psycopg.connect(_psycopg_conninfo(self.url_for(database) if database else self.url),
                               autocommit=True, connect_timeout=max(1, int(timeout)))

    def url_for(self, database: str) -> str:
        """The SQLAlchemy URL of ``database`` on this server."""
        from sqlalchemy.engine import make_url

        return make_url(self.url).set(database=database).render_as_string(hide_password=False)

    def create_database(self, name: str | None = None) -> str:
        """Create an empty database (default name ``hilt_test_<uuid hex>``); return its SQLAlchemy URL."""
        name = name or f"hilt_test_{uuid.uuid4().hex}"
        with self.connect() as conn:
            # FILE_COPY (PostgreSQL 15+) copies the small template's files instead of writing
            # every block to the WAL: create and drop together took 0.63 s a database with
            # the default, 0.11 s with this (the suite makes one per PostgreSQL test).
            fast = conn.info.server_version >= 150000
            conn.execute(f'CREATE DATABASE "{name}"' + (" STRATEGY FILE_COPY" if fast else ""))
        return self.url_for(name)

    def drop_database(self, name: str) -> None:
        """Drop ``name``, ending whatever sessions still use it (``WITH (FORCE)``, PostgreSQL 13+)."""
        with self.connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def is_running(self) -> bool:
        try:
            with self.connect(timeout=2):
                return True
        except Exception:
            return False

    # --- life cycle (owned servers only) ------------------------------------------------------

    def start(self, timeout: float = 60) -> None:
        """Start the server on its data folder and port; wait until it takes connections.

        After :meth:`kill` this is crash recovery: PostgreSQL replays its WAL first.
        """
        self._require_owned("start()")
        with _deferred_interrupts():
            self._start(timeout)

    def _start(self, timeout: float) -> None:
        done = self._run("pg_ctl", "-D", str(self.data_dir), "-l", str(self.log_path), "-w",
                         "-t", str(int(timeout)), "start", timeout=timeout + 30)
        if done.returncode != 0:
            raise PostgresError(f"pg_ctl start failed (exit {done.returncode}) on port {self.port}:\n"
                                f"{done.stdout}{done.stderr}{self._log_tail()}")
        deadline = time.monotonic() + timeout
        while True:
            try:
                with self.connect(timeout=5):
                    return
            except Exception as error:
                if time.monotonic() > deadline:
                    raise PostgresError(f"PostgreSQL started but takes no connections on {self.host}:"
                                        f"{self.port}: {error}\n{self._log_tail()}") from error
                time.sleep(0.05)

    def shutdown(self, mode: str = "fast", timeout: float = 60) -> None:
        """``pg_ctl stop -m MODE``; the data stays (``stop()`` also removes it)."""
        self._require_owned("shutdown()")
        with _deferred_interrupts():
            self._shutdown(mode, timeout)

    def _shutdown(self, mode: str, timeout: float) -> None:
        done = self._run("pg_ctl", "-D", str(self.data_dir), "-m", mode, "-w", "-t", str(int(timeout)),
                         "stop", timeout=timeout + 30)
        if done.returncode != 0 and self._postmaster_pid() is not None:
            raise PostgresError(f"pg_ctl stop -m {mode} failed (exit {done.returncode}):\n"
                                f"{done.stdout}{done.stderr}{self._log_tail()}")

    def restart(self, timeout: float = 60) -> None:
        """Stop (``-m fast``: sessions are ended, committed data is flushed) and start again on the same
        port and data. Open connections break; a fresh connection sees every committed transaction."""
        self._require_owned("restart()")
        self.shutdown("fast", timeout)
        self.start(timeout)

    def kill(self) -> None:
        """Crash the server: SIGKILL the postmaster and all its backends at once (no shutdown, no
        checkpoint). ``start()`` brings it back through crash recovery."""
        self._require_owned("kill()")
        with _deferred_interrupts():
            self._kill()

    def _kill(self) -> None:
        pid = self._postmaster_pid()
        if pid is None:
            return
        # Every backend is a child of the postmaster (and leads a process group of its own, so
        # killpg would miss them). Freeze the postmaster so it forks no more, then kill them all.
        try:
            os.kill(pid, signal.SIGSTOP)
        except ProcessLookupError:
            pass
        victims = [pid, *_children(pid)]
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 30
        while any(_alive(victim) for victim in victims):
            if time.monotonic() > deadline:
                raise PostgresError(f"PostgreSQL (pid {pid}) still alive 30 s after SIGKILL")
            time.sleep(0.01)
        # The dead postmaster can linger as a zombie until someone reaps it, and PostgreSQL refuses
        # to start while the pid in its lock files exists; they are stale now, so remove them.
        (self.data_dir / "postmaster.pid").unlink(missing_ok=True)
        for lock in self.base_dir.glob(".s.PGSQL.*.lock"):
            lock.unlink(missing_ok=True)

    def stop(self) -> None:
        """Stop the server for good and delete its folder; a no-op for a ``HILT_TEST_POSTGRES_URL`` server."""
        if not self.owned or self._stopped:
            return
        with _deferred_interrupts():
            if self._postmaster_pid() is not None:
                try:
                    self._shutdown("fast", timeout=30)
                except PostgresError:
                    self._kill()
            shutil.rmtree(self.base_dir, ignore_errors=True)
            self._stopped = True

    def _postmaster_pid(self) -> int | None:
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def __repr__(self) -> str:
        kind = "owned" if self.owned else f"from {ENV_URL}"
        return f"<PostgresServer {self.host}:{self.port} {kind}>"


def _alive(pid: int) -> bool:
    """True for a running process; False for a gone or zombie one."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _children(parent: int) -> list[int]:
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:  # fields after the name: state, ppid, ...
                children.append(int(entry.name))
    return children


def start_server(*, bin_dir: Path | None = None, timeout: float = 60) -> PostgresServer:
    """initdb a fresh cluster in a temporary folder and start it on a free port on 127.0.0.1.

    Raises :class:`PostgresError` with the reason (and the server log) when that fails. The
    server is stopped at interpreter exit if ``stop()`` was not called.
    """
    bin_dir = Path(bin_dir) if bin_dir else find_bin_dir()
    if not (bin_dir / "initdb").exists():
        raise PostgresError(f"No initdb in {bin_dir}. Install PostgreSQL with `make postgres`.")
    as_root = os.geteuid() == 0
    if as_root:
        try:
            import pwd

            account = pwd.getpwnam(RUN_AS)
        except KeyError as error:
            raise PostgresError(
                f"Running as root, but there is no `{RUN_AS}` user to run initdb as (initdb refuses root). "
                "Debian's postgresql package creates it: `make postgres`."
            ) from error
        try:
            find_program("runuser")
        except PostgresError as error:
            raise PostgresError(f"Running as root, so initdb must run as {RUN_AS} through runuser (util-linux), "
                                f"but {error}") from error
        # /tmp, not $TMPDIR: the postgres user must be able to reach the folder.
        base_dir = Path(tempfile.mkdtemp(prefix="hilt-pg-", dir="/tmp"))
        os.chown(base_dir, account.pw_uid, account.pw_gid)
    else:
        base_dir = Path(tempfile.mkdtemp(prefix="hilt-pg-"))

    server = None
    try:
        with _deferred_interrupts():
            server = _init_and_start(bin_dir, base_dir, as_root, timeout)
    except KeyboardInterrupt:  # held back until the server was up: take it down again
        if server is not None:
            server.stop()
        raise
    atexit.register(server.stop)  # the fixture stops it; this is for a session that dies first
    return server


def _init_and_start(bin_dir: Path, base_dir: Path, as_root: bool, timeout: float) -> PostgresServer:
    server = None
    try:
        for attempt in range(3):  # the free port can be taken between finding and binding it
            port = free_port()
            server = PostgresServer(f"postgresql+psycopg://{SUPERUSER}@{HOST}:{port}/postgres", owned=True,
                                    bin_dir=bin_dir, base_dir=base_dir, port=port, as_root=as_root)
            if attempt == 0:
                done = server._run("initdb", "-D", str(server.data_dir), "-U", SUPERUSER, "-A", "trust",
                                   "-E", "UTF8", "--no-locale", timeout=120)
                if done.returncode != 0:
                    raise PostgresError(f"initdb failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
            _write_settings(server, base_dir, port)
            try:
                server._start(timeout)
                break
            except PostgresError as error:
                if "already in use" not in str(error) or attempt == 2:
                    raise
    except BaseException:
        if server is not None and server._postmaster_pid() is not None:
            server._kill()
        shutil.rmtree(base_dir, ignore_errors=True)
        raise
    return server


def _write_settings(server: PostgresServer, base_dir: Path, port: int) -> None:
    # Appended last, so these win over initdb's postgresql.conf; written as the owner (root can).
    settings = (
        "\n# hilt tests (tests/pg_server.py)\n"
        f"port = {port}\n"
        f"listen_addresses = '{HOST}'\n"
        f"unix_socket_directories = '{base_dir}'\n"
        "fsync = on\n"
        "synchronous_commit = on\n"
        "full_page_writes = on\n"
    )
    path = server.data_dir / "postgresql.conf"
    with open(path, "a") as file:
        file.write(settings)


def server_from_env(**kwargs) -> PostgresServer:
    """The server at ``HILT_TEST_POSTGRES_URL`` if that is set, else a fresh :func:`start_server`."""
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return start_server(**kwargs)
    server = PostgresServer(url, owned=False)
    try:
        with server.connect():
            pass
    except Exception as error:
        raise PostgresError(f"Cannot connect to {ENV_URL}={url!r}: {error}") from error
    return server

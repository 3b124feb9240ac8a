"""Load test of `hilt serve`: many annotators labelling at once while the model retrains.

Starts the real server (`hilt serve`, a subprocess) on a free local port over a synthetic
project, then runs N concurrent clients (asyncio, one keep-alive connection each) that each
label M items: `GET /api/next`, then `POST /api/answers` with a fresh answer_id. Meanwhile the
project retrains in the background every `--retrain-every` labels.

It checks, from the clients' side and from the export:
  * answers lost: acknowledged answers missing from `GET /api/export` (must be 0);
  * items served to two annotators (must be 0);
  * errors: any non-2xx reply or failed request (must be 0);
and reports p50 / p99 latency of both endpoints, as the clients measured it and as the server
spent it (its ``Server-Timing`` header). Two loads run one after the other, each on a fresh
project and server: "people" (each client thinks 0.5-1.5 s before answering) and "flat out"
(no think time). Results go to bench/results/server.json.

    .venv/bin/python bench/bench_server.py                 # 50 clients x 200 items, both loads (~5 min)
    .venv/bin/python bench/bench_server.py --quick         # 10 clients x 20 items (a smoke run)
    .venv/bin/python bench/bench_server.py --think 1.0     # one load with this think time

A team (issue 12), ``--team``: a throwaway PostgreSQL (``tests/pg_server.py``: Debian's
``initdb``/``pg_ctl``, as ``make postgres`` installs them) holds the project, made with
``hilt init postgresql://...``; four ``hilt serve URL`` processes serve it on free ports and 200
clients (50 per server) each label 50 items while retrains run in the background; then, in the
same run, the same 200 x 50 load against ONE SQLite ``hilt serve`` (a project made by ``hilt init``
with the same options), side by side, for each load ("people" and "flat out"). Every check above
holds across the servers: an item served by any server to two clients counts, and every answer
acknowledged by any server must be in the export (which every server reads from the one
database). Results go to bench/results/server-team.json and .md.

    .venv/bin/python bench/bench_server.py --team          # both setups, both loads (~9-10 min)
    .venv/bin/python bench/bench_server.py --team --quick  # 20 clients x 10 items (a smoke run)
    .venv/bin/python bench/bench_server.py --postgres --servers 4 --clients 200 --items 50  # one setup
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

HILT = str(Path(sys.executable).with_name("hilt"))
RESULTS = Path(__file__).resolve().parent / "results"
PG_SERVER = Path(__file__).resolve().parent.parent / "tests" / "pg_server.py"
#: Seconds one request may take before the client gives up on it (counted as an error).
REQUEST_TIMEOUT = 60.0

POSITIVE = "superb moving delightful sharp witty tender gripping luminous clever warm".split()
NEGATIVE = "dull clumsy tedious flat shallow bland messy lifeless stale muddled".split()
NEUTRAL = (
    "the film story cast plot scene director script camera music actor ending pace dialogue "
    "character drama comedy hour minute moment light city night family friend road house"
).split()


def synthetic_reviews(n: int, seed: int = 0) -> pd.DataFrame:
    """``n`` short texts; each carries one or two sentiment words, so a model can learn them."""
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        positive = rng.random() < 0.5
        words = rng.sample(NEUTRAL, 8) + rng.sample(POSITIVE if positive else NEGATIVE, rng.choice((1, 2)))
        rng.shuffle(words)
        rows.append({"id": f"r{i:05d}", "text": " ".join(words) + f" #{i}"})
    return pd.DataFrame(rows)


def oracle(text: str) -> str:
    return "pos" if any(w in POSITIVE for w in text.split()) else "neg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Http:
    """A minimal HTTP/1.1 keep-alive client on asyncio streams.

    The clients share the 2-core machine with the server; a light client keeps the measured
    latency about the server rather than about the load generator.
    """

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.auth = f"Authorization: Bearer {token}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)

    #: The server's own time for the last reply (its ``Server-Timing: app;dur=`` header), in ms.
    server_ms: float = float("nan")

    async def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
        payload = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(payload)}\r\n".encode()
            + self.auth
            + (b"Content-Type: application/json\r\n" if body is not None else b"")
            + b"\r\n"
        )
        for attempt in (1, 2):
            try:
                if self.writer is None:
                    await self._connect()
                self.writer.write(head + payload)
                await self.writer.drain()
                status_line = await self.reader.readuntil(b"\r\n")
                status = int(status_line.split()[1])
                length = 0
                while True:
                    line = await self.reader.readuntil(b"\r\n")
                    if line == b"\r\n":
                        break
                    name, _, value = line.partition(b":")
                    name = name.strip().lower()
                    if name == b"content-length":
                        length = int(value.strip())
                    elif name == b"server-timing" and b"dur=" in value:
                        self.server_ms = float(value.split(b"dur=")[1].split(b";")[0].split(b",")[0])
                data = await self.reader.readexactly(length) if length else b""
                return status, data
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                # A dropped keep-alive connection: reconnect once, then report the failure.
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            try:
                await self.writer.wait_closed()
            except Exception:
                pass
        self.reader = self.writer = None


@dataclass
class Tally:
    next_ms: list[float] = field(default_factory=list)
    next_at: list[float] = field(default_factory=list)  # when each GET /api/next was sent
    answer_ms: list[float] = field(default_factory=list)
    next_server_ms: list[float] = field(default_factory=list)  # the server's own share (Server-Timing)
    answer_server_ms: list[float] = field(default_factory=list)
    acked: list[tuple[str, str, str, str]] = field(default_factory=list)  # item, annotator, label, answer_id
    served: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)
    exhausted: int = 0
    acked_by_port: dict[int, int] = field(default_factory=lambda: defaultdict(int))
    unavailable: int = 0  # 503 replies (a database out of reach: the client retries)


async def timed(http: Http, method: str, path: str, body: dict | None = None) -> tuple[int, bytes]:
    """``http.request`` bounded in time: a hung request is an error, never a hung benchmark."""
    return await asyncio.wait_for(http.request(method, path, body), REQUEST_TIMEOUT)


async def client(name: str, token: str, port: int, items: int, think: float, tally: Tally, start: asyncio.Event) -> None:
    http = Http(port, token)
    rng = random.Random(name)
    await start.wait()
    if think:  # people do not all press their first key in the same millisecond
        await asyncio.sleep(rng.uniform(0, 2 * think))
    try:
        for _ in range(items):
            t0 = time.perf_counter()
            status, data = await timed(http, "GET", "/api/next")
            tally.next_ms.append((time.perf_counter() - t0) * 1000)
            tally.next_server_ms.append(http.server_ms)
            tally.next_at.append(t0)
            if status == 204:
                tally.exhausted += 1
                return
            if status != 200:
                tally.errors.append(f"GET /api/next -> {status} {data[:200]!r}")
                tally.unavailable += status == 503
                continue
            item = json.loads(data)["item"]
            tally.served[item["id"]].add(name)
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            body = {"item_id": item["id"], "label": oracle(item["data"]["text"]), "answer_id": str(uuid.uuid4())}
            while True:
                t0 = time.perf_counter()
                status, data = await timed(http, "POST", "/api/answers", body)
                tally.answer_ms.append((time.perf_counter() - t0) * 1000)
                tally.answer_server_ms.append(http.server_ms)
                if status == 200 and json.loads(data).get("saved") is True:
                    tally.acked.append((item["id"], name, body["label"], body["answer_id"]))
                    tally.acked_by_port[port] += 1
                    break
                tally.errors.append(f"POST /api/answers -> {status} {data[:200]!r}")
                tally.unavailable += status == 503
                if status < 500:
                    break  # a definite refusal: retrying the same answer would be refused again
                await asyncio.sleep(0.05)  # as the page does: retry with the same answer_id
    except Exception as error:  # noqa: BLE001  (every failure is counted and reported)
        tally.errors.append(f"{name}: {type(error).__name__}: {error}")
    finally:
        await http.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


async def run_clients(ports: int | list[int], tokens: dict[str, str], items: int, think: float,
                      deadline: float = 1800.0) -> tuple[Tally, float]:
    """Every client labels ``items`` items; client k talks to ``ports[k % len(ports)]`` (a load
    balancer that spreads people evenly). Clients still busy after ``deadline`` seconds are
    stopped and reported as errors."""
    ports = [ports] if isinstance(ports, int) else list(ports)
    tally = Tally()
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(n, t, ports[k % len(ports)], items, think, tally, start))
             for k, (n, t) in enumerate(tokens.items())]
    await asyncio.sleep(0.1)
    t0 = time.perf_counter()
    start.set()
    _, pending = await asyncio.wait(tasks, timeout=deadline)
    for task in pending:
        task.cancel()
        tally.errors.append(f"a client still busy after the {deadline:g} s deadline (stopped)")
    if pending:
        await asyncio.gather(*pending, return_exceptions=True)
    return tally, time.perf_counter() - t0


#: The two loads of the default run. "people": annotators who read before they answer (0.5-1.5 s,
#: 1 s on average, starting within the first 2 s), the load a team puts on the server. "flat out":
#: every client asks again the moment it is answered, the harshest load, which measures throughput;
#: its latency is mostly the queue (clients / throughput), not the work of one request.
SCENARIOS = {"people": 1.0, "flat out": 0.0}


def run_scenario(name: str, think: float, args: argparse.Namespace) -> dict:
    """One fresh project and server, ``args.clients`` clients labelling ``args.items`` items each."""
    from hilt.project import Project

    folder = Path(tempfile.mkdtemp(prefix="hilt-bench-server-"))
    path = folder / "bench.hilt"
    with Project.create(path, synthetic_reviews(args.pool), ["pos", "neg"], text_column="text",
                        id_column="id", retrain_every=args.retrain_every) as project:
        tokens = {f"client-{i:02d}": project.add_annotator(f"client-{i:02d}") for i in range(args.clients)}

    port = free_port()
    log_path = folder / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([HILT, "serve", str(path), "--port", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _wait_ready(port, server, log_path)
        load_before = os.getloadavg()[0]
        tally, seconds = asyncio.run(run_clients(port, tokens, args.items, think))
        load_after = os.getloadavg()[0]
        any_token = next(iter(tokens.values()))
        export = _get(port, "/api/export?format=jsonl", any_token).decode().splitlines()
        status = json.loads(_get(port, "/api/status", any_token))
    finally:
        server.send_signal(2)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()

    rows = [json.loads(line) for line in export if line.strip()]
    exported = {(r["item_id"], r["annotator"], r["label"], r["answer_id"]) for r in rows}
    lost = [a for a in tally.acked if a not in exported]
    double_served = {item: who for item, who in tally.served.items() if len(who) > 1}

    return {
        "scenario": name,
        "clients": args.clients,
        "items_per_client": args.items,
        "pool": args.pool,
        "retrain_every": args.retrain_every,
        "think_s": think,
        "answers_acknowledged": len(tally.acked),
        "answers_stored": len(rows),
        "answers_lost": len(lost),
        "items_served_to_two": len(double_served),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "model_runs": len(status.get("runs", [])),
        "seconds": round(seconds, 2),
        "answers_per_s": round(len(tally.acked) / seconds, 1) if seconds else None,
        **latencies(tally),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
    }


def latencies(tally) -> dict[str, float | None]:
    """p50 / p99 of next and answer, as the clients saw them and as the server reported them."""
    def ms(values: list[float], q: float) -> float:
        return round(percentile([v for v in values if v == v], q), 2)  # v == v drops NaN

    return {f"{name}{where}_p{q}_ms": ms(getattr(tally, f"{name}{where}_ms"), q)
            for where in ("", "_server") for name in ("next", "answer") for q in (50, 99)}


#: The two setups of ``--team``, in the order they run for each load.
TEAM_SETUPS = (("postgres", 4), ("sqlite", 1))


def load_pg_server():
    """tests/pg_server.py (the tests' throwaway PostgreSQL starter), imported by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("hilt_bench_pg_server", PG_SERVER)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def setup_name(backend: str, servers: int) -> str:
    where = "PostgreSQL" if backend == "postgres" else "SQLite"
    return f"{where}, {servers} hilt serve" + ("" if servers == 1 else "s")


def _hilt(*args: str, env: dict, timeout: float = 600) -> str:
    done = subprocess.run([HILT, *args], capture_output=True, text=True, env=env, timeout=timeout)
    if done.returncode != 0:
        raise SystemExit(f"hilt {' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def cpu_seconds(pid: int, children: bool = True) -> float:
    """CPU time (user + system) of a live process, with its reaped children's when asked; 0 when gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15 if children else 13])  # utime stime [cutime cstime]
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds(pg) -> float:
    """CPU time of a PostgreSQL cluster: the postmaster (with its reaped backends) and its live backends."""
    try:
        pid = int((pg.data_dir / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError, AttributeError, TypeError):
        return float("nan")
    kids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    kids.append(int(entry.name))
            except OSError:
                continue
    return cpu_seconds(pid) + sum(cpu_seconds(kid) for kid in kids)


def _stop(servers: list[subprocess.Popen]) -> None:
    for server in servers:
        if server.poll() is None:
            server.send_signal(2)  # SIGINT: uvicorn shuts down, the project closes
    for server in servers:
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def run_setup(name: str, think: float, args: argparse.Namespace, backend: str, servers: int, pg=None) -> dict:
    """One load on one setup: a project made with ``hilt init`` (in a fresh database of ``pg``,
    or in a file), ``args.clients`` annotators, ``servers`` ``hilt serve`` processes over it, and
    the clients spread evenly over them."""
    from hilt.project import Project

    folder = Path(tempfile.mkdtemp(prefix="hilt-bench-team-"))
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HILT_CACHE_DIR": str(folder / "cache")}
    data = folder / "items.csv"
    synthetic_reviews(args.pool).to_csv(data, index=False)
    database = None
    if backend == "postgres":
        database = f"hilt_bench_{uuid.uuid4().hex[:12]}"
        # The form a person types (postgresql://USER@HOST:PORT/DB), not SQLAlchemy's driver form.
        location = pg.create_database(database).replace("postgresql+psycopg://", "postgresql://", 1)
    else:
        location = str(folder / "bench.hilt")
    processes: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        _hilt("init", location, "--data", str(data), "--labels", "pos,neg", "--text-column", "text",
              "--id-column", "id", "--retrain-every", str(args.retrain_every), env=env)
        init_s = time.perf_counter() - t0
        # The first annotator through the CLI (what a person does), the other ones in one go.
        names = [f"client-{i:03d}" for i in range(args.clients)]
        printed = _hilt("annotator", "add", location, names[0], env=env)
        tokens = {names[0]: printed.split("token:", 1)[1].split()[0]}
        with Project.open(location if backend == "postgres" else Path(location)) as project:
            tokens.update({n: project.add_annotator(n) for n in names[1:]})

        ports = [free_port() for _ in range(servers)]
        t0 = time.perf_counter()
        for k, port in enumerate(ports):
            with open(folder / f"serve-{k}.log", "w") as log:
                processes.append(subprocess.Popen([HILT, "serve", location, "--port", str(port)], stdout=log,
                                                  stderr=subprocess.STDOUT, env=env))
        for k, (port, process) in enumerate(zip(ports, processes)):
            _wait_ready(port, process, folder / f"serve-{k}.log", timeout=300)
        start_s = time.perf_counter() - t0

        load_before = os.getloadavg()[0]
        cpu_before = ([cpu_seconds(p.pid) for p in processes], time.process_time(),
                      postgres_cpu_seconds(pg) if backend == "postgres" else 0.0)
        tally, seconds = asyncio.run(run_clients(ports, tokens, args.items, think, deadline=args.deadline))
        load_after = os.getloadavg()[0]
        cpu = {"servers": round(sum(cpu_seconds(p.pid) for p in processes) - sum(cpu_before[0]), 1),
               "clients": round(time.process_time() - cpu_before[1], 1),
               "postgres": round((postgres_cpu_seconds(pg) if backend == "postgres" else 0.0) - cpu_before[2], 1)}
        any_token = tokens[names[0]]
        # Every server reads the one project: the export of the first, the status of each.
        export = _get(ports[0], "/api/export?format=jsonl", any_token).decode().splitlines()
        statuses = [json.loads(_get(port, "/api/status", any_token)) for port in ports]
        died = [k for k, p in enumerate(processes) if p.poll() is not None]
    finally:
        _stop(processes)
        if database is not None:
            try:
                pg.drop_database(database)
            except Exception as error:  # noqa: BLE001  (the server goes away at the end anyway)
                print(f"could not drop {database}: {error}", file=sys.stderr)

    rows = [json.loads(line) for line in export if line.strip()]
    exported = {(r["item_id"], r["annotator"], r["label"], r["answer_id"]) for r in rows}
    lost = [a for a in tally.acked if a not in exported]
    double_served = {item: who for item, who in tally.served.items() if len(who) > 1}

    return {
        "scenario": name,
        "setup": setup_name(backend, servers),
        "backend": backend,
        "servers": servers,
        "clients": args.clients,
        "items_per_client": args.items,
        "pool": args.pool,
        "retrain_every": args.retrain_every,
        "think_s": think,
        "answers_acknowledged": len(tally.acked),
        "answers_stored": len(rows),
        "answers_lost": len(lost),
        "items_served_to_two": len(double_served),
        "errors": len(tally.errors),
        "unavailable_503": tally.unavailable,
        "error_samples": tally.errors[:5],
        "servers_died": died,
        "answers_by_server": [tally.acked_by_port.get(port, 0) for port in ports],
        "n_answered_by_server": [s.get("n_answered") for s in statuses],
        "model_runs": len(statuses[0].get("runs", [])),
        "cpu_s": cpu,  # CPU seconds spent during the load by the hilt serve processes, the clients, PostgreSQL
        "init_s": round(init_s, 2),
        "servers_ready_s": round(start_s, 2),
        "seconds": round(seconds, 2),
        "answers_per_s": round(len(tally.acked) / seconds, 1) if seconds else None,
        **latencies(tally),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
    }


def run_team(args: argparse.Namespace, scenarios: dict[str, float], setups) -> list[dict]:
    """Each load on each setup, one after the other; one throwaway PostgreSQL for the run (a
    fresh database per load), stopped at the end."""
    pg = None
    results = []
    try:
        if any(backend == "postgres" for backend, _ in setups):
            started = time.perf_counter()
            pg = load_pg_server().start_server()
            print(f"PostgreSQL on {pg.host}:{pg.port} ({time.perf_counter() - started:.1f} s to start)",
                  file=sys.stderr, flush=True)
        for name, think in scenarios.items():
            for backend, servers in setups:
                print(f"{name} on {setup_name(backend, servers)}: {args.clients} clients x {args.items} items, "
                      f"think {think} s …", file=sys.stderr, flush=True)
                results.append(run_setup(name, think, args, backend, servers, pg))
                r = results[-1]
                print(f"  {r['answers_per_s']} answers/s, lost {r['answers_lost']}, served to two "
                      f"{r['items_served_to_two']}, errors {r['errors']}", file=sys.stderr, flush=True)
    finally:
        if pg is not None:
            pg.stop()
    return results


def _team_markdown(results: list[dict], command: str) -> str:
    first = results[0]
    machine = f"{os.cpu_count()}-CPU machine"
    lines = [
        f"`{command}`: {first['clients']} concurrent clients × {first['items_per_client']} items each over a "
        f"{first['pool']:,}-item text project made with `hilt init`, retraining every {first['retrain_every']} "
        "labels in the background (new labels are counted in the project, over every server, and one run "
        "goes at a time across servers), for each load first on "
        "PostgreSQL (a throwaway server, `fsync=on`) served by several `hilt serve URL` processes, the clients "
        "spread evenly over them, then on one SQLite file served by one `hilt serve`; the database, every "
        f"server and the clients on one {machine}, all traffic on 127.0.0.1. \"client\" is the latency the "
        "clients measured, \"server\" the server's own time (its `Server-Timing` header; waits for a thread "
        "and the write lock included).",
        "",
        "| load | setup | endpoint | client p50 | client p99 | server p50 | server p99 |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        load = f"{r['scenario']} (think {r['think_s']:g} s)"
        for endpoint, key in (("`GET /api/next`", "next"), ("`POST /api/answers`", "answer")):
            lines.append(f"| {load} | {r['setup']} | {endpoint} | {r[key + '_p50_ms']:.1f} ms | "
                         f"{r[key + '_p99_ms']:.1f} ms | {r[key + '_server_p50_ms']:.1f} ms | "
                         f"{r[key + '_server_p99_ms']:.1f} ms |")
    lines += ["", "| load | setup | answers acknowledged | stored | lost | served to two | errors | model runs | "
              "answers/s | seconds | CPU s: servers / PostgreSQL / clients | load average before → after |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"]
    for r in results:
        cpu = r["cpu_s"]
        pg_cpu = f"{cpu['postgres']:g}" if r["backend"] == "postgres" else "–"
        lines.append(f"| {r['scenario']} | {r['setup']} | {r['answers_acknowledged']:,} | {r['answers_stored']:,} | "
                     f"{r['answers_lost']} | {r['items_served_to_two']} | {r['errors']} | {r['model_runs']} | "
                     f"{r['answers_per_s']} | {r['seconds']:g} | {cpu['servers']:g} / {pg_cpu} / {cpu['clients']:g} | "
                     f"{r['load_average_before']} → {r['load_average_after']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, help="concurrent clients (default 50; 200 with --team)")
    parser.add_argument("--items", type=int, help="items each client labels (default 200; 50 with --team)")
    parser.add_argument("--pool", type=int, default=12_000, help="items in the project")
    parser.add_argument("--retrain-every", type=int, default=500)
    parser.add_argument("--think", type=float, help="run one load with this mean think time (s) instead of both")
    parser.add_argument("--quick", action="store_true", help="10 clients x 20 items over 1,000 items (a smoke run; "
                        "20 x 10 with --team)")
    parser.add_argument("--team", action="store_true", help="PostgreSQL served by 4 hilt serve processes beside one "
                        "SQLite hilt serve, the same load on both (issue 12); results in server-team.json/.md")
    parser.add_argument("--postgres", action="store_true", help="one setup: the project in a throwaway PostgreSQL")
    parser.add_argument("--servers", type=int, help="hilt serve processes over the project (default 1; "
                        "4 for PostgreSQL with --team)")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds one load may take; clients still "
                        "busy then are stopped and counted as errors")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/server.json, "
                        "server-quick.json with --quick, server-team.json with --team)")
    parser.add_argument("--markdown", type=Path, help="also write the result table here (with --team: "
                        "bench/results/server-team.md unless given)")
    args = parser.parse_args(argv)
    team = args.team
    several = args.postgres or (args.servers or 1) > 1  # a setup of run_setup rather than the classic run
    if args.quick:
        args.pool, args.retrain_every = 1_000, 50
        args.clients = args.clients or (20 if team else 10)
        args.items = args.items or (10 if team else 20)
    args.clients = args.clients or (200 if team else 50)
    args.items = args.items or (50 if team else 200)
    scenarios = {"custom": args.think} if args.think is not None else dict(SCENARIOS)
    if args.quick and args.think is None:
        scenarios["people"] = 0.2  # the same shape, faster
    command = " ".join([".venv/bin/python bench/bench_server.py", *(argv if argv is not None else sys.argv[1:])])
    suffix = "-quick" if args.quick else ""

    if team or several:
        if team:
            setups = [("postgres", args.servers or TEAM_SETUPS[0][1]), TEAM_SETUPS[1]]
            stem = f"server-team{suffix}"
        else:
            setups = [("postgres" if args.postgres else "sqlite", args.servers or 1)]
            stem = f"server-{setups[0][0]}{setups[0][1]}{suffix}"
        results = run_team(args, scenarios, setups)
        table = _team_markdown(results, command)
        out = args.out or RESULTS / f"{stem}.json"
        markdown = args.markdown or RESULTS / f"{stem}.md"
    else:
        results = []
        for name, think in scenarios.items():
            print(f"{name}: {args.clients} clients x {args.items} items, think {think} s …", file=sys.stderr,
                  flush=True)
            results.append(run_scenario(name, think, args))
        table = _markdown(results, command)
        out = args.out or RESULTS / f"server{suffix}.json"
        markdown = args.markdown
    print(table)
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}
    out.write_text(json.dumps({"command": command, "machine": machine, "results": results}, indent=2) + "\n")
    if markdown:
        markdown.parent.mkdir(parents=True, exist_ok=True)
        markdown.write_text(table + "\n")
    return results


def _wait_ready(port: int, server: subprocess.Popen, log_path: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"hilt serve exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"hilt serve not ready after {timeout} s:\n{log_path.read_text()}")


def _get(port: int, path: str, token: str) -> bytes:
    import httpx

    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=120)
    response.raise_for_status()
    return response.content


def _markdown(results: list[dict], command: str) -> str:
    first = results[0]
    lines = [
        f"`{command}`: {first['clients']} concurrent clients × {first['items_per_client']} items each over a "
        f"{first['pool']:,}-item text project, retraining every {first['retrain_every']} labels in the "
        f"background; server and clients on one {os.cpu_count()}-CPU machine. \"client\" is the latency "
        "the clients measured, \"server\" the server's own time (its `Server-Timing` header; waits for a "
        "thread and the write lock included).",
        "",
        "| load | endpoint | client p50 | client p99 | server p50 | server p99 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        load = f"{r['scenario']} (think {r['think_s']:g} s)"
        lines.append(f"| {load} | `GET /api/next` | {r['next_p50_ms']:.1f} ms | {r['next_p99_ms']:.1f} ms | "
                     f"{r['next_server_p50_ms']:.1f} ms | {r['next_server_p99_ms']:.1f} ms |")
        lines.append(f"| {load} | `POST /api/answers` | {r['answer_p50_ms']:.1f} ms | {r['answer_p99_ms']:.1f} ms | "
                     f"{r['answer_server_p50_ms']:.1f} ms | {r['answer_server_p99_ms']:.1f} ms |")
    lines += ["", "| load | answers acknowledged | stored | lost | served to two | errors | model runs | answers/s | load average before → after |",
              "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in results:
        lines.append(f"| {r['scenario']} | {r['answers_acknowledged']:,} | {r['answers_stored']:,} | {r['answers_lost']} | "
                     f"{r['items_served_to_two']} | {r['errors']} | {r['model_runs']} | {r['answers_per_s']} | "
                     f"{r['load_average_before']} → {r['load_average_after']} |")
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = main()
    bad = any(r["answers_lost"] or r["items_served_to_two"] or r["errors"] for r in outcome)
    sys.exit(1 if bad else 0)

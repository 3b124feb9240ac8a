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


async def client(name: str, token: str, port: int, items: int, think: float, tally: Tally, start: asyncio.Event) -> None:
    http = Http(port, token)
    rng = random.Random(name)
    await start.wait()
    if think:  # people do not all press their first key in the same millisecond
        await asyncio.sleep(rng.uniform(0, 2 * think))
    try:
        for _ in range(items):
            t0 = time.perf_counter()
            status, data = await http.request("GET", "/api/next")
            tally.next_ms.append((time.perf_counter() - t0) * 1000)
            tally.next_server_ms.append(http.server_ms)
            tally.next_at.append(t0)
            if status == 204:
                tally.exhausted += 1
                return
            if status != 200:
                tally.errors.append(f"GET /api/next -> {status} {data[:200]!r}")
                continue
            item = json.loads(data)["item"]
            tally.served[item["id"]].add(name)
            if think:
                await asyncio.sleep(rng.uniform(0.5, 1.5) * think)
            body = {"item_id": item["id"], "label": oracle(item["data"]["text"]), "answer_id": str(uuid.uuid4())}
            while True:
                t0 = time.perf_counter()
                status, data = await http.request("POST", "/api/answers", body)
                tally.answer_ms.append((time.perf_counter() - t0) * 1000)
                tally.answer_server_ms.append(http.server_ms)
                if status == 200 and json.loads(data).get("saved") is True:
                    tally.acked.append((item["id"], name, body["label"], body["answer_id"]))
                    break
                tally.errors.append(f"POST /api/answers -> {status} {data[:200]!r}")
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


async def run_clients(port: int, tokens: dict[str, str], items: int, think: float) -> tuple[Tally, float]:
    tally = Tally()
    start = asyncio.Event()
    tasks = [asyncio.create_task(client(n, t, port, items, think, tally, start)) for n, t in tokens.items()]
    await asyncio.sleep(0.1)
    t0 = time.perf_counter()
    start.set()
    await asyncio.gather(*tasks)
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

    def ms(values: list[float], q: float) -> float:
        return round(percentile([v for v in values if v == v], q), 2)  # v == v drops NaN

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
        "next_p50_ms": ms(tally.next_ms, 50),
        "next_p99_ms": ms(tally.next_ms, 99),
        "answer_p50_ms": ms(tally.answer_ms, 50),
        "answer_p99_ms": ms(tally.answer_ms, 99),
        "next_server_p50_ms": ms(tally.next_server_ms, 50),
        "next_server_p99_ms": ms(tally.next_server_ms, 99),
        "answer_server_p50_ms": ms(tally.answer_server_ms, 50),
        "answer_server_p99_ms": ms(tally.answer_server_ms, 99),
        "load_average_before": round(load_before, 2),
        "load_average_after": round(load_after, 2),
    }


def main(argv: list[str] | None = None) -> list[dict]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--items", type=int, default=200, help="items each client labels")
    parser.add_argument("--pool", type=int, default=12_000, help="items in the project")
    parser.add_argument("--retrain-every", type=int, default=500)
    parser.add_argument("--think", type=float, help="run one load with this mean think time (s) instead of both")
    parser.add_argument("--quick", action="store_true", help="10 clients x 20 items over 1,000 items (a smoke run)")
    parser.add_argument("--out", type=Path, help="JSON results (default bench/results/server.json, "
                        "server-quick.json with --quick)")
    parser.add_argument("--markdown", type=Path, help="also write the result table here")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.items, args.pool, args.retrain_every = 10, 20, 1_000, 50
    scenarios = {"custom": args.think} if args.think is not None else dict(SCENARIOS)
    if args.quick and args.think is None:
        scenarios["people"] = 0.2  # the same shape, faster

    results = []
    for name, think in scenarios.items():
        print(f"{name}: {args.clients} clients x {args.items} items, think {think} s …", file=sys.stderr, flush=True)
        results.append(run_scenario(name, think, args))
    command = " ".join([".venv/bin/python bench/bench_server.py", *(argv if argv is not None else sys.argv[1:])])
    table = _markdown(results, command)
    print(table)
    out = args.out or RESULTS / ("server-quick.json" if args.quick else "server.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    machine = {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": sys.platform}
    out.write_text(json.dumps({"command": command, "machine": machine, "results": results}, indent=2) + "\n")
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(table + "\n")
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

"""Load test of `hilt serve`: many annotators labelling at once while the model retrains.

Starts the real server (`hilt serve`, a subprocess) on a free local port over a synthetic
project, then runs N concurrent clients (asyncio, one keep-alive connection each) that each
label M items: `GET /api/next`, then `POST /api/answers` with a fresh answer_id. Meanwhile the
project retrains in the background every `--retrain-every` labels.

It checks, from the clients' side and from the export:
  * answers lost: acknowledged answers missing from `GET /api/export` (must be 0);
  * items served to two annotators (must be 0);
  * errors: any non-2xx reply or failed request (must be 0);
and reports p50 / p99 latency of both endpoints as measured by the clients.

    .venv/bin/python bench/bench_server.py                 # 50 clients x 200 items
    .venv/bin/python bench/bench_server.py --quick         # 10 clients x 20 items (used by a test)
    .venv/bin/python bench/bench_server.py --markdown bench/results/server.md
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
                    if name.strip().lower() == b"content-length":
                        length = int(value.strip())
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
    answer_ms: list[float] = field(default_factory=list)
    acked: list[tuple[str, str, str, str]] = field(default_factory=list)  # item, annotator, label, answer_id
    served: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    errors: list[str] = field(default_factory=list)
    exhausted: int = 0


async def client(name: str, token: str, port: int, items: int, think: float, tally: Tally, start: asyncio.Event) -> None:
    http = Http(port, token)
    rng = random.Random(name)
    await start.wait()
    try:
        for _ in range(items):
            t0 = time.perf_counter()
            status, data = await http.request("GET", "/api/next")
            tally.next_ms.append((time.perf_counter() - t0) * 1000)
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


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--items", type=int, default=200, help="items each client labels")
    parser.add_argument("--pool", type=int, default=12_000, help="items in the project")
    parser.add_argument("--retrain-every", type=int, default=500)
    parser.add_argument("--think", type=float, default=0.0, help="mean seconds a client waits before answering")
    parser.add_argument("--quick", action="store_true", help="10 clients x 20 items over 1,000 items")
    parser.add_argument("--markdown", type=Path, help="also write the result table here")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.items, args.pool, args.retrain_every = 10, 20, 1_000, 50

    from hilt.project import Project

    folder = Path(tempfile.mkdtemp(prefix="hilt-bench-server-"))
    path = folder / "bench.hilt"
    t0 = time.perf_counter()
    with Project.create(path, synthetic_reviews(args.pool), ["pos", "neg"], text_column="text",
                        id_column="id", retrain_every=args.retrain_every) as project:
        tokens = {f"client-{i:02d}": project.add_annotator(f"client-{i:02d}") for i in range(args.clients)}
    setup_s = time.perf_counter() - t0

    port = free_port()
    log_path = folder / "serve.log"
    with open(log_path, "w") as log:
        server = subprocess.Popen([HILT, "serve", str(path), "--port", str(port)], stdout=log,
                                  stderr=subprocess.STDOUT, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        _wait_ready(port, server, log_path)
        tally, seconds = asyncio.run(run_clients(port, tokens, args.items, args.think))
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
    exported = {(str(_field(r, "item_id", "id")), r.get("annotator"), r.get("label")) for r in rows}
    lost = [a for a in tally.acked if (a[0], a[1], a[2]) not in exported]
    double_served = {item: who for item, who in tally.served.items() if len(who) > 1}
    per_item = defaultdict(int)
    for r in rows:
        per_item[str(_field(r, "item_id", "id"))] += 1
    doubled = {item: n for item, n in per_item.items() if n > 1}
    result = {
        "clients": args.clients,
        "items_per_client": args.items,
        "pool": args.pool,
        "retrain_every": args.retrain_every,
        "think_s": args.think,
        "answers_acknowledged": len(tally.acked),
        "answers_exported": len(rows),
        "answers_lost": len(lost),
        "items_doubled_in_export": len(doubled),
        "items_served_to_two": len(double_served),
        "errors": len(tally.errors),
        "error_samples": tally.errors[:5],
        "model_runs": len(status.get("runs", [])),
        "seconds": round(seconds, 2),
        "answers_per_s": round(len(tally.acked) / seconds, 1) if seconds else None,
        "next_p50_ms": round(percentile(tally.next_ms, 50), 2),
        "next_p99_ms": round(percentile(tally.next_ms, 99), 2),
        "answer_p50_ms": round(percentile(tally.answer_ms, 50), 2),
        "answer_p99_ms": round(percentile(tally.answer_ms, 99), 2),
        "setup_s": round(setup_s, 1),
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(_markdown(result, argv if argv is not None else sys.argv[1:]))
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(_markdown(result, argv if argv is not None else sys.argv[1:]) + "\n")
    return result


def _field(row: dict, *names: str):
    for name in names:
        if name in row:
            return row[name]
    return None


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

    response = httpx.get(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=60)
    response.raise_for_status()
    return response.content


def _markdown(r: dict, argv: list[str]) -> str:
    command = " ".join([".venv/bin/python bench/bench_server.py", *argv])
    lines = [
        f"`{command}` — {r['clients']} concurrent clients × {r['items_per_client']} items over a "
        f"{r['pool']:,}-item project, retraining every {r['retrain_every']} labels "
        f"({r['model_runs']} model runs), think time {r['think_s']} s, {r['cpus']} CPUs, "
        "server and clients on the same machine.",
        "",
        "| endpoint | p50 | p99 |",
        "| --- | ---: | ---: |",
        f"| `GET /api/next` | {r['next_p50_ms']:.1f} ms | {r['next_p99_ms']:.1f} ms |",
        f"| `POST /api/answers` | {r['answer_p50_ms']:.1f} ms | {r['answer_p99_ms']:.1f} ms |",
        "",
        f"{r['answers_acknowledged']:,} answers acknowledged in {r['seconds']} s "
        f"({r['answers_per_s']} answers/s); {r['answers_exported']:,} in the export. "
        f"Answers lost: **{r['answers_lost']}**; items served to two annotators: "
        f"**{r['items_served_to_two']}**; errors: **{r['errors']}**.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    outcome = main()
    bad = outcome["answers_lost"] or outcome["items_served_to_two"] or outcome["errors"]
    sys.exit(1 if bad else 0)

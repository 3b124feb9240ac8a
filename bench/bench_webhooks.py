"""Does a webhook slow ``Project.answer``? 500 answers on a SQLite project, timed one by one, with
no webhook, with a webhook to a closed port on 127.0.0.1 (every event fails and waits for its
retries in the background) and with a live receiver (a separate process on 127.0.0.1 that
replies 204 to every POST).

Run: ``python bench/bench_webhooks.py [--answers 500] [--rounds 3]`` (``make bench-webhooks``).
Prints a Markdown table (docs/benchmarks/server.md keeps the figures): per mode the median, 95th
and 99th percentile of one answer's wall time in milliseconds over every round's answers; the
median and 95th percentile of the CPU time the answering thread spent (``time.thread_time``:
the work on the answer's path, without the waits a busy machine adds); and what the webhook
thread had delivered, failed and left queued when the answers were done.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from hilt import Project

RECEIVER = """
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(204); self.send_header("Content-Length", "0"); self.end_headers()
    def log_message(self, *a): pass
server = ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_port, flush=True)
server.serve_forever()
"""


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again when the socket is: nobody listens there


def frame(n: int) -> pd.DataFrame:
    words = ["good", "bad", "great", "awful", "fine", "dull", "fun", "mess"]
    return pd.DataFrame({"id": [f"i{k}" for k in range(n)],
                         "text": [f"a {words[k % 8]} and {words[(k * 3) % 8]} film number {k}" for k in range(n)]})


def run(folder: Path, url: str | None, answers: int) -> tuple[list[float], list[float], dict]:
    path = folder / f"p{time.monotonic_ns()}.hilt"
    with Project.create(path, frame(answers + 50), ["pos", "neg"], id_column="id", features="tfidf",
                        eval_share=0, retrain_every=10**6) as project:
        if url is not None:
            project.set_webhook(url, secret="bench-secret")
        for _ in range(20):  # warm-up: the first answers open connections, compile statements
            item = project.next_item("ada")
            project.answer(item.id, "pos", "ada")
        seconds, cpu = [], []
        for k in range(answers):
            item = project.next_item("ada")
            start, start_cpu = time.perf_counter(), time.thread_time()
            project.answer(item.id, ("pos", "neg")[k % 2], "ada")
            seconds.append(time.perf_counter() - start)
            cpu.append(time.thread_time() - start_cpu)
        hook = project.webhook
        counts = {} if hook is None else {"delivered": hook.delivered, "failed": hook.failed,
                                          "queued": hook.queued}
        if hook is not None:
            project._webhooks._sender.close(timeout=0.1)  # don't wait for the closed port's retries
    return seconds, cpu, counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER], stdout=subprocess.PIPE, text=True)
    try:
        port = int(receiver.stdout.readline())
        modes = {"no webhook": None, "closed port (127.0.0.1)": f"http://127.0.0.1:{closed_port()}/hook",
                 "live receiver (127.0.0.1)": f"http://127.0.0.1:{port}/hook"}
        times: dict[str, list[float]] = {mode: [] for mode in modes}
        cpu: dict[str, list[float]] = {mode: [] for mode in modes}
        counts: dict[str, dict] = {}
        with tempfile.TemporaryDirectory() as folder:
            order = list(modes)
            for round_ in range(args.rounds):  # modes interleaved, each first in turn: a slow
                # moment of the machine (or a cold file cache) does not fall on one mode alone
                for mode in order[round_ % 3:] + order[:round_ % 3]:
                    url = modes[mode]
                    seconds, spent, counts[mode] = run(Path(folder), url, args.answers)
                    times[mode] += seconds
                    cpu[mode] += spent
    finally:
        receiver.kill()
        receiver.wait()
    print(f"{args.answers} answers x {args.rounds} rounds per mode, SQLite, one thread\n")
    print("| webhook | p50 ms | p95 ms | p99 ms | CPU p50 ms | CPU p95 ms | delivered / failed / queued at the end "
          "(last round) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for mode, seconds in times.items():
        p50, p95, p99 = (float(np.percentile(seconds, q)) * 1000 for q in (50, 95, 99))
        c50, c95 = (float(np.percentile(cpu[mode], q)) * 1000 for q in (50, 95))
        c = counts[mode]
        said = f"{c['delivered']} / {c['failed']} / {c['queued']}" if c else "-"
        print(f"| {mode} | {p50:.2f} | {p95:.2f} | {p99:.2f} | {c50:.2f} | {c95:.2f} | {said} |")


if __name__ == "__main__":
    main()

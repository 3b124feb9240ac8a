"""Benchmark of a project on a Dask cluster (issue 14): retrains over 1,000,000 and 10,000,000
items on a local cluster of 2 workers, beside the local retrain, with the project process's peak
memory, and a model of how time and memory scale to 100M and 1B items on N workers.

Measures, in one run on one machine:

* at 1,000,000 items, for the default text features (``tfidf+embeddings``) and for ``tfidf``:
  the same labelled project (200 answers through ``next_item`` / ``answer``, then the file
  copied) retrained locally and on the cluster: the first retrain (building the features), a
  retrain with the features in memory, a retrain from a fresh process (local: the cache on
  disk; Dask: the features the first process published on the scheduler); the project process's
  RSS before and its peak RSS *during* each retrain; whether the top 100 of the served ranking
  are the same items in the same order;
* at 10,000,000 items (``tfidf``: embeddings of 10M texts would be 10 GB of float32 rows):
  the import (``Project.create`` from a CSV), then the Dask retrains as above (the local ones
  only with ``--local-10m``);
* per-partition costs from the cluster's task stream (seconds per task to count a partition's
  words, build its rows, score it) and the bytes a worker holds per partition
  (:meth:`hilt.cluster.partitions.Part.nbytes`), from which the scaling model is computed.

Every scenario runs in its own fresh Python process (so a peak is that process's alone); the
peak is reset (``/proc/self/clear_refs``) right before the retrain and read (``VmHWM``) right
after. The benchmark starts the cluster itself (``LocalCluster``: 2 worker processes, 1 thread
each); its scheduler lives in the benchmark's own process, never in a measured one.

    .venv/bin/python bench/bench_dask.py              # 1,000,000 and 10,000,000 items (~45 min)
    .venv/bin/python bench/bench_dask.py --quick      # 20,000 and 100,000 items, a smoke run
    .venv/bin/python bench/bench_dask.py --local-10m  # also the local retrains at 10,000,000

Results go to ``bench/results/dask.json`` and ``bench/results/dask.md`` (``dask-quick.*`` for
``--quick``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
sys.path.insert(0, str(HERE))

from bench_project import LABELS, label_some, oracle, write_reviews  # noqa: E402,F401  (oracle: via label_some)

N_LABELLED = 200
N_WORKERS = 2
DEFAULT_FEATURES = "tfidf+embeddings"


# -- measured in a scenario's own process -------------------------------------------------------
def status_kb(field: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak() -> None:
    """Peak RSS (VmHWM) back to the current RSS."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


def measured(fn):
    """``(fn(), {rss_before_mb, peak_mb, rss_after_mb, wall_s})`` with the peak of ``fn`` alone."""
    before = status_kb("VmRSS")
    reset_peak()
    t0 = time.perf_counter()
    value = fn()
    wall = time.perf_counter() - t0
    return value, {"rss_before_mb": mb(before), "peak_mb": mb(status_kb("VmHWM")),
                   "rss_after_mb": mb(status_kb("VmRSS")), "wall_s": round(wall, 2)}


def scenario_prepare(spec: dict) -> dict:
    """Write the CSV, create the project (timed, with its peak), answer N_LABELLED items."""
    from hilt import Project

    folder, n = Path(spec["folder"]), spec["n_items"]
    csv = folder / f"reviews-{n}.csv"
    out: dict = {"n_items": n, "features": spec["features"]}
    if not csv.exists():
        t0 = time.perf_counter()
        write_reviews(csv, n)
        out["generate_csv_s"] = round(time.perf_counter() - t0, 2)
    out["csv_mb"] = round(csv.stat().st_size / 1e6, 1)
    path = Path(spec["path"])
    project, m = measured(lambda: Project.create(path, csv, LABELS, text_column="text", id_column="id",
                                                 retrain_every=10**9, seed=0, features=spec["features"]))
    out["create"] = {"create_s": m["wall_s"], "peak_mb": m["peak_mb"], "items_per_s": round(n / m["wall_s"])}
    label_some(project, "bench", N_LABELLED)
    out["status"] = {k: project.status()[k] for k in ("n_items", "n_answered")}
    project.close()
    out["file_mb"] = round(path.stat().st_size / 1e6, 1)
    if csv.exists() and spec.get("delete_csv"):
        csv.unlink()
    return out


def scenario_retrain(spec: dict) -> dict:
    """Open the project (with or without the scheduler) and run the asked retrains, each with
    the process's RSS before and its peak during the retrain, and the top of the ranking after."""
    from hilt import Project

    out: dict = {"rss_start_mb": mb(status_kb("VmRSS"))}
    t0 = time.perf_counter()
    project = Project.open(spec["path"], scheduler=spec.get("scheduler"))
    out["open_s"] = round(time.perf_counter() - t0, 2)
    out["rss_open_mb"] = mb(status_kb("VmRSS"))
    runs = []
    for name in spec["runs"]:
        started = time.time()
        _, m = measured(lambda: project.retrain(wait=True))
        r = project._job.last_report
        top = project._store.ranking(spec["top"])
        runs.append({"run": name, "total_s": m["wall_s"], "features_s": round(r.features_seconds, 2),
                     "features_source": r.features_source, "fit_s": round(r.fit_seconds, 2),
                     "score_s": round(r.score_seconds, 2), "swap_s": round(r.swap_seconds, 3),
                     "n_train": r.n_train, "eval_accuracy": r.eval_accuracy,
                     "rss_before_mb": m["rss_before_mb"], "peak_mb": m["peak_mb"], "rss_after_mb": m["rss_after_mb"],
                     "started": started, "ended": time.time(), "load_average": [round(x, 2) for x in os.getloadavg()],
                     "top": [[key, float(score), guess] for key, score, guess in top]})
    project.close()
    out["runs"] = runs
    return out


def run_scenario(action: str, spec: dict, env: dict | None = None) -> dict:
    """``action`` in a fresh Python process; its result."""
    with tempfile.NamedTemporaryFile("r", suffix=".json", delete=False) as f:
        result_path = f.name
    try:
        command = [sys.executable, str(Path(__file__).resolve()), "--scenario", action, json.dumps(spec), result_path]
        subprocess.run(command, check=True, env={**os.environ, **(env or {})})
        return json.loads(Path(result_path).read_text())
    finally:
        Path(result_path).unlink(missing_ok=True)


# -- the cluster ------------------------------------------------------------------------------
def _worker_memory() -> dict:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                out[line.split(":")[0]] = int(line.split()[1])
    return out


def _worker_reset_peak() -> None:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def _part_nbytes(part) -> tuple[int, int]:
    return int(part.nbytes()), int(part.rowids.size)


class Cluster:
    def __init__(self):
        from distributed import Client, LocalCluster

        t0 = time.perf_counter()
        self.cluster = LocalCluster(n_workers=N_WORKERS, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, silence_logs=40)
        self.client = Client(self.cluster, set_as_default=False)
        self.client.wait_for_workers(N_WORKERS)
        self.client.get_task_stream()  # installs the scheduler's task-stream plugin from now on
        self.start_s = round(time.perf_counter() - t0, 2)
        self.address = self.cluster.scheduler_address

    def idle(self) -> dict:
        """The fresh workers' memory; their peaks reset."""
        self.client.run(_worker_reset_peak)
        memory = self.client.run(_worker_memory)
        return {"idle_rss_mb": [mb(m["VmRSS"]) for m in memory.values()]}

    def memory(self) -> dict:
        memory = self.client.run(_worker_memory)
        return {"rss_mb": [mb(m["VmRSS"]) for m in memory.values()],
                "peak_mb": [mb(m["VmHWM"]) for m in memory.values()]}

    def held(self) -> dict:
        """Bytes the workers hold for the published partitions (Part.nbytes)."""
        sizes = []
        for name in self.client.list_datasets():
            published = self.client.get_dataset(name)
            futures = [self.client.submit(_part_nbytes, p, pure=False) for p in published["parts"]]
            sizes += self.client.gather(futures)
        total_bytes = sum(s for s, _ in sizes)
        items = sum(n for _, n in sizes)
        return {"partitions": len(sizes), "items": items, "bytes": total_bytes,
                "bytes_per_item": round(total_bytes / max(items, 1), 1),
                "max_partition_mb": round(max((s for s, _ in sizes), default=0) / 1e6, 1)}

    def tasks(self, start: float, end: float) -> dict:
        """Compute seconds per task kind in ``start..end`` (the cluster's task stream)."""
        stream = self.client.get_task_stream(start=start)
        kinds: dict[str, list[float]] = {}
        for task in stream:
            key = str(task["key"])
            kind = next((k for k in ("partition_stats", "merge_stats", "hilt-part", "take_rows", "score_part",
                                     "combine_tops", "_part_nbytes") if k in key), "other")
            for ss in task.get("startstops", []):
                if ss.get("action") == "compute" and start <= ss["start"] <= end:
                    kinds.setdefault(kind, []).append(ss["stop"] - ss["start"])
        out = {}
        for kind, durations in kinds.items():
            durations.sort()
            out["build_part" if kind == "hilt-part" else kind] = {
                "n": len(durations), "median_s": round(durations[len(durations) // 2], 3),
                "max_s": round(durations[-1], 3), "sum_s": round(sum(durations), 2)}
        return out

    def close(self) -> None:
        self.client.close()
        self.cluster.close()


# -- one size, local beside Dask --------------------------------------------------------------
def compare(folder: Path, n_items: int, features: str, partition_items: int, *,
            local: bool, reopen: bool, delete_csv: bool) -> dict:
    tag = f"{n_items}-{features.replace('+', '-')}"
    print(f"\n== {n_items:,} items, features={features}", flush=True)
    base = folder / f"base-{tag}.hilt"
    prepared = run_scenario("prepare", {"folder": str(folder), "n_items": n_items, "features": features,
                                        "path": str(base), "delete_csv": delete_csv})
    print(f"import: {prepared['create']} file {prepared['file_mb']} MB; {prepared['status']}", flush=True)
    out: dict = {"n_items": n_items, "features": features, "prepare": prepared,
                 "partitions": math.ceil(n_items / partition_items)}
    env = {"HILT_DASK_PARTITION_ITEMS": str(partition_items)}
    runs = ["first", "cached"]
    if local:
        path = folder / f"local-{tag}.hilt"
        shutil.copyfile(base, path)
        out["local"] = run_scenario("retrain", {"path": str(path), "runs": runs, "top": 100}, env)
        if reopen:
            out["local_reopen"] = run_scenario("retrain", {"path": str(path), "runs": ["reopened"], "top": 100}, env)
        show("local", out["local"], out.get("local_reopen"))
        path.unlink()
        shutil.rmtree(str(path) + ".d", ignore_errors=True)
    path = folder / f"dask-{tag}.hilt"
    shutil.copyfile(base, path)
    cluster = Cluster()  # a fresh cluster for each size: nothing an earlier one left in the workers
    print(f"LocalCluster at {cluster.address} ({N_WORKERS} workers) in {cluster.start_s} s", flush=True)
    out["cluster_start_s"] = cluster.start_s
    out["workers_before"] = cluster.idle()
    started = time.time()
    out["dask"] = run_scenario("retrain", {"path": str(path), "runs": runs, "top": 100,
                                           "scheduler": cluster.address}, env)
    if reopen:
        out["dask_reopen"] = run_scenario("retrain", {"path": str(path), "runs": ["reopened"], "top": 100,
                                                      "scheduler": cluster.address}, env)
    out["workers_after"] = cluster.memory()
    out["held"] = cluster.held()
    first = out["dask"]["runs"][0]
    out["tasks_first"] = cluster.tasks(first["started"], first["ended"])
    cached = out["dask"]["runs"][1]
    out["tasks_cached"] = cluster.tasks(cached["started"], cached["ended"])
    out["tasks_all"] = cluster.tasks(started, time.time())
    cluster.close()
    show("dask", out["dask"], out.get("dask_reopen"))
    print(f"workers: {out['workers_after']}; held: {out['held']}", flush=True)
    print(f"tasks (first retrain): {out['tasks_first']}", flush=True)
    if local:
        out["check"] = check(out)
        print(f"check: {out['check']}", flush=True)
    for kind in ("local", "local_reopen", "dask", "dask_reopen"):  # the rankings' tops are kept in check
        for r in out.get(kind, {}).get("runs", []):
            r["top"] = r["top"][:10]
    path.unlink()
    shutil.rmtree(str(path) + ".d", ignore_errors=True)
    base.unlink()
    shutil.rmtree(str(base) + ".d", ignore_errors=True)
    return out


def show(name: str, result: dict, reopened: dict | None) -> None:
    for r in result["runs"] + (reopened["runs"] if reopened else []):
        print(f"{name} {r['run']}: {r['total_s']} s (features {r['features_s']} s {r['features_source']}, "
              f"fit {r['fit_s']} s, score {r['score_s']} s, swap {r['swap_s']} s); RSS before "
              f"{r['rss_before_mb']} MB, peak during {r['peak_mb']} MB; load {r['load_average']}", flush=True)


def check(out: dict) -> dict:
    """Local and Dask rankings' top 100, run by run; the peaks' ratios."""
    result = {}
    pairs = [(a, b) for a, b in zip(out["local"]["runs"], out["dask"]["runs"])]
    if "local_reopen" in out and "dask_reopen" in out:
        pairs.append((out["local_reopen"]["runs"][0], out["dask_reopen"]["runs"][0]))
    for a, b in pairs:
        keys_a, keys_b = [t[0] for t in a["top"]], [t[0] for t in b["top"]]
        diff = max((abs(x[1] - y[1]) for x, y in zip(a["top"], b["top"])), default=0.0)
        result[a["run"]] = {"top100_equal": keys_a == keys_b and len(keys_a) == 100,
                            "same_set": set(keys_a) == set(keys_b), "n": len(keys_a),
                            "guesses_equal": [t[2] for t in a["top"]] == [t[2] for t in b["top"]],
                            "max_score_diff": float(f"{diff:.3g}"),
                            "peak_ratio_dask_over_local": round(b["peak_mb"] / a["peak_mb"], 3),
                            "peak_local_mb": a["peak_mb"], "peak_dask_mb": b["peak_mb"]}
    return result


# -- the scaling model ------------------------------------------------------------------------
def scaling(size: dict, partition_items: int, ns=(2, 16, 64), targets=(100_000_000, 1_000_000_000)) -> dict:
    """Time and memory at ``targets`` items on N workers, from one measured size's figures."""
    tf, tc = size["tasks_first"], size["tasks_cached"]

    def mean(tasks: dict, kind: str) -> float:  # compute seconds per task: the sum over the tasks / their number
        t = tasks.get(kind)
        return round(t["sum_s"] / t["n"], 3) if t else 0.0

    per = {"partition_stats": mean(tf, "partition_stats"), "build_part": mean(tf, "build_part"),
           "score_part": mean(tc, "score_part")}
    p_meas = size["partitions"]
    first, cached = size["dask"]["runs"][0], size["dask"]["runs"][1]
    waves = math.ceil(p_meas / N_WORKERS)
    overhead_first = max(0.0, first["total_s"] - waves * (per["partition_stats"] + per["build_part"] + per["score_part"]))
    overhead_cached = max(0.0, cached["total_s"] - waves * per["score_part"])
    bytes_per_item = size["held"]["bytes_per_item"]
    held_per_worker_mb = size["held"]["bytes"] / N_WORKERS / 2**20
    # A worker's memory besides the partitions it holds (interpreter, libraries, the embedding
    # model, the store's connection), and the extra while it builds a partition.
    worker_idle = max(size["workers_after"]["rss_mb"]) - held_per_worker_mb
    worker_transient = max(0.0, max(size["workers_after"]["peak_mb"]) - max(size["workers_after"]["rss_mb"]))
    project_peak = max(first["peak_mb"], cached["peak_mb"])
    import_rate = size["prepare"]["create"]["items_per_s"]
    import_peak_per_item = size["prepare"]["create"]["peak_mb"] * 2**20 / size["n_items"]
    file_bytes_per_item = size["prepare"]["file_mb"] * 1e6 / size["n_items"]
    rows = []
    for target in targets:
        p = math.ceil(target / partition_items)
        for n in ns:
            w = math.ceil(p / n)
            rows.append({
                "items": target, "workers": n, "partitions": p, "waves": w,
                "first_retrain_s": round(w * (per["partition_stats"] + per["build_part"] + per["score_part"])
                                         + overhead_first, 1),
                "cached_retrain_s": round(w * per["score_part"] + overhead_cached, 1),
                "worker_held_gb": round(bytes_per_item * target / n / 1e9, 2),
                "worker_rss_gb": round((bytes_per_item * target / n) / 1e9 + (worker_idle + worker_transient) / 1024, 2),
                "project_process_mb": project_peak,
                "import_s": round(target / import_rate),
                "import_peak_gb": round(import_peak_per_item * target / 1e9, 1),
                "store_gb": round(file_bytes_per_item * target / 1e9, 1),
            })
    return {"from": {"n_items": size["n_items"], "features": size["features"], "partitions": p_meas,
                     "partition_items": partition_items, "per_partition_s": per,
                     "first_total_s": first["total_s"], "cached_total_s": cached["total_s"],
                     "overhead_first_s": round(overhead_first, 2), "overhead_cached_s": round(overhead_cached, 2),
                     "bytes_per_item": bytes_per_item, "worker_idle_mb": round(worker_idle, 1),
                     "worker_transient_mb": round(worker_transient, 1), "worker_rss_after_mb": max(size["workers_after"]["rss_mb"]), "project_peak_mb": project_peak,
                     "import_items_per_s": import_rate,
                     "import_peak_bytes_per_item": round(import_peak_per_item), "store_bytes_per_item": round(file_bytes_per_item, 1)},
            "rows": rows}


def models(results: dict) -> list[dict]:
    """The model from the largest Dask run of each feature set."""
    out = [scaling(results["sizes"][-1], results["partition_items"])]
    default = [s for s in results["sizes"] if s["features"] == DEFAULT_FEATURES]
    if default:
        out.append(scaling(default[-1], results["partition_items"]))
    return out


# -- markdown ---------------------------------------------------------------------------------
def markdown(r: dict) -> str:
    lines = [f"# hilt on a Dask cluster: {r['sizes'][0]['n_items']:,} and {r['sizes'][-1]['n_items']:,} items",
             "",
             f"`{r['command']}` — {r['machine']['cpus']} CPUs, {r['machine']['memory_gb']} GB, Python "
             f"{r['machine']['python']}, dask/distributed {r['machine']['distributed']}; LocalCluster of "
             f"{N_WORKERS} worker processes × 1 thread on the same machine (a fresh one for each size, started by the benchmark); "
             f"partitions of {r['partition_items']:,} items. Load average at the start "
             f"{r['load_average_start']}, at the end {r['load_average_end']} (other jobs share the machine; "
             f"each row's own load average is in dask.json). Total run {r['total_s']:.0f} s.",
             "",
             "Every scenario runs in its own fresh process; *peak* is that process's peak RSS during the "
             "retrain alone (reset through `/proc/self/clear_refs` right before, `VmHWM` right after), "
             "*before* its RSS just before. The Dask workers' memory is not in it (their own columns).",
             ""]
    for size in r["sizes"]:
        p = size["prepare"]
        lines += [f"## {size['n_items']:,} items, features `{size['features']}` ({size['partitions']} partitions)",
                  "",
                  f"Import (`Project.create` from a {p['csv_mb']} MB CSV): {p['create']['create_s']} s "
                  f"({p['create']['items_per_s']:,} items/s, peak {p['create']['peak_mb']} MB), file "
                  f"{p['file_mb']} MB; then {N_LABELLED} items answered by the oracle through "
                  "`next_item` / `answer`, and the file copied for each side.",
                  "",
                  "| run | where | total | features (source) | fit | score | swap | project RSS before | "
                  "project peak during | load avg |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for where, key in (("local", "local"), ("local", "local_reopen"), ("Dask", "dask"), ("Dask", "dask_reopen")):
            for x in size.get(key, {}).get("runs", []):
                label = {"first": "first (builds features)", "cached": "features in memory",
                         "reopened": "fresh process"}[x["run"]]
                lines.append(f"| {label} | {where} | {x['total_s']} s | {x['features_s']} s ({x['features_source']}) | "
                             f"{x['fit_s']} s | {x['score_s']} s | {x['swap_s']} s | {x['rss_before_mb']} MB | "
                             f"**{x['peak_mb']} MB** | {x['load_average'][0]} |")
        lines.append("")
        if "check" in size:
            lines += ["| run | top 100 equal (keys, order) | same guesses | max score diff | "
                      "peak Dask / local |", "| --- | --- | --- | --- | --- |"]
            for name, c in size["check"].items():
                lines.append(f"| {name} | {'yes' if c['top100_equal'] else 'NO'} | "
                             f"{'yes' if c['guesses_equal'] else 'no'} | {c['max_score_diff']} | "
                             f"{c['peak_dask_mb']} / {c['peak_local_mb']} MB = **{c['peak_ratio_dask_over_local']}** |")
            lines.append("")
        h, w = size["held"], size["workers_after"]
        lines += [f"Workers: idle {size['workers_before']['idle_rss_mb']} MB each after a restart; after the runs "
                  f"RSS {w['rss_mb']} MB, peak {w['peak_mb']} MB; they hold {h['partitions']} partitions, "
                  f"{h['bytes'] / 1e6:.0f} MB of feature rows ({h['bytes_per_item']} bytes per item, largest "
                  f"partition {h['max_partition_mb']} MB).", ""]
        lines += ["| task (first retrain; score: cached retrain) | n | median | max | sum |", "| --- | --- | --- | --- | --- |"]
        for label, tasks in (("first", size["tasks_first"]), ("cached", size["tasks_cached"])):
            for kind, t in sorted(tasks.items()):
                if kind == "other" or label == "cached" and kind not in ("score_part", "combine_tops", "take_rows"):
                    continue
                lines.append(f"| {kind} ({label}) | {t['n']} | {t['median_s']} s | {t['max_s']} s | {t['sum_s']} s |")
        lines.append("")
    for model in r["scaling"]:
        f = model["from"]
        per = f["per_partition_s"]
        lines += [f"## Scaling model from the {f['n_items']:,}-item run (`{f['features']}`)", "",
                  "Built from these measured figures (the run above):", "",
                  f"* per partition of {f['partition_items']:,} items (mean task compute time on a worker, "
                  "the task stream's sum over the tasks / their number): "
                  f"count words {per['partition_stats']} s, build rows {per['build_part']} s, score "
                  f"{per['score_part']} s;",
                  f"* overhead not per partition (fit on the labelled rows, fetching them, the merge tree, "
                  f"writing the queue, scheduling), the measured total minus ceil({f['partitions']}/{N_WORKERS}) "
                  f"waves of the per-partition costs: first retrain {f['overhead_first_s']} s of "
                  f"{f['first_total_s']} s, cached {f['overhead_cached_s']} s of {f['cached_total_s']} s;",
                  f"* {f['bytes_per_item']} bytes of feature rows per item held by the workers (Part.nbytes); a "
                  f"worker's own {f['worker_idle_mb']} MB (its RSS after the runs, {f['worker_rss_after_mb']} MB, "
                  f"minus the rows it holds) plus {f['worker_transient_mb']} MB transient (peak − RSS after the runs);",
                  f"* the project process's peak during a retrain: {f['project_peak_mb']} MB (the labels, the "
                  "labelled rows, the queue; nothing per pool item — compare the 1M and 10M rows above);",
                  f"* import {f['import_items_per_s']:,} items/s (one process writing the store), peak "
                  f"{f['import_peak_bytes_per_item']:,} bytes per item in that process (`Project.create` holds "
                  "the whole input), "
                  f"{f['store_bytes_per_item']} bytes per item in the store.",
                  "",
                  "time ≈ ceil(partitions / N) × per-partition cost + overhead; worker memory ≈ bytes per item × "
                  "items / N + a worker's own; project process ≈ constant.",
                  "",
                  "| items | workers N | partitions | waves | first retrain | cached retrain | held per worker | "
                  "worker RSS | project process | import (1 process) | import peak | store |",
                  "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
        for row in model["rows"]:
            lines.append(f"| {row['items']:,} | {row['workers']} | {row['partitions']:,} | {row['waves']:,} | "
                         f"{fmt_s(row['first_retrain_s'])} | {fmt_s(row['cached_retrain_s'])} | "
                         f"{row['worker_held_gb']} GB | {row['worker_rss_gb']} GB | ~{row['project_process_mb']} MB | "
                         f"{fmt_s(row['import_s'])} | {row['import_peak_gb']} GB | {row['store_gb']} GB |")
        lines.append("")
    lines += r.get("notes", [])
    return "\n".join(lines) + "\n"


def fmt_s(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


NOTES = [
    "Notes:",
    "",
    "* The cluster here is 2 worker processes on the same 2 CPUs as the project process, the "
    "scheduler and the store; N = 16 and 64 assume the per-partition costs stay what they are "
    "here (each worker its own CPU) and that the store serves N readers at once — with SQLite on a "
    "shared disk, or PostgreSQL, the reading part of `partition_stats` / `build_part` is the first "
    "thing to measure on a real cluster.",
    "* The merge of the partitions' tops is a tree of fan-in 8 on the cluster (depth 2 at 40 "
    "partitions, 4 at 4,000); its cost is in the overhead measured here, which is taken as "
    "constant.",
    "* Embeddings (`tfidf+embeddings`, the default for text) are 256 float32 per item: 1 KB per "
    "item on the workers, 10 GB at 10M items, 1 TB at 1B; the 10M run therefore uses `tfidf`.",
    "* Local retrains started with `wait=True` run in the project's process; background retrains "
    "over a large pool run in the project's retrain child process, which then holds the features.",
    "* On this machine the Dask first retrain is slower than the local one: the 2 workers share 2 "
    "CPUs with the project process, the scheduler and other people's jobs (see the load averages), "
    "and the distributed fit reads and tokenizes every text twice (the word-count pass "
    "`TfidfFeatures.partition_stats`, then the build pass) where the local fit tokenizes once. The "
    "per-partition figures above are what the model is built from, as measured, slowness included.",
    "* The project process's own memory does not grow with the pool: its peak during a retrain is "
    "the same at 1M and at 10M items (above); most of it is the imported libraries (a fresh "
    "process that opened the project sits at ~230 MB before any retrain, dask's client included).",
]


# -- main -------------------------------------------------------------------------------------
def machine() -> dict:
    import distributed

    memory_kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
    return {"cpus": os.cpu_count(), "memory_gb": round(memory_kb / 1024**2, 1), "python": platform.python_version(),
            "platform": platform.platform(), "distributed": distributed.__version__}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--scenario"]:
        action, spec, out = argv[1], json.loads(argv[2]), argv[3]
        result = {"prepare": scenario_prepare, "retrain": scenario_retrain}[action](spec)
        Path(out).write_text(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="20,000 and 100,000 items: a smoke run")
    parser.add_argument("--render", type=Path, default=None, help="only write the markdown of this results JSON")
    parser.add_argument("--small", type=int, default=None, help="the local-beside-Dask size (1,000,000)")
    parser.add_argument("--large", type=int, default=None, help="the Dask-only size (10,000,000; 0: skip)")
    parser.add_argument("--partition-items", type=int, default=None, help="items per partition (250,000)")
    parser.add_argument("--local-10m", action="store_true", help="also retrain the large project locally")
    parser.add_argument("--no-default-features", action="store_true",
                        help=f"skip {DEFAULT_FEATURES} at the small size (only tfidf)")
    parser.add_argument("--folder", type=Path, default=None, help="work here (default: a temp folder in /tmp)")
    args = parser.parse_args(argv)
    if args.render:
        results = json.loads(args.render.read_text())
        results["scaling"] = models(results)
        results["notes"] = NOTES
        args.render.write_text(json.dumps(results, indent=2) + "\n")
        args.render.with_suffix(".md").write_text(markdown(results))
        return 0
    small = args.small or (20_000 if args.quick else 1_000_000)
    large = args.large if args.large is not None else (100_000 if args.quick else 10_000_000)
    partition_items = args.partition_items or (10_000 if args.quick else 250_000)

    t_start = time.perf_counter()
    folder = Path(tempfile.mkdtemp(prefix="hilt-bench-dask-", dir=args.folder))
    free = shutil.disk_usage(folder).free
    need = 300 * max(small, large) * 2  # CSV + store + a copy, ~300 bytes per item each way
    print(f"working in {folder} ({free / 1e9:.0f} GB free, ~{need / 1e9:.1f} GB needed)", flush=True)
    if free < need:
        raise SystemExit(f"not enough disk in {folder}: {free / 1e9:.1f} GB free, ~{need / 1e9:.1f} GB needed")
    results: dict = {"machine": machine(), "partition_items": partition_items,
                     "command": " ".join(["bench/bench_dask.py", *argv]),
                     "load_average_start": [round(x, 2) for x in os.getloadavg()], "sizes": []}
    try:
        feature_sets = (["tfidf"] if args.no_default_features else [DEFAULT_FEATURES, "tfidf"])
        for features in feature_sets:
            results["sizes"].append(compare(folder, small, features, partition_items, local=True,
                                            reopen=True, delete_csv=features == feature_sets[-1]))
        if large:
            results["sizes"].append(compare(folder, large, "tfidf", partition_items, local=args.local_10m,
                                            reopen=True, delete_csv=True))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    results["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    results["total_s"] = round(time.perf_counter() - t_start, 1)
    results["scaling"] = models(results)
    results["notes"] = NOTES
    RESULTS.mkdir(exist_ok=True)
    stem = "dask-quick" if args.quick else "dask"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(results))
    print(markdown(results))
    print(f"wrote {RESULTS / (stem + '.json')} and {RESULTS / (stem + '.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

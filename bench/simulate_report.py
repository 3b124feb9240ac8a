"""The README's `hilt simulate` section: tables and plots for digits, breast_cancer and a text corpus.

Runs the same simulations as the commands it prints (through the Python API, which the CLI is a
thin face over), then writes

* ``docs/img/simulate_<name>.png`` — the learning curves,
* ``bench/results/simulate.md`` — the tables, recommendations, wall times, and a check of the
  digits targets (also over five different test splits, since one split is one draw).

Usage: ``python bench/simulate_report.py`` (about a minute on a 2-core machine).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

from hilt import simulate

ROOT = Path(__file__).resolve().parent.parent
IMAGES = ROOT / "docs" / "img"
RESULTS = ROOT / "bench" / "results"

#: section title -> (data set, keyword arguments of simulate.run = the CLI options)
RUNS = {
    "digits": ("digits", dict(init=20, batch=10, budget=400, seeds=5)),
    "breast_cancer": ("breast_cancer", dict(init=20, batch=10, budget=200, seeds=5)),
    "movie_reviews": ("movie_reviews", dict(init=20, batch=20, budget=3000, seeds=5)),
    "movie_reviews_naive_bayes": (
        "movie_reviews", dict(init=20, batch=20, budget=3000, seeds=5, model="naive_bayes")
    ),
}


def command(data: str, options: dict, jobs: int, image: str) -> str:
    flags = " ".join(f"--{key.replace('_', '-')} {value}" for key, value in options.items())
    return f"hilt simulate {data} {flags} --jobs {jobs} --plot docs/img/{image}"


def behind_random(result: simulate.SimulationResult) -> list[str]:
    """Where an uncertainty strategy's mean curve is not above random's: label-count ranges."""
    summary = result.summary()
    random = summary.get("random")
    found = []
    for name, s in summary.items():
        if name == "random" or random is None:
            continue
        theirs = dict(zip(random.n_labels, random.mean))
        # The first point is the shared initial set (equal by construction): not a comparison.
        behind = [n for n, m in zip(s.n_labels[1:], s.mean[1:]) if n in theirs and m <= theirs[n]]
        if behind:
            found.append(f"{result.display_name(name)} at {_ranges(behind, result.settings['batch'])} labels")
    return found


def _ranges(values: list[int], step: int) -> str:
    runs, start, prev = [], values[0], values[0]
    for v in values[1:]:
        if v - prev > step:
            runs.append((start, prev))
            start = v
        prev = v
    runs.append((start, prev))
    return ", ".join(str(a) if a == b else f"{a}–{b}" for a, b in runs)


def timed(**kwargs) -> tuple[simulate.SimulationResult, float]:
    start = time.perf_counter()
    result = simulate.run(**kwargs)
    return result, time.perf_counter() - start


def section(title: str, data: str, options: dict, jobs: int) -> tuple[str, simulate.SimulationResult]:
    result, seconds = timed(data=data, jobs=jobs, **options)
    image = IMAGES / f"simulate_{title}.png"
    result.plot(image)
    s = result.settings
    behind = behind_random(result)
    lines = [
        f"### {data}" + (f" ({options['model']})" if "model" in options else ""),
        "",
        f"{s['n_pool']} items in the pool, {s['n_test']} held out (stratified), {len(s['labels'])} labels, "
        f"{s['kind']} items, model `{s['model']}`. Full-data accuracy (the model trained on the whole "
        f"pool): **{result.full_accuracy:.3f}**. {len(s['strategies'])} strategies × {len(s['seeds'])} seeds "
        f"in {seconds:.1f} s (`--jobs {jobs}`).",
        "",
        "```",
        command(data, options, jobs, image.name),
        "```",
        "",
        result.to_markdown(),
        "",
        *[f"*Note:* {note}  " for note in result.notes],
        f"**{result.recommendation}**  ",
        "Mean curve not above random's: " + ("; ".join(behind) if behind else "nowhere") + ".",
        "",
        f"![learning curves on {data}](../../docs/img/{image.name})",
        "",
    ]
    return "\n".join(lines), result


def digits_check(result: simulate.SimulationResult, jobs: int) -> str:
    """The issue's digits targets, on the default split and on four more splits."""
    summary = result.summary()
    uncertainty = {k: v for k, v in summary.items() if k != "random"}
    best = min(uncertainty.values(), key=lambda v: (v.to_reach[0.99] or 10**9, -v.aulc_mean))
    rows = [
        "| test split seed | full-data accuracy | random | least | margin | ratio | entropy |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for split in range(5):
        other = result if split == 0 else simulate.run("digits", split_seed=split, jobs=jobs, **RUNS["digits"][1])
        reach = {k: v.to_reach[0.99] for k, v in other.summary().items()}
        cells = [str(reach[k]) if reach[k] is not None else "> 400" for k in ("random", "least", "margin", "ratio", "entropy")]
        rows.append(f"| {split} | {other.full_accuracy:.3f} | " + " | ".join(cells) + " |")
    return "\n".join([
        "### digits: the targets",
        "",
        f"Labels to reach 99 % of the full-data accuracy (mean curve of 5 seeds, init 20, batch 10): best "
        f"uncertainty strategy **{best.strategy}: {best.to_reach[0.99] or '> 400'}**, margin "
        f"{summary['margin'].to_reach[0.99] or '> 400'}, random {summary['random'].to_reach[0.99] or '> 400'}.",
        "",
        "One held-out split is one draw. The same run over five test splits (`--split-seed 0..4`):",
        "",
        *rows,
        "",
    ])


def timing(jobs_options: tuple[int, ...]) -> str:
    rows = ["| `--jobs` | wall time (5 strategies × 5 seeds × 400 labels, digits) |", "| ---: | ---: |"]
    for jobs in jobs_options:
        _, seconds = timed(data="digits", jobs=jobs, **RUNS["digits"][1])
        rows.append(f"| {jobs} | {seconds:.1f} s |")
    machine = f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    return "\n".join(["### Speed", "", f"On this machine ({machine}):", "", *rows, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    IMAGES.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    parts = [
        "## hilt simulate: results",
        "",
        "Generated by `make simulate-report` (`python bench/simulate_report.py`). The learner asks for "
        "labels, the true labels answer, and the test accuracy is recorded after each round. "
        "Cells: mean ± sd over seeds; *labels to x %*: first label count at which the mean curve "
        "reaches x % of the full-data accuracy (in brackets: the range over seeds).",
        "",
    ]
    results = {}
    for title, (data, options) in RUNS.items():
        text, results[title] = section(title, data, options, args.jobs)
        parts.append(text)
        print(f"{title}: {results[title].recommendation}", flush=True)
    parts.append(digits_check(results["digits"], args.jobs))
    parts.append(timing((1, args.jobs) if args.jobs != 1 else (1,)))
    out = RESULTS / "simulate.md"
    out.write_text("\n".join(parts), encoding="utf-8")
    print(f"wrote {out} and {IMAGES}/simulate_*.png")


if __name__ == "__main__":
    main()

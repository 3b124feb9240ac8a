"""Benchmark of labels a team can trust (issue 13): agreement and likely label errors at scale.

A project of N pseudo-reviews (default 100,000; the features hilt uses by default:
TF-IDF + WordLlama embeddings) with 20 % of items overlapped (2 annotators each), labelled
through ``next_item`` / ``answer`` by five simulated annotators of known error rates (2, 5, 5,
10 and 15 % random flips) until 20,000 answers are in. Then, in one process, one after another:

* ``project.agreement()`` (also part of ``status()``): Krippendorff's alpha, per-annotator
  agreement with the others' majority, pair kappas over every current answer;
* ``project.status()`` whole;
* ``project.label_issues(limit=50)`` cold (out-of-fold predictions: 5 fits on the labelled items'
  cached features, then confident learning) and again (cached until an answer changes);
* ``project.review_items(...)`` as the review page asks for it.

Issue 13's target: agreement and label issues for a 100,000-item project with 20,000 answers
in <= 5 s. Also reported: whether the weakest annotator ranks lowest, and the share of wrong
final labels that ``label_issues(limit=number wrong)`` finds (recall at that depth).

    .venv/bin/python bench/bench_quality.py            # 100,000 items, 20,000 answers
    .venv/bin/python bench/bench_quality.py --quick    # 10,000 items, 2,000 answers

Results go to ``bench/results/quality.json`` and ``quality.md`` (``quality-quick.*`` for --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_project import LABELS, RESULTS, machine, oracle, write_reviews  # noqa: E402

from hilt import Project  # noqa: E402

#: name -> share of that annotator's labels flipped to the other label.
ANNOTATORS = {"ana": 0.02, "bo": 0.05, "cy": 0.05, "dee": 0.10, "eli": 0.15}


def timed(call):
    start = time.perf_counter()
    value = call()
    return value, round(time.perf_counter() - start, 3)


def run(n_items: int, n_answers: int, folder: Path) -> dict:
    csv = folder / "reviews.csv"
    write_reviews(csv, n_items, seed=3)
    project, create_s = timed(lambda: Project.create(
        folder / "p.hilt", csv, LABELS, id_column="id", overlap=0.2, annotators_per_item=2,
        retrain_every=1_000, seed=0))
    with project:
        _, warm_s = timed(project.warm)
        rng = np.random.default_rng(0)
        names = list(ANNOTATORS)
        truth: dict[str, str] = {}
        answered = 0
        start = time.perf_counter()
        while answered < n_answers:
            progressed = False
            for name in names:
                item = project.next_item(name)
                if item is None:
                    continue
                right = oracle(item.data["text"])
                truth[item.id] = right
                wrong = rng.random() < ANNOTATORS[name]
                project.answer(item.id, LABELS[1 - LABELS.index(right)] if wrong else right, name)
                answered += 1
                progressed = True
            if not progressed:
                break
        label_s = round(time.perf_counter() - start, 1)
        project.retrain(wait=True)  # a last run with every label; nothing runs beside the timings

        agreement, agreement_s = timed(project.agreement)
        status, status_s = timed(project.status)
        final = project._store.current_labels()
        keys = project._store.item_keys()
        wrong = {keys[r] for r, label in final.items() if label != truth.get(keys[r], label)}
        issues_all, issues_cold_s = timed(lambda: project.label_issues(limit=max(len(wrong), 50)))
        _, issues_again_s = timed(lambda: project.label_issues(limit=50))
        project.add_annotator("rev", reviewer=True)
        _, review_s = timed(lambda: project.review_items("rev", limit=20))
        found = {row["item_id"] for row in issues_all[: len(wrong)]}
        ranked = sorted(agreement["by_annotator"], key=lambda n: agreement["by_annotator"][n]["agree"])
        return {
            "n_items": n_items, "n_answers": answered, "n_labelled_items": len(final),
            "overlap_items": agreement["items"], "create_s": round(create_s, 1), "warm_s": round(warm_s, 1),
            "label_s": label_s, "agreement_s": agreement_s, "status_s": status_s,
            "label_issues_cold_s": issues_cold_s, "label_issues_cached_s": issues_again_s,
            "review_items_s": review_s,
            "agreement_plus_issues_s": round(agreement_s + issues_cold_s, 3),
            "alpha": agreement["alpha"],
            "agree_by_annotator": {n: round(a["agree"], 3) for n, a in agreement["by_annotator"].items()},
            "error_rates": ANNOTATORS, "weakest_ranks_lowest": ranked[0] == "eli",
            "wrong_final_labels": len(wrong), "found_at_that_depth": len(found & wrong),
            "recall": round(len(found & wrong) / max(len(wrong), 1), 3),
            "precision": round(len(found & wrong) / max(len(found), 1), 3),
            "features": status["features"], "machine": machine(), "load_average": list(os.getloadavg()),
        }


def markdown(r: dict) -> str:
    return "\n".join([
        f"| {r['n_items']:,} items, {r['n_answers']:,} answers ({r['overlap_items']:,} items by 2 people), "
        f"{r['features']} features | seconds |",
        "| --- | --- |",
        f"| `project.agreement()` (alpha, per annotator, pairs) | {r['agreement_s']} |",
        f"| `project.label_issues(limit=50)`, first call: 5-fold out-of-fold fits + confident learning | "
        f"{r['label_issues_cold_s']} |",
        f"| agreement + label issues (target <= 5 s) | **{r['agreement_plus_issues_s']}** |",
        f"| `project.label_issues` again (cached until an answer changes) | {r['label_issues_cached_s']} |",
        f"| `project.status()` whole (agreement included) | {r['status_s']} |",
        f"| `project.review_items(limit=20)` (the review page's batch) | {r['review_items_s']} |",
        "",
        f"Annotators' agreement with the others' majority (error rates {r['error_rates']}): "
        f"{r['agree_by_annotator']}; weakest ranks lowest: {r['weakest_ranks_lowest']}; alpha {r['alpha']:.3f}. "
        f"Wrong final labels: {r['wrong_final_labels']}; `label_issues(limit={r['wrong_final_labels']})` "
        f"finds {r['found_at_that_depth']} (recall {r['recall']:.0%}, precision {r['precision']:.0%}).",
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="10,000 items, 2,000 answers: a smoke run")
    args = parser.parse_args(argv)
    n_items, n_answers = (10_000, 2_000) if args.quick else (100_000, 20_000)
    with tempfile.TemporaryDirectory(prefix="hilt-bench-quality-") as folder:
        results = run(n_items, n_answers, Path(folder))
    results["command"] = " ".join(["bench_quality.py", *(argv if argv is not None else sys.argv[1:])])
    RESULTS.mkdir(exist_ok=True)
    stem = "quality-quick" if args.quick else "quality"
    (RESULTS / f"{stem}.json").write_text(json.dumps(results, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text(markdown(results) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())

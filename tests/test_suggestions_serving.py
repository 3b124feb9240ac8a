"""Suggestions on the served items: shown on none of the evaluation items and withheld on an equal
share of the others, kept_suggestion decided by the project, the cold start ordered by them; on
both stores."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import text

from hilt import Project
from hilt.project.labelling import suggests


def texts(n: int) -> pd.DataFrame:
    return pd.DataFrame({"id": [f"t{i}" for i in range(n)],
                         "text": [f"{'good' if i % 2 else 'bad'} film number {i}" for i in range(n)]})


def kept_column(project: Project) -> dict[str, int | None]:
    """item id -> kept_suggestion of its current answer, read from the store itself."""
    with project._store._engine.connect() as conn:
        rows = conn.execute(text("SELECT i.key, a.kept_suggestion FROM answers a JOIN items i ON i.id = a.item "
                                 "WHERE a.retracted = 0")).all()
    return dict(rows)


def test_served_items_carry_the_suggestion_never_on_eval_items_and_kept_is_decided_here(where):
    n = 40
    with Project.create(where, texts(n), ["pos", "neg"], id_column="id", features="tfidf", eval_share=0.25,
                        retrain_every=1000, seed=3) as project:
        project.import_suggestions([(f"t{i}", "pos" if i % 2 else "neg", 0.5 + i / 100) for i in range(n)],
                                   source="zero-shot")
        served, given = [], {}
        while (item := project.next_item("ada")) is not None:
            served.append(item)
            shown = suggests(item.id, item.is_eval, 0.25)
            if item.is_eval or not shown:
                assert item.suggestion is None and item.suggestion_score is None and item.suggestion_source is None
            else:
                i = int(item.id[1:])
                assert (item.suggestion, item.suggestion_score, item.suggestion_source) == (
                    "pos" if i % 2 else "neg", 0.5 + i / 100, "zero-shot")
            # Alternate keeping and changing the suggestion; every third item is skipped.
            turn = len(given)
            label = None if turn % 3 == 2 else (item.suggestion or "pos") if turn % 2 else "neg"
            project.answer(item.id, label, "ada")
            given[item.id] = label
        assert len(served) == n
        assert any(i.is_eval for i in served) and any(i.suggestion for i in served)
        withheld = [i for i in served if not i.is_eval and i.suggestion is None]
        assert withheld, "an equal share of ordinary items goes without one"
        kept = kept_column(project)
        for item in served:
            label = given[item.id]
            if item.suggestion is None or label is None:
                assert kept[item.id] is None  # none shown, or a skip: nothing kept or changed
            else:
                assert kept[item.id] == int(label == item.suggestion), item.id
        assert set(kept.values()) == {0, 1, None}


def test_the_withheld_share_matches_the_evaluation_share():
    keys = [str(k) for k in range(20_000)]
    for share in (0.1, 0.3):
        withheld = sum(not suggests(key, False, share) for key in keys) / len(keys)
        assert abs(withheld - share) < 0.015
        assert not any(suggests(key, True, share) for key in keys[:1000])


def served_order(project: Project) -> list:
    order = []
    while (item := project.next_item("ada")) is not None:
        order.append(item)
        project.answer(item.id, "pos", "ada")
    return order


def test_cold_start_serves_the_least_confident_suggestions_first_then_the_rest(where, tmp_path):
    n = 30
    with Project.create(tmp_path / "plain.hilt", texts(n), ["pos", "neg"], id_column="id", features="tfidf",
                        eval_share=0.2, retrain_every=1000, seed=5) as plain:
        plain_eval = [(turn, i.id) for turn, i in enumerate(served_order(plain)) if i.is_eval]
    with Project.create(where, texts(n), ["pos", "neg"], id_column="id", features="tfidf", eval_share=0.2,
                        retrain_every=1000, seed=5) as project:
        scores = {f"t{i}": round(((i * 7) % n) / n, 3) for i in range(0, 20)}  # 10 items have none
        project.import_suggestions([(key, "pos", score) for key, score in scores.items()]
                                   + [("t25", "neg", None)], source="m")
        order = served_order(project)
        eval_items = [i.id for i in order if i.is_eval]
        rest = [i.id for i in order if not i.is_eval]
        expected = sorted((k for k in scores if k not in eval_items), key=lambda k: scores[k])
        assert rest[:len(expected)] == expected
        assert set(rest[len(expected):]) == {f"t{i}" for i in range(20, n)} - set(eval_items)
        # the evaluation sample is served as without suggestions: its share, in its random order
        assert [(turn, i.id) for turn, i in enumerate(order) if i.is_eval] == plain_eval
        assert plain_eval


def test_a_finished_run_takes_over_from_the_cold_start_queue(tmp_path):
    with Project.create(tmp_path / "p.hilt", texts(30), ["pos", "neg"], id_column="id", features="tfidf",
                        eval_share=0.0, retrain_every=1000) as project:
        project.import_suggestions([(f"t{i}", "pos", i / 100) for i in range(30)])
        for _ in range(6):
            item = project.next_item("ada")
            project.answer(item.id, "pos" if int(item.id[1:]) % 2 else "neg", "ada")
        project.retrain(wait=True)
        with project._store._engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM queue WHERE run_id = -1")).scalar() == 0
        project.import_suggestions([("t29", "pos", 0.0)])  # after a model: no cold queue again
        with project._store._engine.connect() as conn:
            assert conn.execute(text("SELECT COUNT(*) FROM queue WHERE run_id = -1")).scalar() == 0


def test_suggestions_imported_by_another_process_are_served_after_the_recheck(tmp_path, monkeypatch):
    import hilt.project.labelling as labelling

    monkeypatch.setattr(labelling, "SUGGESTIONS_RECHECK", 0.0)  # (1 s by default)
    path = tmp_path / "p.hilt"
    with Project.create(path, texts(10), ["pos", "neg"], id_column="id", features="tfidf", eval_share=0.0) as server:
        first = server.next_item("ada")
        assert first.suggestion is None  # none yet
        with Project.open(path) as other:  # e.g. hilt suggestions import while hilt serve runs
            other.import_suggestions([(f"t{i}", "pos", 0.5) for i in range(10)], source="m")
        assert server.next_item("ada").id == first.id  # still held, now with its suggestion
        assert server.next_item("ada").suggestion == "pos"
        server.answer(first.id, "pos", "ada")
        assert kept_column(server) == {first.id: 1}


def test_changing_to_the_random_strategy_drops_the_cold_start_order_and_back_restores_it(tmp_path):
    options = dict(id_column="id", features="tfidf", eval_share=0.0, retrain_every=1000, seed=3)
    with Project.create(tmp_path / "plain.hilt", texts(12), ["pos", "neg"], **options) as plain:
        random_order = [i.id for i in plain.peek_items("ada", 12)]
    assert random_order[:2] != ["t7", "t3"]
    with Project.create(tmp_path / "p.hilt", texts(12), ["pos", "neg"], **options) as project:
        project.import_suggestions([("t7", "pos", 0.01), ("t3", "pos", 0.02)])
        assert [i.id for i in project.peek_items("ada", 2)] == ["t7", "t3"]
        project.configure(strategy="random")
        assert [i.id for i in project.peek_items("ada", 12)] == random_order
        project.configure(strategy="margin")
        assert [i.id for i in project.peek_items("ada", 2)] == ["t7", "t3"]

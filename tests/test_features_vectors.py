"""The items' own vectors as features: ``vectors:COLUMN``, ``vectors:FILE.npz`` / ``.npy`` aligned by
item id, ``tfidf+vectors:…``; checked at import, never shown, cached by what they are."""

from __future__ import annotations

import json
import os

import numpy as np
import pandas as pd
import pytest
from helpers import hilt, user_error

from hilt import Project
from hilt.errors import InputError
from hilt.features import get_featurizer
from hilt.features.vectors import VectorFile, VectorItems, parse_vectors

LABELS = ["low", "high"]


def blobs(n=40, dim=6, seed=0) -> pd.DataFrame:
    """Two clusters of vectors (label by the first coordinate's sign), with ids and a caption."""
    rng = np.random.default_rng(seed)
    truth = np.array(["low", "high"] * (n // 2))
    vectors = rng.normal(size=(n, dim)) + np.where(truth == "high", 2.0, -2.0)[:, None]
    return pd.DataFrame({"id": [f"i{k:02d}" for k in range(n)], "caption": [f"thing {k}" for k in range(n)],
                         "vec": [v.round(4).tolist() for v in vectors], "truth": truth})


def write_jsonl(path, frame: pd.DataFrame):
    path.write_text("\n".join(json.dumps(row) for row in frame.to_dict("records")) + "\n")
    return path


def label_some(project, truth: dict, n: int) -> None:
    for _ in range(n):
        item = project.next_item("ada")
        project.answer(item.id, truth[item.id], "ada")


# -- the featurizer ------------------------------------------------------------------------------

def test_cells_become_float32_rows_and_bad_ones_name_the_item_and_column():
    assert parse_vectors([[1, 2], "[3, 4.5]", np.array([5, 6])], column="emb").tolist() == [[1, 2], [3, 4.5], [5, 6]]
    assert parse_vectors([[1, 2]], column="emb").dtype == np.float32
    cases = [
        ([[1, 2], [1, 2, 3]], "Expected a vector of 2 numbers in column 'emb' of item 'b' (as the other items have); got 3"),
        ([[1, 2], [1, float("nan")]], "finite numbers in the vector in column 'emb' of item 'b'"),
        ([[1, 2], None], "Expected a vector in column 'emb' of item 'b'; it is empty"),
        ([[1, 2], "a cat"], "of item 'b'; got text 'a cat'"),
        ([[1, 2], [1, "x"]], "Expected numbers in the vector in column 'emb' of item 'b'; got 'x'"),
        ([[], [1]], "at least one number in column 'emb' of item 'a'"),
        ([[1, 2], 7], "of item 'b'; got int 7"),
    ]
    for cells, message in cases:
        with pytest.raises(InputError) as error:
            parse_vectors(cells, column="emb", ids=["a", "b"])
        assert message in str(error.value), str(error.value)


def test_the_registry_reads_the_source_and_keeps_its_case(tmp_path):
    features = get_featurizer("Vectors:Emb", "table")
    assert features.name == "vectors:Emb" and features.vector_column == "Emb"
    assert features.spec() == {"name": "vectors:Emb", "params": {"column": "Emb"},
                               "version": f"numpy {np.__version__}"}
    both = get_featurizer("tfidf+vectors:emb", "text")
    assert both.item_fields("text", []) == ["text", "emb"]
    with pytest.raises(InputError, match="which works on text items only"):
        get_featurizer("tfidf+vectors:emb", "table")
    with pytest.raises(InputError, match="Expected vectors:COLUMN or vectors:FILE.npz"):
        get_featurizer("vectors", "table")
    with pytest.raises(InputError, match=r"vectors:COLUMN, vectors:FILE.npz"):
        get_featurizer("vectorz:emb", "table")
    assert get_featurizer(f"vectors:{tmp_path / 'e.npz'}", "table").vector_column is None


def test_a_file_is_aligned_by_item_id_and_missing_ids_are_named(tmp_path):
    path = tmp_path / "emb.npz"
    np.savez(path, ids=np.array(["b", "a", "c"]), vectors=np.array([[2.0, 2], [1, 1], [3, 3]]))
    features = get_featurizer(f"vectors:{path}", "table")
    assert features.fit_transform(VectorItems(ids=["a", "b"])).tolist() == [[1, 1], [2, 2]]
    with pytest.raises(InputError) as error:
        features.fit_transform(["a", "x1", "x2"])
    assert "2 items have none, first: 'x1', 'x2'" in str(error.value) and str(path) in str(error.value)
    np.savez(tmp_path / "bad.npz", vectors=np.zeros((2, 2)))
    with pytest.raises(InputError, match="Expected arrays 'ids' and 'vectors'.*it holds vectors"):
        get_featurizer(f"vectors:{tmp_path / 'bad.npz'}", "table").fit_transform(["a"])
    np.savez(tmp_path / "twice.npz", ids=np.array([1, 1]), vectors=np.zeros((2, 2)))
    np.savez(tmp_path / "objects.npz", ids=np.array(["a"], dtype=object), vectors=np.zeros((1, 2)))
    with pytest.raises(InputError, match=r"Save the ids as strings"):
        get_featurizer(f"vectors:{tmp_path / 'objects.npz'}", "table").fit_transform(["a"])
    with pytest.raises(InputError, match="each item id once.*repeated: '1'"):
        get_featurizer(f"vectors:{tmp_path / 'twice.npz'}", "table").fit_transform(["1"])
    # An .npy says nothing of which row is which item: its ids come in a sidecar, or it is refused.
    np.save(tmp_path / "rows.npy", np.array([[1.0, 0], [0, 1]], dtype=np.float32))
    plain = get_featurizer(f"vectors:{tmp_path / 'rows.npy'}", "table")
    with pytest.raises(InputError, match=r"rows.ids.txt, one a line"):
        plain.fit_transform(["a"])
    (tmp_path / "rows.ids.txt").write_text("a\nb\n")
    assert plain.fit_transform(["b", "a"]).tolist() == [[0, 1], [1, 0]]
    with pytest.raises(InputError, match="no such file"):
        get_featurizer(f"vectors:{tmp_path / 'gone.npz'}", "table").fit_transform(["a"])


def test_a_changed_file_changes_the_key(tmp_path):
    path = tmp_path / "emb.npz"
    np.savez(path, ids=np.array(["a"]), vectors=np.array([[1.0, 2.0]]))
    features = get_featurizer(f"vectors:{path}", "table")
    before = features.spec()
    np.savez(path, ids=np.array(["a"]), vectors=np.array([[1.0, 3.0]]))
    os.utime(path, ns=(os.stat(path).st_atime_ns, os.stat(path).st_mtime_ns + 1_000_000))
    after = features.spec()
    assert before["params"]["sha256"] != after["params"]["sha256"] and before != after
    assert VectorFile.read(path).rows(["a"]).tolist() == [[1.0, 3.0]]


# -- projects -------------------------------------------------------------------------------------

def test_a_jsonl_column_of_vectors_is_the_features_and_never_shown(where, tmp_path):
    frame = blobs()
    truth = dict(zip(frame["id"], frame["truth"]))
    data = write_jsonl(tmp_path / "items.jsonl", frame.drop(columns=["truth"]))
    with Project.create(where, data, LABELS, id_column="id", features="vectors:vec", retrain_every=1000,
                        eval_share=0.2, seed=1) as project:
        assert project.kind == "text" and project.text_column == "caption"  # the vectors are never the text
        assert "vec" not in project.shown_columns and "vec" in project.hidden_columns
        item = project.next_item("ada")
        assert set(item.data) == {"text"}  # the 6 numbers never reach a person
        project.answer(item.id, truth[item.id], "ada")
        label_some(project, truth, 11)
        project.retrain(wait=True)
        run = project.status().runs[-1]
        assert run.n_train >= 8 and run.n_eval >= 1 and run.eval_accuracy >= 0.75
        X, rowids, _ = project._features.get(project._store)
        keys = project._store.item_keys()
        by_id = dict(zip(frame["id"], frame["vec"]))
        assert isinstance(X, np.ndarray) and X.dtype == np.float32 and X.shape == (40, 6)
        np.testing.assert_allclose(X, np.array([by_id[keys[int(r)]] for r in rowids]), rtol=1e-6)
        exported = project.export(tmp_path / "out.jsonl")
        bundle = project.save_model(tmp_path / "model.pkl")
    import pickle

    saved = pickle.loads((tmp_path / "model.pkl").read_bytes())
    assert bundle["n_train"] == run.n_train and saved["featurizer"].name == "vectors:vec"
    assert saved["model"].predict_proba(saved["featurizer"].transform_matrix([frame.at[0, "vec"]])).shape == (1, 2)
    rows = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert exported and rows  # the vectors stay with the item: data kept, not a feature shown


def test_bad_vectors_at_import_name_the_item_and_store_nothing(tmp_path):
    frame = blobs(10)
    path = tmp_path / "p.hilt"
    ragged = frame.copy()
    ragged.at[3, "vec"] = ragged.at[3, "vec"][:4]
    with pytest.raises(InputError, match="vector of 6 numbers in column 'vec' of item 'i03'.*got 4"):
        Project.create(path, ragged, LABELS, id_column="id", features="vectors:vec")
    assert not path.exists()
    with pytest.raises(InputError, match=r"vectors column of features 'vectors:emb' named 'emb'"):
        Project.create(path, frame, LABELS, id_column="id", features="vectors:emb")
    with Project.create(path, frame.drop(columns=["truth"]), LABELS, id_column="id", features="vectors:vec") as project:
        later = blobs(14, seed=3).iloc[10:].drop(columns=["truth"])
        later["vec"] = [v + [0.0] for v in later["vec"]]  # 7 numbers: not the project's 6
        with pytest.raises(InputError, match="vector of 6 numbers in column 'vec' of item 'i10'"):
            project.import_items(later)
        assert project.status().n_items == 10
        good = blobs(14, seed=3).iloc[10:].drop(columns=["truth"])
        assert project.import_items(good)["added"] == 4
        X, _, _ = project._features.get(project._store)
        assert X.shape == (14, 6)


def test_a_csv_cell_of_json_and_a_parquet_list_column(tmp_path):
    frame = blobs(12).drop(columns=["truth", "caption"])
    frame["file"] = [f"p{k:03d}.png" for k in range(12)]  # unique short words: data, not the text (nor ids)
    csv = tmp_path / "items.csv"
    frame.assign(vec=[json.dumps(v) for v in frame["vec"]]).to_csv(csv, index=False)
    with Project.create(tmp_path / "c.hilt", csv, LABELS, id_column="id", features="vectors:vec") as project:
        assert project.kind == "table" and project.feature_columns == []  # no column but the vectors
        assert project.shown_columns == ["file"]
        stored = project._store.item("i00").data["vec"]
        assert isinstance(stored, list) and stored == pytest.approx(frame.at[0, "vec"])  # kept as numbers
        X, _, _ = project._features.get(project._store)
        assert X.shape == (12, 6)
    parquet = tmp_path / "items.parquet"
    frame.to_parquet(parquet)
    with Project.create(tmp_path / "q.hilt", parquet, LABELS, id_column="id", features="vectors:vec") as project:
        X, _, _ = project._features.get(project._store)
        np.testing.assert_allclose(X[0], frame.at[0, "vec"], rtol=1e-6)


def test_an_npz_file_aligned_by_id_and_a_changed_file_rebuilds(tmp_path):
    frame = blobs(12)
    emb = tmp_path / "emb.npz"
    order = np.random.default_rng(0).permutation(12)  # the file's own order, not the items'
    vectors = np.array(frame["vec"].tolist())
    np.savez(emb, ids=frame["id"].to_numpy(dtype=str)[order], vectors=vectors[order])
    items = frame[["id", "caption"]]
    with pytest.raises(InputError, match=r"1 item has none, first: 'extra'"):
        Project.create(tmp_path / "x.hilt", pd.concat([items, pd.DataFrame({"id": ["extra"], "caption": ["?"]})]),
                       LABELS, id_column="id", features=f"vectors:{emb}")
    assert not (tmp_path / "x.hilt").exists()
    with Project.create(tmp_path / "p.hilt", items, LABELS, id_column="id", features=f"vectors:{emb}") as project:
        X, rowids, _ = project._features.get(project._store)
        np.testing.assert_allclose(X, vectors, rtol=1e-6)  # rows in the items' order, by id
        assert project.status().features == f"vectors:{emb.resolve()}"
    np.savez(emb, ids=frame["id"].to_numpy(dtype=str), vectors=vectors * 2)
    os.utime(emb, ns=(os.stat(emb).st_atime_ns, os.stat(emb).st_mtime_ns + 1_000_000))
    with Project.open(tmp_path / "p.hilt") as project:
        X, _, _ = project._features.get(project._store)
        assert project._features.last_source == "built"  # not the stale rows on disk
        np.testing.assert_allclose(X, vectors * 2, rtol=1e-6)


def test_tfidf_beside_vectors(tmp_path):
    frame = blobs(20)
    truth = dict(zip(frame["id"], frame["truth"]))
    with Project.create(tmp_path / "p.hilt", frame.drop(columns=["truth"]), LABELS, id_column="id",
                        features="tfidf+vectors:vec", retrain_every=1000, eval_share=0.0) as project:
        X, _, _ = project._features.get(project._store)
        tfidf, vectors = X.blocks
        assert tfidf.shape == (20, 11) and vectors.shape == (20, 6)  # "thing", 10..19 (one digit is no word)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 0.7, rtol=1e-5)
        label_some(project, truth, 8)
        project.retrain(wait=True)
        assert project.status().runs[-1].n_train == 8


@pytest.mark.parametrize("strategy", ["margin", "margin+diverse", "entropy+dense", "committee", "outlier", "cluster"])
def test_every_strategy_ranks_on_vectors(tmp_path, strategy):
    frame = blobs(40)
    truth = dict(zip(frame["id"], frame["truth"]))
    with Project.create(tmp_path / "p.hilt", frame.drop(columns=["truth", "caption"]), LABELS, id_column="id",
                        features="vectors:vec", strategy=strategy, retrain_every=1000, queue_size=10,
                        eval_share=0.0, seed=0) as project:
        label_some(project, truth, 10)
        project.retrain(wait=True)
        assert project.status().runs[-1].n_train == 10
        ranked = project._store.ranking(10)
        assert len(ranked) == 10


def test_hilt_init_and_simulate_with_vectors(tmp_path):
    frame = blobs(60)
    data = write_jsonl(tmp_path / "items.jsonl", frame)
    project = tmp_path / "p.hilt"
    result = hilt("init", project, "--data", data, "--labels", "low,high", "--id-column", "id",
                  "--features", "vectors:vec", "--hide-columns", "truth")
    assert result.returncode == 0, result.stderr
    said = " ".join((result.stdout + result.stderr).split())
    assert "features vectors:vec" in said and "The model uses: your vectors" in said
    message = user_error(hilt("init", tmp_path / "q.hilt", "--data", data, "--labels", "low,high",
                              "--features", "vectors:emb"))
    assert "vectors column of features 'vectors:emb' named 'emb'" in message
    result = hilt("simulate", data, "--label-column", "truth", "--features", "vectors:vec", "--strategies",
                  "margin,random", "--budget", "30", "--init", "6", "--batch", "6", "--seeds", "1",
                  "--json", tmp_path / "sim.json", "--no-plot", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "sim.json").read_text())
    assert report["settings"]["features"] == "vectors:vec"
    assert report["full_accuracy"] >= 0.9


@pytest.mark.xdist_group("dask")
@pytest.mark.parametrize("source", ["column", "file"])
def test_the_cluster_ranks_on_vectors_as_locally(tmp_path, dask_cluster, monkeypatch, source):
    """Dask partitions read the vectors as the local cache does: the same ranking, guess for guess."""
    import shutil

    monkeypatch.setenv("HILT_DASK_PARTITION_ITEMS", "50")  # three partitions of the 120 items
    frame = blobs(120, seed=5)
    truth = dict(zip(frame["id"], frame["truth"]))
    items = frame.drop(columns=["truth"])
    features = "vectors:vec"
    if source == "file":
        emb = tmp_path / "emb.npz"
        np.savez(emb, ids=frame["id"].to_numpy(dtype=str)[::-1], vectors=np.array(frame["vec"].tolist())[::-1])
        items, features = items.drop(columns=["vec"]), f"vectors:{emb}"
    first, second = tmp_path / "local.hilt", tmp_path / "dask.hilt"
    with Project.create(first, items, LABELS, id_column="id", features=features, retrain_every=100_000,
                        queue_size=60, seed=0) as project:
        label_some(project, truth, 20)
    shutil.copy(first, second)
    runs = []
    for path, scheduler in ((first, None), (second, dask_cluster.scheduler_address)):
        with Project.open(path, scheduler=scheduler) as project:
            project.retrain(wait=True)
            runs.append((project._store.ranking(60), project.status().runs[-1]))
            assert project._job.last_report.features_source in ("built", "memory", "disk")
    (local, local_run), (dask, dask_run) = runs
    assert len(local) == 60 and [r[0] for r in dask] == [r[0] for r in local]
    assert [r[2] for r in dask] == [r[2] for r in local]
    # (float32 products summed in other chunks: the same to about 1e-7)
    assert [r[1] for r in dask] == pytest.approx([r[1] for r in local], rel=1e-5, abs=1e-7)
    assert dask_run.n_train == local_run.n_train > 0 and dask_run.eval_accuracy == local_run.eval_accuracy

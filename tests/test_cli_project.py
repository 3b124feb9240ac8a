"""The real `hilt` executable: init, import, status, export with real files; user errors exit 2
with a clear message and no traceback."""

from __future__ import annotations

import csv
import json
import pickle
from pathlib import Path

import pytest

from hilt.project import Project

from helpers import REVIEWS, hilt, hilt_exe, user_error, write_csv


@pytest.fixture
def project(tmp_path, reviews_csv) -> Path:
    path = tmp_path / "reviews.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--label-column", "sentiment")
    assert result.returncode == 0, result.stderr
    return path


def test_init_then_status_json(project):
    result = hilt_exe("status", project, "--json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["n_items"] == len(REVIEWS)
    assert status["labels"] == ["pos", "neg"]
    assert status["kind"] == "text"
    assert status["by_label"] == {"pos": 1, "neg": 1}
    assert status["n_answered"] == 2


def test_init_reports_what_it_made(tmp_path, reviews_csv):
    path = tmp_path / "new.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos, neg", "--id-column", "id",
                  "--strategy", "entropy", "--retrain-every", "5", "--eval-share", "0.2")
    assert result.returncode == 0, result.stderr
    assert f"Created {path}: 8 text items, labels pos, neg, strategy entropy" in " ".join(result.stderr.split())
    assert f"hilt label {path}" in result.stderr
    with Project.open(path) as opened:
        assert opened.strategy == "entropy"


def test_status_tables(project):
    result = hilt("status", project)
    assert result.returncode == 0, result.stderr
    for word in ("items", "answered", "labels", "pos", "neg", "model runs"):
        assert word in result.stdout


def test_import_counts_added_duplicates_and_labelled(tmp_path, project):
    more = write_csv(
        tmp_path / "more.csv",
        [("r01", "already there", "pos"), ("r09", "Grand and moving.", "pos"),
         ("r10", "Tedious.", ""), ("r10", "Tedious again.", "")],
    )
    result = hilt("import", project, more, "--label-column", "sentiment", "--drop-duplicate-ids")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "2 added, 1 of them with a label; 1 already in the project" in message
    assert "1 row with a repeated id skipped" in message and "r10 (line 5)" in message
    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["n_items"] == len(REVIEWS) + 2


def test_export_csv_and_jsonl(tmp_path, project):
    with Project.open(project) as opened:
        item = opened.next_item("ana")
        opened.answer(item.id, "neg", "ana")
    out_csv = tmp_path / "labels.csv"
    result = hilt_exe("export", project, "-o", out_csv)
    assert result.returncode == 0, result.stderr
    assert "Wrote 3 rows" in result.stderr
    rows = list(csv.DictReader(out_csv.open(encoding="utf-8")))
    assert len(rows) == 3
    by_id = {row["item_id"] if "item_id" in row else row["id"]: row for row in rows}
    assert by_id[item.id]["label"] == "neg" and by_id[item.id]["annotator"] == "ana"
    out_jsonl = tmp_path / "labels.jsonl"
    assert hilt_exe("export", project, "--output", out_jsonl, "--all").returncode == 0
    lines = [json.loads(line) for line in out_jsonl.read_text().splitlines()]
    assert {line["label"] for line in lines} == {"pos", "neg"}


# --- user errors: exit 2, a clear message, no traceback --------------------------------------


def test_init_on_an_existing_project(tmp_path, project, reviews_csv):
    message = user_error(hilt("init", project, "--data", reviews_csv, "--labels", "pos,neg"))
    assert str(project) in message or project.name in message
    assert "exist" in message


def test_missing_project(tmp_path):
    missing = tmp_path / "nope.hilt"
    for command in (("status", missing), ("import", missing, tmp_path / "x.csv"),
                    ("export", missing, "-o", tmp_path / "x.csv")):
        message = user_error(hilt(*command))
        assert "nope.hilt" in message
    assert "nope.hilt" in user_error(hilt_exe("label", missing))  # and the real executable says so too


def test_init_missing_data_file(tmp_path):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", tmp_path / "gone.csv", "--labels", "a,b"))
    assert "gone.csv" in message and "no such file" in message
    assert not (tmp_path / "p.hilt").exists()  # nothing half-made is left behind


def test_init_missing_column_lists_columns(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--text-column", "review"))
    assert "'review'" in message and "id, text, sentiment" in message


def test_init_label_outside_labels(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "good,bad",
                              "--label-column", "sentiment"))
    assert "reviews.csv, line 2" in message and "'pos'" in message and "good, bad" in message


def test_init_needs_two_labels(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos"))
    assert "at least two labels" in message


def test_init_unknown_strategy(tmp_path, reviews_csv):
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--strategy", "psychic"))
    assert "psychic" in message and "margin" in message


def test_init_non_utf8_suggests_encoding_and_encoding_works(tmp_path):
    data = tmp_path / "fr.csv"
    data.write_bytes("text\nun caf\u00e9 tr\u00e8s bon\nmauvais\n".encode("latin-1"))
    message = user_error(hilt("init", tmp_path / "fr.hilt", "--data", data, "--labels", "bon,mauvais"))
    assert "fr.csv, line 2" in message and "--encoding latin-1" in message
    result = hilt("init", tmp_path / "fr.hilt", "--data", data, "--labels", "bon,mauvais", "--encoding", "latin-1")
    assert result.returncode == 0, result.stderr
    with Project.open(tmp_path / "fr.hilt") as opened:
        texts = {opened.next_item("a").data["text"], opened.next_item("b").data["text"]}
    assert "un caf\u00e9 tr\u00e8s bon" in texts


def test_init_malformed_jsonl(tmp_path):
    data = tmp_path / "r.jsonl"
    data.write_text('{"text": "fine"}\n{"text": "broken\n')
    message = user_error(hilt_exe("init", tmp_path / "p.hilt", "--data", data, "--labels", "a,b"))
    assert "r.jsonl, line 2" in message and "invalid JSON" in message


def test_import_malformed_csv_row(tmp_path, project):
    bad = tmp_path / "bad.csv"
    bad.write_text("id,text,sentiment\nr20,fine,\nr21,not, quoted,\n")
    message = user_error(hilt_exe("import", project, bad))
    assert "bad.csv, line 3" in message and "expected 3 fields" in message


def test_export_unknown_format(tmp_path, project):
    message = user_error(hilt("export", project, "-o", tmp_path / "labels.xlsx"))
    assert "labels.xlsx" in message or ".xlsx" in message


def test_not_a_project_file(tmp_path, reviews_csv):
    message = user_error(hilt("status", reviews_csv))
    assert "reviews.csv" in message


# --- issue 11 -----------------------------------------------------------------------------


def cancer_csv(tmp_path) -> Path:
    rows = [(10 + i * 0.5, 20 - i * 0.3, "malignant" if i % 3 else "benign") for i in range(12)]
    return write_csv(tmp_path / "cancer.csv", rows, header=("mean radius", "mean texture", "target"))


def test_init_refuses_a_label_column_as_the_text_and_the_fix_works(tmp_path):
    """Issue 11, defect 1: cancer.csv's `target` (the labels) was made the text annotators see."""
    data, path = cancer_csv(tmp_path), tmp_path / "c.hilt"
    message = user_error(hilt("init", path, "--data", data, "--labels", "malignant,benign"))
    assert "'target'" in message and "--label-column target" in message and "--text-column" in message
    assert not path.exists()
    result = hilt("init", path, "--data", data, "--labels", "malignant,benign", "--label-column", "target")
    assert result.returncode == 0, result.stderr
    assert "12 table items" in result.stderr and "Annotators will see: mean radius, mean texture." in result.stderr


def test_init_hides_a_label_like_column_says_so_and_shows_it_when_asked(tmp_path, reviews_csv):
    """Issue 11, defect 1: `sentiment` (label names) was shown beside the text without being asked."""
    path = tmp_path / "r.hilt"
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "Annotators will see: text (hidden: sentiment" in message
    assert "--label-column sentiment" in message
    with Project.open(path) as opened:
        assert set(opened.next_item("ana").data) == {"text"}
    result = hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                  "--show-columns", "sentiment", "--force")
    assert result.returncode == 0, result.stderr
    assert "Annotators will see: text, sentiment." in result.stderr
    with Project.open(path) as opened:
        assert set(opened.next_item("ana").data) == {"text", "sentiment"}
    message = user_error(hilt("init", tmp_path / "x.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--id-column", "id", "--hide-columns", "stars"))
    assert "'stars' is not among them" in message


def test_init_a_string_id_column_is_not_the_text(tmp_path):
    """Issue 11, defect 1: a column of unique short strings (an id) was taken as the text."""
    data = write_csv(tmp_path / "wine.csv", [(f"w{i:03d}", 12 + i / 10, 1 - i / 100) for i in range(10)],
                     header=("id", "alcohol", "hue"))
    message = user_error(hilt("init", tmp_path / "w.hilt", "--data", data, "--labels", "a,b"))
    assert "'id'" in message and "--id-column id" in message and "--text-column id" in message


def test_init_over_an_existing_file_needs_force(tmp_path, project, reviews_csv):
    """Issue 11, defect 9: the message advised Project.open / exist_ok=True; the CLI has --force."""
    message = user_error(hilt("init", project, "--data", reviews_csv, "--labels", "pos,neg"))
    assert "--force" in message and "exist_ok" not in message and "Project.open" not in message
    result = hilt("init", project, "--data", reviews_csv, "--labels", "yes,no", "--id-column", "id", "--force")
    assert result.returncode == 0, result.stderr
    with Project.open(project) as opened:
        assert opened.labels == ["yes", "no"] and opened.status()["n_answered"] == 0


def test_init_messages_fit_the_command_line(tmp_path, reviews_csv):
    """Issue 11, defect 9: "a id column", unquoted paths in "Next:", "a,,b" silently becoming a,b."""
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,neg",
                              "--id-column", "ref"))
    assert "an id column named 'ref'" in message
    message = user_error(hilt("init", tmp_path / "p.hilt", "--data", reviews_csv, "--labels", "pos,,neg"))
    assert "label 2 of 'pos,,neg' is empty" in message
    spaced = tmp_path / "my reviews.hilt"
    result = hilt("init", spaced, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id")
    assert result.returncode == 0, result.stderr
    assert f"Next: hilt label '{spaced}'" in result.stderr


def test_help_names_the_project_argument_the_same_way_everywhere():
    """Issue 11, defect 9: the help mixed `{project}` and `{PROJECT}`."""
    for command in ("init", "import", "status", "export"):
        usage = hilt(command, "--help").stdout
        assert "PROJECT" in usage and "{project}" not in usage, command


def test_import_stores_labels_of_items_already_there_and_names_repeated_ids(tmp_path, project):
    """Issue 11, defect 8: labels of known items were dropped as duplicates; repeated ids unnamed;
    identical texts not counted."""
    more = write_csv(
        tmp_path / "more.csv",
        [("r03", "The cast is wonderful and the script sings.", "pos"), ("r01", "already labelled", "neg"),
         ("r09", "Same words.", ""), ("r10", "Same words.", ""), ("r09", "repeated id", "")],
    )
    result = hilt("import", project, more, "--label-column", "sentiment", "--drop-duplicate-ids")
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    assert "2 added" in message and "2 already in the project" in message
    assert "1 stored (as annotator 'import')" in message and "1 not applied" in message
    assert "1 row with a repeated id skipped (the first copy is kept): r09 (line 6)" in message
    assert "1 row repeats the text of an earlier row" in message
    status = json.loads(hilt("status", project, "--json").stdout)
    assert status["by_label"] == {"pos": 2, "neg": 1}  # r03 got its label; r01 kept its own


def test_export_to_stdout_parquet_and_force(tmp_path, project):
    """Issue 11, defect 10: `-o -` and .parquet were refused; an existing file was overwritten silently."""
    result = hilt("export", project, "-o", "-")
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert {line["label"] for line in lines} == {"pos", "neg"} and "standard output" in result.stderr
    result = hilt("export", project, "-o", "-", "--format", "csv")
    assert result.stdout.splitlines()[0].startswith("item_id,label,annotator")
    out = tmp_path / "labels.parquet"
    assert hilt("export", project, "-o", out).returncode == 0
    import pandas as pd

    assert sorted(pd.read_parquet(out)["label"]) == ["neg", "pos"]
    message = user_error(hilt("export", project, "-o", out))
    assert "labels.parquet exists" in message and "--force" in message
    assert hilt("export", project, "-o", out, "--force").returncode == 0


def test_export_predictions_and_the_model(tmp_path, project):
    """Issue 11, features: `hilt export --predictions` (every item's predicted label and probability)
    and `--model FILE` (a pickle of the fitted model and its featurizer, with the trust note)."""
    out = tmp_path / "predictions.csv"
    result = hilt("export", project, "-o", out, "--predictions", "--model", tmp_path / "model.pkl")
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert len(rows) == len(REVIEWS) and {row["predicted"] for row in rows} <= {"pos", "neg"}
    for row in rows:
        assert float(row["probability"]) == max(float(row["prob_pos"]), float(row["prob_neg"]))
    assert {row["item_id"]: row["label"] for row in rows}["r01"] == "pos"
    message = " ".join(result.stderr.split())
    assert "Wrote 8 predictions" in message and "trained on 2 labels" in message and "runs code" in message
    import pickle

    bundle = pickle.loads((tmp_path / "model.pkl").read_bytes())
    probs = bundle["model"].predict_proba(bundle["featurizer"].transform_matrix(["A delight, warm and funny."]))
    assert bundle["labels"] == ["pos", "neg"] and probs.shape == (1, 2)
    message = user_error(hilt("export", project, "--model", tmp_path / "model.pkl"))
    assert "model.pkl exists" in message and "--force" in message
    assert "-o FILE" in user_error(hilt("export", project))


def test_predictions_need_two_kinds_of_labels(tmp_path, reviews_csv):
    """Issue 11, features: predictions before any model is possible are a clear user error."""
    path = tmp_path / "cold.hilt"
    assert hilt("init", path, "--data", reviews_csv, "--labels", "pos,neg", "--id-column", "id",
                "--features", "tfidf").returncode == 0
    message = user_error(hilt("export", path, "-o", "-", "--predictions"))
    assert "at least two different kinds" in message


def test_help_shows_no_bool_placeholder_for_flags():
    """Issue 11, defect 9: flags (--json, --force, --help) were shown with a `<bool>` value placeholder."""
    for command in ([], ["status"], ["export"], ["init"], ["annotator", "list"]):
        result = hilt(*command, "--help")
        assert result.returncode == 0, result.stderr
        assert "<bool>" not in result.stdout and "--help" in result.stdout, command


def digits_csv(tmp_path: Path) -> Path:
    """scikit-learn's digits (first 300) as a CSV nobody here wrote: an integer ``digit`` and 64 pixels."""
    from sklearn.datasets import load_digits

    bunch = load_digits(as_frame=True)
    frame = bunch.data.rename(columns=lambda c: "px" + c.replace("pixel_", "").replace("_", "")).iloc[:300]
    frame.insert(0, "digit", bunch.target.iloc[:300].astype(int))
    path = tmp_path / "digits.csv"
    frame.to_csv(path, index=False)
    return path


DIGIT_LABELS = ",".join(str(d) for d in range(10))


def test_init_never_uses_nor_shows_an_integer_label_column(tmp_path):
    """Issue 21, defect 1: `digit` (the labels as integers) was shown first and was the model's first feature."""
    data, path = digits_csv(tmp_path), tmp_path / "d.hilt"
    result = hilt("init", path, "--data", data, "--labels", DIGIT_LABELS)
    assert result.returncode == 0, result.stderr
    message = " ".join(result.stderr.split())
    uses = message.split("The model uses: ")[1].split(" (change with")[0]
    assert "digit" not in uses and uses.endswith("columns)") and len(uses) < 80  # shortened, not 64 names
    assert "Column digit holds only label names" in message and "--label-column digit" in message
    with Project.open(path) as opened:
        assert "digit" not in opened.feature_columns
        assert "digit" not in opened.next_item("ana").data
        used = list(opened.feature_columns)
        for n, item_id in enumerate(["0", "1", "2", "3", "10", "11", "12", "13"]):
            opened.answer(item_id, str(n % 2), "ana")
    model = tmp_path / "m.pickle"
    result = hilt("export", path, "-o", tmp_path / "labels.csv", "--model", model)
    assert result.returncode == 0, result.stderr
    with open(model, "rb") as saved:
        bundle = pickle.load(saved)
    assert bundle["feature_columns"] == used and len(used) == 64  # every pixel, the blank border too


def test_init_with_the_label_column_named_uses_every_pixel_and_imports_the_labels(tmp_path):
    data, path = digits_csv(tmp_path), tmp_path / "d.hilt"
    result = hilt("init", path, "--data", data, "--labels", DIGIT_LABELS, "--label-column", "digit",
                  "--features", "scale")
    assert result.returncode == 0, result.stderr
    with Project.open(path) as opened:
        assert len(opened.feature_columns) == 64 and "digit" not in opened.feature_columns
        assert opened.status()["n_answered"] == 300


def test_init_feature_and_exclude_columns_say_what_the_model_uses(tmp_path):
    data = digits_csv(tmp_path)
    result = hilt("init", tmp_path / "a.hilt", "--data", data, "--labels", DIGIT_LABELS, "--label-column", "digit",
                  "--features", "scale", "--feature-columns", "px00,px01,px02")
    assert result.returncode == 0, result.stderr
    assert "The model uses: px00, px01, px02 (change with" in " ".join(result.stderr.split())
    with Project.open(tmp_path / "a.hilt") as opened:
        assert opened.feature_columns == ["px00", "px01", "px02"]
    result = hilt("init", tmp_path / "b.hilt", "--data", data, "--labels", DIGIT_LABELS, "--label-column", "digit",
                  "--features", "scale", "--exclude-columns", "px00,px01")
    assert result.returncode == 0, result.stderr
    with Project.open(tmp_path / "b.hilt") as opened:
        assert len(opened.feature_columns) == 62 and "px00" not in opened.feature_columns
    message = user_error(hilt("init", tmp_path / "c.hilt", "--data", data, "--labels", DIGIT_LABELS,
                              "--exclude-columns", "px99"))
    assert "'px99' is not among them" in message and "The columns are: digit, px00" in message
    assert not (tmp_path / "c.hilt").exists()


def test_init_refuses_an_id_column_with_repeats_unless_asked_to_drop_them(tmp_path, reviews_csv):
    """Issue 21, defect 4: --id-column naming a 3-value column made a 3-item project and exited 0."""
    rows = [(f"topic{i % 3}", f"text number {i}") for i in range(30)]
    data = write_csv(tmp_path / "t.csv", rows, header=("topic", "text"))
    path = tmp_path / "t.hilt"
    message = user_error(hilt("init", path, "--data", data, "--labels", "a,b", "--id-column", "topic"))
    assert "27 rows repeat the id of an earlier row (3 distinct ids in 30 rows)" in message
    assert "'topic0' (line 5, first on line 2)" in message and "--drop-duplicate-ids" in message
    assert not path.exists()
    result = hilt("init", path, "--data", data, "--labels", "a,b", "--id-column", "topic", "--drop-duplicate-ids")
    assert result.returncode == 0, result.stderr
    with Project.open(path) as opened:
        assert opened.status()["n_items"] == 3

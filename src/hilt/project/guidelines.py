"""A project's guidelines and label descriptions: what annotators read before and while they label.

The guidelines are one Markdown text per project (:meth:`Guides.set_guidelines`, ``hilt config
PROJECT guidelines=FILE``), kept in the project's meta with the HTML it renders to: rendered once
per change (:func:`render_markdown`), never per page. The labelling and review pages show the
HTML in a panel (``?`` opens and closes it), ``hilt label`` the Markdown on ``?``.

The rendering is safe to put in a page as it is, whoever wrote the text: raw HTML is off (a
``<script>`` or ``<img onerror=…>`` in the Markdown is shown as the text it is), links go only to
``http``, ``https``, ``mailto`` or a relative address (no ``javascript:``, ``data:``, ``vbscript:``
or ``file:``), and images are not loaded: an image is shown as a link to it (its alt text, or the
address), so nothing is fetched from another site while a person labels.

Label descriptions are one short line of plain text per label (:meth:`Guides.set_label_descriptions`,
:meth:`Guides.describe_label`): a label button's tooltip and the small line under it, and the
key list of ``hilt label`` on ``?``. Neither setting touches training: no retrain, no restart.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping

from hilt.errors import InputError
from hilt.store import utc_now

if TYPE_CHECKING:
    from hilt.store import Store

__all__ = ["ALLOWED_SCHEMES", "Guidelines", "Guides", "MAX_DESCRIPTION_CHARS", "MAX_GUIDELINES_CHARS",
           "check_descriptions", "read_descriptions_file", "read_text_file", "render_markdown", "renamed_descriptions",
           "safe_link"]

#: The link schemes guidelines may use (besides relative addresses).
ALLOWED_SCHEMES = ("http", "https", "mailto")
#: The longest guidelines text taken (characters): a handbook, not a data set.
MAX_GUIDELINES_CHARS = 200_000
#: The longest label description (characters): it sits under a button.
MAX_DESCRIPTION_CHARS = 300

# A scheme is letters, digits, +, - and . before the first colon (RFC 3986), checked on the
# address as the browser would read it: leading spaces and control characters dropped.
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def safe_link(url: str) -> bool:
    """Whether ``url`` may be a link in the guidelines: ``http``, ``https`` or ``mailto``, or a
    relative address whose first part holds no colon (which a browser could read as a scheme).

    Examples
    --------
    >>> safe_link("https://example.org/guide"), safe_link("mailto:lead@example.org"), safe_link("#rules")
    (True, True, True)
    >>> safe_link("javascript:alert(1)"), safe_link(" JaVaScRiPt:alert(1)"), safe_link("data:text/html,x")
    (False, False, False)
    >>> safe_link("java\\tscript:alert(1)"), safe_link("./notes:1")
    (False, True)
    """
    cleaned = _CONTROL.sub("", url)
    match = _SCHEME.match(cleaned)
    if match:
        return match.group(1).lower() in ALLOWED_SCHEMES
    first = re.split(r"[/?#]", cleaned, maxsplit=1)[0]
    return ":" not in first


def _markdown() -> Any:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False})
    md.validateLink = safe_link  # instead of markdown-it's own list, which lets data:image through
    default_link = md.renderer.rules.get("link_open")

    def link_open(tokens: Any, idx: int, options: Any, env: Any) -> str:
        # A guideline link opens beside the labelling page, which stays where it was.
        tokens[idx].attrSet("target", "_blank")
        tokens[idx].attrSet("rel", "noopener noreferrer nofollow")
        if default_link is not None:
            return default_link(tokens, idx, options, env)
        return md.renderer.renderToken(tokens, idx, options, env)

    def image(tokens: Any, idx: int, options: Any, env: Any) -> str:
        # Images are never loaded (nothing fetched from elsewhere while people label): a link instead.
        token = tokens[idx]
        src = token.attrGet("src") or ""
        alt = md.renderer.renderInlineAsText(token.children or [], options, env) or src
        escaped = _escape(alt)
        if not src or not safe_link(src):
            return escaped
        return (f'<a href="{_escape(src)}" target="_blank" rel="noopener noreferrer nofollow" '
                f'class="guidelines-image">{escaped}</a>')

    md.renderer.rules["link_open"] = link_open
    md.renderer.rules["image"] = image
    return md


def _escape(text: str) -> str:
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;").replace("'", "&#39;"))


def render_markdown(text: str) -> str:
    """``text`` (CommonMark) as HTML that is safe to put in a page as it is: no raw HTML, links
    only to :data:`ALLOWED_SCHEMES` or relative addresses (opening in a new tab), images as links.

    Examples
    --------
    >>> print(render_markdown("**Sarcasm** is *neg*. <script>alert(1)</script>").strip())
    <p><strong>Sarcasm</strong> is <em>neg</em>. &lt;script&gt;alert(1)&lt;/script&gt;</p>
    >>> render_markdown("[a](javascript:alert(1))")
    '<p>[a](javascript:alert(1))</p>\\n'
    >>> render_markdown("![cat](https://example.org/cat.png)")
    '<p><a href="https://example.org/cat.png" target="_blank" rel="noopener noreferrer nofollow" class="guidelines-image">cat</a></p>\\n'
    """
    return _markdown().render(text)


@dataclass(frozen=True)
class Guidelines:
    """A project's guidelines: the Markdown as given, the HTML it renders to, where it came from.

    Attributes
    ----------
    markdown : str
    html : str
        :func:`render_markdown` of ``markdown``, made when it was set.
    source : str or None
        The file's name it was read from (``None``: given as text).
    updated_at : str
        When it was set (ISO UTC): the pages open the panel again for everyone after a change.
    """

    markdown: str
    html: str
    source: str | None
    updated_at: str

    def to_meta(self) -> dict[str, Any]:
        return {"markdown": self.markdown, "html": self.html, "source": self.source, "updated_at": self.updated_at}

    @classmethod
    def from_meta(cls, value: Any) -> "Guidelines | None":
        if not isinstance(value, dict) or not value.get("markdown"):
            return None
        return cls(str(value["markdown"]), str(value.get("html") or render_markdown(value["markdown"])),
                   value.get("source"), str(value.get("updated_at") or ""))


def read_text_file(path: str | os.PathLike, what: str) -> str:
    """The UTF-8 text of the file at ``path``, or an :class:`InputError` that says what is wrong
    (missing, a folder, not UTF-8: with the line of the first bad byte and how to fix it)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"Expected {what} in a file at {str(path)!r}; there is "
                         f"{'a folder' if path.is_dir() else 'no such file'}.")
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[:error.start].count(b"\n") + 1
        raise InputError(
            f"Expected {what} as UTF-8 text; {path.name!r} has byte 0x{raw[error.start]:02x} at line {line}, "
            "which is not UTF-8. Save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8) and set it again."
        ) from None


def read_descriptions_file(path: str | os.PathLike) -> dict[str, str]:
    """A JSON object ``{"label": "description", …}`` read from ``path`` (not yet checked
    against the labels: :func:`check_descriptions` does that)."""
    text = read_text_file(path, "label descriptions (a JSON object of label: text)")
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"Expected label descriptions as a JSON object like {{\"pos\": \"Praise\"}}; "
                         f"{Path(path).name!r} is not valid JSON at line {error.lineno}, column {error.colno}: "
                         f"{error.msg}.") from None
    if not isinstance(value, dict):
        raise InputError(f"Expected label descriptions as a JSON object like {{\"pos\": \"Praise\"}}; "
                         f"{Path(path).name!r} holds a JSON {type(value).__name__}.")
    return value


def check_descriptions(descriptions: Any, labels: list[str]) -> dict[str, str]:
    """``descriptions`` checked: a mapping of the project's labels to one line of text each
    (spaces and line breaks run together; an empty text leaves the label without one), in the
    labels' order.

    Examples
    --------
    >>> check_descriptions({"neg": " Any  complaint\\n at all ", "pos": ""}, ["pos", "neg"])
    {'neg': 'Any complaint at all'}
    >>> check_descriptions({"meh": "So-so"}, ["pos", "neg"])
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected label descriptions for the project's labels (pos, neg); got 'meh', which is not one of them.
    """
    if not isinstance(descriptions, Mapping):
        raise InputError(f"Expected label descriptions as a mapping of label to text; got {descriptions!r}.")
    checked: dict[str, str] = {}
    for label, value in descriptions.items():
        if label not in labels:
            raise InputError(f"Expected label descriptions for the project's labels ({', '.join(labels)}); "
                             f"got {label!r}, which is not one of them.")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise InputError(f"Expected the description of {label!r} to be text; got {value!r}.")
        line = " ".join(value.split())
        if len(line) > MAX_DESCRIPTION_CHARS:
            raise InputError(f"Expected the description of {label!r} to be at most {MAX_DESCRIPTION_CHARS} "
                             f"characters (one line under its button); got {len(line)}. Put the details in "
                             "the guidelines.")
        if line:
            checked[label] = line
    return {label: checked[label] for label in labels if label in checked}


class Guides:
    """The guidelines and label descriptions of the project in ``store`` (read from its meta at
    each call, so a change made by ``hilt config`` reaches a running ``hilt serve``'s next page)."""

    def __init__(self, store: "Store", config: Any):  # config: hilt.project.configuration.Configuration
        self._store = store
        self._config = config

    def guidelines(self) -> Guidelines | None:
        """The project's :class:`Guidelines`, or ``None`` when it has none."""
        return Guidelines.from_meta(self._store.meta().get("guidelines"))

    def set_guidelines(self, source: str | os.PathLike | None) -> Guidelines | None:
        """Set the guidelines: a path (``pathlib.Path`` or any ``os.PathLike``) is read as a UTF-8
        Markdown file, a ``str`` is the Markdown itself; ``None`` or an empty string removes them.
        Returns what is set (``None`` when removed).

        Raises :class:`~hilt.errors.InputError` for a file that is missing, not UTF-8, empty, or
        longer than :data:`MAX_GUIDELINES_CHARS`; nothing changes then.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     print(project.set_guidelines("Sarcasm is **neg**.").html.strip())
        ...     project.set_guidelines(None), project.guidelines
        <p>Sarcasm is <strong>neg</strong>.</p>
        (None, None)
        """
        if source is None or (isinstance(source, str) and not source.strip()):
            self._store.set_meta("guidelines", None)
            return None
        name = None
        if isinstance(source, os.PathLike):
            text = read_text_file(source, "guidelines (Markdown)")
            name = Path(source).name
            if not text.strip():
                raise InputError(f"Expected Markdown text in {name!r}; the file is empty. To remove the "
                                 "guidelines, set them to nothing (hilt config PROJECT guidelines=).")
        elif isinstance(source, str):
            text = source
        else:
            raise InputError(f"Expected the guidelines as Markdown text or a file path; got {source!r}.")
        if len(text) > MAX_GUIDELINES_CHARS:
            raise InputError(f"Expected guidelines of at most {MAX_GUIDELINES_CHARS:,} characters; got "
                             f"{len(text):,}{f' in {name!r}' if name else ''}. Link to a longer handbook instead.")
        guidelines = Guidelines(text, render_markdown(text), name, utc_now())
        self._store.set_meta("guidelines", guidelines.to_meta())
        return guidelines

    def label_descriptions(self) -> dict[str, str]:
        """Label -> its description, for the labels that have one, in the labels' order."""
        stored = self._store.meta().get("label_descriptions") or {}
        return {label: stored[label] for label in self._config.settings.labels if stored.get(label)}

    def set_label_descriptions(self, descriptions: Mapping[str, str] | None) -> dict[str, str]:
        """Replace every label description with ``descriptions`` (label -> one line of text;
        ``None`` or ``{}`` removes them all). Returns :meth:`label_descriptions`.

        Raises :class:`~hilt.errors.InputError` for a label the project does not have, a value
        that is not text, or one longer than :data:`MAX_DESCRIPTION_CHARS`; nothing changes then.
        """
        checked = check_descriptions(descriptions or {}, list(self._config.settings.labels))
        self._store.set_meta("label_descriptions", checked)
        return self.label_descriptions()

    def describe_label(self, label: str, description: str | None) -> dict[str, str]:
        """Set one label's description (``None`` or ``""`` removes it), keeping the others.

        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> from hilt import Project
        >>> frame = pd.DataFrame({"text": ["good", "bad"]})
        >>> with Project.create(pathlib.Path(tempfile.mkdtemp()) / "p.hilt", frame, ["pos", "neg"]) as project:
        ...     _ = project.describe_label("neg", "Any complaint, sarcasm too")
        ...     project.describe_label("pos", "Praise")
        {'pos': 'Praise', 'neg': 'Any complaint, sarcasm too'}
        """
        current = self.label_descriptions()
        return self.set_label_descriptions({**current, label: description or ""})


def renamed_descriptions(meta: Mapping[str, Any], old: str, new: str) -> dict[str, str] | None:
    """The stored label descriptions with ``old`` renamed ``new`` (for :meth:`hilt.Project.configure`'s
    ``rename``), or ``None`` when ``old`` has none (nothing to write).

    Examples
    --------
    >>> renamed_descriptions({"label_descriptions": {"neg": "Bad"}}, "neg", "negative")
    {'negative': 'Bad'}
    >>> renamed_descriptions({}, "neg", "negative") is None
    True
    """
    stored = dict(meta.get("label_descriptions") or {})
    if old not in stored:
        return None
    return {new if label == old else label: text for label, text in stored.items()}

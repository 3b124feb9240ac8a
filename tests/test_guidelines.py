"""Guidelines and label descriptions: safe rendering of hostile Markdown, the Project API, hilt
config, the pages of every task and the terminal's ?."""

from __future__ import annotations

import io
import json
from html.parser import HTMLParser

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from helpers import hilt, user_error
from hilt.cli._label_loop import run_label_loop
from hilt.errors import InputError
from hilt.project import Project
from hilt.project.guidelines import MAX_DESCRIPTION_CHARS, render_markdown, safe_link
from hilt.server import create_app

HOSTILE = """# Rules <script>alert('h1')</script>

<script>window.__pwned = 1</script>
<img src=x onerror="window.__pwned = 2">
<a href="javascript:alert(3)">raw link</a>
<div onclick="alert(4)" style="background:url(javascript:alert(5))">raw div</div>
<iframe src="https://evil.example"></iframe>

[click](javascript:alert(6)) [upper](JAVASCRIPT:alert(7)) [tab](java\tscript:alert(8))
[spaced]( javascript:alert(9)) [entity](&#106;avascript:alert(10)) [hex](&#x6A;avascript:alert(11))
[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxMik8L3NjcmlwdD4=) [vb](vbscript:msgbox(13))
[file](file:///etc/passwd) <javascript:alert(14)> <data:text/html,hi>
![img](javascript:alert(15)) ![pic](data:image/png;base64,AAAA) ![remote](https://evil.example/x.png)
[[nested](javascript:alert(16))](https://ok.example) [a [b] c](https://ok.example/?q="x"onmouseover=alert(17))
&lt;script&gt;alert(18)&lt;/script&gt; &#60;img src=x onerror=alert(19)&#62; &amp;lt;b&amp;gt;
[ref]: javascript:alert(20)
See [ref] and [ok](https://ok.example/path) and [mail](mailto:lead@example.org) and [rel](notes.html#x).
"""

ALLOWED_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "em", "strong", "code", "pre", "ul", "ol", "li",
                "blockquote", "hr", "br"}


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def elements(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    parser.close()
    return parser


def test_hostile_markdown_renders_to_no_live_markup():
    html = render_markdown(HOSTILE)
    parsed = elements(html)
    tags = {tag for tag, _ in parsed.tags}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS  # no script, img, iframe, div, style …
    hrefs = []
    for tag, attrs in parsed.tags:
        assert not any(name.startswith("on") for name in attrs), (tag, attrs)
        assert set(attrs) <= {"href", "target", "rel", "class"}, (tag, attrs)
        if "href" in attrs:
            href = attrs["href"] or ""
            hrefs.append(href)
            assert safe_link(href), href
            assert href.split(":", 1)[0].lower() in ("https", "mailto") or ":" not in href.split("/", 1)[0], href
    # The good links are links; every bad one is text.
    assert "https://ok.example/path" in hrefs and "mailto:lead@example.org" in hrefs and "notes.html#x" in hrefs
    assert "https://evil.example/x.png" in hrefs  # an image is a link to it, never loaded
    assert not any("script" in href.lower() or href.lower().startswith(("data:", "file:")) for href in hrefs)
    # The markup people wrote shows as the text it is: entities stay text, never become tags.
    text = "".join(parsed.text)
    assert "<script>window.__pwned = 1</script>" in text and "<script>alert(18)</script>" in text
    assert "<img src=x onerror=alert(19)>" in text and "&lt;b&gt;" in text


@pytest.mark.parametrize("url, ok", [
    ("https://a.example", True), ("http://a.example", True), ("mailto:x@y", True), ("/rel", True),
    ("rel/path:1", True), ("?q=1", True), ("#top", True), ("javascript:x", False), ("JavaScript:x", False),
    ("\x01javascript:x", False), ("java\nscript:x", False), ("data:image/png;base64,AA", False),
    ("vbscript:x", False), ("file:///etc", False), ("ftp://x", False), ("c:evil", False),
])
def test_only_web_mail_and_relative_links(url, ok):
    assert safe_link(url) is ok


def a_project(tmp_path, task="single", labels=("pos", "neg"), name="p.hilt"):
    frame = pd.DataFrame({"id": [f"r{k}" for k in range(6)],
                          "text": [f"Ana Lima met Bo in Porto, review {k}" for k in range(6)]})
    return Project.create(tmp_path / name, frame, list(labels), id_column="id", eval_share=0, features="tfidf",
                          retrain_every=100, task=task)


def test_project_guidelines_and_descriptions_need_no_restart(tmp_path):
    guide = tmp_path / "guide.md"
    guide.write_text("Sarcasm is **neg**.\n", encoding="utf-8")
    with a_project(tmp_path) as project:
        worker = project._worker
        set_to = project.set_guidelines(guide)
        assert set_to.source == "guide.md" and "<strong>neg</strong>" in set_to.html
        assert project.describe_label("neg", "  Any complaint,\n sarcasm too ") == {"neg": "Any complaint, sarcasm too"}
        assert project.set_label_descriptions({"pos": "Praise", "neg": "Complaint"}) == {"pos": "Praise",
                                                                                          "neg": "Complaint"}
        assert project.describe_label("pos", "") == {"neg": "Complaint"}
        assert project._worker is worker  # training was not restarted
        with pytest.raises(InputError, match="'meh', which is not one of them"):
            project.describe_label("meh", "So-so")
        with pytest.raises(InputError, match=f"at most {MAX_DESCRIPTION_CHARS}"):
            project.describe_label("neg", "x" * (MAX_DESCRIPTION_CHARS + 1))
        with pytest.raises(InputError, match="Expected the description of 'neg' to be text"):
            project.set_label_descriptions({"neg": 3})
        assert project.label_descriptions == {"neg": "Complaint"}  # a refused change changes nothing
        # A renamed label keeps its description; the text itself can be given as a str.
        project.configure(rename=("neg", "negative"))
        assert project.label_descriptions == {"negative": "Complaint"}
        assert project.set_guidelines("plain *text*").source is None
    with Project.open(tmp_path / "p.hilt") as project:  # kept in the project
        assert project.guidelines.markdown == "plain *text*"
        assert project.set_guidelines("") is None and project.guidelines is None


def test_guideline_files_that_cannot_be_read_are_clear_errors(tmp_path):
    latin = tmp_path / "latin.md"
    latin.write_bytes("# Regeln\n\nÜberall **neg**.\n".encode("latin-1"))
    empty = tmp_path / "empty.md"
    empty.write_text("  \n", encoding="utf-8")
    with a_project(tmp_path) as project:
        with pytest.raises(InputError, match=r"byte 0xdc at line 3, which is not UTF-8"):
            project.set_guidelines(latin)
        with pytest.raises(InputError, match="the file is empty"):
            project.set_guidelines(empty)
        with pytest.raises(InputError, match="no such file"):
            project.set_guidelines(tmp_path / "missing.md")
        assert project.guidelines is None


def test_hilt_config_sets_and_removes_guidelines_and_descriptions(tmp_path):
    a_project(tmp_path).close()
    path = tmp_path / "p.hilt"
    (tmp_path / "guide.md").write_text("# How\n\nSarcasm is neg.\n", encoding="utf-8")
    (tmp_path / "labels.json").write_text(json.dumps({"pos": "Praise, even faint"}), encoding="utf-8")
    done = hilt("config", path, "guidelines=guide.md", "label_descriptions=labels.json",
                "describe=neg:Any complaint: sarcasm too", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "characters of Markdown from guide.md" in done.stdout and "(changed)" in done.stdout
    assert "label_descriptions" in done.stdout and "pos: Praise" in done.stdout
    assert "no restart" in done.stderr
    with Project.open(path) as project:
        assert project.guidelines.markdown.startswith("# How")
        assert project.label_descriptions == {"pos": "Praise, even faint", "neg": "Any complaint: sarcasm too"}

    assert "'meh', which is not one of them" in user_error(hilt("config", path, "describe=meh:So-so"))
    assert "Expected describe to be LABEL:TEXT" in user_error(hilt("config", path, "describe=neg"))
    (tmp_path / "bad.json").write_text('{"pos": "x",\n "neg" "y"}', encoding="utf-8")
    said = user_error(hilt("config", path, "label_descriptions=bad.json", cwd=tmp_path))
    assert "not valid JSON at line 2, column 8" in said
    (tmp_path / "list.json").write_text('["pos"]', encoding="utf-8")
    assert "holds a JSON list" in user_error(hilt("config", path, "label_descriptions=list.json", cwd=tmp_path))
    # A file that cannot be read changes nothing, not even the settings beside it.
    said = user_error(hilt("config", path, "retrain_every=7", "guidelines=missing.md", cwd=tmp_path))
    assert "'missing.md'; there is no such file" in said
    with Project.open(path) as project:
        assert project.retrain_every == 100 and project.guidelines is not None

    removed = hilt("config", path, "guidelines=", "label_descriptions=")
    assert removed.returncode == 0, removed.stderr
    with Project.open(path) as project:
        assert project.guidelines is None and project.label_descriptions == {}


@pytest.mark.parametrize("task, labels", [("single", ("pos", "neg")), ("multilabel", ("pos", "neg", "meh")),
                                          ("spans", ("PER", "LOC"))])
def test_every_page_shows_the_guidelines_and_the_descriptions(tmp_path, task, labels):
    with a_project(tmp_path, task, labels) as project:
        project.set_guidelines("Mark <b>people</b> with **care**.\n\n[x](javascript:alert(1))")
        project.describe_label(labels[1], 'Places & "regions"')
        token = project.add_annotator("rita", reviewer=True)
        with TestClient(create_app(project)) as client:
            for page in ("/", "/review"):
                html = client.get(page, headers={"Authorization": f"Bearer {token}"}).text
                parsed = elements(html)
                assert any(tag == "section" and attrs.get("id") == "guidelines" for tag, attrs in parsed.tags)
                assert any(attrs.get("id") == "guidelines-toggle" for _, attrs in parsed.tags)
                assert "<strong>care</strong>" in html and "&lt;b&gt;people&lt;/b&gt;" in html
                assert "javascript:" not in html.split('id="guidelines"')[1].split("</section>")[0].replace(
                    "[x](javascript:alert(1))", "")
                buttons = {attrs["data-label"]: attrs for tag, attrs in parsed.tags
                           if tag == "button" and "data-label" in attrs}
                assert buttons[labels[1]]["title"] == 'Places & "regions"'
                assert "title" not in buttons[labels[0]]
                assert 'class="choice-description">Places &amp; &#34;regions&#34;</small>' in html
                assert 'src="/static/timing.js" data-idle-seconds="60.0"' in html


def test_a_page_without_guidelines_has_no_panel(tmp_path):
    with a_project(tmp_path) as project:
        token = project.add_annotator("ana")
        with TestClient(create_app(project)) as client:
            html = client.get("/", headers={"Authorization": f"Bearer {token}"}).text
    assert 'id="guidelines"' not in html and "choice-description" not in html


def test_the_terminal_shows_guidelines_and_descriptions_on_question_mark(tmp_path):
    with a_project(tmp_path) as project:
        project.set_guidelines("# Rules\n\nSarcasm is **neg**.\x1b[2J")
        project.describe_label("neg", "Any complaint")
        out = io.StringIO()
        run_label_loop(project, "ana", iter(["?", "2", "q"]), Console(file=out, width=100), wait_for_model=0)
        answers = project.export_rows(include_retracted=True)
    shown = out.getvalue()
    assert "Rules" in shown and "Sarcasm is neg" in shown and "\x1b[2J" not in shown
    assert "[2] neg  Any complaint" in shown and "? this help" in shown
    assert [row["label"] for row in answers] == ["neg"]  # ? was no answer

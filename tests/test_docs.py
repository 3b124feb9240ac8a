"""The documentation site: it builds offline with ``mkdocs build --strict`` (a broken link, a
missing anchor or a docstring that cannot be rendered fails), its command-line reference covers
every command, it loads nothing from the network, its Python examples run, and the README stays
short and links every page.

Python examples: every fenced ``python`` block of a page under docs/ runs, the page's blocks in
order in one namespace, in a fresh folder holding the bundled movie reviews as ``reviews.csv``;
a block preceded by the line ``<!-- not run -->`` is shown only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from hilt.datasets import load_movie_reviews

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
README = ROOT / "README.md"
MKDOCS_YML = ROOT / "mkdocs.yml"
NOT_RUN = "<!-- not run -->"
README_MAX_LINES = 250

#: The build and the tests that read it share one worker under pytest-xdist (one build).
site_group = pytest.mark.xdist_group("docs-site")


def _hooks():
    """docs/hooks.py, the build hook that renders the CLI and HTTP reference."""
    spec = importlib.util.spec_from_file_location("hilt_docs_hooks", DOCS / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _nav_pages() -> list[str]:
    """Every page of mkdocs.yml's nav, as paths under docs/."""
    def walk(entry) -> list[str]:
        if isinstance(entry, str):
            return [entry]
        if isinstance(entry, list):
            return [page for item in entry for page in walk(item)]
        if isinstance(entry, dict):
            return [page for value in entry.values() for page in walk(value)]
        return []

    return walk(yaml.safe_load(MKDOCS_YML.read_text(encoding="utf-8"))["nav"])


def _built(site: Path, page: str) -> str:
    """The HTML of a nav page (``reference/cli.md``) in the built site."""
    stem = page[: -len(".md")]
    folder = stem[: -len("index")] if stem == "index" or stem.endswith("/index") else stem + "/"
    return (site / folder / "index.html").read_text(encoding="utf-8")


def _text(html: str) -> str:
    """The text of an HTML page: tags dropped, entities of the help texts decoded."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


# ---- the build -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    """``mkdocs build --strict`` of the repository's site into a temporary folder, once."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "NO_COLOR": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(MKDOCS_YML), "-d", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    return result, out


@pytest.fixture(scope="module")
def site(build) -> Path:
    result, out = build
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed (see test_the_site_builds_strict):\n{result.stderr[-3000:]}")
    return out


@site_group
def test_the_site_builds_strict(build):
    result, out = build
    assert result.returncode == 0, f"mkdocs build --strict failed:\n{result.stdout}\n{result.stderr}"
    assert "WARNING" not in result.stderr, result.stderr
    for page in _nav_pages():
        assert _built(out, page), page


@site_group
def test_the_cli_reference_has_every_command_and_its_help(site):
    page = _built(site, "reference/cli.md")
    text = _text(page)
    hooks = _hooks()
    paths = [path for path, _ in hooks.commands()]
    assert len(paths) > 10 and ["annotator", "add"] in paths
    for path in paths:
        name = " ".join(["hilt", *path])
        anchor = "-".join(["hilt", *path])
        assert f'id="{anchor}"' in page, f"no heading for {name}"
        assert f"Usage: {name} [OPTIONS]" in text, f"no --help of {name}"
    # The help is Typer's own, rendered without colour.
    assert "\x1b[" not in page and "[0m" not in page
    assert "--annotators-per-item" in text and "--label-column" in text


@site_group
def test_the_http_reference_has_every_route(site):
    text = _text(_built(site, "reference/http-api.md"))
    routes = _hooks()._routes()
    assert len(routes) > 10
    for route in routes:
        for method in route.methods:
            assert f"{method} {route.path}" in text, f"{method} {route.path} is not documented"


@site_group
def test_the_configuration_page_lists_every_environment_variable_of_hilt_settings(site):
    from hilt import settings

    text = _text(_built(site, "reference/configuration.md"))
    assert "hilt:environment" not in text  # the marker was replaced
    for variable in settings.VARIABLES:
        assert variable.name in text, f"{variable.name} is not on the configuration page"
    for other in settings.OTHER_VARIABLES:
        assert all(name in text for name in other.names)


@site_group
def test_the_python_reference_renders_the_public_api(site):
    page = _built(site, "reference/python-api.md")
    for name in ["hilt.project.core.Project.create", "hilt.project.core.Project.next_item",
                 "hilt.project.core.Project.label_issues", "hilt.learner.ActiveLearner.query",
                 "hilt.sampling.margin_confidence", "hilt.sampling.rank", "hilt.strategies.select",
                 "hilt.simulate.run", "hilt.errors.HiltError"]:
        assert f'id="{name}"' in page, f"{name} is not in the Python reference"
    assert not re.search(r":(meth|class|func|mod|data|attr):<code>", page), "a Sphinx role was left as text"


class _Assets(HTMLParser):
    """Every URL a page loads by itself: stylesheets, scripts, images, icons, frames."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "preconnect", "dns-prefetch", "icon", "modulepreload", "manifest"}:
            self.urls.append(attrs["href"])
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.urls.append(attrs["src"])


def _remote(url: str) -> bool:
    return bool(re.match(r"(?i)(https?:)?//", url.strip()))


@site_group
def test_the_site_loads_nothing_from_the_network(site):
    pages = sorted(site.rglob("*.html"))
    assert len(pages) >= len(_nav_pages())
    for page in pages:
        html = page.read_text(encoding="utf-8")
        parser = _Assets()
        parser.feed(html)
        remote = [url for url in parser.urls if _remote(url)]
        assert not remote, f"{page.relative_to(site)} loads {remote}"
        for host in ("fonts.googleapis", "fonts.gstatic", "unpkg.com", "cdn.jsdelivr", "cdnjs."):
            assert host not in html, f"{page.relative_to(site)} mentions {host}"
    for sheet in site.rglob("*.css"):
        css = sheet.read_text(encoding="utf-8", errors="replace")
        imported = re.findall(r"@import\s+(?:url\()?[\"']?([^\"')\s;]+)", css)
        fetched = re.findall(r"url\(\s*[\"']?([^\"')]+)", css)
        remote = [url for url in imported + fetched if _remote(url)]
        assert not remote, f"{sheet.relative_to(site)} loads {remote}"
        assert "fonts.googleapis" not in css and "fonts.gstatic" not in css, sheet


@site_group
def test_the_screenshots_are_the_real_pages(site):
    for name in ("labelling", "dashboard", "review"):
        assert (site / "img" / f"{name}.png").stat().st_size > 10_000, name
    used = "".join((DOCS / page).read_text(encoding="utf-8") for page in _nav_pages())
    for name in ("labelling", "dashboard", "review"):
        assert f"img/{name}.png" in used, f"docs/img/{name}.png is not shown in the docs"


# ---- the examples ----------------------------------------------------------------------


def _python_blocks(text: str) -> list[str]:
    """The runnable ``python`` blocks of a page, in order (not those after ``NOT_RUN``)."""
    blocks = []
    for match in re.finditer(r"^```python[^\n]*\n(.*?)^```", text, flags=re.S | re.M):
        before = text[: match.start()].rstrip().splitlines()
        if before and before[-1].strip() == NOT_RUN:
            continue
        blocks.append(match.group(1))
    return blocks


PAGES_WITH_EXAMPLES = sorted(
    str(path.relative_to(DOCS)) for path in DOCS.rglob("*.md")
    if _python_blocks(path.read_text(encoding="utf-8"))
)


def test_the_docs_have_examples_to_run():
    assert {"tutorial.md", "how-to/columns.md", "how-to/strategies.md", "how-to/features.md",
            "how-to/quality.md", "how-to/simulate.md", "how-to/dask.md"} <= set(PAGES_WITH_EXAMPLES)


@pytest.mark.parametrize("page", PAGES_WITH_EXAMPLES)
def test_a_pages_python_examples_run(page, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("HILT_DASK_SCHEDULER", raising=False)
    load_movie_reviews().to_csv("reviews.csv", index=False)
    namespace = {"__name__": "__docs__"}
    for number, block in enumerate(_python_blocks((DOCS / page).read_text(encoding="utf-8")), start=1):
        exec(compile(block, f"docs/{page} python block {number}", "exec"), namespace)
        if "print(" in block:
            assert capsys.readouterr().out.strip(), f"docs/{page} python block {number} prints something"


# ---- the README ------------------------------------------------------------------------


def _readme_links() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return [target.split("#")[0] for target in re.findall(r"\]\(([^)\s]+)\)", text)
            if not re.match(r"[a-z]+:", target)]


def test_the_readme_is_short():
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines (at most {README_MAX_LINES})"


def test_every_readme_link_points_at_a_file():
    links = _readme_links()
    assert any(link.startswith("docs/") for link in links)
    missing = [link for link in links if link and not (ROOT / link).exists()]
    assert not missing, f"README.md links to missing files: {missing}"


def test_the_readme_links_every_docs_page():
    linked = {link for link in _readme_links() if link.startswith("docs/")}
    missing = [page for page in _nav_pages() if f"docs/{page}" not in linked]
    assert not missing, f"README.md does not link these docs pages: {missing}"


def test_no_issue_numbers_in_the_readme_or_the_docs():
    for path in [README, *sorted(DOCS.rglob("*.md"))]:
        found = re.findall(r"(?i)\bissues? #?\d+", path.read_text(encoding="utf-8"))
        assert not found, f"{path.relative_to(ROOT)} mentions {found}"

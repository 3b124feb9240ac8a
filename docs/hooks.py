"""MkDocs hook: the generated parts of the reference pages, made on every build.

* ``<!-- hilt:cli -->`` (docs/reference/cli.md) becomes the ``--help`` of every command and
  subcommand of the Typer app :data:`hilt.cli.app`, Typer's own text in its plain layout
  (no colour, no boxes): the page cannot drift from the commands.
* ``<!-- hilt:http-routes -->`` (docs/reference/http-api.md) becomes one section per route of the
  web server's routers (:mod:`hilt.server.api`, :mod:`hilt.server.search`, :mod:`hilt.server.pages`, :mod:`hilt.server.media`): method, path, query
  parameters, body fields, extra status codes, and the endpoint's own docstring.
* ``<!-- hilt:environment -->`` (docs/reference/configuration.md) becomes the tables of the
  environment variables hilt reads, from :mod:`hilt.settings` (name, type, default, who reads
  it, meaning): a variable added there is on the page.

Nothing here touches the network; it imports hilt from the environment mkdocs runs in.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import os
import re
import textwrap
from typing import Any, Iterator

CLI_MARKER = "<!-- hilt:cli -->"
ROUTES_MARKER = "<!-- hilt:http-routes -->"
ENVIRONMENT_MARKER = "<!-- hilt:environment -->"
#: The width the help is rendered at: what a page's code block shows without scrolling.
WIDTH = 80

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


# ---- the command line ----------------------------------------------------------------------


def commands() -> Iterator[tuple[list[str], Any]]:
    """``(path, click command)`` for the root and every command and subcommand, depth first,
    in the order ``hilt --help`` lists them. ``path`` excludes the program name."""
    import typer.main

    from hilt.cli import app

    def walk(command: Any, path: list[str]) -> Iterator[tuple[list[str], Any]]:
        yield path, command
        for name, sub in (getattr(command, "commands", None) or {}).items():
            if not getattr(sub, "hidden", False):
                yield from walk(sub, path + [name])

    yield from walk(typer.main.get_command(app), [])


def command_help(path: list[str]) -> str:
    """The help of ``hilt PATH --help``: Typer's own text (usage, description, arguments and
    options with their defaults, the epilog) in its plain layout, ``WIDTH`` columns wide.

    The plain layout rather than the boxes a colour terminal shows: the boxes cut long names
    and values short with an ellipsis at any width a page has room for (``--annotators-per-it…``),
    the plain layout wraps them and loses nothing.
    """
    by_path = dict((tuple(p), command) for p, command in commands())
    context = None
    for depth in range(len(path) + 1):
        command = by_path[tuple(path[:depth])]
        context = command.context_class(command, info_name=(path[depth - 1] if depth else "hilt"),
                                        parent=context, terminal_width=WIDTH, max_content_width=WIDTH)
    markup, epilog = getattr(command, "rich_markup_mode", None), command.epilog
    try:
        command.rich_markup_mode = None
        command.epilog = None  # written below as the terminal shows it: one line per entry
        with _no_hyphen_breaks():
            text = command.get_help(context)
    finally:
        command.rich_markup_mode, command.epilog = markup, epilog
    if epilog:
        text += "\n\n" + _plain_epilog(epilog)
    text = _ANSI.sub("", text)
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines)


@contextlib.contextmanager
def _no_hyphen_breaks() -> Iterator[None]:
    """Click's help wrapper breaks lines after a hyphen (``--id-`` / ``column``), which would
    spoil the examples and option names on the page: wrap at spaces only while rendering.
    (Typer vendors click as ``typer._click``; older Typers use ``click`` itself.)"""
    saved = []
    for name in ("typer._click._textwrap", "click._textwrap"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        original = module.TextWrapper

        class Wrapper(original):  # type: ignore[misc, valid-type]
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **{**kwargs, "break_on_hyphens": False})

        saved.append((module, original))
        module.TextWrapper = Wrapper
    try:
        yield
    finally:
        for module, original in saved:
            module.TextWrapper = original


def _plain_epilog(epilog: str) -> str:
    """An epilog written in Typer's markdown mode (``**bold**``, backticks, a line break as two
    trailing spaces) as plain lines, indented like the help text."""
    lines = []
    for paragraph in epilog.split("\n\n"):
        for line in re.split(r"  \n", paragraph):
            line = re.sub(r"\*\*([^*]+)\*\*", r"\1", line.replace("\n", " "))
            line = re.sub(r"`([^`]*)`", r"\1", line)
            lines.append(textwrap.fill(line.rstrip(), WIDTH, initial_indent="  ", subsequent_indent="  ",
                                       break_long_words=False, break_on_hyphens=False))
        lines.append("")
    return "\n".join(lines).rstrip()


def cli_reference() -> str:
    """Markdown: a heading and a code block of help per command."""
    parts = []
    for path, command in commands():
        name = " ".join(["hilt", *path])
        level = "#" * min(2 + max(len(path) - 1, 0), 4)
        parts.append(f"{level} `{name}`\n")
        parts.append(f"```text\n{command_help(path)}\n```\n")
    return "\n".join(parts)


# ---- the HTTP API --------------------------------------------------------------------------


def _rst_to_markdown(text: str) -> str:
    """Docstring markup to Markdown: ``code`` to `code`, :meth:`x` and :class:`x` to `x`."""
    text = re.sub(r":(?:meth|class|func|mod|data|attr):`~?([^`]+)`", r"`\1`", text)
    return text.replace("``", "`")


def _docstring(function: Any) -> str:
    doc = inspect.getdoc(function) or ""
    return _rst_to_markdown(doc).strip()


def _flat_parameters(dependant: Any) -> tuple[list[Any], list[Any]]:
    """Query and body parameters of a route, its dependencies' included."""
    query, body = list(dependant.query_params), list(dependant.body_params)
    for sub in dependant.dependencies:
        more_query, more_body = _flat_parameters(sub)
        query += more_query
        body += more_body
    return query, body


def _constraints(metadata: list[Any]) -> str:
    parts = []
    for item in metadata or []:
        for key, sign in (("ge", "≥"), ("gt", ">"), ("le", "≤"), ("lt", "<"),
                          ("min_length", "length ≥"), ("max_length", "length ≤")):
            value = getattr(item, key, None)
            if value is not None:
                parts.append(f"{sign} {value}")
    return ", ".join(parts)


def _type_name(annotation: Any) -> str:
    name = getattr(annotation, "__name__", None) or str(annotation)
    return name.replace("typing.", "").replace("NoneType", "null").replace("None", "null")


def _describe_field(name: str, info: Any) -> str:
    from pydantic_core import PydanticUndefined

    text = f"`{name}` ({_type_name(info.annotation)}"
    if info.is_required():
        text += ", required"
    elif info.default is not PydanticUndefined:
        text += f", default `{_json(info.default)}`"
    limits = _constraints(info.metadata)
    if limits:
        text += f", {limits}"
    text += ")"
    if info.description:
        text += f": {info.description}"
    return text


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


def _routes() -> list[Any]:
    from hilt.server import api, media, pages, search

    return [route for route in [*api.router.routes, *search.router.routes, *pages.router.routes, *media.router.routes]
            if getattr(route, "include_in_schema", True) and hasattr(route, "methods")]


def route_table() -> str:
    """Markdown: a summary table of every route, then a section per route."""
    from fastapi.routing import APIRoute

    routes = _routes()
    rows = ["| method | path | what it does |", "| --- | --- | --- |"]
    sections = []
    for route in routes:
        methods = ", ".join(sorted(route.methods))
        doc = _docstring(route.endpoint)
        first = " ".join(doc.split("\n\n")[0].split())
        anchor = re.sub(r"[^a-z0-9]+", "-", f"{methods} {route.path}".lower()).strip("-")
        cell = first.replace("|", "\\|")
        rows.append(f"| {methods} | [`{route.path}`](#{anchor}) | {cell} |")
        lines = [f"### {methods} `{route.path}` {{#{anchor}}}", "", doc, ""]
        if isinstance(route, APIRoute):
            query, body = _flat_parameters(route.dependant)
            if query:
                lines.append("Query parameters:")
                lines.append("")
                lines += [f"- {_describe_field(param.name, param.field_info)}" for param in query]
                lines.append("")
            for param in body:
                model = _body_model(param.field_info.annotation)
                if model is None:
                    continue
                optional = "" if param.field_info.is_required() else " (optional)"
                lines.append(f"JSON body{optional}, `{model.__name__}`:")
                lines.append("")
                lines += [f"- {_describe_field(name, info)}" for name, info in model.model_fields.items()]
                lines.append("")
            # The 200 reply is the route's own (its keys: the page's Replies table); the others are extra.
            extra = {code: value.get("description", "") for code, value in (route.responses or {}).items()
                     if str(code) != "200"}
            if extra:
                lines.append("Other replies: " + "; ".join(f"**{code}** {text}" for code, text in extra.items()))
                lines.append("")
        sections.append("\n".join(lines))
    return "\n".join(rows) + "\n\n" + "\n".join(sections)


def _body_model(annotation: Any) -> Any:
    """The pydantic model of a body parameter (``Model`` or ``Model | None``)."""
    from pydantic import BaseModel

    candidates = [annotation, *getattr(annotation, "__args__", ())]
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


# ---- the environment variables ---------------------------------------------------------------


def environment_tables() -> str:
    """Markdown: a table of the ``HILT_*`` variables of :data:`hilt.settings.VARIABLES`, then one
    of the other variables hilt reads (:data:`hilt.settings.OTHER_VARIABLES`)."""
    from hilt import settings

    rows = ["| variable | value | default | read by | meaning |", "| --- | --- | --- | --- | --- |"]
    for variable in settings.VARIABLES:
        rows.append(f"| `{variable.name}` | {variable.kind.expected} | {variable.default_text} | "
                    f"{variable.read_by} | {variable.meaning} |")
    others = ["| variable | meaning |", "| --- | --- |"]
    for other in settings.OTHER_VARIABLES:
        names = ", ".join(f"`{name}`" for name in other.names) + (f" {other.also}" if other.also else "")
        others.append(f"| {names} | {other.meaning} |")
    return "\n".join(rows) + "\n\nOther variables hilt reads:\n\n" + "\n".join(others)


# ---- the MkDocs event ----------------------------------------------------------------------


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """Replace the markers with the generated reference."""
    if CLI_MARKER in markdown:
        markdown = markdown.replace(CLI_MARKER, cli_reference())
    if ROUTES_MARKER in markdown:
        markdown = markdown.replace(ROUTES_MARKER, route_table())
    if ENVIRONMENT_MARKER in markdown:
        markdown = markdown.replace(ENVIRONMENT_MARKER, environment_tables())
    return markdown


#: A Sphinx role left in a rendered docstring (hilt's docstrings are numpydoc with Sphinx
#: roles): ``:meth:<code>x</code>``.
_ROLE = re.compile(r":(?:meth|class|func|mod|data|attr|exc|obj):<code>(~?)([^<]+)</code>")


def _cross_reference(match: re.Match) -> str:
    short, target = match.group(1), match.group(2)
    shown = target.rsplit(".", 1)[-1] if short else target
    # mkdocs-autorefs turns this into a link when the target is documented on the site, and
    # into plain code when it is not (optional: no warning).
    return f'<autoref identifier="{target}" optional><code>{shown}</code></autoref>'


def on_page_content(html: str, page: Any, config: Any, files: Any) -> str:
    """Sphinx roles in rendered docstrings become cross-references (or plain code)."""
    return _ROLE.sub(_cross_reference, html)


if __name__ == "__main__":  # a quick look without a build: python docs/hooks.py
    os.environ.setdefault("NO_COLOR", "1")
    print(cli_reference())
    print(route_table())
    print(environment_tables())

"""``hilt serve`` (the web labelling UI) and ``hilt annotator add`` (tokens and links)."""

from __future__ import annotations

import getpass
import re
from typing import Optional

import typer

from hilt.cli._features import warm_features
from hilt.cli._project import (
    PROJECT_HELP,
    SCHEDULER_HELP,
    display_location,
    open_project,
    project_location,
    quoted,
    short_name,
)
from hilt.cli.app import app, console, user_errors

annotator_app = typer.Typer(help="Manage the annotators and reviewers of a project (tokens for the web UI).",
                            no_args_is_help=True)
app.add_typer(annotator_app, name="annotator")


def annotator_link(base: str, token: str, page: str = "") -> str:
    """The link that signs an annotator in (the page moves the token into a cookie); ``page``
    ``"review"`` for a reviewer's review page."""
    return f"{base}/{page}?token={token}"


def default_annotator_name() -> str:
    """The login name, trimmed to what annotator names allow, else ``annotator``."""
    try:
        name = re.sub(r"[^A-Za-z0-9_.@-]", "", getpass.getuser())[:64]
    except Exception:  # no login name in some containers
        name = ""
    return name or "annotator"


def run_web(project, *, host: str, port: int, links: dict[str, str], open_browser: bool,
            any_free_if_busy: bool = False, intro: str | None = None) -> None:
    """Bind, print the links, serve until Ctrl+C. ``links`` maps annotator name to token."""
    from hilt.server import create_app
    from hilt.server.runner import base_url, bind, is_loopback, serve

    sock = bind(host, port, any_free_if_busy=any_free_if_busy)
    bound_port = sock.getsockname()[1]
    base = base_url(host, bound_port)
    # So that `hilt annotator add` links to this server, not to the default port.
    project.record_address(base)
    if not is_loopback(host):
        console.print(
            f"[bold yellow]Warning:[/] --host {host} makes the labelling UI reachable from other "
            "machines. Traffic is plain http: tokens and answers travel unencrypted, so use it only "
            "on a network you trust.",
            soft_wrap=True,
        )
    warm_features(project)
    # Retrains run in a child process, started now: a retrain in a thread of this process holds
    # the GIL while people wait for their next item (p99 60-83 ms against 19-25 ms in bench_server).
    project.isolate_retrains(start=True)
    app_ = create_app(project)
    if intro:
        console.print(intro, soft_wrap=True)
    console.print(f"Serving [bold]{short_name(project.path)}[/] at {base}/  (Ctrl+C to stop)")
    if project.scheduler:
        console.print(f"  Retrains build features and score on the Dask cluster at {project.scheduler}.",
                      soft_wrap=True)
    if links:
        for name, token in links.items():
            console.print(f"  {name}: {annotator_link(base, token)}", soft_wrap=True)
            if project.is_reviewer(name):
                console.print(f"  {name} (review): {annotator_link(base, token, 'review')}", soft_wrap=True)
    others = sorted({entry.name for entry in project.annotator_list()
                     if entry.role in ("annotator", "reviewer")} - set(links))
    if others:
        console.print(
            f"  Other annotators ({', '.join(others)}) use the links `hilt annotator add` printed "
            "for them; running it again prints a new one.",
            soft_wrap=True,
        )
    console.print(f"  Dashboard: {base}/dashboard")

    def ready() -> None:
        console.print("Ready.")
        if open_browser and links:
            import webbrowser

            webbrowser.open(annotator_link(base, next(iter(links.values()))))

    serve(app_, sock, on_ready=ready)


@app.command("serve")
@user_errors
def serve_command(
    project_path: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    host: str = typer.Option("127.0.0.1", help="Address to listen on. Anything but loopback opens the UI to the network."),
    port: int = typer.Option(8000, help="Port to listen on (0: any free port)."),
    annotator: list[str] = typer.Option(
        None, "--annotator", "-a", help="Print a fresh link for this annotator (repeatable; rotates their token)."
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the first link in a browser."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", metavar="ADDRESS", help=SCHEDULER_HELP,
                                            show_default=False),
) -> None:
    """Serve the web labelling page and the progress dashboard over a project.

    Each annotator signs in with their own link (see `hilt annotator add`). A project with no
    annotator yet gets one named after your login, and its link is printed.

    Example: hilt serve reviews.hilt --port 8000
    """
    from hilt.server.runner import check_port

    check_port(port)  # before the project is opened and its features warmed
    # The server runs in this process (uvicorn on a socket bound here): the project opened here,
    # with its scheduler, is the one create_app serves. An unreachable scheduler fails here,
    # before the port is bound (exit code 2).
    with open_project(project_location(project_path), scheduler=scheduler) as project:
        links = {name: project.add_annotator(name) for name in (annotator or [])}
        if not links and not (set(project.annotators()) - {"import"}):
            name = default_annotator_name()
            links[name] = project.add_annotator(name)
        run_web(project, host=host, port=port, links=links, open_browser=open_browser)


@annotator_app.command("add")
@user_errors
def annotator_add(
    project_path: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    name: str = typer.Argument(..., metavar="NAME", help="Annotator name: 1-64 letters, digits or _-.@"),
    url: Optional[str] = typer.Option(
        None, metavar="URL", show_default=False,
        help="The address the link starts with, e.g. http://labels.example:9000 (default: where `hilt serve` "
        "last listened on this project, else http://127.0.0.1:8000).",
    ),
    reviewer: Optional[bool] = typer.Option(
        None, "--reviewer/--no-reviewer", show_default=False,
        help="Make them a reviewer: they settle disagreements and likely label errors on the review page "
        "(and may still label). --no-reviewer makes a reviewer an annotator again. Default: a new name is "
        "an annotator, an existing one keeps their role.",
    ),
) -> None:
    """Add an annotator or reviewer (or give an existing one a new token) and print the token and link.

    The token is shown once: the project stores only its hash. Running this again for the same
    name makes a new token and the old one stops working.

    Example: hilt annotator add reviews.hilt alice --reviewer
    """
    with open_project(project_location(project_path), cluster=False) as project:
        where = project.link_base(url)  # a malformed --url is refused before a token is made
        token = project.add_annotator(name, reviewer=reviewer)
        is_reviewer = project.is_reviewer(name)
    base = where["url"]
    typer.echo(f"token: {token}")
    typer.echo(f"role:  {'reviewer' if is_reviewer else 'annotator'}")
    typer.echo(f"link:  {annotator_link(base, token)}")
    if is_reviewer:
        typer.echo(f"review: {annotator_link(base, token, 'review')}")
    if where["source"] == "served":
        since = f" (since {where['at'][:16].replace('T', ' ')} UTC)" if where["at"] else ""
        console.print(f"The link points where hilt serve last listened on this project{since}; give --url if it "
                      "listens elsewhere now.")
    elif where["source"] == "default":
        console.print(f"The link assumes hilt serve's default address ({base}): hilt serve has not run on this "
                      "project yet. Give --url if it will listen elsewhere.")


@annotator_app.command("list")
@user_errors
def annotator_list(
    project_path: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    as_json: bool = typer.Option(False, "--json", help="Print the list as JSON (for scripts)."),
) -> None:
    """List the annotators: role, answers, median seconds per item and when each was last seen.

    Example: hilt annotator list reviews.hilt
    """
    from rich.console import Console
    from rich.table import Table

    from hilt.cli.status import seconds_cell
    from hilt.project.export import json_text

    location = project_location(project_path)
    with open_project(location, cluster=False) as project:
        listed = project.annotator_list()
    if as_json:
        typer.echo(json_text([entry.to_dict() for entry in listed], indent=2))
        return
    if not listed:
        console.print(f"{display_location(location)} has no annotators yet. Add one: "
                      f"hilt annotator add {quoted(location)} NAME")
        return
    table = Table()
    for column, justify in (("name", "left"), ("role", "left"), ("answers", "right"), ("median time", "right"),
                            ("last seen", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for entry in listed:
        seen = entry.last_seen
        table.add_row(entry.name, entry.role, f"{entry.answers:,}", seconds_cell(entry.median_seconds),
                      seen[:19].replace("T", " ") + " UTC" if seen else "-")
    Console(highlight=False).print(table)


@annotator_app.command("remove")
@user_errors
def annotator_remove(
    project_path: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    name: str = typer.Argument(..., metavar="NAME", help="The annotator to remove."),
) -> None:
    """Revoke an annotator's token at once (their link stops working); their answers are kept.

    Running `hilt annotator add` for the same name later gives them a new token.

    Example: hilt annotator remove reviews.hilt alice
    """
    with open_project(project_location(project_path), cluster=False) as project:
        result = project.remove_annotator(name)
    if result["revoked"]:
        console.print(f"Removed {name}: their token no longer works; their {result['answers']:,} answers are kept.")
    else:
        console.print(f"{name} had no token (nothing to revoke); their {result['answers']:,} answers are kept.")

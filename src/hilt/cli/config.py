"""``hilt config``: show a project's settings, or change them."""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.table import Table

from hilt.cli._project import PROJECT_HELP, display_location, project_location
from hilt.cli.app import app, console, stdout, user_errors
from hilt.cli.create import open_light, parse_labels
from hilt.errors import InputError

__all__ = ["CONFIG_KEYS", "image_words", "init_settings", "parse_settings"]


#: ``hilt config`` keys: what each value is read as.
CONFIG_KEYS = {
    "strategy": "a strategy name or mix, as for hilt init --strategy",
    "retrain_every": "a whole number >= 1",
    "eval_share": "a number from 0 to 0.9",
    "lease_seconds": "a number of seconds >= 1",
    "labels": "all current labels plus new ones, comma-separated",
    "rename": "OLD:NEW, renaming a label and its answers",
    "image_columns": "auto, off, or the columns that are an image's pixels in row-major order (names or "
                     "patterns such as px*, comma-separated)",
    "image_folder": "the folder the image column's paths are relative to (hilt init --image-column)",
}


def image_words(project: Any) -> str:
    """What ``hilt config`` says of the image setting: whether rows are drawn as a picture.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from hilt.project.image_view import ImageView
    >>> image_words(SimpleNamespace(image_columns="auto", image_view=ImageView(2, ("a", "b", "c", "d"))))
    'auto: 2x2 pixels, a … d'
    >>> image_words(SimpleNamespace(image_columns="off", image_view=None))
    'off'
    """
    setting = project.image_columns
    view = project.image_view
    said = setting if isinstance(setting, str) else ",".join(setting)
    if view is None:
        return said if setting == "off" else f"{said}: no image (the rows are listed)"
    return f"{said}: {view.side}x{view.side} pixels, {view.pixels[0]} … {view.pixels[-1]}"


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``["retrain_every=5", "rename=neg:negative"]`` -> keyword arguments of ``Project.configure``.

    Examples
    --------
    >>> from hilt.cli.config import parse_settings
    >>> parse_settings(["retrain_every=5", "eval_share=0.2", "rename=neg:negative"])
    {'retrain_every': 5, 'eval_share': 0.2, 'rename': ('neg', 'negative')}
    """
    valid = "; ".join(f"{key} ({what})" for key, what in CONFIG_KEYS.items())
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in CONFIG_KEYS:
            raise InputError(f"Expected settings as KEY=VALUE with KEY one of: {valid}. Got {pair!r}.")
        value = value.strip()
        try:
            if key == "retrain_every":
                changes[key] = int(value)
            elif key in ("eval_share", "lease_seconds"):
                changes[key] = float(value)
            elif key == "labels":
                changes[key] = parse_labels(value, 1)  # the project knows its task's minimum
            elif key == "rename":
                old, colon, new = value.partition(":")
                if not colon:
                    raise ValueError(value)
                changes[key] = (old.strip(), new.strip())
            else:
                changes[key] = value
        except InputError:
            raise
        except ValueError:  # int("x"), float("x"), a rename without a colon
            raise InputError(f"Expected {key} to be {CONFIG_KEYS[key]}; got {value!r}.") from None
    return changes


def init_settings(project: Any) -> dict[str, str]:
    """The settings ``hilt config`` shows but cannot change (made at ``hilt init``): the features,
    the overlap and how many people label each overlapped item; and the task."""
    shared = project.overlap or {}
    return {
        "task": str(project.task),
        "features": str(project.featurizer.name),
        "overlap": f"{shared['share']:g} of items" if shared else "0 (each item is labelled once)",
        "annotators_per_item": str(shared["annotators_per_item"]) if shared else "1",
    }


@app.command("config")
@user_errors
def config(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    settings: Optional[list[str]] = typer.Argument(
        None, metavar="[KEY=VALUE]...",
        help="Settings to change: strategy, retrain_every, eval_share, lease_seconds, labels (add labels: "
        "labels=pos,neg,meh), rename (rename=neg:negative renames a label and its answers), image_columns "
        "(auto: rows of pixels such as px0..px783 or pixel_0_0..pixel_7_7 are drawn as an image; off; "
        "or the pixel columns, e.g. image_columns='px*'), image_folder (the folder of the files the "
        "image column names; served at /media/).",
    ),
) -> None:
    """Show a project's settings, or change them (each change is recorded in the project).

    Example: hilt config reviews.hilt retrain_every=20 labels=pos,neg,meh

    Example: hilt config digits.hilt image_columns=off

    Example: hilt config photos.hilt image_folder=/data/photos
    """
    location = project_location(project)
    changes = parse_settings(settings or [])
    image = changes.pop("image_columns", None)
    folder = changes.pop("image_folder", None)
    with open_light(location) as opened:
        before = opened.settings()
        image_before = image_words(opened)
        if image is not None:  # drawn from the file on every page: no retrain, no restart
            opened.set_image_columns(image)
        if folder is not None:  # read at every /media/ request: no retrain, no restart
            opened.set_image_folder(folder)
        pictures = opened.image_source
        after = opened.configure(**changes) if changes else {**before, "renamed": 0}
        image_after = image_words(opened)
        fixed = init_settings(opened)
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key in ("labels", "strategy", "retrain_every", "eval_share", "lease_seconds"):
        value = ", ".join(after[key]) if key == "labels" else str(after[key])
        table.add_row(key, value + ("  (changed)" if after[key] != before[key] else ""))
    table.add_row("image_columns", image_after + ("  (changed)" if image_after != image_before else ""))
    if pictures is not None:
        table.add_row("image_folder", f"{pictures['folder'] or '(none: only URLs are shown)'} (images in column "
                                      f"{pictures['column']})" + ("  (changed)" if folder is not None else ""))
    for key, value in fixed.items():
        table.add_row(key, f"{value}  (set at hilt init)")
    stdout.print(table)
    if changes or image is not None or folder is not None:
        console.print(f"Saved in {display_location(location)}"
                      + (f"; {after['renamed']:,} answers renamed" if "rename" in changes else "")
                      + ". A running hilt serve uses the new settings after a restart.")

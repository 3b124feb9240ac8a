"""``hilt config``: show a project's settings, or change them."""

from __future__ import annotations

from typing import Any, Optional

import typer
from rich.table import Table

from hilt.cli._project import PROJECT_HELP, display_location, project_location
from hilt.cli.app import app, console, stdout, user_errors
from hilt.cli.create import open_light, parse_labels
from hilt.errors import InputError

__all__ = ["CONFIG_KEYS", "GUIDE_KEYS", "guide_words", "image_words", "init_settings", "parse_settings",
           "read_guides", "set_guides", "set_webhook", "webhook_words"]


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
    "webhook": "an http:// or https:// URL to POST events to, or off",
    "webhook_secret": "the secret webhook bodies are signed with (empty: none)",
    "guidelines": "a Markdown file annotators read on the pages and in hilt label (empty: remove them)",
    "label_descriptions": "a JSON file of {\"label\": \"one line\"} (replaces all; empty: remove them all)",
    "describe": "LABEL:TEXT, one label's description (LABEL: with no text removes it; may be repeated)",
    "image_folder": "the folder the image column's paths are relative to (hilt init --image-column)",
}

#: Settings ``hilt config`` applies without Project.configure: shown on the next page, no retrain.
GUIDE_KEYS = ("guidelines", "label_descriptions", "describe")


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


def webhook_words(hook: Any) -> dict[str, str]:
    """What ``hilt config`` shows of a :class:`~hilt.project.results.WebhookStatus`: the URL
    without its secrets, and whether bodies are signed (never the secret itself).

    Examples
    --------
    >>> from hilt.project.results import WebhookStatus
    >>> webhook_words(WebhookStatus("https://example.org/h?***", True, 0, 0, 0, 0, None))
    {'webhook': 'https://example.org/h?***', 'webhook_secret': 'set'}
    >>> webhook_words(None)
    {'webhook': 'off', 'webhook_secret': 'not set'}
    """
    if hook is None:
        return {"webhook": "off", "webhook_secret": "not set"}
    return {"webhook": hook.url, "webhook_secret": "set" if hook.secret else "not set (bodies are unsigned)"}


def set_webhook(project: Any, hook: dict[str, str]) -> None:
    """``webhook=`` and ``webhook_secret=`` of ``hilt config``, through :meth:`hilt.Project.set_webhook`
    (a secret alone applies to the webhook the project has)."""
    current = project.webhook
    if "webhook" in hook:
        url: str | None = hook["webhook"]
    elif current is not None:
        url = project.webhook_url
    else:
        raise InputError("Expected webhook=URL with webhook_secret= (the project has no webhook to sign); "
                         "got webhook_secret alone.")
    project.set_webhook(url, secret=hook.get("webhook_secret"))


def parse_settings(pairs: list[str]) -> dict[str, Any]:
    """``["retrain_every=5", "rename=neg:negative"]`` -> keyword arguments of ``Project.configure``.

    Examples
    --------
    >>> from hilt.cli.config import parse_settings
    >>> parse_settings(["retrain_every=5", "eval_share=0.2", "rename=neg:negative"])
    {'retrain_every': 5, 'eval_share': 0.2, 'rename': ('neg', 'negative')}
    >>> parse_settings(["describe=neg:Any complaint: sarcasm too", "describe=pos:", "guidelines=guide.md"])
    {'describe': [('neg', 'Any complaint: sarcasm too'), ('pos', '')], 'guidelines': 'guide.md'}
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
            elif key == "describe":  # the label is what comes before the first colon
                label, colon, words = value.partition(":")
                if not colon or not label.strip():
                    raise ValueError(value)
                changes.setdefault(key, []).append((label.strip(), words.strip()))
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


def guide_words(project: Any) -> dict[str, str]:
    """What ``hilt config`` says of the guidelines and the label descriptions."""
    guidelines = project.guidelines
    if guidelines is None:
        said = "none"
    else:
        said = (f"{len(guidelines.markdown):,} characters of Markdown"
                + (f" from {guidelines.source}" if guidelines.source else "")
                + f", set {guidelines.updated_at[:19].replace('T', ' ')} UTC")
    described = project.label_descriptions
    return {"guidelines": said,
            "label_descriptions": "; ".join(f"{label}: {text}" for label, text in described.items()) or "none"}


def read_guides(guides: dict[str, Any]) -> dict[str, Any]:
    """``hilt config``'s guidelines and label_descriptions files read (a missing file, one that is
    not UTF-8 or not JSON fails here, before the project changes at all): the guidelines as a
    path, the descriptions as the mapping the file holds."""
    from pathlib import Path

    from hilt.project.guidelines import read_descriptions_file, read_text_file

    ready = dict(guides)
    if guides.get("guidelines"):
        ready["guidelines"] = Path(guides["guidelines"])  # a file's name, never the text itself
        read_text_file(ready["guidelines"], "guidelines (Markdown)")
    if guides.get("label_descriptions"):
        ready["label_descriptions"] = read_descriptions_file(Path(guides["label_descriptions"]))
    return ready


def set_guides(project: Any, guides: dict[str, Any]) -> None:
    """Apply :func:`read_guides`'s guidelines, label descriptions and describe settings to ``project``."""
    if "guidelines" in guides:
        project.set_guidelines(guides["guidelines"] or None)
    if "label_descriptions" in guides:
        project.set_label_descriptions(guides["label_descriptions"] or None)
    for label, words in guides.get("describe", []):
        project.describe_label(label, words)


@app.command("config")
@user_errors
def config(
    project: str = typer.Argument(..., metavar="PROJECT", help=PROJECT_HELP, show_default=False),
    settings: Optional[list[str]] = typer.Argument(
        None, metavar="[KEY=VALUE]...",
        help="Settings to change: strategy, retrain_every, eval_share, lease_seconds, labels (add labels: "
        "labels=pos,neg,meh), rename (rename=neg:negative renames a label and its answers), image_columns "
        "(auto: rows of pixels such as px0..px783 or pixel_0_0..pixel_7_7 are drawn as an image; off; "
        "or the pixel columns, e.g. image_columns='px*'), webhook (webhook=https://example.org/hilt: POST a signed "
        "JSON when a run finishes and when an item's final label changes; webhook=off stops), webhook_secret (the "
        "secret bodies are signed with; shown only as set or not set), guidelines (guidelines=guide.md: a Markdown file "
        "shown on the labelling and review pages and in hilt label on ?; guidelines= removes them), "
        "label_descriptions (label_descriptions=labels.json: {\"pos\": \"Praise, even faint\"}, shown under each "
        "label's button; label_descriptions= removes them) and describe (describe='neg:Any complaint' sets one "
        "label's; describe=neg: removes it), image_folder (the folder of the files the image column names; "
        "served at /media/). The webhook, guidelines, descriptions and image folder need no restart.",
    ),
) -> None:
    """Show a project's settings, or change them (each change is recorded in the project).

    Example: hilt config reviews.hilt retrain_every=20 labels=pos,neg,meh

    Example: hilt config digits.hilt image_columns=off

    Example: hilt config reviews.hilt webhook=https://example.org/hilt webhook_secret=$SECRET

    Example: hilt config reviews.hilt guidelines=guide.md describe='neg:Any complaint, sarcasm too'

    Example: hilt config photos.hilt image_folder=/data/photos
    """
    location = project_location(project)
    changes = parse_settings(settings or [])
    image = changes.pop("image_columns", None)
    hook = {key: changes.pop(key) for key in ("webhook", "webhook_secret") if key in changes}
    guides = read_guides({key: changes.pop(key) for key in GUIDE_KEYS if key in changes})
    folder = changes.pop("image_folder", None)
    with open_light(location) as opened:
        before = opened.settings()
        image_before = image_words(opened)
        hook_before = webhook_words(opened.webhook)
        guides_before = guide_words(opened)
        if image is not None:  # drawn from the file on every page: no retrain, no restart
            opened.set_image_columns(image)
        if hook:  # read again by every process within seconds: no retrain, no restart
            set_webhook(opened, hook)
        if folder is not None:  # read at every /media/ request: no retrain, no restart
            opened.set_image_folder(folder)
        pictures = opened.image_source
        after = opened.configure(**changes) if changes else {**before, "renamed": 0}
        set_guides(opened, guides)  # after a rename: a description may name the new label
        image_after = image_words(opened)
        hook_after = webhook_words(opened.webhook)
        guides_after = guide_words(opened)
        fixed = init_settings(opened)
    table = Table(show_header=False)
    table.add_column(style="bold")
    table.add_column()
    for key in ("labels", "strategy", "retrain_every", "eval_share", "lease_seconds"):
        value = ", ".join(after[key]) if key == "labels" else str(after[key])
        table.add_row(key, value + ("  (changed)" if after[key] != before[key] else ""))
    table.add_row("image_columns", image_after + ("  (changed)" if image_after != image_before else ""))
    for key, value in hook_after.items():
        table.add_row(key, value + ("  (changed)" if value != hook_before[key] else ""))
    for key, value in guides_after.items():
        table.add_row(key, value + ("  (changed)" if value != guides_before[key] else ""))
    if pictures is not None:
        table.add_row("image_folder", f"{pictures['folder'] or '(none: only URLs are shown)'} (images in column "
                                      f"{pictures['column']})" + ("  (changed)" if folder is not None else ""))
    for key, value in fixed.items():
        table.add_row(key, f"{value}  (set at hilt init)")
    stdout.print(table)
    if changes or image is not None or hook or folder is not None:
        console.print(f"Saved in {display_location(location)}"
                      + (f"; {after['renamed']:,} answers renamed" if "rename" in changes else "")
                      + (". A running hilt serve uses the new settings after a restart." if changes else
                         ". A running hilt serve uses it within seconds, without a restart."))
    elif guides:
        console.print(f"Saved in {display_location(location)}. The pages show it from their next load "
                      "(no restart, no retrain); hilt label on its next ?.")

"""The Typer application every command module registers on, and the user-error boundary."""

from __future__ import annotations

import functools
import sys
from typing import Any, Callable, TypeVar

import typer
from rich.console import Console

from hilt.errors import HiltError

app = typer.Typer(
    name="hilt",
    help="hilt: human-in-the-loop labelling. A model ranks what it is least sure about, "
    "you label it, it learns.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Markdown: a docstring's wrapped lines form one paragraph, re-flowed to the terminal's width.
    rich_markup_mode="markdown",
)

#: Where messages for the person go (stdout stays clean for --json output).
# soft_wrap: a long path in a message must stay whole (copy-pastable), not be broken by a newline.
console = Console(stderr=True, highlight=False, soft_wrap=True)

#: A command's own output (tables, JSON) that a script may read; ``console`` keeps the messages.
stdout = Console(highlight=False)

F = TypeVar("F", bound=Callable[..., Any])

#: Exit code for a user mistake (bad input, missing file); 1 stays for bugs.
USER_ERROR = 2


def user_errors(func: F) -> F:
    """Turn a :class:`hilt.HiltError` into a one-paragraph message and exit code 2.

    Anything else keeps its traceback: that is a bug, and the traceback is how it gets fixed.
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except HiltError as error:
            console.print(f"[bold red]Error:[/] {error}", soft_wrap=True)
            sys.exit(USER_ERROR)
        except KeyboardInterrupt:
            console.print("Interrupted.")
            sys.exit(130)

    return wrapper  # type: ignore[return-value]


def _hide_flag_placeholders() -> None:
    """A flag (``--json``, ``--force``, ``--help``) takes no value, but Typer's help shows it a
    ``<bool>`` placeholder, which reads as if it wanted one: show no placeholder for flags."""
    from typer.core import TyperOption

    shown = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        if getattr(self, "is_bool_flag", False) and self.metavar is None:
            return None
        return shown(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_hide_flag_placeholders()

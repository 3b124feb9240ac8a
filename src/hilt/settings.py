"""Every environment variable hilt reads: its name, type, default and meaning, in one place.

Each variable is a :class:`Variable` (frozen): :meth:`Variable.read` reads the environment at
the moment it is called and parses the value with its type's one parser (:class:`Seconds`,
:class:`WholeNumber`, :class:`Choice`, :class:`Flag`, :class:`Text`, :class:`Folder`). A value
that does not parse is an :class:`~hilt.errors.InputError` whose message names the variable,
what was expected and what came. The docs' configuration page renders its table from
:data:`VARIABLES` and :data:`OTHER_VARIABLES` (``docs/hooks.py``), so the page cannot drift from
this module.

Why each variable is read on its own, when it is needed, rather than all at once into one
snapshot: a mistyped ``HILT_DASK_RUN_TIMEOUT`` must not stop ``hilt export``, which never runs
on a cluster; tests and long-lived processes set a variable after ``import hilt``; and
``HILT_NO_NUMBA`` is read once, the first time a large array is scored.

This module sits below every other layer (it imports only :mod:`hilt.errors`), so that
:mod:`hilt.sampling` may read ``HILT_NO_NUMBA`` through it.

Examples
--------
>>> from hilt import settings
>>> settings.DASK_TIMEOUT.read({})
10.0
>>> settings.DASK_TIMEOUT.read({"HILT_DASK_TIMEOUT": " 2.5 "})
2.5
>>> settings.DASK_PARTITION_ITEMS.read({"HILT_DASK_PARTITION_ITEMS": "2.5"})
Traceback (most recent call last):
...
hilt.errors.InputError: Expected HILT_DASK_PARTITION_ITEMS to be a whole number >= 1; got '2.5'.
>>> [variable.name for variable in settings.VARIABLES][:2]
['HILT_DASK_SCHEDULER', 'HILT_DASK_TIMEOUT']
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Mapping, Protocol, TypeVar

from hilt.errors import InputError

__all__ = [
    "CACHE_DIR", "DASK_PARTITION_ITEMS", "DASK_RUN_TIMEOUT", "DASK_SCHEDULER", "DASK_TIMEOUT", "IDLE_SECONDS",
    "NO_NUMBA", "OTHER_VARIABLES", "RETRAIN_PROCESS", "VARIABLES", "WEBHOOK_BACKOFF", "WEBHOOK_QUEUE",
    "WEBHOOK_SECRET", "WEBHOOK_TIMEOUT", "WEBHOOK_TRIES", "Choice", "Flag", "Folder", "OtherVariable", "Seconds",
    "Text", "Variable", "WholeNumber",
]

T = TypeVar("T", covariant=True)


class Kind(Protocol[T]):
    """A variable's type: how its text becomes a value, and how the docs describe it."""

    #: What a value looks like, for the docs' table ("seconds > 0", "a whole number ≥ 1" …).
    expected: str

    def parse(self, name: str, text: str | None, default: Any) -> T:
        """The value of variable ``name`` holding ``text`` (``None``: unset)."""
        ...


# ---- the parsers, one per type ---------------------------------------------------------------


@dataclass(frozen=True)
class Seconds:
    """A number of seconds (``float`` syntax, surrounding spaces ignored); unset or blank: the
    default. With ``positive``, 0 and below are refused too."""

    positive: bool = True

    @property
    def expected(self) -> str:
        return "seconds > 0" if self.positive else "seconds"

    def parse(self, name: str, text: str | None, default: Any) -> float:
        """
        Examples
        --------
        >>> from hilt.settings import Seconds
        >>> Seconds().parse("HILT_X", "0", 10.0)
        Traceback (most recent call last):
        ...
        hilt.errors.InputError: Expected HILT_X to be > 0 seconds; got '0'.
        >>> Seconds().parse("HILT_X", "soon", 10.0)
        Traceback (most recent call last):
        ...
        hilt.errors.InputError: Expected HILT_X to be a number of seconds; got 'soon'.
        >>> Seconds(positive=False).parse("HILT_X", "", 3600.0)
        3600.0
        """
        text = (text or "").strip()
        if not text:
            return default
        try:
            value = float(text)
        except ValueError:
            raise InputError(f"Expected {name} to be a number of seconds; got {text!r}.") from None
        if self.positive and not value > 0:  # "not >": NaN is refused as well
            raise InputError(f"Expected {name} to be > 0 seconds; got {text!r}.")
        return value


@dataclass(frozen=True)
class WholeNumber:
    """A whole number of at least ``minimum`` (``int`` syntax, surrounding spaces ignored);
    unset or blank: the default."""

    minimum: int = 1

    @property
    def expected(self) -> str:
        return f"a whole number ≥ {self.minimum}"

    def parse(self, name: str, text: str | None, default: Any) -> int:
        """
        Examples
        --------
        >>> from hilt.settings import WholeNumber
        >>> WholeNumber().parse("HILT_X", " 300 ", 250_000)
        300
        >>> WholeNumber().parse("HILT_X", "0", 250_000)
        Traceback (most recent call last):
        ...
        hilt.errors.InputError: Expected HILT_X to be a whole number >= 1; got '0'.
        """
        text = (text or "").strip()
        if not text:
            return default
        try:
            value: int | None = int(text)
        except ValueError:
            value = None
        if value is None or value < self.minimum:
            raise InputError(f"Expected {name} to be a whole number >= {self.minimum}; got {text!r}.")
        return value


@dataclass(frozen=True)
class Choice:
    """One of ``choices`` (case and surrounding spaces ignored). Anything else, unset included,
    is the default: a word hilt does not know leaves it doing what it does without one."""

    choices: tuple[str, ...]

    @property
    def expected(self) -> str:
        return " / ".join(f"`{choice}`" for choice in self.choices)

    def parse(self, name: str, text: str | None, default: Any) -> str:
        """
        Examples
        --------
        >>> from hilt.settings import Choice
        >>> Choice(("auto", "always", "never")).parse("HILT_X", " Never ", "auto")
        'never'
        >>> Choice(("auto", "always", "never")).parse("HILT_X", "sometimes", "auto")
        'auto'
        """
        value = (text or "").strip().lower()
        return value if value in self.choices else default


@dataclass(frozen=True)
class Flag:
    """On when the variable holds anything at all (``1``, ``yes``, even ``0``); off when unset
    or empty."""

    expected: str = "any non-empty value"

    def parse(self, name: str, text: str | None, default: Any) -> bool:
        """
        Examples
        --------
        >>> from hilt.settings import Flag
        >>> Flag().parse("HILT_X", "1", False), Flag().parse("HILT_X", "", False)
        (True, False)
        """
        return bool(text) or default


@dataclass(frozen=True)
class Text:
    """A string, surrounding spaces dropped; unset or blank: the default. What it must look
    like is checked where it is used (a scheduler address by :func:`hilt.cluster.check_address`,
    which says where the address came from)."""

    expected: str = "text"

    def parse(self, name: str, text: str | None, default: Any) -> str | None:
        """
        Examples
        --------
        >>> from hilt.settings import Text
        >>> Text().parse("HILT_X", "  tcp://10.0.0.5:8786 ", None), Text().parse("HILT_X", "   ", None)
        ('tcp://10.0.0.5:8786', None)
        """
        text = (text or "").strip()
        return text or default


@dataclass(frozen=True)
class Folder:
    """A folder, taken as written (a path may begin or end with a space); unset or empty: the
    default."""

    expected: str = "a folder"

    def parse(self, name: str, text: str | None, default: Any) -> Path:
        """
        Examples
        --------
        >>> from pathlib import Path
        >>> from hilt.settings import Folder
        >>> Folder().parse("HILT_X", "/srv/cache", Path("/tmp")), Folder().parse("HILT_X", "", Path("/tmp"))
        (PosixPath('/srv/cache'), PosixPath('/tmp'))
        """
        return Path(text) if text else Path(default)


# ---- the variables ---------------------------------------------------------------------------


V = TypeVar("V")


@dataclass(frozen=True)
class Variable(Generic[V]):
    """One environment variable hilt reads.

    Parameters
    ----------
    name : str
        The variable's name (``HILT_…``).
    kind : Seconds, WholeNumber, Choice, Flag, Text or Folder
        Its type: the parser of its text.
    default : object or callable
        The value when it is unset (or blank); a callable is called at each read (a default
        under the home folder follows ``$HOME``).
    default_text : str
        The default as the docs show it.
    read_by : str
        Which commands and calls read it (Markdown, for the docs).
    meaning : str
        What it does (Markdown, for the docs).
    """

    name: str
    kind: Kind[V]
    default: Any
    default_text: str
    read_by: str
    meaning: str

    def read(self, environ: Mapping[str, str] | None = None) -> V:
        """The variable's value in ``environ`` (default: this process's environment, read now).

        Raises :class:`~hilt.errors.InputError` for a value its type does not accept.

        Examples
        --------
        >>> from hilt.settings import RETRAIN_PROCESS
        >>> RETRAIN_PROCESS.read({"HILT_RETRAIN_PROCESS": "always"}), RETRAIN_PROCESS.read({})
        ('always', 'auto')
        """
        text = (os.environ if environ is None else environ).get(self.name)
        default = self.default() if callable(self.default) else self.default
        return self.kind.parse(self.name, text, default)


def _home_cache() -> Path:
    return Path.home() / ".cache" / "hilt"


#: The Dask scheduler a project uses when none is given; ``None`` when unset or blank.
DASK_SCHEDULER: Variable[str | None] = Variable(
    "HILT_DASK_SCHEDULER", Text("a scheduler address"), None, "unset: no cluster",
    "`init`, `label`, `serve`, `retrain`, `label-issues`, `Project.create`/`open`",
    "the Dask scheduler (`tcp://host:8786`) whose workers build the features and score the pool; "
    "`--scheduler` overrides it. Commands that never rank do not read it ([Dask](../how-to/dask.md))",
)
#: Seconds to wait for the scheduler and its first worker.
DASK_TIMEOUT: Variable[float] = Variable(
    "HILT_DASK_TIMEOUT", Seconds(positive=True), 10.0, "10", "opening a project with a scheduler",
    "seconds to wait for the scheduler and its first worker before the error (exit code 2)",
)
#: Seconds a run on the cluster may take. Any number is taken, as it always was (0 or less:
#: every run gives up at once).
DASK_RUN_TIMEOUT: Variable[float] = Variable(
    "HILT_DASK_RUN_TIMEOUT", Seconds(positive=False), 3600.0, "3600", "a retrain on the cluster",
    "seconds before a run on the cluster gives up (the previous ranking goes on being served)",
)
#: Item row ids per Dask partition.
DASK_PARTITION_ITEMS: Variable[int] = Variable(
    "HILT_DASK_PARTITION_ITEMS", WholeNumber(minimum=1), 250_000, "250000", "a retrain on the cluster",
    "item row ids per partition: what one task reads, featurizes and scores",
)
#: Where a database project's feature cache lives on this host.
CACHE_DIR: Variable[Path] = Variable(
    "HILT_CACHE_DIR", Folder(), _home_cache, "`~/.cache/hilt`", "a project in PostgreSQL",
    "where each host keeps its rebuildable feature cache, in a folder named after the database "
    "(a project file keeps it beside itself, in `PROJECT.d/`)",
)
#: Whether background retrains run in a child process.
RETRAIN_PROCESS: Variable[str] = Variable(
    "HILT_RETRAIN_PROCESS", Choice(("auto", "always", "never")), "auto", "`auto`", "background retrains",
    "`auto`: a child process for pools of 100,000 items or more, a thread below; `always` / `never`: "
    "for every run or none (where starting processes is not allowed); any other value counts as `auto`",
)
#: Score with numpy only. Read once per process, the first time an array is large enough for
#: numba (:mod:`hilt.sampling.uncertainty`).
NO_NUMBA: Variable[bool] = Variable(
    "HILT_NO_NUMBA", Flag(), False, "unset", "`hilt.sampling`",
    "any non-empty value: score with numpy only, never import numba",
)

#: The webhook secret of a project that keeps none itself (``hilt config PROJECT webhook_secret=``).
WEBHOOK_SECRET: Variable[str | None] = Variable(
    "HILT_WEBHOOK_SECRET", Text("a secret"), None, "unset", "a project with a webhook",
    "the secret webhook bodies are signed with when the project keeps none itself (`webhook_secret=`): "
    "keeps the secret out of the project file or database ([Webhooks](../how-to/webhooks.md))",
)
#: How many tries a webhook delivery gets before it is given up.
WEBHOOK_TRIES: Variable[int] = Variable(
    "HILT_WEBHOOK_TRIES", WholeNumber(minimum=1), 5, "5", "a project with a webhook",
    "tries per webhook event (a connection error, a timeout or a 5xx reply is tried again; a 4xx is not)",
)
#: Seconds before a webhook delivery's second try; each further try waits twice as long.
WEBHOOK_BACKOFF: Variable[float] = Variable(
    "HILT_WEBHOOK_BACKOFF", Seconds(positive=True), 1.0, "1", "a project with a webhook",
    "seconds before the second try of a webhook event, doubled before each further try (at most 60)",
)
#: Seconds a webhook receiver has to reply.
WEBHOOK_TIMEOUT: Variable[float] = Variable(
    "HILT_WEBHOOK_TIMEOUT", Seconds(positive=True), 5.0, "5", "a project with a webhook",
    "seconds a webhook receiver has to connect and reply before the try counts as failed",
)
#: Webhook events waiting in memory at most; the oldest is dropped beyond.
WEBHOOK_QUEUE: Variable[int] = Variable(
    "HILT_WEBHOOK_QUEUE", WholeNumber(minimum=1), 1000, "1000", "a project with a webhook",
    "webhook events waiting to be sent, at most, per process: beyond, the oldest is dropped (counted "
    "in the status's `webhook.dropped`, with a warning in the log)",
)
#: Seconds without a key or the mouse after which the pages' focus clock stops (time per item).
IDLE_SECONDS: Variable[float] = Variable(
    "HILT_IDLE_SECONDS", Seconds(positive=True), 60.0, "60", "`serve` (the labelling and review pages)",
    "seconds without a key press or mouse move after which the page stops counting the time spent on the "
    "item shown ([time per item](../how-to/guidelines.md#time-per-item))",
)

#: Every ``HILT_*`` variable, in the order the docs list them.
VARIABLES: tuple[Variable[Any], ...] = (
    DASK_SCHEDULER, DASK_TIMEOUT, DASK_RUN_TIMEOUT, DASK_PARTITION_ITEMS, CACHE_DIR, RETRAIN_PROCESS, NO_NUMBA,
    WEBHOOK_SECRET, WEBHOOK_TRIES, WEBHOOK_BACKOFF, WEBHOOK_TIMEOUT, WEBHOOK_QUEUE,
    IDLE_SECONDS,
)


@dataclass(frozen=True)
class OtherVariable:
    """A variable hilt reads that is not its own configuration: read where it is used (a name
    for the default annotator, whether a browser can open), listed here for the docs."""

    names: tuple[str, ...]
    meaning: str
    #: Said after the names in the docs (e.g. a file the same library reads).
    also: str = ""


#: The variables hilt reads that are not ``HILT_*`` configuration.
OTHER_VARIABLES: tuple[OtherVariable, ...] = (
    OtherVariable(("USER", "USERNAME"),
                  "the default annotator name of `hilt label` and of the first annotator `hilt serve` adds"),
    OtherVariable(("CI", "DISPLAY", "WAYLAND_DISPLAY"),
                  "`hilt demo` opens a browser only when there is a display and `CI` is unset"),
    OtherVariable(("PGPASSWORD",),
                  "read by the PostgreSQL client library: keeps a database password out of the URL and `ps`",
                  also="(and `~/.pgpass`)"),
)

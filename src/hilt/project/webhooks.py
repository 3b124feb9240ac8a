"""Webhooks: a small signed JSON POSTed when a model run finishes and when an item's final label
changes, from a background thread, never on an answer's path.

:class:`Webhooks` is the project's service: it holds the project's webhook (kept in the meta
as ``webhook``: ``{"url", "secret"}``, set by :meth:`hilt.Project.set_webhook` or ``hilt config
PROJECT webhook=URL``), watches the items an answer, undo, change or review touches
(:meth:`Webhooks.watch`: their final answers before and after, by the task's final-answer rule)
and hands the events to a :class:`Sender`.

:class:`Sender` is one daemon thread and a bounded in-memory queue: a full queue drops its
oldest event (counted, with a warning in the log); each event is POSTed with
``X-Hilt-Event``, ``X-Hilt-Delivery`` (a uuid, the same on every try) and ``X-Hilt-Signature:
sha256=<hex HMAC-SHA256 of the body with the secret>``; a connection error, a timeout or a 5xx
reply is tried again after an exponential backoff (``$HILT_WEBHOOK_BACKOFF``, doubled each time),
up to ``$HILT_WEBHOOK_TRIES`` tries, then given up with one line in the log.

Each process sends the events of what it did: the answers it recorded, the runs it ran. Several
servers over one PostgreSQL project each send their own answers' events.

Examples
--------
>>> from hilt.project.webhooks import check_url, signature
>>> check_url(" https://example.org/hooks/hilt ")
'https://example.org/hooks/hilt'
>>> signature("s3cret", b'{"event": "run.finished"}')[:15]
'sha256=1af15c75'
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import hmac
import http.client
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any, Callable, Iterator, Sequence

from hilt import settings
from hilt.errors import InputError
from hilt.project.results import WebhookStatus
from hilt.store import Store, utc_now
from hilt.store.location import ProjectLocation

__all__ = ["EVENTS", "Sender", "Webhooks", "check_url", "project_name", "redact", "signature"]

log = logging.getLogger("hilt.webhooks")

#: The events a webhook receives, by their ``X-Hilt-Event`` name.
EVENTS = ("run.finished", "label.changed")

#: The longest wait between two tries of one event, whatever the backoff doubles to.
MAX_BACKOFF = 60.0

#: Seconds between two reads of the project's webhook setting: ``hilt config`` reaches a
#: running server within this, without a restart and without a read on every answer.
REFRESH_SECONDS = 5.0

#: What a sender uses when a ``$HILT_WEBHOOK_*`` variable does not parse (the variables' defaults).
WEBHOOK_DEFAULTS = {"queue_size": settings.WEBHOOK_QUEUE.default, "tries": settings.WEBHOOK_TRIES.default,
                    "backoff": settings.WEBHOOK_BACKOFF.default, "timeout": settings.WEBHOOK_TIMEOUT.default}

#: Item locks (by a hash of the key): the before/after reads of one item's final answer in this
#: process never interleave with another thread's answer on the same item.
_STRIPES = 64


def check_url(url: Any) -> str:
    """``url`` stripped, or an :class:`InputError`: an ``http://`` or ``https://`` URL with a host.

    Examples
    --------
    >>> check_url("ftp://example.org/x")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected the webhook to be an http:// or https:// URL with a host, like https://example.org/hilt; got 'ftp://example.org/x'.
    """
    text = url.strip() if isinstance(url, str) else url
    try:
        parts = urllib.parse.urlsplit(text) if isinstance(text, str) else None
        if parts is not None:
            parts.port  # a port that is not a number in 0-65535 raises ValueError here
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or any(c.isspace() for c in text):
        raise InputError(
            "Expected the webhook to be an http:// or https:// URL with a host, like https://example.org/hilt; "
            f"got {url!r}.")
    return text


def redact(url: str) -> str:
    """``url`` as status and ``hilt config`` show it: a password and a query string (where a
    service may keep a token) become ``***``.

    Examples
    --------
    >>> redact("https://bot:pa55@example.org/hook?token=abc")
    'https://bot:***@example.org/hook?***'
    >>> redact("http://127.0.0.1:9000/")
    'http://127.0.0.1:9000/'
    """
    parts = urllib.parse.urlsplit(url)
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "***" if parts.query else "", ""))


def signature(secret: str, body: bytes) -> str:
    """The ``X-Hilt-Signature`` of ``body``: ``sha256=`` and the hex HMAC-SHA256 of the raw
    body with ``secret``. A receiver computes the same and compares with
    :func:`hmac.compare_digest`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def project_name(location: ProjectLocation) -> str:
    """The name events carry: the project file's name without its suffix, or the database's.

    Examples
    --------
    >>> project_name(ProjectLocation.of("/data/reviews.hilt"))
    'reviews'
    >>> project_name(ProjectLocation.of("postgresql://ana:pw@db:5432/labels"))
    'labels'
    """
    if location.is_database:
        return urllib.parse.urlsplit(location.url).path.strip("/") or "postgres"
    return PurePath(location.path).stem


@dataclass(frozen=True)
class _Event:
    url: str
    secret: str | None
    name: str
    delivery: str
    body: bytes


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is a reply, not a hop: urllib would turn the POST into a GET without its body."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class Sender:
    """One background thread that POSTs events from a bounded queue, with retries.

    Parameters
    ----------
    queue_size, tries, backoff, timeout
        Default: ``$HILT_WEBHOOK_QUEUE``, ``$HILT_WEBHOOK_TRIES``, ``$HILT_WEBHOOK_BACKOFF``,
        ``$HILT_WEBHOOK_TIMEOUT`` (read when the sender is made).

    Examples
    --------
    >>> sender = Sender(queue_size=1)
    >>> sender.counts()
    {'delivered': 0, 'failed': 0, 'dropped': 0, 'queued': 0, 'last_error': None}
    >>> sender.close()
    """

    def __init__(self, *, queue_size: int | None = None, tries: int | None = None, backoff: float | None = None,
                 timeout: float | None = None):
        self.queue_size = settings.WEBHOOK_QUEUE.read() if queue_size is None else int(queue_size)
        self.tries = settings.WEBHOOK_TRIES.read() if tries is None else int(tries)
        self.backoff = settings.WEBHOOK_BACKOFF.read() if backoff is None else float(backoff)
        self.timeout = settings.WEBHOOK_TIMEOUT.read() if timeout is None else float(timeout)
        self._queue: collections.deque[_Event] = collections.deque()
        self._ready = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sending = False
        self.delivered = self.failed = self.dropped = 0
        self.last_error: str | None = None
        self._opener = urllib.request.build_opener(_NoRedirect())

    def send(self, url: str, secret: str | None, name: str, payload: dict[str, Any]) -> None:
        """Queue event ``name`` with ``payload`` for ``url``; never blocks, never raises for the
        receiver (a full queue drops its oldest event)."""
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        event = _Event(url, secret, name, str(uuid.uuid4()), body)
        with self._ready:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="hilt-webhooks", daemon=True)
                self._thread.start()
            if len(self._queue) >= self.queue_size:
                lost = self._queue.popleft()
                self.dropped += 1
                if self.dropped & (self.dropped - 1) == 0:  # the 1st, 2nd, 4th, 8th ... drop: not a flood
                    log.warning("hilt: webhook queue full (%d events): dropped the oldest (%s); %d dropped so far",
                                self.queue_size, lost.name, self.dropped)
            self._queue.append(event)
            self._ready.notify()

    @staticmethod
    def empty_counts() -> dict[str, Any]:
        """:meth:`counts` of a sender that has sent nothing."""
        return {"delivered": 0, "failed": 0, "dropped": 0, "queued": 0, "last_error": None}

    def counts(self) -> dict[str, Any]:
        """``delivered``, ``failed``, ``dropped``, ``queued`` and ``last_error``."""
        with self._ready:
            queued = len(self._queue) + int(self._sending)
            return {"delivered": self.delivered, "failed": self.failed, "dropped": self.dropped,
                    "queued": queued, "last_error": self.last_error}

    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the queue to empty; whether it did."""
        deadline = time.monotonic() + timeout
        with self._ready:
            while self._queue or self._sending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ready.wait(min(left, 0.05))
        return True

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued for up to ``timeout`` seconds, then stop (what is left is dropped)."""
        if self._thread is not None:
            self.flush(timeout)
        with self._ready:
            self._stop.set()
            left = len(self._queue)
            self._queue.clear()
            self.dropped += left
            self._ready.notify_all()
        if left:
            log.warning("hilt: %d webhook events were not sent before the project closed", left)
        if self._thread is not None:
            self._thread.join(self.timeout + 1)

    # -- the thread --------------------------------------------------------------------------
    def _loop(self) -> None:
        while True:
            with self._ready:
                while not self._queue and not self._stop.is_set():
                    self._ready.wait()
                if self._stop.is_set():
                    return
                event = self._queue.popleft()
                self._sending = True
            try:
                self._deliver(event)
            except Exception:  # a bug here must not end the thread: the next events still go
                log.exception("hilt: webhook delivery failed")
            finally:
                with self._ready:
                    self._sending = False
                    self._ready.notify_all()

    def _deliver(self, event: _Event) -> None:
        for attempt in range(1, self.tries + 1):
            error, again = self._post(event)
            if error is None:
                with self._ready:
                    self.delivered += 1
                return
            with self._ready:
                self.last_error = error
            if not again or attempt == self.tries:
                break
            if self._stop.wait(min(self.backoff * 2 ** (attempt - 1), MAX_BACKOFF)):
                break  # closing: no more waiting
        with self._ready:
            self.failed += 1
        log.warning("hilt: webhook %s %s to %s given up after %d %s: %s", event.name, event.delivery,
                    redact(event.url), attempt, "try" if attempt == 1 else "tries", self.last_error)

    def _post(self, event: _Event) -> tuple[str | None, bool]:
        """One try: ``(None, _)`` on a 2xx reply, else ``(why, worth trying again)``."""
        headers = {"Content-Type": "application/json", "User-Agent": "hilt-webhooks",
                   "X-Hilt-Event": event.name, "X-Hilt-Delivery": event.delivery}
        if event.secret:
            headers["X-Hilt-Signature"] = signature(event.secret, event.body)
        request = urllib.request.Request(event.url, data=event.body, headers=headers, method="POST")
        try:
            with self._opener.open(request, timeout=self.timeout) as reply:
                reply.read(65536)
                status = reply.status
        except urllib.error.HTTPError as error:  # a reply outside 2xx (3xx too: redirects are not followed)
            error.close()
            return f"HTTP {error.code} {error.reason}", error.code >= 500 or error.code == 429
        except (urllib.error.URLError, OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            return f"{type(reason).__name__}: {reason}", True
        if 200 <= status < 300:
            return None, False
        return f"HTTP {status}", status >= 500


class Webhooks:
    """The webhook of the project in ``store``: its setting, the events and their sender.

    The sender (and its thread) is made at the first event, so a project without a webhook
    starts no thread and reads nothing more on an answer than its setting, once every
    :data:`REFRESH_SECONDS`.
    """

    def __init__(self, store: Store, labels: Callable[[], Sequence[str]]):
        self._store = store
        self._labels = labels
        self._name = project_name(store.location)
        self._target: tuple[str, str | None] | None = None
        self._read_at = float("-inf")
        self._lock = threading.Lock()
        self._stripes = [threading.RLock() for _ in range(_STRIPES)]  # re-entrant: a watch inside a watch
        self._sender: Sender | None = None
        #: Seconds between two reads of the setting (tests set 0: read on every answer).
        self.refresh_seconds = REFRESH_SECONDS

    # -- the setting -------------------------------------------------------------------------
    def target(self) -> tuple[str, str | None] | None:
        """``(url, secret)`` of the project's webhook, or ``None``; read again from the store
        when the last read is older than :attr:`refresh_seconds`."""
        now = time.monotonic()
        if now - self._read_at >= self.refresh_seconds:
            setting = self._store.meta_value("webhook") or {}
            url = setting.get("url")
            secret = setting.get("secret") or settings.WEBHOOK_SECRET.read()
            with self._lock:
                self._target = (url, secret) if url else None
                self._read_at = now
        return self._target

    def set(self, url: str | None, secret: str | None = None) -> WebhookStatus | None:
        """Set the project's webhook (see :meth:`hilt.Project.set_webhook`)."""
        current = self._store.meta_value("webhook") or {}
        if url is None or (isinstance(url, str) and url.strip().lower() in ("", "off", "none")):
            value: dict[str, Any] | None = None
        else:
            url = check_url(url)
            if secret is not None and not isinstance(secret, str):
                raise InputError(f"Expected the webhook secret to be a string; got {type(secret).__name__}.")
            kept = current.get("secret") if secret is None else secret.strip()
            value = {"url": url, **({"secret": kept} if kept else {})}
        self._store.set_meta("webhook", value)
        self._read_at = float("-inf")
        return self.status()

    def status(self) -> WebhookStatus | None:
        """:class:`~hilt.project.results.WebhookStatus` of this process, or ``None`` without a webhook."""
        target = self.target()
        if target is None:
            return None
        counts = self._sender.counts() if self._sender is not None else Sender.empty_counts()
        return WebhookStatus(url=redact(target[0]), secret=bool(target[1]), **counts)

    # -- events ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def watch(self, keys: Sequence[str] | Callable[[], Sequence[str]], annotator: str) -> Iterator[None]:
        """Around a change to items ``keys`` by ``annotator``: a ``label.changed`` event for
        each whose final answer differs after the block from before it (nothing when the block
        raises). ``keys`` may be a function, called only when the project has a webhook.

        Without a webhook this costs one look at the cached setting: no reads, no locks. A
        change to many items at once (a bulk labelling) watches them all in one block: one read
        before and one after. Watches do not nest (an inner one would send its items' events a
        second time).
        """
        target = self.target()
        if target is None:
            yield
            return
        wanted = [str(key) for key in (keys() if callable(keys) else keys) if key is not None]
        stripes = sorted({hash(key) % _STRIPES for key in wanted})
        with contextlib.ExitStack() as held:
            for stripe in stripes:  # in order: two watches never wait on each other's locks
                held.enter_context(self._stripes[stripe])
            before = self._store.decisions_of(wanted)
            yield
            try:
                after = self._store.decisions_of(wanted)
            except Exception:  # the change is committed: its reply must not fail for the webhook
                log.exception("hilt: could not read the final labels after a change; no webhook event")
                return
        try:
            self._changes(target, wanted, before, after, annotator)
        except Exception:
            log.exception("hilt: could not queue a webhook event")

    def _changes(self, target: tuple[str, str | None], keys: list[str], before: dict[str, Any],
                 after: dict[str, Any], annotator: str) -> None:
        at = utc_now()
        labels = list(self._labels())
        task = self._store.task
        for key in keys:
            old, new = before.get(key), after.get(key)
            old_label, new_label = (None if d is None else d.label for d in (old, new))
            if old_label != new_label:
                self._send(target, "label.changed", {
                    "item_id": key, "old_label": task.decode(old_label, labels),
                    "new_label": task.decode(new_label, labels), "annotator": annotator, "at": at})

    def run_finished(self, report: Any) -> None:
        """Send ``run.finished`` for a run this process ran (a :class:`~hilt.project.worker.RunReport`)."""
        if report is None or report.run_id is None:
            return
        target = self.target()
        if target is None:
            return
        self._send(target, "run.finished", {
            "run_id": int(report.run_id), "n_train": int(report.n_train), "eval_accuracy": report.eval_accuracy,
            "n_eval": int(report.n_eval), "at": utc_now()})

    def _send(self, target: tuple[str, str | None], name: str, data: dict[str, Any]) -> None:
        with self._lock:
            if self._sender is None:
                try:
                    self._sender = Sender()
                except InputError as error:  # a mistyped $HILT_WEBHOOK_*: said once, the defaults used
                    log.warning("hilt: %s The webhook uses the defaults.", error)
                    self._sender = Sender(**WEBHOOK_DEFAULTS)
        self._sender.send(target[0], target[1], name, {"event": name, "project": self._name, **data})

    def flush(self, timeout: float = 5.0) -> bool:
        """Wait up to ``timeout`` seconds until every queued event is sent or given up."""
        return True if self._sender is None else self._sender.flush(timeout)

    def close(self, timeout: float = 5.0) -> None:
        """Send what is queued (up to ``timeout`` seconds) and stop the thread."""
        if self._sender is not None:
            self._sender.close(timeout)

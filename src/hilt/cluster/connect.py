"""Connecting to a Dask scheduler: a clear error, within seconds, when it cannot be reached."""

from __future__ import annotations

import re
from typing import Any

from hilt import settings
from hilt.errors import InputError

__all__ = ["CONNECT_TIMEOUT_ENV", "SCHEDULER_ENV", "check_address", "connect", "is_connected", "scheduler_address",
           "DEFAULT_CONNECT_TIMEOUT"]

#: The scheduler a project uses when none is given (``tcp://host:8786``); unset or empty: none.
SCHEDULER_ENV = settings.DASK_SCHEDULER.name
#: Seconds to wait for the scheduler (and for its first worker) before giving up.
CONNECT_TIMEOUT_ENV = settings.DASK_TIMEOUT.name
DEFAULT_CONNECT_TIMEOUT = settings.DASK_TIMEOUT.default

#: The address schemes Dask's comms speak (``distributed.comm.registry.backends``); no scheme is tcp.
SCHEMES = ("tcp", "tls", "ws", "wss", "ucx", "inproc")
_EXPECTED = "Expected a Dask scheduler address like host:port, tcp://host:port or tls://host:port"
#: A host name or IPv4 address (an IPv6 address goes in brackets, as Dask writes it: [::1]:8786).
_HOST = re.compile(r"[A-Za-z0-9_]([A-Za-z0-9._-]*[A-Za-z0-9_])?")
_IPV6 = re.compile(r"\[[0-9A-Fa-f:.]+(%[A-Za-z0-9_.-]+)?\]")


def scheduler_address(scheduler: Any = None) -> Any:
    """The scheduler to use: ``scheduler`` if given, else :data:`SCHEDULER_ENV`, else ``None``.

    A :class:`distributed.Client` is passed through as it is; ``False`` means none, whatever
    the environment says (commands that never rank, and must not wait for a cluster).

    Examples
    --------
    >>> import os
    >>> from hilt.cluster import scheduler_address
    >>> scheduler_address("tcp://10.0.0.5:8786")
    'tcp://10.0.0.5:8786'
    >>> os.environ.pop("HILT_DASK_SCHEDULER", None) and None
    >>> scheduler_address() is None
    True
    >>> os.environ["HILT_DASK_SCHEDULER"] = "tcp://10.0.0.5:8786"
    >>> scheduler_address(False) is None  # none, whatever the environment says
    True
    >>> del os.environ["HILT_DASK_SCHEDULER"]
    """
    if scheduler is False:
        return None
    origin = ""
    if scheduler is None:
        scheduler = settings.DASK_SCHEDULER.read()
        origin = f" (from ${SCHEDULER_ENV})"
    if scheduler is None or not isinstance(scheduler, str):
        return scheduler
    scheduler = scheduler.strip()
    if not scheduler:
        raise InputError("Expected a Dask scheduler address like tcp://host:8786; got an empty string.")
    check_address(scheduler, origin)
    return scheduler


def check_address(address: str, origin: str = "") -> None:
    """Raise :class:`hilt.errors.InputError` unless ``address`` is written as a Dask scheduler
    address: ``host:port`` (tcp), ``SCHEME://host:port`` with a scheme of :data:`SCHEMES` and a
    port from 1 to 65535, or ``inproc://…``. Only the spelling is checked, nothing is contacted:
    a typo is said as a typo, not as a scheduler that does not answer. ``origin`` says where the
    address came from, in the message (e.g. ``" (from $HILT_DASK_SCHEDULER)"``).

    Examples
    --------
    >>> from hilt.cluster.connect import check_address
    >>> check_address("tcp://10.0.0.5:8786")
    >>> check_address("[::1]:8786")
    >>> check_address("127.0.0.1:48786x")
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected a Dask scheduler address like host:port, tcp://host:port or tls://host:port (a port from 1 to 65535); got '127.0.0.1:48786x', a malformed address: its port '48786x' is not a whole number.
    """
    def malformed(why: str) -> InputError:
        return InputError(f"{_EXPECTED} (a port from 1 to 65535); got {address!r}{origin}, a malformed address: {why}.")

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    elif scheme.lower() not in SCHEMES:
        raise malformed(f"its scheme {scheme!r} is not one of {', '.join(SCHEMES)}")
    if scheme.lower() == "inproc":  # a scheduler in this process: Dask's own name for it
        return
    host, sep, port = rest.rpartition(":")
    if not sep:
        raise malformed("it has no port (host:port)")
    if not (_HOST.fullmatch(host) or _IPV6.fullmatch(host)):
        shown = "it has no host" if not host else f"its host {host!r} is not a host name or address"
        raise malformed(shown + (" (an IPv6 address goes in brackets: [::1]:8786)" if ":" in host else ""))
    if not port.isdigit() or not port.isascii():
        raise malformed(f"its port {port!r} is not a whole number")
    if not 1 <= int(port) <= 65535:
        raise malformed(f"its port {port} is not from 1 to 65535")


def is_connected(client: Any) -> bool:
    """Whether ``client`` still talks to its scheduler. A :class:`distributed.Client` whose
    scheduler went away tries to reconnect for its timeout and then closes for good (status
    ``"closed"``, every call an ``AttributeError``); a new client is needed then."""
    return getattr(client, "status", "running") == "running"


def connect(scheduler: Any, timeout: float | None = None) -> Any:
    """A :class:`distributed.Client` of the scheduler at ``scheduler`` (an address, or a client,
    returned as it is), with at least one worker that runs this hilt version.

    Raises :class:`hilt.errors.InputError` (exit code 2 on the command line), never hangs:
    for an address that is not written as one (:func:`check_address`), when Dask is not
    installed, when the scheduler does not answer within ``timeout`` seconds
    (default :data:`CONNECT_TIMEOUT_ENV` or 10), when it has no worker within that time, or
    when its workers cannot import hilt or run another version of it.
    """
    if not isinstance(scheduler, str):
        return scheduler
    check_address(scheduler)  # a typo is said as one, before anything is contacted
    try:
        from distributed import Client
    except ImportError:
        raise InputError(
            f"Expected Dask to score on the scheduler {scheduler}; it is not installed. Install it with "
            "pip install 'hilt[dask]' (on the workers too)."
        ) from None
    timeout = settings.DASK_TIMEOUT.read() if timeout is None else float(timeout)
    address = scheduler if "://" in scheduler else f"tcp://{scheduler}"

    def failed(error: Any) -> InputError:
        return InputError(
            f"Expected a Dask scheduler at {address}; connecting failed within {timeout:g} s: {error}. "
            "Check the address (tcp://host:8786) and that `dask scheduler` runs there."
        )

    # Asked who is there first, over one plain connection: a refused, silent or foreign address
    # fails here (at once, or after ``timeout``) without a half-made Client, which would
    # complain again when it is collected.
    _identify(address, timeout, failed)
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except Exception as error:
        raise failed(f"{type(error).__name__}: {error}") from None
    try:
        client.wait_for_workers(1, timeout=timeout)
        versions = client.run(_hilt_version)
    except (OSError, TimeoutError) as error:
        client.close()
        raise InputError(
            f"Expected at least one Dask worker on the scheduler at {address}; none came within {timeout:g} s "
            f"({error}). Start some with `dask worker {address}`."
        ) from None
    except BaseException:
        client.close()
        raise
    from hilt import __version__

    wrong = {worker: found for worker, found in versions.items() if found != __version__}
    if wrong:
        client.close()
        worker, found = next(iter(wrong.items()))
        raise InputError(
            f"Expected the Dask workers to run hilt {__version__}, as this process does; {len(wrong)} of "
            f"{len(versions)} do not (e.g. {worker}: {found}). Install the same hilt on the workers."
        )
    return client


def _identify(address: str, timeout: float, failed: Any) -> None:
    """Raise ``failed(reason)`` unless a Dask scheduler answers at ``address`` within ``timeout``."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    async def ask() -> Any:
        from distributed.comm import connect as open_comm

        comm = await open_comm(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    def run() -> Any:
        return asyncio.run(asyncio.wait_for(ask(), timeout))

    _refused(address, timeout, failed)
    # In a thread of its own: the caller may be running an event loop (a server starting up).
    with ThreadPoolExecutor(1) as pool:
        try:
            answer = pool.submit(run).result()
        except (OSError, asyncio.TimeoutError, TimeoutError) as error:
            raise failed(str(error) or type(error).__name__) from None
        except Exception as error:  # something answered that does not speak Dask's protocol
            raise failed(f"what answers there is not a Dask scheduler ({type(error).__name__})") from None
    if not isinstance(answer, dict) or answer.get("type") != "Scheduler":
        kind = answer.get("type") if isinstance(answer, dict) else type(answer).__name__
        raise failed(f"what answers there is not a Dask scheduler (a {kind})")


def _refused(address: str, timeout: float, failed: Any) -> None:
    """For a ``tcp://host:port`` address, one plain TCP connection first: Dask's own connect
    retries a refused address until the timeout; a refusal is final, and said at once."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(address)
    try:
        host, port = parts.hostname, parts.port
    except ValueError:  # not reached after check_address; Dask's parser would say what is wrong
        return
    if parts.scheme != "tcp" or not host or port is None:
        return
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except ConnectionRefusedError:
        raise failed("connection refused (nothing listens there)") from None
    except OSError:
        return  # silent or unreachable: Dask's connect below waits out the timeout and says so


def _hilt_version() -> str:
    try:
        from hilt import __version__
    except ImportError:
        return "not installed"
    return __version__

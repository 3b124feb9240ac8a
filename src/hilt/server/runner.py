"""Run the app with uvicorn on a socket we bind ourselves, so the port is known before start."""

from __future__ import annotations

import errno
import ipaddress
import socket
import threading
import time
from typing import Callable

from hilt.errors import InputError

__all__ = ["bind", "check_port", "is_loopback", "base_url", "serve"]


def is_loopback(host: str) -> bool:
    """True when ``host`` is reachable from this machine only.

    Examples
    --------
    >>> is_loopback("127.0.0.1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, False)
    """
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def base_url(host: str, port: int) -> str:
    """The address a browser on this machine (or, for an open host, the network) can use.

    Examples
    --------
    >>> base_url("127.0.0.1", 8000)
    'http://127.0.0.1:8000'
    >>> base_url("::1", 8000)
    'http://[::1]:8000'
    """
    if host in ("0.0.0.0", "::", ""):
        host = socket.gethostname()
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def check_port(port: object, option: str = "--port") -> int:
    """Return ``port`` if it is a TCP port number (1-65535, or 0 for any free port), else raise
    :class:`hilt.errors.InputError` naming ``option``.

    Examples
    --------
    >>> check_port(8000)
    8000
    >>> check_port(99999)
    Traceback (most recent call last):
    ...
    hilt.errors.InputError: Expected --port to be a port number from 1 to 65535 (or 0 for any free port); got 99999.
    """
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise InputError(f"Expected {option} to be a port number from 1 to 65535 (or 0 for any free port); "
                         f"got {port!r}.")
    return port


def bind(host: str, port: int, *, any_free_if_busy: bool = False) -> socket.socket:
    """A listening socket on ``host:port`` (``port=0``: a free port).

    Raises
    ------
    hilt.errors.InputError
        When the port is not a port number (:func:`check_port`), is taken (and
        ``any_free_if_busy`` is false) or the host is not an address of this machine; the
        message says what to do.
    """
    check_port(port)  # socket.bind raises OverflowError for 99999 or -1: a traceback, not a message
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Accepted connections inherit this. Without it, uvicorn's small header and body writes meet
    # the client's delayed ACK and every reply waits ~40 ms (asyncio sets it only on sockets it
    # creates itself).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        try:
            sock.bind((host, port))
        except socket.gaierror as error:
            raise InputError(f"Cannot listen on {host}:{port}: {error}. Check --host.") from None
        except OSError as error:
            if error.errno == errno.EADDRINUSE and any_free_if_busy:
                sock.bind((host, 0))
            elif error.errno == errno.EADDRINUSE:
                raise InputError(
                    f"Port {port} on {host} is already in use. Pick another with --port, "
                    "or --port 0 for any free port."
                ) from None
            else:
                raise InputError(f"Cannot listen on {host}:{port}: {error.strerror}. Check --host.") from None
        sock.listen(2048)
    except BaseException:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def make_server(app, *, log_level: str = "warning"):
    """The uvicorn server ``hilt serve`` runs ``app`` with (a clean stop waits at most 3 s for
    requests in flight). The tests run the same server in a thread of their own process."""
    import uvicorn

    config = uvicorn.Config(app, log_level=log_level, access_log=False, lifespan="on", timeout_graceful_shutdown=3)
    return uvicorn.Server(config)


def serve(app, sock: socket.socket, *, on_ready: Callable[[], None] | None = None, log_level: str = "warning") -> None:
    """Serve ``app`` on ``sock`` until Ctrl+C; call ``on_ready`` once requests are accepted."""
    server = make_server(app, log_level=log_level)
    if on_ready is not None:

        def wait_then_call() -> None:
            while not server.started and not server.should_exit:
                time.sleep(0.05)
            if server.started:
                on_ready()

        threading.Thread(target=wait_then_call, name="hilt-on-ready", daemon=True).start()
    server.run(sockets=[sock])

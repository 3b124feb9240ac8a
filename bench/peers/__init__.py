"""Peers for ``bench/bench_sampling.py``: each module scores a probability matrix the way one
active-learning library does and picks its own top ``k``.

Every module has the same small interface, so a peer that is missing degrades to a
"not installed" cell instead of a crash:

``NAME``
    Display name.
``load()``
    Import the library; return its version string. Raises ``ImportError`` if it is missing.
``HOW``
    ``{method: "how measured"}`` for the four methods ``least``, ``margin``, ``ratio``,
    ``entropy``; a method the library does not have is absent.
``make(method, probs, k)``
    A zero-argument callable that does "score + top-k" on ``probs`` (set-up that a real pool
    would have done once, such as building an index array, happens here and is not timed),
    or ``None`` when the library has no such method.
"""

from __future__ import annotations

import importlib

#: Module names under ``peers``, in table order.
PEER_MODULES = ("modal", "skactiveml", "small_text")


def load_peers():
    """Return ``[(module, version_or_None, reason_if_missing)]`` for every peer."""
    found = []
    for name in PEER_MODULES:
        module = importlib.import_module(f"peers.{name}")
        try:
            version = module.load()
        except Exception as exc:  # ImportError, or a peer that breaks beside new scikit-learn
            found.append((module, None, f"not installed ({type(exc).__name__}: {exc})"))
        else:
            found.append((module, version, None))
    return found

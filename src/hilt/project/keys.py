"""The keys that choose labels: one scheme for the terminal (``hilt label``) and the browser.

Digits first (1 is the first label, 0 the tenth), then the letters that no command uses
(``s`` skip, ``u`` undo, ``q`` quit, ``v`` view a shortened text whole), so a label key never
shadows an action and a label has the same key wherever it is labelled.
"""

from __future__ import annotations

import string

__all__ = ["COMMAND_KEYS", "LABEL_KEYS", "label_keys"]

#: Letters taken by commands: never a label's key.
COMMAND_KEYS = ("s", "u", "q", "v")

#: Label keys in the order labels get them.
LABEL_KEYS: tuple[str, ...] = (*"123456789", "0", *(c for c in string.ascii_lowercase if c not in COMMAND_KEYS))


def label_keys(n: int) -> list[str]:
    """The key of each of ``n`` labels, in order; ``""`` for labels past the last key.

    Examples
    --------
    >>> from hilt.project.keys import label_keys
    >>> label_keys(12)[8:]
    ['9', '0', 'a', 'b']
    >>> len([k for k in label_keys(40) if k])
    32
    """
    return [LABEL_KEYS[i] if i < len(LABEL_KEYS) else "" for i in range(max(0, n))]

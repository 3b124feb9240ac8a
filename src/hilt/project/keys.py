"""The keys that choose labels: one scheme for the terminal (``hilt label``) and the browser.

A label that is a single digit (``0`` … ``9``, as in a digit-recognition project) is chosen by
that digit, so key 1 never means label ``"0"``. The other labels take the keys left over, in
order: digits first (1 is the first, 0 the tenth), then the letters that no command uses
(``s`` skip, ``u`` undo, ``q`` quit, ``v`` view a shortened text whole), so a label key never
shadows an action and a label has the same key wherever it is labelled.
"""

from __future__ import annotations

import string
from typing import Sequence

__all__ = ["COMMAND_KEYS", "LABEL_KEYS", "NONE_KEY", "keys_hint", "label_keys"]

#: Letters taken by commands: never a label's key.
COMMAND_KEYS = ("s", "u", "q", "v")

#: The key that answers "none of these" on a multi-label item (an empty set, not a skip), in the
#: terminal and on the pages alike: never a label's key nor a command's.
NONE_KEY = "-"

#: Label keys in the order labels get them.
LABEL_KEYS: tuple[str, ...] = (*"123456789", "0", *(c for c in string.ascii_lowercase if c not in COMMAND_KEYS))

_DIGITS = frozenset("0123456789")


def label_keys(labels: Sequence[str] | int) -> list[str]:
    """The key of each label, in the labels' order; ``""`` for labels past the last key.

    Parameters
    ----------
    labels : sequence of str, or int
        The project's labels. A whole number ``n`` stands for ``n`` labels none of which is a
        single digit (the keys then simply follow :data:`LABEL_KEYS`).

    Examples
    --------
    >>> from hilt.project.keys import label_keys
    >>> label_keys(12)[8:]
    ['9', '0', 'a', 'b']
    >>> label_keys([str(d) for d in range(10)])  # a digit label is its own key
    ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    >>> label_keys(["cat", "1", "dog", "3"])  # the others fill the keys left over
    ['2', '1', '4', '3']
    >>> len([k for k in label_keys(40) if k])
    32
    """
    names = [""] * max(0, labels) if isinstance(labels, int) else [str(label) for label in labels]
    keys = [name if name in _DIGITS else "" for name in names]
    free = iter([k for k in LABEL_KEYS if k not in set(keys)])
    return [key or next(free, "") for key in keys]


def keys_hint(labels: Sequence[str] | int) -> str:
    """The label keys as ranges for messages: ``1-9, 0, a-b`` for 12 labels.

    Examples
    --------
    >>> from hilt.project.keys import keys_hint
    >>> keys_hint(2), keys_hint(10), keys_hint(12)
    ('1-2', '1-9, 0', '1-9, 0, a-b')
    >>> keys_hint(["cat", "7"]), keys_hint(["a", "b", "c", "5"])
    ('1, 7', '1-3, 5')
    """
    order = {key: i for i, key in enumerate(LABEL_KEYS)}
    used = sorted((k for k in label_keys(labels) if k), key=order.__getitem__)
    runs: list[list[str]] = []
    for key in used:
        # A run is keys next to each other in LABEL_KEYS of one kind; 0 stands alone after 9.
        if runs and order[key] == order[runs[-1][-1]] + 1 and key != "0" and key.isdigit() == runs[-1][-1].isdigit():
            runs[-1].append(key)
        else:
            runs.append([key])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]}-{run[-1]}" for run in runs)

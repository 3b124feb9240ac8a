"""The retrain child process: runs :class:`hilt.project.worker.RetrainJob` away from serving.

Why a process and not a thread: fitting and scoring a million rows spends much of its time
in C code that holds Python's GIL (sparse products, numba kernels, the solver's Python loop);
a serving thread of the same process then waits for the GIL after each SQLite call and a
2 ms answer takes 20-40 ms while a retrain runs. A child process shares no GIL, runs at a
lower CPU priority (``nice``), and talks to the project only through its store: the project
file, which SQLite already makes safe between processes, or the project's PostgreSQL database.

The parent and the child talk over the child's stdin and stdout, in framed pickles
(:mod:`hilt.project._pipe`). The first message sets the job up; each further one asks for a run
and is answered with ``("ok", RunReport | None)`` or ``("error", exception)``. End of input (the
parent closed the pipe, or died) ends the child.
"""

from __future__ import annotations

import os
import pickle
import sys

from hilt.project._pipe import receive, send

__all__ = ["main"]


def main() -> None:
    """Serve the parent's runs until its end of the pipe closes."""
    # stdout carries the protocol: anything a library prints goes to stderr instead
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr
    requests = sys.stdin.buffer
    try:
        os.nice(10)  # serving (the parent) gets the CPU first on a busy machine
    except (AttributeError, OSError):
        pass

    # Imported once the priority is lowered: the imports are a second or two of CPU.
    from hilt.project.features import FeatureCache
    from hilt.project.worker import RetrainJob
    from hilt.store import Store

    setup = receive(requests)
    store = Store.open(setup["path"])
    features = FeatureCache(setup["folder"], setup["kind"], setup["feature_columns"], setup["featurizer"])
    estimator = setup["estimator"]
    job = RetrainJob(store, features, setup["labels"], setup["strategy"], lambda: estimator,
                     setup["queue_size"], in_process=True, batch=setup.get("batch"), seed=setup.get("seed", 0))
    try:
        while True:
            try:
                receive(requests)
            except EOFError:
                return
            try:
                send(replies, ("ok", job.run()))
            except Exception as error:  # reported to the parent, which raises or logs it
                try:
                    pickle.dumps(error)
                except Exception:
                    error = RuntimeError(f"{type(error).__name__}: {error}")
                send(replies, ("error", error))
    finally:
        store.close()


if __name__ == "__main__":
    main()

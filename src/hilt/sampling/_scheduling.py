"""How many threads a scoring kernel should use right now: all of them, fewer, or one.

numba's parallel loops hand each thread one equal share of the rows (a static schedule, in
every threading layer numba ships), and the call returns when the last share is done. On a
machine where another process holds a core, the thread placed on that core gets half of it
or less, and the whole call waits for it: measured at 1,000,000 x 10 with one core spinning,
a two-thread kernel's median went from 3.4 ms to 7.7 ms (p90 11 ms), slower than one thread.
Many small chunks claimed dynamically were worse still (median 8-24 ms): the thread on the
busy core is preempted while it holds a chunk and the caller waits out the other process's
time slice. So the kernels ask, just before each large call, how many cores nobody else is
using, and run on that many threads; with one free core they run serially in the calling
thread, which wakes nobody and waits for nobody.

"Nobody else" is read from the kernel's count of runnable tasks (``/proc/loadavg``, about
15 microseconds to read) minus the calling thread and minus this thread's own worker
threads: OpenMP's workers spin for a few milliseconds after each parallel loop and count as
runnable, but they are the very threads the next call will use. Where ``/proc`` is missing
(not Linux) nothing is known and every thread is used, as before.
"""

from __future__ import annotations

import os
import threading

#: Below this many matrix entries a kernel runs serially without asking: the work is under
#: ~0.25 ms, where waking a second thread (and reading /proc) gains little and a busy core
#: costs milliseconds.
PARALLEL_MIN_SIZE = 500_000

_LOADAVG = "/proc/loadavg"
_TASKS = "/proc/self/task"

_local = threading.local()  # per calling thread: the ids of its OpenMP workers, once known


def choose_threads(n_entries: int, max_threads: int, cpus: int, others: int | None) -> int:
    """Threads for a kernel over ``n_entries``: at most ``max_threads``, one per free core.

    ``cpus`` is how many cores this process may run on, ``others`` how many tasks outside
    this call are runnable (``None``: unknown, so every thread is used).

    Examples
    --------
    >>> choose_threads(10_000_000, 2, 2, 0)  # a quiet 2-core machine: both threads
    2
    >>> choose_threads(10_000_000, 2, 2, 1)  # one core taken: serially, in the caller
    1
    >>> choose_threads(10_000_000, 8, 8, 3)  # three of eight cores taken
    5
    >>> choose_threads(1_000, 2, 2, 0)  # too little work to wake a thread for
    1
    """
    if n_entries < PARALLEL_MIN_SIZE or max_threads <= 1:
        return 1
    if others is None:
        return max_threads
    return max(1, min(max_threads, cpus - max(0, others)))


def threads_for(n_entries: int, max_threads: int) -> int:
    """:func:`choose_threads` with this machine's cores and its runnable tasks now."""
    if n_entries < PARALLEL_MIN_SIZE or max_threads <= 1:
        return 1  # no /proc read for small calls
    return choose_threads(n_entries, max_threads, usable_cpus(), other_running())


def usable_cpus() -> int:
    """How many cores this process may run on (its CPU affinity where the OS says)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return os.cpu_count() or 1


def other_running() -> int | None:
    """Runnable tasks on the machine besides this thread and its own idle-spinning workers."""
    running = _read_running()
    if running is None:
        return None
    return running - 1 - _own_workers_running()


def _read_running() -> int | None:
    # The fourth field is "runnable/total" scheduling entities, the caller included.
    try:
        with open(_LOADAVG, "rb") as file:
            return int(file.read().split()[3].split(b"/")[0])
    except (OSError, IndexError, ValueError):
        return None


def _own_workers_running() -> int:
    count = 0
    for tid in getattr(_local, "workers", ()):
        try:
            with open(f"{_TASKS}/{tid}/stat", "rb") as file:
                stat = file.read()
        except OSError:  # the thread has gone
            continue
        # The state letter follows the command name, which sits in parentheses.
        end = stat.rfind(b")")
        if stat[end + 2 : end + 3] == b"R":
            count += 1
    return count


def run_parallel(kernel, args: tuple, threads: int, max_threads: int):
    """Call a parallel ``kernel`` on ``threads`` threads; learn this thread's workers once.

    OpenMP starts a team of workers for each calling thread on its first parallel loop (and
    adds workers when a later loop asks for more threads), so the threads that appear during
    such a call are the caller's own.
    """
    import numba

    learning = threads > getattr(_local, "team", 0)
    before = _task_ids() if learning else None
    if threads < max_threads:
        numba.set_num_threads(threads)  # a per-thread mask in numba: other callers unaffected
        try:
            out = kernel(*args)
        finally:
            numba.set_num_threads(max_threads)
    else:
        out = kernel(*args)
    if learning:
        # If the workers already existed (parallel numba code ran in this thread before
        # hilt's), none appear: their spinning is then counted as others' load for a few
        # milliseconds after a call, which costs at most a serial call now and then.
        new = _task_ids() - before - {threading.get_native_id()}
        _local.workers = tuple(sorted(set(getattr(_local, "workers", ())) | new))
        _local.team = threads
    return out


def _task_ids() -> set[int]:
    try:
        return {int(tid) for tid in os.listdir(_TASKS)}
    except OSError:
        return set()

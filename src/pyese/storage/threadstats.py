"""Per-thread counters of engine work, as ESE keeps them for ``JetGetThreadStats``.

ESE counts, for each thread, the work the engine did on its behalf (``JET_THREADSTATS``:
pages referenced, read, dirtied, log records and their bytes; later versions add more).
The counters are cumulative for the thread's life: a caller takes two readings and
subtracts them to see what the calls in between cost.

pyese has no page cache, so the page counters count the B-tree nodes the engine touched:

- ``cPageReferenced``: one per node lookup made for the thread (a ``get``, a cursor seek
  or step through a session's view of a database);
- ``cPageDirtied``: one per node a commit of the thread changes (each logged operation);
- ``cLogRecord`` / ``cbLogRecord``: the log records the thread's commits appended, and
  their bytes.

``cPageRead`` / ``cPagePreread`` stay 0: LMDB maps the file, so no read is the engine's.

Each thread owns its counter list (``threading.local``), so ``charge`` needs no lock.
"""

from __future__ import annotations

import threading

FIELDS: tuple[str, ...] = (
    "cPageReferenced",
    "cPageRead",
    "cPagePreread",
    "cPageDirtied",
    "cPageRedirtied",
    "cLogRecord",
    "cbLogRecord",
)
"""The counters, in JET_THREADSTATS order."""

PAGE_REFERENCED, PAGE_READ, PAGE_PREREAD, PAGE_DIRTIED, PAGE_REDIRTIED, LOG_RECORD, \
    LOG_BYTES = range(len(FIELDS))

_local = threading.local()


def _counters() -> list[int]:
    try:
        return _local.counters  # type: ignore[no-any-return]
    except AttributeError:
        counters = _local.counters = [0] * len(FIELDS)
        return counters


def charge(index: int, n: int = 1) -> None:
    """Add ``n`` to the calling thread's counter ``index`` (one of the module constants)."""
    try:
        _local.counters[index] += n
    except AttributeError:
        _counters()[index] += n


def charge_commit(ops: int, log_bytes: int | None) -> None:
    """A commit of the calling thread changed ``ops`` nodes and (when logged) appended one
    log record of ``log_bytes`` bytes."""
    c = _counters()
    c[PAGE_DIRTIED] += ops
    if log_bytes is not None:
        c[LOG_RECORD] += 1
        c[LOG_BYTES] += log_bytes


def reading() -> dict[str, int]:
    """The calling thread's counters, by JET_THREADSTATS field name."""
    return dict(zip(FIELDS, _counters()))


__all__ = ["FIELDS", "charge", "charge_commit", "reading"]

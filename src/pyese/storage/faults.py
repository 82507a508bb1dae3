"""Fault injection for the storage layer, and the one place OS errors become ESE errors.

Storage code calls ``faults.hit("<point>")`` just before each operation that can fail in the
real world (a write, an fsync, a rename). With nothing armed, ``hit`` is a dictionary
truth test and a return. A test arms a point with a factory for the exception to raise,
optionally after a number of clean hits and for a number of times; the storage code then
fails exactly as if the operating system had refused, and the error travels the same path
a real one would (through :func:`jet_error_from_os`).

Points used by pyese.storage:

=====================  ==========================================================
``log.write``          before each ``os.write`` of log bytes
``log.fsync``          before each fsync of a log file
``log.rollover``       before a new log generation is created and renamed in
``checkpoint.write``   before the checkpoint's temporary file is written
``checkpoint.fsync``   before the checkpoint's temporary file is fsynced
``applier.apply``      before the applier hands a batch to ``DatabaseFile.apply``
``applier.applied``    after a batch's file commits, before ``on_applied``
``db.apply``           (``dbfile``) before a database write transaction commits
=====================  ==========================================================

Error mapping (ESE: ``logwrite.cxx`` turns ``JET_errDiskFull`` on a log file into
``JET_errLogDiskFull``; other log I/O failures surface as ``JET_errLogWriteFail``):

- on a log file: ENOSPC/EDQUOT -> ``JET_errLogDiskFull``; any other OSError ->
  ``JET_errLogWriteFail``;
- on a database file: ENOSPC/EDQUOT -> ``JET_errDiskFull``; any other -> ``JET_errDiskIO``.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Callable
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

ExcFactory = Callable[[], BaseException]

_DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def jet_error_from_os(exc: BaseException, *, log: bool, detail: str | None = None) -> JetError:
    """The :class:`JetError` for an I/O failure ``exc`` on a log file (``log=True``) or a
    database file. A ``JetError`` is returned unchanged."""
    if isinstance(exc, JetError):
        return exc
    full = isinstance(exc, OSError) and exc.errno in _DISK_FULL_ERRNOS
    if log:
        code = C.JET_errLogDiskFull if full else C.JET_errLogWriteFail
    else:
        code = C.JET_errDiskFull if full else C.JET_errDiskIO
    text = f"{detail}: {exc}" if detail else str(exc)
    err = JetError.from_code(code, text)
    err.__cause__ = exc
    return err


@dataclass
class _Arm:
    factory: ExcFactory
    after: int
    times: int


class FaultInjector:
    """Named failure points. Thread-safe; ``hit`` is a no-op while nothing is armed.

    State below is guarded by ``self._lock``: ``_armed`` (point -> arm) and ``_hits``
    (point -> number of hits since the point was armed).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._armed: dict[str, _Arm] = {}
        self._hits: dict[str, int] = {}
        self._holds: dict[str, threading.Event] = {}

    def arm(self, point: str, exc_factory: ExcFactory, *, after: int = 0, times: int = 1) -> None:
        """Make the hits of ``point`` after the first ``after`` raise ``exc_factory()``,
        ``times`` times (``times=-1``: forever)."""
        with self._lock:
            self._armed[point] = _Arm(exc_factory, after, times)
            self._hits[point] = 0

    def hold(self, point: str, release: threading.Event) -> None:
        """Make every hit of ``point`` wait until ``release`` is set (for tests that need
        work held back at a point, e.g. the applier, deterministically)."""
        with self._lock:
            self._holds[point] = release

    def disarm(self, point: str | None = None) -> None:
        """Disarm ``point``, or every point."""
        with self._lock:
            if point is None:
                self._armed.clear()
                self._holds.clear()
            else:
                self._armed.pop(point, None)
                self._holds.pop(point, None)

    def hits(self, point: str) -> int:
        """How many times ``point`` was hit since it was armed."""
        with self._lock:
            return self._hits.get(point, 0)

    def hit(self, point: str) -> None:
        """Raise the armed exception for ``point`` if its turn has come."""
        if not self._armed and not self._holds:
            return
        release = self._holds.get(point)
        if release is not None:
            release.wait()
        with self._lock:
            arm = self._armed.get(point)
            if arm is None:
                return
            n = self._hits[point] = self._hits.get(point, 0) + 1
            if n <= arm.after or arm.times == 0:
                return
            if arm.times > 0:
                arm.times -= 1
            factory = arm.factory
        raise factory()


class _NoFaults(FaultInjector):
    """The shared injector of production code: never armed."""

    def arm(self, point: str, exc_factory: ExcFactory, *, after: int = 0, times: int = 1) -> None:
        raise TypeError("NO_FAULTS is shared and cannot be armed; make a FaultInjector()")

    def hold(self, point: str, release: threading.Event) -> None:
        raise TypeError("NO_FAULTS is shared and cannot hold; make a FaultInjector()")

    def hit(self, point: str) -> None:
        return


NO_FAULTS: FaultInjector = _NoFaults()
"""The injector used when none is given."""

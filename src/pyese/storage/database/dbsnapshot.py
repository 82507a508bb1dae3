"""The read side of a database file: its snapshots (LMDB read transactions) and their cursors.

``DatabaseFile.snapshot()`` (``dbfile``) opens a ``DbSnapshot``; every read of the engine's
trees goes through one (``get``, ``cursor`` and its steps), so this module is in the compiled
build (``mypyc-modules.txt``, docs/compiled.md), while ``dbfile``, which writes the file,
stays interpreted: nothing here writes (``tests/test_compiled_mode.py`` refuses a listed
module that calls ``os.write``, ``open``, ``fsync`` ...). LMDB's errors become ESE's through
``lmdberrors.raise_lmdb`` (interpreted, so the JetError keeps its cause).

``DbSnapshot`` is a plain Python class even when compiled (``native_class=False``): the
file tracks its open snapshots in a ``WeakSet`` (a snapshot dropped unclosed is closed by
``__del__``, so it never holds up a resize), and the version store tags each snapshot it
registers (``_vs_id``, ``_vs_floor``, ``_vs_park``); a native class allows neither weak
references nor new attributes. Its methods are compiled all the same. ``SnapshotCursor``
is native.

Locks. A snapshot serialises its calls with its own ``_lock``; a cursor takes its
snapshot's. ``DatabaseFile.close`` ends every live snapshot (``_end``), waiting for a call
in flight.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, Protocol

import lmdb

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.compiling import mypyc_attr
from pyese.storage.database import longkeys as LK
from pyese.storage.database.dbheader import HEADER_KEY, DatabaseHeader
from pyese.storage.database.lmdberrors import raise_lmdb as _raise_lmdb
from pyese.storage.lgpos import LGPOS
from pyese.storage.trees import iterate_cursor


class SnapshotFile(Protocol):
    """What a snapshot uses of its file: ``dbfile.DatabaseFile`` (named structurally, as
    that module imports this one)."""

    _closed: bool
    _hdrdb: Any
    """The LMDB database of the header record."""
    _applied_memo: tuple[bytes, LGPOS] | None
    """(raw header record, its applied_lgpos): the last one a snapshot decoded."""

    def _release_snapshot(self) -> None:
        """A snapshot of the file ended."""


@mypyc_attr(native_class=False)  # weakly referenced (DatabaseFile._live), tagged by the store
class DbSnapshot:
    """A TreeSnapshot over one LMDB read transaction. Any thread may use it; calls are
    serialised by its own lock. Unusable (JET_errInvalidParameter) after close."""

    def __init__(self, db: SnapshotFile, txn: Any) -> None:
        # fixed after construction
        self._db = db
        self._lock = threading.Lock()
        # guarded by _lock
        self._txn = txn
        self._closed = False

    @property
    def applied_lgpos(self) -> LGPOS:
        """The last log position whose changes this snapshot contains."""
        with self._lock:
            self._check()
            raw = self._txn.get(HEADER_KEY, db=self._db._hdrdb)
            memo = self._db._applied_memo
            if memo is not None and raw == memo[0]:  # the same bytes decode the same
                return memo[1]
            lgpos = DatabaseHeader.decode(raw).applied_lgpos
            self._db._applied_memo = (raw, lgpos)
            return lgpos

    def get(self, objid: int, key: bytes) -> bytes | None:
        with self._lock:
            self._check()
            try:
                if not LK.is_long(key):
                    value: bytes | None = self._txn.get(LK.direct_key(objid, key))
                    return value
                raw = self._txn.get(LK.bucket_key(objid, key))
                if raw is None:
                    return None
                entries = LK.decode_bucket(raw)
                i = LK.bucket_find(entries, key[LK.DIRECT_MOST :])
                return entries[i][1] if i >= 0 else None
            except lmdb.Error as exc:
                _raise_lmdb(exc, "read")

    def cursor(self, objid: int) -> SnapshotCursor:
        with self._lock:
            self._check()
            return SnapshotCursor(self, LK.MergedCursor(self._txn.cursor(), objid))

    def iterate(
        self, objid: int, start: bytes = b"", stop: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes]]:
        return iterate_cursor(self.cursor(objid), start, stop)

    def max_objid(self) -> int:
        """The largest objid that has a node in this snapshot (0 for an empty database)."""
        with self._lock:
            self._check()
            try:
                cur = self._txn.cursor()
                if not cur.last():
                    return 0
                return int.from_bytes(cur.key()[: LK.OBJID_SIZE], "big")
            except lmdb.Error as exc:
                _raise_lmdb(exc, "read")
                raise AssertionError from exc  # pragma: no cover

    def close(self) -> None:
        """End the read transaction. Idempotent."""
        if self._end():
            self._db._release_snapshot()

    def _end(self) -> bool:
        """Abort the transaction once; True the first time."""
        with self._lock:
            if self._closed:
                return False
            self._closed = True
            self._txn.abort()
            return True

    def __del__(self) -> None:
        if not getattr(self, "_closed", True):
            self.close()

    def __enter__(self) -> DbSnapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _check(self) -> None:
        if self._closed or self._db._closed:
            raise_error(C.JET_errInvalidParameter, "snapshot is closed")


class SnapshotCursor:
    """A TreeCursor of a DbSnapshot; see trees.TreeCursor for the contract."""

    def __init__(self, snap: DbSnapshot, merged: LK.MergedCursor) -> None:
        self._snap = snap
        self._m = merged

    def first(self) -> tuple[bytes, bytes] | None:
        return self._call(self._m.first)

    def last(self) -> tuple[bytes, bytes] | None:
        return self._call(self._m.last)

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        return self._call(self._m.seek_ge, key)

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        return self._call(self._m.seek_le, key)

    def next(self) -> tuple[bytes, bytes] | None:
        # ``_call`` inlined: the step of every scan row
        snap = self._snap
        with snap._lock:
            if snap._closed or snap._db._closed:
                snap._check()
            try:
                return self._m.next()
            except lmdb.Error as exc:
                _raise_lmdb(exc, "read")

    def prev(self) -> tuple[bytes, bytes] | None:
        return self._call(self._m.prev)

    def _call(self, fn: Callable[..., tuple[bytes, bytes] | None], *args: bytes) -> Any:
        with self._snap._lock:
            self._snap._check()
            try:
                return fn(*args)
            except lmdb.Error as exc:
                _raise_lmdb(exc, "read")

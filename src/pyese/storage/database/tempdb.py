"""The instance's temporary database file: ordered trees that are never logged nor recovered.

ESE keeps its temporary tables and the sorts that outgrow memory in a database of their
own (``dbidTemp``) made under ``JET_paramTempPath`` with ``JET_bitDbRecoveryOff`` and
``JET_bitDbShadowingOff`` (``sysinit.cxx`` INST::ErrINSTCreateTempDatabase_): nothing of
it reaches the log, recovery never looks at it, and it is recreated over whatever a
previous process left behind.

pyese's temporary database is one LMDB file holding trees named by objid, keyed exactly as
a pyese database file keys its trees (``longkeys``: keys of any length, memcmp order). What
differs from ``dbfile.DatabaseFile``, on purpose:

- *No durability.* The environment runs with ``sync=False, metasync=False``: a crash may
  lose any of it, which is the point (the next ``open`` deletes the file anyway).
- *One writer transaction, always open.* Every read and write goes through one LMDB write
  transaction, committed every ``COMMIT_EVERY`` changes so that LMDB can reuse freed pages
  and keep its dirty-page list short; a commit costs no fsync. Readers see their own writes.
- *No LMDB lock file.* ``lock=False``: the file is private to one instance of one process
  (an exclusive ``flock`` keeps a second opener out: ``JET_errTempPathInUse``), and
  ``lock`` below serialises every call, so the writer transaction may be used from any
  thread (a session moves between threads with session contexts).

Locks: ``lock`` (an RLock) guards the environment, the writer transaction and the change
counter; callers that walk a tree with :meth:`cursor` hold it for the walk (``locked``).
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from typing import Any

import lmdb

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage import portable
from pyese.storage.database import longkeys as LK

COMMIT_EVERY = 8192
"""Changes between two commits of the writer transaction."""
MAP_SIZE = 1 << 36
"""LMDB's map: address space only (the file stays sparse)."""


class TempDatabaseFile:
    """One temporary database file (see the module docstring)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.lock = threading.RLock()
        self._fd = -1
        self._env: Any = None
        self._txn: Any = None
        self._changes = 0
        self.generation = 0
        """Bumped by every change: a :class:`StableCursor` re-seeks after one."""
        self._prefixes: dict[int, bytes] = {}
        self._open()

    # -- life ----------------------------------------------------------------------------

    def _open(self) -> None:
        """Create the file over any leftover (a killed process's file is not locked);
        JET_errTempPathInUse when a live opener holds it."""
        directory = os.path.dirname(self.path) or "."
        try:
            os.makedirs(directory, exist_ok=True)
            flags = os.O_RDWR | os.O_CREAT | portable.O_CLOEXEC | portable.O_BINARY
            fd = os.open(self.path, flags, 0o600)
        except OSError as exc:
            raise_error(C.JET_errInvalidPath, f"temporary database {self.path}: {exc}")
        try:
            portable.lock_exclusive(fd)
        except BlockingIOError:
            os.close(fd)
            raise_error(C.JET_errTempPathInUse, self.path)
        try:
            os.ftruncate(fd, 0)  # ESE recreates the temporary database over the old one
            self._env = lmdb.open(self.path, subdir=False, lock=False, sync=False,
                                  metasync=False, writemap=False, map_size=MAP_SIZE,
                                  max_dbs=0, readahead=False, meminit=False)
        except BaseException as exc:
            os.close(fd)
            if isinstance(exc, lmdb.Error):
                raise_error(C.JET_errDiskIO, f"temporary database {self.path}: {exc}")
            raise
        self._fd = fd

    def close(self, *, delete: bool = True) -> None:
        """Close the file and (by default) delete it (JetTerm: ESE deletes its temporary
        database when the instance terminates)."""
        with self.lock:
            if self._env is None:
                return
            try:
                if self._txn is not None:
                    self._txn.abort()
                    self._txn = None
                self._env.close()
            finally:
                self._env = None
                if delete:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self.path)
                os.close(self._fd)
                self._fd = -1

    @property
    def closed(self) -> bool:
        return self._env is None

    # -- the writer transaction ----------------------------------------------------------

    def _w(self) -> Any:
        if self._env is None:
            raise_error(C.JET_errInvalidDatabaseId, "the temporary database is closed")
        if self._txn is None:
            self._txn = self._env.begin(write=True)
        return self._txn

    def _changed(self, n: int = 1) -> None:
        self.generation += 1
        self._changes += n
        if self._changes >= COMMIT_EVERY:
            self._changes = 0
            txn, self._txn = self._txn, None
            if txn is not None:
                try:
                    txn.commit()
                except lmdb.MapFullError:
                    raise_error(C.JET_errOutOfDatabaseSpace, "temporary database full")

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the file's lock across several calls (a walk with :meth:`cursor`)."""
        with self.lock:
            yield

    # -- trees ---------------------------------------------------------------------------

    def get(self, objid: int, key: bytes) -> bytes | None:
        with self.lock:
            txn = self._w()
            if not LK.is_long(key):
                v = txn.get(LK.direct_key(objid, key))
                return bytes(v) if v is not None else None
            raw = txn.get(LK.bucket_key(objid, key))
            if raw is None:
                return None
            entries = LK.decode_bucket(raw)
            i = LK.bucket_find(entries, key[LK.DIRECT_MOST:])
            return entries[i][1] if i >= 0 else None

    def put(self, objid: int, key: bytes, value: bytes) -> None:
        with self.lock:
            txn = self._w()
            try:
                if not LK.is_long(key):
                    txn.put(LK.direct_key(objid, key), value)
                else:
                    bkey = LK.bucket_key(objid, key)
                    raw = txn.get(bkey)
                    entries = LK.decode_bucket(raw) if raw is not None else []
                    LK.bucket_put(entries, key[LK.DIRECT_MOST:], value)
                    txn.put(bkey, LK.encode_bucket(entries))
            except lmdb.MapFullError:
                raise_error(C.JET_errOutOfDatabaseSpace, "temporary database full")
            self._changed()

    def insert(self, objid: int, key: bytes, value: bytes) -> bool:
        """Put a node that must be new: False (nothing written) when ``key`` is taken."""
        with self.lock:
            if LK.is_long(key):
                if self.get(objid, key) is not None:
                    return False
                self.put(objid, key, value)
                return True
            prefix = self._prefixes.get(objid)
            if prefix is None:
                prefix = self._prefixes[objid] = LK.objid_prefix(objid)
            try:
                if not self._w().put(prefix + key, value, overwrite=False):
                    return False
            except lmdb.MapFullError:
                raise_error(C.JET_errOutOfDatabaseSpace, "temporary database full")
            self._changed()
            return True

    def put_many(self, objid: int, items: list[tuple[bytes, bytes]]) -> None:
        """Put several (key, value) pairs (short keys go straight to LMDB)."""
        with self.lock:
            for key, value in items:
                if LK.is_long(key):
                    self.put(objid, key, value)
                    continue
                try:
                    self._w().put(LK.direct_key(objid, key), value)
                except lmdb.MapFullError:
                    raise_error(C.JET_errOutOfDatabaseSpace, "temporary database full")
                self._changed()

    def delete(self, objid: int, key: bytes) -> None:
        with self.lock:
            txn = self._w()
            if not LK.is_long(key):
                txn.delete(LK.direct_key(objid, key))
            else:
                bkey = LK.bucket_key(objid, key)
                raw = txn.get(bkey)
                if raw is None:
                    return
                entries = LK.decode_bucket(raw)
                i = LK.bucket_find(entries, key[LK.DIRECT_MOST:])
                if i < 0:
                    return
                del entries[i]
                if entries:
                    txn.put(bkey, LK.encode_bucket(entries))
                else:
                    txn.delete(bkey)
            self._changed()

    def drop_tree(self, objid: int) -> None:
        """Remove every node of tree ``objid``; its pages go back to LMDB's free list."""
        with self.lock:
            if self._env is None:
                return
            txn = self._w()
            cur = txn.cursor()
            prefix = LK.objid_prefix(objid)
            n = 0
            if cur.set_range(prefix):
                while cur.key()[:LK.OBJID_SIZE] == prefix:
                    if not cur.delete():
                        break
                    n += 1
            self._changed(max(n, 1))

    def scan(self, objid: int, batch: int = 1024) -> Iterator[tuple[bytes, bytes]]:
        """Every node of tree ``objid`` in key order, read ``batch`` nodes at a time under
        the lock. A change to the file between two nodes (``generation``) makes the scan
        read on from the last node it gave, so it sees what a :class:`StableCursor` sees."""
        prefix = LK.objid_prefix(objid)
        after: bytes | None = None
        while True:
            nodes: list[tuple[bytes, bytes]] = []
            with self.lock:
                if self._env is None:
                    return
                cur = self._w().cursor()
                start = prefix if after is None else prefix + after[:LK.DIRECT_MOST]
                done = not cur.set_range(start)
                skipping = after is not None
                if not done:
                    for lkey, value in cur.iternext():
                        if lkey[:LK.OBJID_SIZE] != prefix:
                            done = True
                            break
                        if len(lkey) == LK.BUCKET_KEY_SIZE:
                            found = [(lkey[LK.OBJID_SIZE:-1] + sfx, data)
                                     for sfx, data in LK.decode_bucket(value)]
                        else:
                            found = [(lkey[LK.OBJID_SIZE:], value)]
                        for node in found:
                            if skipping:
                                if node[0] <= after:  # type: ignore[operator]
                                    continue
                                skipping = False
                            nodes.append(node)
                        if len(nodes) >= batch:
                            break
                    else:
                        done = True
                generation = self.generation
            for node in nodes:
                yield node
                after = node[0]
                if self.generation != generation:
                    break
            else:
                if done:
                    return

    def raw_cursor(self, objid: int) -> LK.MergedCursor:
        """A TreeCursor on tree ``objid`` inside the writer transaction, valid until the
        next change through this file (hold :meth:`locked` and do not write meanwhile)."""
        with self.lock:
            return LK.MergedCursor(self._w().cursor(), objid)

    def cursor(self, objid: int) -> StableCursor:
        """A TreeCursor on tree ``objid`` that stays usable across changes."""
        return StableCursor(self, objid)

    def file_size(self) -> int:
        """Bytes the file takes on disk (its pages in use, LMDB never shrinks a file)."""
        try:
            return os.stat(self.path).st_blocks * 512
        except FileNotFoundError:
            return 0


class StableCursor:
    """A TreeCursor over one tree of a :class:`TempDatabaseFile` that survives writes and
    commits in between its calls: it remembers the key it is on and, when the file has
    changed since (``generation``), finds its place again by that key before stepping.
    A node deleted under it is stepped over as a B-tree cursor steps over a deleted node.
    """

    __slots__ = ("_file", "_objid", "_cur", "_gen", "_key")

    def __init__(self, file: TempDatabaseFile, objid: int) -> None:
        self._file = file
        self._objid = objid
        self._cur: LK.MergedCursor | None = None
        self._gen = -1
        self._key: bytes | None = None

    def _fresh(self) -> LK.MergedCursor:
        if self._cur is None or self._gen != self._file.generation or self._file._txn is None:
            self._cur = LK.MergedCursor(self._file._w().cursor(), self._objid)
            self._gen = self._file.generation
            return self._cur
        return self._cur

    def _land(self, node: tuple[bytes, bytes] | None) -> tuple[bytes, bytes] | None:
        self._key = node[0] if node is not None else None
        return node

    def first(self) -> tuple[bytes, bytes] | None:
        with self._file.lock:
            return self._land(self._fresh().first())

    def last(self) -> tuple[bytes, bytes] | None:
        with self._file.lock:
            return self._land(self._fresh().last())

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        with self._file.lock:
            return self._land(self._fresh().seek_ge(key))

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        with self._file.lock:
            return self._land(self._fresh().seek_le(key))

    def next(self) -> tuple[bytes, bytes] | None:
        return self._step(forward=True)

    def prev(self) -> tuple[bytes, bytes] | None:
        return self._step(forward=False)

    def _step(self, *, forward: bool) -> tuple[bytes, bytes] | None:
        """The next (or previous) node; after a write moved the file on, re-find the
        current key first and land on its successor (predecessor) if it is gone."""
        with self._file.lock:
            if self._key is None:
                return None
            stale = self._gen != self._file.generation or self._file._txn is None
            cur = self._fresh()
            if stale:
                node = cur.seek_ge(self._key) if forward else cur.seek_le(self._key)
                if node is not None and node[0] != self._key:
                    return self._land(node)
                if node is None:
                    return self._land(None)
            return self._land(cur.next() if forward else cur.prev())

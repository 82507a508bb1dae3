"""pyese's own database file: ESE's trees and header in one LMDB environment.

What a file holds. One LMDB environment (``subdir=False``; LMDB keeps its reader table in
``<path>-lock`` beside it) with two named LMDB databases:

- ``header``: the database header (``dbheader.DatabaseHeader``): state, signature, the log
  position last applied, ...;
- ``trees``: every B-tree of the database, named by objid, keys of any length up to
  ``trees.KEY_MOST`` in memcmp order (the layout is ``longkeys``'s).

Invariants.

1. *One opener.* A file is open by at most one ``DatabaseFile`` in all processes: ``open``
   and ``create`` take an exclusive, non-blocking ``flock`` on the data file (per open file
   description, so a second open in the same process conflicts too) before LMDB sees the file.
   A second opener gets JET_errFileAccessDenied, what ESE's exclusive CreateFile returns
   (ERROR_SHARING_VIOLATION -> JET_errFileAccessDenied, os/error.cxx ErrOSErrFromWin32Err).
2. *Foreign files are never touched.* ``open`` validates the bytes itself
   (``dbheader.check_image``), then reads the header through a read-only, lock-less LMDB
   open, and only then opens the environment for writing. A rejected file stays unchanged.
3. *Atomic, ordered, durable applies.* ``apply(ops, lgpos)`` is one LMDB write transaction
   that changes the trees and sets ``applied_lgpos`` together: after any crash the file holds
   a prefix of the applied batches and ``applied_lgpos`` names the last batch in it. LMDB runs
   with ``sync=True, metasync=False``: the data pages of every commit are fsynced before its
   meta page is written, so an operating-system crash cannot expose a meta page whose pages
   are missing (never ``sync=False`` here: see docs/architecture/design.md, Storage). The meta page
   itself reaches the disk at the next commit's fsync or at ``flush``; ``apply(durable=True)``
   (the default) flushes before returning.
4. *Snapshots.* ``snapshot()`` is one LMDB read transaction: consistent across trees and with
   the header, unaffected by later applies, usable from any thread (py-lmdb opens every
   environment with MDB_NOTLS; the snapshot serialises its own calls with a lock).

Map size. LMDB maps the file at a fixed size; the file itself stays sparse. pyese starts at
``max(1 GiB, 2 x file size)`` and doubles it (i) before an apply when more than half is used
and no snapshot is open, or (ii) when LMDB reports the map full: then new snapshots wait, the
apply waits for open snapshots to close (py-lmdb invalidates every transaction on a resize)
for at most ``resize_timeout`` seconds, resizes and retries the whole batch. Concurrency
rule: a thread that holds a snapshot must not wait for an apply to finish, or the apply may
time out with JET_errOutOfDatabaseSpace. Snapshots kept idle between uses (the engine's
parked level-0 snapshots) are closed through ``release_idle`` before a resize looks at the
open ones, so they never hold one up.

Locks. ``_write_lock`` serialises writers (apply, set_state, resize). ``_cond`` (a Condition on
``_lock``) guards ``_env`` replacement, ``_closed``, ``_snapshots`` and ``_resizing``.
Lock order: ``_write_lock`` before ``_lock``.
"""

from __future__ import annotations

import errno
import os
import stat
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, NoReturn

import lmdb

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.database import longkeys as LK
from pyese.storage.database.dbheader import (
    FORMAT_VERSION,
    HEADER_DB,
    HEADER_KEY,
    PAGE_SIZES,
    SIGNATURE_SIZE,
    DatabaseHeader,
    check_image,
)
from pyese.storage.database.dbsnapshot import DbSnapshot
from pyese.storage.database.lmdberrors import raise_lmdb as _raise_lmdb
from pyese.storage.lgpos import LGPOS, LGPOS_MIN
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op
from pyese.storage.portable import O_CLOEXEC, fsync_dir, lock_exclusive
from pyese.storage.trees import KEY_MOST

TREES_DB = b"trees"
MAX_READERS = 2048
"""LMDB reader slots: one per open snapshot (sessions x databases), with room to spare."""
INITIAL_MAP_SIZE = 1 << 30
RESIZE_TIMEOUT = 30.0
_PAGE_PROBE = 65536

FaultHook = Callable[[str], None]
"""Called with a point name ("apply.before_commit", "apply.after_commit", "apply.after_flush",
"set_state.before_commit", "set_state.after_commit", "set_state.after_flush",
"create.before_header", "grow.wait"); a test hook may raise or kill the process there."""

_EPOCH_AS_FILETIME = 116444736000000000


class DatabaseFile:
    """One open pyese database file. Create with ``create`` or ``open``, never directly."""

    def __init__(
        self,
        path: str,
        fd: int,
        env: Any,
        *,
        read_only: bool,
        faults: FaultHook | None,
        map_size: int,
    ) -> None:
        # fixed after construction
        self.path = path
        self.read_only = read_only
        self.resize_timeout = RESIZE_TIMEOUT
        self._fd = fd  # holds the flock
        self._faults = faults
        self._write_lock = threading.Lock()
        self._lock = threading.RLock()  # re-entrant: a snapshot's __del__ may run under it
        self._cond = threading.Condition(self._lock)
        # guarded by _cond (env replaced only at close)
        self._env = env
        self._closed = False
        self._snapshots = 0
        self._resizing = False
        self._map_size = max(map_size, env.info()["map_size"])
        self._live: weakref.WeakSet[DbSnapshot] = weakref.WeakSet()
        self.release_idle: Callable[[], None] | None = None
        """Set by the owner of idle snapshots kept open between uses (the version store's
        parked level-0 snapshots): closes them. A resize calls it after setting
        ``_resizing`` (so none is parked again until it is done) and before it waits for
        open snapshots."""
        # guarded by _write_lock
        self._trees = env.open_db(TREES_DB, create=False)
        self._hdrdb = env.open_db(HEADER_DB, create=False)
        # (raw header record, its applied_lgpos): the last one a snapshot decoded; one
        # tuple, replaced whole, so readers on any thread see a matching pair
        self._applied_memo: tuple[bytes, LGPOS] | None = None
        self._header = self._read_header()

    # -- create / open / close ------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        page_size: int = 8192,
        faults: FaultHook | None = None,
        map_size: int = INITIAL_MAP_SIZE,
    ) -> DatabaseFile:
        """Create a new database file in state JustCreated, with a random signature.

        Errors, in ESE's order (db.cxx ErrDBCreateDatabase): empty path ->
        JET_errDatabaseInvalidPath; page size not one ESE accepts -> JET_errInvalidParameter;
        missing directory -> JET_errInvalidPath; file exists and not ``overwrite`` ->
        JET_errDatabaseDuplicate; existing file open elsewhere (overwrite) or no permission ->
        JET_errFileAccessDenied.
        """
        spath = os.fspath(path)
        if not spath:
            raise_error(C.JET_errDatabaseInvalidPath, "empty database path")
        _check_path(spath)
        if page_size not in PAGE_SIZES:
            raise_error(C.JET_errInvalidParameter, f"page size {page_size}")
        spath = os.path.abspath(spath)
        if not os.path.isdir(os.path.dirname(spath)):
            raise_error(C.JET_errInvalidPath, f"no directory for {spath}")
        if os.path.lexists(spath):
            if not overwrite:
                raise_error(C.JET_errDatabaseDuplicate, spath)
            _remove_unused(spath)
        try:
            fd = os.open(spath, os.O_RDWR | os.O_CREAT | os.O_EXCL | O_CLOEXEC, 0o666)
        except FileExistsError:
            raise_error(C.JET_errDatabaseDuplicate, spath)
        except OSError as exc:
            _raise_os(exc, spath)
        env = None
        try:
            _lock_exclusive(fd, spath)
            _remove_quietly(spath + "-lock")
            env = _open_env(spath, read_only=False, map_size=map_size)
            now = time.time_ns() // 100 + _EPOCH_AS_FILETIME
            header = DatabaseHeader(
                signature=os.urandom(SIGNATURE_SIZE),
                creation_time=now,
                state=C.JET_dbstateJustCreated,
                page_size=page_size,
                format_version=FORMAT_VERSION,
                applied_lgpos=LGPOS_MIN,
                log_signature=None,
            )
            if faults is not None:
                faults("create.before_header")
            with env.begin(write=True) as txn:
                env.open_db(TREES_DB, txn=txn, create=True)
                hdrdb = env.open_db(HEADER_DB, txn=txn, create=True)
                txn.put(HEADER_KEY, header.encode(), db=hdrdb)
            env.sync(True)
            _fsync_dir(os.path.dirname(spath))
            return cls(spath, fd, env, read_only=False, faults=faults, map_size=map_size)
        except BaseException as exc:
            if env is not None:
                env.close()
            _remove_quietly(spath)
            _remove_quietly(spath + "-lock")
            os.close(fd)
            if isinstance(exc, lmdb.Error):
                _raise_lmdb(exc, "create")
            raise

    @classmethod
    def open(
        cls,
        path: str | os.PathLike[str],
        *,
        read_only: bool = False,
        faults: FaultHook | None = None,
    ) -> DatabaseFile:
        """Open an existing pyese database file; never modifies a file it rejects.

        Errors, in order: empty path -> JET_errDatabaseInvalidPath; missing directory ->
        JET_errInvalidPath; missing file -> JET_errFileNotFound; read-write open of a file
        without write permission -> JET_errDatabaseFileReadOnly (ESE's attach checks the
        read-only attribute first, db.cxx ErrDBAttachDatabase); no access or open by another
        DatabaseFile (any process) -> JET_errFileAccessDenied; a genuine ESE .edb or another
        pyese format -> JET_errInvalidDatabaseVersion; anything else that is not a whole
        pyese database (empty, zeros, random, truncated, foreign) -> JET_errDatabaseCorrupted.
        """
        spath = os.fspath(path)
        if not spath:
            raise_error(C.JET_errDatabaseInvalidPath, "empty database path")
        _check_path(spath)
        spath = os.path.abspath(spath)
        try:
            st = os.stat(spath)
        except FileNotFoundError:
            if not os.path.isdir(os.path.dirname(spath)):
                raise_error(C.JET_errInvalidPath, f"no directory for {spath}")
            raise_error(C.JET_errFileNotFound, spath)
        except OSError as exc:
            _raise_os(exc, spath)
        if stat.S_ISDIR(st.st_mode):
            raise_error(C.JET_errFileAccessDenied, f"{spath} is a directory")
        if not read_only and _is_read_only_file(spath, st):
            raise_error(C.JET_errDatabaseFileReadOnly, spath)
        flags = (os.O_RDONLY if read_only else os.O_RDWR) | O_CLOEXEC
        try:
            fd = os.open(spath, flags)
        except OSError as exc:
            _raise_os(exc, spath)
        env = None
        try:
            _lock_exclusive(fd, spath)
            check_image(fd)
            map_size = max(INITIAL_MAP_SIZE, _round_map(2 * os.fstat(fd).st_size))
            probe = _open_env(spath, read_only=True, map_size=map_size)
            try:
                _probe_header(probe)
            finally:
                probe.close()
            env = _open_env(spath, read_only=read_only, map_size=map_size)
            if not read_only:
                env.reader_check()
            return cls(spath, fd, env, read_only=read_only, faults=faults, map_size=map_size)
        except BaseException as exc:
            if env is not None:
                env.close()
            os.close(fd)
            if isinstance(exc, lmdb.Error):
                _raise_lmdb(exc, "open")
            raise

    def close(self) -> None:
        """Close the file and release its lock. Idempotent. Open snapshots become unusable."""
        with self._write_lock:
            with self._cond:
                if self._closed:
                    return
                self._closed = True
                live = list(self._live)
                self._cond.notify_all()
            for snap in live:  # waits for a call in flight on another thread
                snap._end()
            self._env.close()
            os.close(self._fd)

    def __enter__(self) -> DatabaseFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- header ---------------------------------------------------------------------

    @property
    def header(self) -> DatabaseHeader:
        """The header as of the last committed apply / set_state."""
        return self._header

    def set_state(
        self, state: int, *, log_signature: bytes | None = None, lgpos: LGPOS | None = None
    ) -> None:
        """Set the database state; durable (synced) when it returns.

        ``log_signature`` names the log sequence the positions belong to; when it differs
        from the recorded one, ``applied_lgpos`` restarts at ``lgpos`` (or LGPOS_MIN): the old
        positions mean nothing in the new sequence. ``lgpos``: with DirtyShutdown it is the
        attach position; with CleanShutdown the consistent (= detach) position.
        Errors: JET_errInvalidParameter for an unknown state or a bad signature,
        JET_errDatabaseFileReadOnly on a read-only file.
        """
        if state not in range(C.JET_dbstateJustCreated, C.JET_dbstateRevertInProgress + 1):
            raise_error(C.JET_errInvalidParameter, f"database state {state}")
        if log_signature is not None and len(log_signature) != SIGNATURE_SIZE:
            raise_error(C.JET_errInvalidParameter, "log signature must be 16 bytes")
        with self._write_lock:
            self._check_writable()
            h = self._header
            new = replace(h, state=state)
            if log_signature is not None and log_signature != h.log_signature:
                new = replace(new, log_signature=log_signature, applied_lgpos=lgpos or LGPOS_MIN)
            if lgpos is not None and state == C.JET_dbstateDirtyShutdown:
                new = replace(new, attach_lgpos=lgpos)
            elif lgpos is not None and state == C.JET_dbstateCleanShutdown:
                new = replace(new, consistent_lgpos=lgpos, detach_lgpos=lgpos)
            self._commit([], new, "set_state", durable=True)

    # -- writing --------------------------------------------------------------------

    def apply(self, ops: Sequence[Op], lgpos: LGPOS, *, durable: bool = True) -> bool:
        """Apply ``ops`` in order and record ``applied_lgpos = lgpos``, in one transaction.

        A batch at or before the recorded ``applied_lgpos`` is already in the file and is
        skipped (returns False): recovery may replay from any checkpoint. With ``durable``
        the batch is on disk when this returns; without it, on disk after the next durable
        apply or ``flush``, and integrity is kept either way.
        Errors: JET_errInvalidParameter for a malformed op (unknown kind, objid outside
        32 bits, key over KEY_MOST, put without a value); JET_errDatabaseFileReadOnly on a
        read-only file; JET_errOutOfDatabaseSpace if the map cannot grow in time;
        JET_errDiskFull / JET_errDiskIO from the disk.
        """
        for op in ops:
            _check_op(op)
        with self._write_lock:
            self._check_writable()
            if lgpos <= self._header.applied_lgpos:
                return False
            self._commit(ops, replace(self._header, applied_lgpos=lgpos), "apply", durable)
            return True

    def flush(self) -> None:
        """Make every committed apply durable (fsync the data file and its meta page)."""
        with self._write_lock:
            self._check_writable()
            try:
                self._env.sync(True)
            except lmdb.Error as exc:
                _raise_lmdb(exc, "flush", path=self.path, need=self._write_need(()))

    def _commit(self, ops: Sequence[Op], header: DatabaseHeader, what: str, durable: bool) -> None:
        self._grow_if_idle()
        while True:
            try:
                with self._env.begin(write=True) as txn:
                    for op in ops:
                        _apply_op(txn, self._trees, op)
                    txn.put(HEADER_KEY, header.encode(), db=self._hdrdb)
                    self._fault(f"{what}.before_commit")
                break
            except lmdb.MapFullError:
                self._grow(waiting=True)
            except lmdb.Error as exc:
                _raise_lmdb(exc, what, path=self.path, need=self._write_need(ops))
        self._header = header
        self._fault(f"{what}.after_commit")
        if durable:
            try:
                self._env.sync(True)
            except lmdb.Error as exc:
                _raise_lmdb(exc, what, path=self.path, need=self._write_need(ops))
            self._fault(f"{what}.after_flush")

    def _write_need(self, ops: Sequence[Op]) -> int:
        """Bytes a write transaction of ``ops`` may write (see ``_raise_lmdb``)."""
        psize = self._env.stat()["psize"]
        data = sum(len(op.key) + len(op.value or b"") for op in ops)
        return 2 * data + _WRITE_SLACK_PAGES * psize

    def _grow_if_idle(self) -> None:
        info = self._env.info()
        used = (info["last_pgno"] + 1) * self._env.stat()["psize"]
        if 2 * used > self._map_size and (self._snapshots == 0
                                          or self.release_idle is not None):
            self._grow(waiting=False)

    def _grow(self, *, waiting: bool) -> None:
        """Double the map. Caller holds _write_lock and no write transaction is open.
        Idle snapshots (``release_idle``) are closed first; without ``waiting`` nothing
        happens while another snapshot is open."""
        hook = self.release_idle
        if hook is not None:
            with self._cond:
                self._resizing = True
            try:
                hook()
            except BaseException:
                with self._cond:
                    self._resizing = False
                    self._cond.notify_all()
                raise
        with self._cond:
            if not waiting and self._snapshots:
                self._resizing = False
                self._cond.notify_all()
                return
            self._resizing = True
            try:
                if self._snapshots:
                    self._fault("grow.wait")
                if not self._cond.wait_for(lambda: self._snapshots == 0, self.resize_timeout):
                    raise_error(
                        C.JET_errOutOfDatabaseSpace,
                        f"map full at {self._map_size} bytes and snapshots stayed open",
                    )
                new_size = self._map_size * 2
                try:
                    self._env.set_mapsize(new_size)
                except lmdb.Error as exc:
                    _raise_lmdb(exc, "grow")
                self._map_size = new_size
            finally:
                self._resizing = False
                self._cond.notify_all()

    # -- extra header records (backup fields) ---------------------------------------

    def read_meta(self, key: bytes) -> bytes | None:
        """Another record of the ``header`` LMDB database (not the header itself), or None.
        The backup fields live here (``storage.backup.bkinfo``)."""
        if key == HEADER_KEY:
            raise_error(C.JET_errInvalidParameter, "the header is read through .header")
        with self._cond:
            self._check_open()
            env = self._env
        try:
            with env.begin() as txn:
                value: bytes | None = txn.get(key, db=self._hdrdb)
                return value
        except lmdb.Error as exc:
            _raise_lmdb(exc, "read")

    def write_meta(self, key: bytes, value: bytes) -> None:
        """Replace another record of the ``header`` LMDB database; durable on return.
        Errors as ``set_state``."""
        if key == HEADER_KEY:
            raise_error(C.JET_errInvalidParameter, "the header is written through set_state")
        with self._write_lock:
            self._check_writable()
            try:
                with self._env.begin(write=True) as txn:
                    txn.put(key, value, db=self._hdrdb)
                self._env.sync(True)
            except lmdb.Error as exc:
                _raise_lmdb(exc, "write_meta")

    def pin_image(self) -> tuple[DbSnapshot, bytes, int]:
        """A snapshot pinned for copying the file as an LMDB image (a streaming backup).

        Returns ``(snapshot, meta_pages, image_size)``: while ``snapshot`` stays open, no
        writer reuses a page it can reach (LMDB frees pages only behind its oldest reader),
        so bytes ``[2 * psize, image_size)`` of the data file read at any later time, after
        ``meta_pages`` (the two meta pages as they were when the snapshot began), are an
        LMDB file holding exactly this snapshot: what LMDB's own ``mdb_env_copyfd0`` copies.
        The writer lock is held while the snapshot begins and the meta pages are read, so
        the newer meta page is the snapshot's. Close the snapshot when done.
        """
        with self._write_lock:
            snap = self.snapshot()
            try:
                head = os.pread(self._fd, _PAGE_PROBE, 0)
                psize = int.from_bytes(head[40:44], "little")
                metas = head[:psize] + os.pread(self._fd, psize, psize)
                txnid = snap._txn.id()
                last = None
                for i in (0, 1):
                    page = metas[i * psize:(i + 1) * psize]
                    if int.from_bytes(page[144:152], "little") == txnid:
                        last = int.from_bytes(page[136:144], "little")
                if last is None:
                    raise_error(C.JET_errDatabaseCorrupted, "no meta page for the snapshot")
            except BaseException:
                snap.close()
                raise
        return snap, metas, (last + 1) * psize

    # -- reading --------------------------------------------------------------------

    def snapshot(self) -> DbSnapshot:
        """A consistent read-only view of every tree (one LMDB read transaction).

        Close it when done: an open snapshot pins old pages and delays map growth.
        Errors: JET_errOutOfSessions when every LMDB reader slot (MAX_READERS) is taken.
        """
        with self._cond:
            while self._resizing:
                self._cond.wait()
            self._check_open()
            try:
                txn = self._env.begin(db=self._trees, buffers=False)
            except lmdb.ReadersFullError:
                raise_error(C.JET_errOutOfSessions, f"{MAX_READERS} snapshots open")
            except lmdb.Error as exc:
                _raise_lmdb(exc, "snapshot")
            self._snapshots += 1
            snap = DbSnapshot(self, txn)
            self._live.add(snap)
        return snap

    def _release_snapshot(self) -> None:
        with self._cond:
            self._snapshots -= 1
            self._cond.notify_all()

    def file_size(self) -> int:
        """Bytes the data file occupies (its length; LMDB leaves the map's tail sparse)."""
        self._check_open()
        return os.fstat(self._fd).st_size

    def space(self) -> tuple[int, int]:
        """(bytes the file holds, bytes of those LMDB holds free for reuse): the pages up
        to LMDB's last page that no tree (nor the header, nor the two meta pages) uses."""
        self._check_open()
        with self._env.begin() as txn:
            stats = [txn.stat(self._trees), txn.stat(self._hdrdb), self._env.stat()]
        info = self._env.info()
        psize = stats[-1]["psize"]
        used = 2 + sum(st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"]
                       for st in stats)
        free = max(0, info["last_pgno"] + 1 - used) * psize
        return os.fstat(self._fd).st_size, free

    def page_usage(self) -> tuple[int, int]:
        """(bytes of the pages the trees, the header and the two meta pages use, bytes up
        to LMDB's last page): the second is what the file holds now, the difference the
        pages LMDB holds free for reuse. Taken under ``_write_lock``, so the read
        transaction never overlaps a map resize (``_grow``)."""
        self._check_open()
        with self._write_lock, self._env.begin() as txn:
            stats = [txn.stat(self._trees), txn.stat(self._hdrdb), self._env.stat()]
        psize = stats[-1]["psize"]
        used = 2 + sum(st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"]
                       for st in stats)
        return used * psize, (self._env.info()["last_pgno"] + 1) * psize

    def extend_to(self, nbytes: int) -> int:
        """Make the file at least ``nbytes`` long (ESE's JetGrowDatabase preallocation:
        LMDB writes into the zeroed tail later); returns its length. Never shrinks."""
        self._check_writable()
        with self._write_lock:
            size = os.fstat(self._fd).st_size
            if nbytes > size:
                try:
                    os.ftruncate(self._fd, nbytes)
                except OSError as exc:
                    _raise_os(exc, self.path)
                size = nbytes
            return size

    def tree_pages(self) -> int:
        """Pages the ``trees`` LMDB database uses (branch, leaf and overflow pages)."""
        self._check_open()
        with self._env.begin() as txn:
            st = txn.stat(self._trees)
        return int(st["branch_pages"] + st["leaf_pages"] + st["overflow_pages"])

    def repack(self, start: bytes, stop: bytes | None, count: int) -> tuple[bytes | None, int]:
        """One step of online defragmentation: in one write transaction, take the first
        ``count`` LMDB records at or after ``start`` (and before ``stop``), delete them and
        put them back in key order. Their content is unchanged; LMDB merges the pages the
        deletes leave under-filled and the ordered puts fill fresh pages, so a tree that
        deletes left sparse ends up on fewer pages (the rest go to LMDB's free list, for
        reuse). Holds ``_write_lock`` like an apply, so it never interleaves with one;
        readers keep their snapshots (LMDB is copy-on-write).

        Returns (the key to continue from, or None at ``stop`` / the end; records moved).
        JET_errDatabaseFileReadOnly on a read-only file; JET_errOutOfDatabaseSpace /
        JET_errDiskFull as apply."""
        with self._write_lock:
            self._check_writable()
            self._grow_if_idle()
            while True:
                try:
                    with self._env.begin(write=True) as txn:
                        cur = txn.cursor(db=self._trees)
                        items: list[tuple[bytes, bytes]] = []
                        nxt: bytes | None = None
                        if cur.set_range(start):
                            for k, v in cur.iternext():
                                if stop is not None and k >= stop:
                                    break
                                if len(items) >= count:
                                    nxt = k
                                    break
                                items.append((k, v))
                        for k, _v in items:
                            txn.delete(k, db=self._trees)
                        for k, v in items:
                            txn.put(k, v, db=self._trees)
                        self._fault("repack.before_commit")
                    break
                except lmdb.MapFullError:
                    self._grow(waiting=True)
                except lmdb.Error as exc:
                    _raise_lmdb(exc, "repack", path=self.path, need=self._write_need(()))
            return nxt, len(items)

    # -- integrity ------------------------------------------------------------------

    def check(self) -> list[str]:
        """Walk the header and every tree; return the problems found ([] when healthy).

        Verifies: the header decodes and is consistent; every LMDB key is a direct key
        (4..500 bytes) or a bucket (501 bytes, ending 00); buckets decode, are non-empty and
        sorted; merged keys ascend strictly within each tree; no key exceeds KEY_MOST.
        """
        found: list[str] = []
        snap = self.snapshot()
        try:
            txn = snap._txn
            try:
                header = DatabaseHeader.decode(txn.get(HEADER_KEY, db=self._hdrdb))
                found += header.problems()
            except JetError as exc:
                found.append(f"header: {exc}")
            found += _walk_trees(txn, self._trees)
        finally:
            snap.close()
        return found

    # -- helpers --------------------------------------------------------------------

    def _read_header(self) -> DatabaseHeader:
        with self._env.begin() as txn:
            return DatabaseHeader.decode(txn.get(HEADER_KEY, db=self._hdrdb))

    def _check_open(self) -> None:
        if self._closed:
            raise_error(C.JET_errInvalidParameter, "database file is closed")

    def _check_writable(self) -> None:
        self._check_open()
        if self.read_only:
            raise_error(C.JET_errDatabaseFileReadOnly, "database opened read-only")

    def _fault(self, point: str) -> None:
        if self._faults is not None:
            self._faults(point)


# -- module helpers ---------------------------------------------------------------------


def _check_op(op: Op) -> None:
    if op.kind not in (OP_PUT, OP_DELETE, OP_DELETE_TREE):
        raise_error(C.JET_errInvalidParameter, f"unknown op kind {op.kind}")
    if not 0 <= op.objid <= LK.OBJID_MAX:
        raise_error(C.JET_errInvalidParameter, f"objid {op.objid} outside 32 bits")
    if op.kind == OP_DELETE_TREE:
        return
    if not isinstance(op.key, bytes | bytearray | memoryview) or len(op.key) > KEY_MOST:
        raise_error(C.JET_errInvalidParameter, f"key must be bytes of at most {KEY_MOST}")
    if op.kind == OP_PUT and op.value is None:
        raise_error(C.JET_errInvalidParameter, "put without a value")


def _apply_op(txn: Any, trees: Any, op: Op) -> None:
    key = bytes(op.key)
    if op.kind == OP_DELETE_TREE:
        cur = txn.cursor(db=trees)
        prefix = LK.objid_prefix(op.objid)
        if cur.set_range(prefix):
            while cur.key()[: LK.OBJID_SIZE] == prefix:
                if not cur.delete():
                    break
        return
    if not LK.is_long(key):
        lkey = LK.direct_key(op.objid, key)
        if op.kind == OP_PUT:
            txn.put(lkey, op.value, db=trees)
        else:
            txn.delete(lkey, db=trees)
        return
    bkey = LK.bucket_key(op.objid, key)
    raw = txn.get(bkey, db=trees)
    entries = LK.decode_bucket(raw) if raw is not None else []
    suffix = key[LK.DIRECT_MOST :]
    if op.kind == OP_PUT:
        assert op.value is not None
        LK.bucket_put(entries, suffix, bytes(op.value))
    else:
        i = LK.bucket_find(entries, suffix)
        if i < 0:
            return
        del entries[i]
    if entries:
        txn.put(bkey, LK.encode_bucket(entries), db=trees)
    else:
        txn.delete(bkey, db=trees)


def _walk_trees(txn: Any, trees: Any) -> list[str]:
    found: list[str] = []
    prev: tuple[bytes, bytes] | None = None  # (objid prefix, tree key)
    for lkey, value in txn.cursor(db=trees):
        if len(lkey) < LK.OBJID_SIZE or len(lkey) > LK.BUCKET_KEY_SIZE:
            found.append(f"trees: LMDB key of {len(lkey)} bytes")
            continue
        objid = lkey[: LK.OBJID_SIZE]
        if LK.is_bucket(lkey):
            try:
                entries = LK.decode_bucket(value)
            except JetError as exc:
                found.append(f"trees: {exc}")
                continue
            found += LK.bucket_problems(lkey, entries)
            keys = [lkey[LK.OBJID_SIZE : -1] + s for s, _ in entries]
        else:
            keys = [lkey[LK.OBJID_SIZE :]]
        for key in keys:
            if prev is not None and prev[0] == objid and key <= prev[1]:
                found.append(f"trees: objid {objid.hex()}: key order broken at {key[:16].hex()}")
            prev = (objid, key)
    return found


def _probe_header(env: Any) -> None:
    """Read the header through a read-only environment; JetError if it is not ours."""
    try:
        with env.begin() as txn:
            if txn.get(HEADER_DB) is None or txn.get(TREES_DB) is None:
                raise_error(C.JET_errDatabaseCorrupted, "an LMDB file but no pyese database")
        hdrdb = env.open_db(HEADER_DB, create=False)
        with env.begin() as txn:
            DatabaseHeader.decode(txn.get(HEADER_KEY, db=hdrdb))
    except lmdb.Error as exc:
        raise_error(C.JET_errDatabaseCorrupted, f"LMDB: {exc}")


def _open_env(path: str, *, read_only: bool, map_size: int) -> Any:
    # A read-only opener is alone with the file (flock), so no writer can recycle pages
    # under its readers: it needs no LMDB lock file and creates none.
    return lmdb.open(
        path,
        subdir=False,
        readonly=read_only,
        lock=not read_only,
        create=not read_only,
        sync=True,
        metasync=False,
        writemap=False,
        map_async=False,
        max_dbs=4,
        max_readers=MAX_READERS,
        map_size=map_size,
        readahead=False,
    )


def _round_map(n: int) -> int:
    return (n + (1 << 20) - 1) & ~((1 << 20) - 1)


def _lock_exclusive(fd: int, path: str) -> None:
    try:
        lock_exclusive(fd)
    except BlockingIOError:
        raise_error(C.JET_errFileAccessDenied, f"{path} is in use by another opener")
    except OSError as exc:
        _raise_os(exc, path)


def _remove_unused(path: str) -> None:
    """Delete an existing file that nobody has open (for create with overwrite)."""
    try:
        fd = os.open(path, os.O_RDONLY | O_CLOEXEC)
    except OSError as exc:
        _raise_os(exc, path)
    try:
        _lock_exclusive(fd, path)
        try:
            os.unlink(path)
        except OSError as exc:
            _raise_os(exc, path)
        _remove_quietly(path + "-lock")
    finally:
        os.close(fd)


def _remove_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _fsync_dir(path: str) -> None:
    fsync_dir(path)


def _is_read_only_file(path: str, st: os.stat_result) -> bool:
    # The analogue of Windows' read-only attribute: no write bit at all (which root's
    # access() would ignore), or no write access for this process.
    no_write_bits = not st.st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    return no_write_bits or not os.access(path, os.W_OK)


_ERRNO_TO_JET = {
    errno.ENOENT: C.JET_errFileNotFound,
    errno.ENOTDIR: C.JET_errInvalidPath,
    errno.ENAMETOOLONG: C.JET_errInvalidPath,
    errno.EACCES: C.JET_errFileAccessDenied,
    errno.EPERM: C.JET_errFileAccessDenied,
    errno.EROFS: C.JET_errFileAccessDenied,
    errno.EISDIR: C.JET_errFileAccessDenied,
    errno.ENOSPC: C.JET_errDiskFull,
    errno.EDQUOT: C.JET_errDiskFull,
    errno.EMFILE: C.JET_errOutOfFileHandles,
    errno.ENFILE: C.JET_errOutOfFileHandles,
    errno.ENOMEM: C.JET_errOutOfMemory,
}


def _raise_os(exc: OSError, path: str) -> NoReturn:
    """Map an OS error as ESE's ErrOSErrFromWin32Err maps Win32's (os/error.cxx)."""
    code = _ERRNO_TO_JET.get(exc.errno or 0, C.JET_errDiskIO)
    raise JetError.from_code(code, f"{path}: {exc.strerror}") from exc


_WRITE_SLACK_PAGES = 64
"""Pages a write transaction may need besides its data: the copied path to each changed
leaf, the free-list record, the meta page (an over-estimate on purpose)."""


def _check_path(spath: str) -> None:
    """A path the file system can name at all: no NUL, encodable; JET_errInvalidPath
    otherwise (os/error.cxx: ERROR_INVALID_NAME -> JET_errInvalidPath)."""
    if "\0" in spath:
        raise_error(C.JET_errInvalidPath, "a NUL character in the database path")
    try:
        os.fsencode(spath)
    except UnicodeError:
        raise_error(C.JET_errInvalidPath, "the database path cannot be encoded")

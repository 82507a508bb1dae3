"""A genuine ESE database file opened read-only: pages through a bounded cache, trees by objid.

``EdbFile.open(path)`` elects the header (see ``header.py``), then serves verified pages
(``page.py``) from an LRU cache of at most ``cache_pages`` pages read with ``os.pread``: memory
stays bounded whatever the file's size. The file is opened with ``open(path, 'rb')`` and
nothing is ever written or created.

Trees are named by objid (``objidFDP``) and found at their root page (``pgnoFDP``). The system
trees are known without the catalog (ESE ``cat.hxx`` / ``cat.cxx``): the database root
(objid 1, pgno 1), ``MSysObjects`` (objid 2, pgno 4), ``MSysObjectsShadow`` (objid 3,
pgno 24), ``MSysObjects``' ``Name`` index (objid 4, pgno 7) and ``RootObjects`` index (objid 5,
pgno 10). The engine registers the others with ``map_tree`` as it reads the catalog.

The file is immutable to us, so a snapshot is simply a view of it; it implements
:class:`pyese.storage.trees.TreeSnapshot`.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, BinaryIO

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb.btree import EdbTreeCursor, iterate_range, walk_pages
from pyese.storage.edb.header import PAGE_SIZES, EdbHeader, elect_header
from pyese.storage.edb.page import Node, Page

CPG_DB_RESERVED = 2
"""``cpgDBReserved``: the header and its shadow precede page 1."""

OBJID_SYSTEM_ROOT = 1
PGNO_SYSTEM_ROOT = 1
OBJID_MSO = 2
PGNO_MSO = 4
OBJID_MSO_SHADOW = 3
PGNO_MSO_SHADOW = 24
OBJID_MSO_NAME_INDEX = 4
PGNO_MSO_NAME_INDEX = 7
OBJID_MSO_ROOT_OBJECT_INDEX = 5
PGNO_MSO_ROOT_OBJECT_INDEX = 10

SYSTEM_TREES = {
    OBJID_MSO: PGNO_MSO,
    OBJID_MSO_SHADOW: PGNO_MSO_SHADOW,
    OBJID_MSO_NAME_INDEX: PGNO_MSO_NAME_INDEX,
    OBJID_MSO_ROOT_OBJECT_INDEX: PGNO_MSO_ROOT_OBJECT_INDEX,
}
"""objid -> pgnoFDP of the trees known without reading the catalog."""

DEFAULT_CACHE_PAGES = 1024


@dataclass(frozen=True)
class SkippedPage:
    """A page tolerant mode skipped: its number and the error it raised."""

    pgno: int
    err: int
    detail: str


def open_readonly(path: str | os.PathLike[str]) -> BinaryIO:
    """``open(path, 'rb')`` with OS errors mapped to ESE's file errors."""
    try:
        return open(path, "rb")  # noqa: SIM115 - the caller owns the handle
    except FileNotFoundError:
        raise_error(C.JET_errFileNotFound, f"{os.fspath(path)!s}")
    except IsADirectoryError:
        raise_error(C.JET_errInvalidPath, f"{os.fspath(path)!s} is a directory")
    except PermissionError:
        raise_error(C.JET_errFileAccessDenied, f"{os.fspath(path)!s}")
    except OSError as exc:
        raise_error(C.JET_errDiskIO, f"{os.fspath(path)!s}: {exc}")


def read_header(path: str | os.PathLike[str], *, allow_temp: bool = False) -> EdbHeader:
    """Read and elect the database header of the ESE file at ``path`` (read-only).

    Raises ``JET_errFileNotFound`` / ``JET_errFileAccessDenied`` / ``JET_errInvalidPath`` for
    the file itself, and what :func:`elect_header` raises (``allow_temp``: ESE's temporary
    database is returned instead of refused).
    """
    with open_readonly(path) as f:
        buf = f.read(2 * PAGE_SIZES[-1])
    return elect_header(buf, allow_temp=allow_temp)


class EdbFile:
    """A genuine ESE database file, read-only.

    ``tolerant``: tree walks skip pages that fail verification and list them in
    ``skipped_pages`` instead of raising. ``header.is_dirty`` exposes a dirty shutdown.
    """

    def __init__(self, f: BinaryIO, header: EdbHeader, *, tolerant: bool,
                 cache_pages: int, include_deleted: bool = False) -> None:
        self._f = f
        self._fd = f.fileno()
        self.header = header
        self.page_size = header.page_size
        size = os.fstat(self._fd).st_size
        self.page_count = max(0, size // self.page_size - CPG_DB_RESERVED)
        """Last pgno of the file (ESE's pgnoLast from the file size)."""
        self.tolerant = tolerant
        self.include_deleted = include_deleted
        """Tree walks return flag-deleted nodes too (a pyese forensic extension: ESE hides
        them); ``EdbTreeCursor.current_node.deleted`` marks them."""
        self.skipped_pages: list[SkippedPage] = []
        self._skipped_set: set[int] = set()
        self.corrected_pages: dict[int, int] = {}
        """pgno -> bit offset ESE's ECC corrected in memory when the page was read
        (``checksumu.cxx`` ChecksumAndPossiblyFixPage); the file itself is never written."""
        self._cache: OrderedDict[int, Page] = OrderedDict()
        self._cache_pages = max(8, cache_pages)
        self._lock = threading.Lock()
        self._trees: dict[int, int] = dict(SYSTEM_TREES)
        self._closed = False
        self.leaf_hints: dict[int, list[Any]] = {}
        """objid -> the path (``btree._Frame`` list) of the tree's last descent to a leaf,
        reused by seeks that land on the same leaf (``EdbTreeCursor._seek``). Entries are
        replaced whole and copied on use, so threads share them without a lock."""
        self.memo: dict[Any, Any] = {}
        """Caches of the layers above (decoded records: ``engine.genuine.records``); the
        file is immutable, so they stay valid while it is open."""

    @classmethod
    def open(cls, path: str | os.PathLike[str], *, tolerant: bool = False,
             cache_pages: int = DEFAULT_CACHE_PAGES, include_deleted: bool = False) -> EdbFile:
        """Open the ESE database at ``path`` read-only and elect its header.

        Raises ``JET_errFileNotFound``, ``JET_errFileAccessDenied``, ``JET_errInvalidPath``,
        ``JET_errReadVerifyFailure`` (no valid header: includes empty, truncated and foreign
        files), ``JET_errInvalidDatabase``, ``JET_errFileInvalidType``,
        ``JET_errInvalidDatabaseVersion``.
        """
        f = open_readonly(path)
        try:
            header = elect_header(f.read(2 * PAGE_SIZES[-1]))
            return cls(f, header, tolerant=tolerant, cache_pages=cache_pages,
                       include_deleted=include_deleted)
        except BaseException:
            f.close()
            raise

    # -- lifetime ------------------------------------------------------------------------

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._cache.clear()
            self.leaf_hints.clear()
            self.memo.clear()
            self._f.close()

    def __enter__(self) -> EdbFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def file_size(self) -> int:
        """The file's size in bytes."""
        return os.fstat(self._fd).st_size

    @property
    def whole_pages(self) -> bool:
        """Is the file a whole number of pages (ESE extends files by whole pages)?"""
        return self.file_size() % self.page_size == 0

    # -- pages ---------------------------------------------------------------------------

    def _read(self, offset: int, cb: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self._fd, cb, offset)
        with self._lock:  # pragma: no cover - platforms without pread
            self._f.seek(offset)
            return self._f.read(cb)

    def read_page(self, pgno: int, *, verify: bool = True) -> Page:
        """Page ``pgno``, verified (checksum, pgno, structure) unless ``verify`` is False.

        Raises ``JET_errFileIOBeyondEOF`` beyond the file, and what :class:`Page` raises.
        """
        if self._closed:
            raise_error(C.JET_errInvalidParameter, "the EDB file is closed")
        if verify:
            with self._lock:
                page = self._cache.get(pgno)
                if page is not None:
                    self._cache.move_to_end(pgno)
                    return page
        if not 1 <= pgno <= self.page_count:
            raise_error(C.JET_errFileIOBeyondEOF, f"page {pgno} is beyond the file's last "
                        f"page {self.page_count}")
        cb = self.page_size
        buf = self._read((pgno + CPG_DB_RESERVED - 1) * cb, cb)
        if len(buf) != cb:
            raise_error(C.JET_errFileIOBeyondEOF, f"page {pgno}: short read ({len(buf)} bytes)")
        page = Page(buf, pgno, verify=verify)
        if verify:
            with self._lock:
                if page.corrected_bit is not None:
                    self.corrected_pages[pgno] = page.corrected_bit
                self._cache[pgno] = page
                while len(self._cache) > self._cache_pages:
                    self._cache.popitem(last=False)
        return page

    def note_skipped(self, pgno: int, err: JetError) -> None:
        """Record a page tolerant mode skipped (once per page)."""
        with self._lock:
            if pgno not in self._skipped_set:
                self._skipped_set.add(pgno)
                self.skipped_pages.append(SkippedPage(pgno, err.err, err.detail or ""))

    def iterate_pages(self, first: int = 1, last: int | None = None, *,
                      verify: bool = True) -> Iterator[tuple[int, Page | JetError]]:
        """(pgno, Page or the JetError reading it raised) for every page in range (debugging)."""
        stop = self.page_count if last is None else min(last, self.page_count)
        for pgno in range(max(1, first), stop + 1):
            try:
                yield pgno, self.read_page(pgno, verify=verify)
            except JetError as err:
                yield pgno, err

    # -- trees ---------------------------------------------------------------------------

    def map_tree(self, objid: int, pgno_fdp: int) -> None:
        """Register tree ``objid`` rooted at ``pgno_fdp`` (learnt from the catalog).

        ``JET_errInvalidParameter`` for a non-positive objid or pgno. A root beyond the
        file (a truncated file) is accepted here: reading the tree raises
        ``JET_errDatabaseCorrupted`` (or skips it in tolerant mode).
        """
        if objid <= 0 or pgno_fdp < 1:
            raise_error(C.JET_errInvalidParameter, f"objid {objid} / pgnoFDP {pgno_fdp}")
        with self._lock:
            self._trees[objid] = pgno_fdp

    def pgno_fdp(self, objid: int) -> int:
        """The root page of tree ``objid``; ``JET_errObjectNotFound`` if not registered."""
        try:
            return self._trees[objid]
        except KeyError:
            raise_error(C.JET_errObjectNotFound, f"tree objid {objid} is not mapped")

    @property
    def trees(self) -> dict[int, int]:
        with self._lock:
            return dict(self._trees)

    def cursor(self, objid: int) -> EdbTreeCursor:
        return EdbTreeCursor(self, objid, self.pgno_fdp(objid))

    def leaf_nodes(self, objid: int, *, include_deleted: bool = False) -> Iterator[Node]:
        """Every leaf node of a tree in key order, with flags (debugging, oracle comparisons)."""
        for page in walk_pages(self, objid, self.pgno_fdp(objid)):
            if page.is_leaf:
                for node in page.nodes():
                    if include_deleted or not node.deleted:
                        yield node

    def carve_leaves(self, objid: int, skip: set[int]) -> Iterator[Page]:
        """Leaf pages of tree ``objid`` found by scanning the file, except the pgnos in
        ``skip``: what survives of a tree whose internal pages are lost (a truncated or
        damaged copy). A page qualifies by its header: ``objidFDP`` = objid, ``fPageLeaf``,
        not a space-tree page, and it verifies. Reads every page once (bounded memory)."""
        for pgno, page in self.iterate_pages():
            if (isinstance(page, Page) and page.objid == objid and page.is_leaf
                    and not page.is_space_tree and not page.is_empty and pgno not in skip):
                yield page

    def tree_pages(self, objid: int) -> Iterator[Page]:
        """Every page of a tree, parents first (debugging)."""
        return walk_pages(self, objid, self.pgno_fdp(objid))

    def snapshot(self) -> EdbSnapshot:
        return EdbSnapshot(self)


class EdbSnapshot:
    """A :class:`pyese.storage.trees.TreeSnapshot` over an :class:`EdbFile` (read-only)."""

    def __init__(self, edb: EdbFile) -> None:
        self._edb = edb
        self._closed = False

    def _check(self) -> None:
        if self._closed:
            raise_error(C.JET_errInvalidParameter, "snapshot is closed")

    def map_tree(self, objid: int, pgno_fdp: int) -> None:
        self._edb.map_tree(objid, pgno_fdp)

    def cursor(self, objid: int) -> EdbTreeCursor:
        self._check()
        return self._edb.cursor(objid)

    def get(self, objid: int, key: bytes) -> bytes | None:
        """Data of the first visible node whose key equals ``key``, or None."""
        kd = self.cursor(objid).seek_ge(key)
        if kd is None or kd[0] != key:
            return None
        return kd[1]

    def iterate(self, objid: int, start: bytes = b"",
                stop: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
        """Nodes with start <= key < stop (stop None: to the end), in key order."""
        return iterate_range(self.cursor(objid), start, stop)

    def close(self) -> None:
        self._closed = True

"""Database size and space: JetGrowDatabase, JetSetDatabaseSize, JetResizeDatabase and the
space levels of JetGetDatabaseInfo.

Sizes are in pages of the database's page size (ESE's unit). A pyese database is an LMDB
file: LMDB reuses the pages a delete frees but never gives them back to the file system,
so the file only grows. ``grow`` preallocates (the file is extended with zeros LMDB fills
later, as ESE extends its file); shrinking is done by ``JetCompact`` into a new file.
``available_pages`` counts the pages LMDB holds free inside the file.
"""

from __future__ import annotations

from pyese.engine.instance.database import Database, database_of, find_attached_anywhere
from pyese.engine.instance.session import Session
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.database.dbfile import DatabaseFile


def _pages(nbytes: int, page_size: int) -> int:
    return nbytes // page_size


def _writable(db: Database) -> DatabaseFile:
    if db.genuine or db.read_only:
        raise_error(C.JET_errPermissionDenied, "database attached read-only")
    return db.file  # type: ignore[no-any-return]


def owned_pages(db: Database) -> int:
    """Pages the database file holds."""
    size, _free = db.file.space() if not db.genuine else (db.file.file_size(), 0)
    return _pages(size, db.page_size)


def available_pages(db: Database) -> int:
    """Pages of the file LMDB holds free for reuse (0 for a genuine file, read as is)."""
    if db.genuine:
        return 0
    _size, free = db.file.space()
    return _pages(free, db.page_size)


def _check_size_max(db: Database, file: DatabaseFile, cpg: int) -> None:
    """Refuse to extend the file to ``cpg`` pages past the attachment's maximum size
    (``cpgDatabaseSizeMax`` of JetCreateDatabase2 / JetAttachDatabase2):
    JET_errOutOfDatabaseSpace, and the file keeps its size.

    ESE's space manager makes the same check before it asks the file system for a
    secondary extent of the database root, which is where JetGrowDatabase's
    ``ErrSPGetExt`` ends up: space.cxx ``ErrSPIGetSE``, ``if (
    pfmp->CpgDatabaseSizeMax() )`` and ``cpgNow + cpgSEReq > pfmp->CpgDatabaseSizeMax()``
    gives ``SPReportMaxDbSizeExceeded`` and ``JET_errOutOfDatabaseSpace``. It does not
    grow part way. (That is the ESE98 source, the one with streaming files; the public
    source's copy was not located in its long space.cxx.) A size the file already has
    needs no extension and is never refused."""
    if not db.size_max or db.genuine:
        return
    now = _pages(file.file_size(), db.page_size)
    if cpg > now and cpg > db.size_max:
        raise_error(C.JET_errOutOfDatabaseSpace,
                    f"{db.path}: maximum size of {db.size_max} pages reached")


def grow(session: Session, dbid: object, cpg: int) -> int:
    """JetGrowDatabase: make the open database at least ``cpg`` pages; returns its size.
    JET_errInvalidDatabaseId; JET_errPermissionDenied when attached read-only;
    JET_errOutOfDatabaseSpace past the attachment's maximum size (``_check_size_max``)."""
    db = database_of(session, dbid)
    file = _writable(db)
    _check_size_max(db, file, cpg)
    return _pages(file.extend_to(cpg * db.page_size), db.page_size)


def set_size(path: str, cpg: int) -> int:
    """JetSetDatabaseSize: make the database file ``path`` at least ``cpg`` pages; it may
    be detached (the file is opened for the call) or attached. Returns its size. The
    errors of opening the file (JET_errFileNotFound, JET_errDatabaseCorrupted, ...)."""
    db = find_attached_anywhere(path)
    if db is not None:
        file = _writable(db)
        return _pages(file.extend_to(cpg * db.page_size), db.page_size)
    with DatabaseFile.open(path) as file:
        page_size = file.header.page_size
        return _pages(file.extend_to(cpg * page_size), page_size)


def resize(session: Session, dbid: object, cpg: int, grbit: int) -> int:
    """JetResizeDatabase: grow to ``cpg`` pages (unless JET_bitResizeDatabaseOnlyShrink);
    a shrink is not possible in place (ESE's JET_wrnShrinkNotPossible) and leaves the
    size. JET_errInvalidGrbit for unknown bits or both; JET_errOutOfDatabaseSpace for a
    grow past the attachment's maximum size (as JetGrowDatabase); returns the size in
    pages."""
    if grbit & ~(C.JET_bitResizeDatabaseOnlyGrow | C.JET_bitResizeDatabaseOnlyShrink) or (
            grbit & C.JET_bitResizeDatabaseOnlyGrow and grbit & C.JET_bitResizeDatabaseOnlyShrink):
        raise_error(C.JET_errInvalidGrbit)
    db = database_of(session, dbid)
    file = _writable(db)
    if grbit & C.JET_bitResizeDatabaseOnlyShrink:
        return _pages(file.file_size(), db.page_size)
    _check_size_max(db, file, cpg)
    return _pages(file.extend_to(cpg * db.page_size), db.page_size)


__all__ = ["available_pages", "grow", "owned_pages", "resize", "set_size"]

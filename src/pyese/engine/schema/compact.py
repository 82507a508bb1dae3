"""JetCompact: a consistent, compact copy of an attached database into a new file.

ESE's offline defragmentation (``dbutil``/``JetCompact``) builds a new database from the
source's catalog and copies every table's records, indexes and long values into it: the
new file holds only live data, packed. pyese does the same at the level of its trees:

1. every commit already made is brought into the source file (``VersionStore.catch_up``);
2. one read snapshot of the source file gives a consistent image of every tree (the
   catalog ``MSysObjects``, each table, each secondary index, each long-value tree);
3. a new database file is created (``JET_errDatabaseDuplicate`` if the name exists) and
   each tree is written into it in key order, in batches, with the same object ids, so
   column ids, autoincrement values, bookmarks and long-value ids are all preserved;
4. the new file is marked cleanly shut down and closed, not attached: a database ready to
   be attached, as ESE leaves it.

The source stays attached and usable; the copy sees the state committed when it began.
Freed space is not copied: LMDB reuses freed pages but never shrinks a file, so this is
how a pyese database gives space back to the file system.

A genuine Windows ``.edb`` cannot be copied tree by tree (its non-unique indexes and long
values are laid out differently, and its catalog names system tables pyese does not
keep): it is converted by ``pyese.engine.genuine.convert`` as ESE's own compaction does,
schema first, then every record through the engine.

The status callback (``JET_PFNSTATUS``) gets ``JET_snpCompact`` with ``JET_sntBegin``,
``JET_sntProgress`` (a ``(cunitDone, cunitTotal)`` pair, one unit per tree) and
``JET_sntComplete``; a negative result (or an exception, ``JET_errCallbackFailed``) stops
the compaction, the partial copy is deleted, the callback gets ``JET_sntFail`` (as after
any failure: ESE ``ErrCMPTermProgress``), and the error is the call's.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from pyese.engine.genuine.convert import convert
from pyese.engine.instance.database import normalize
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.schema.catalog import Catalog
from pyese.engine.schema.sysobjects import objidFDPMSO
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_PUT, Op

_BATCH_BYTES = 4 << 20
"""Bytes of nodes written per LMDB transaction of the copy."""

Status = Callable[[int, int, Any], None]
"""(snt, cunitDone or 0, cunitTotal or 0) -> None; raises to stop (see ``call_status``)."""


def _trees(catalog: Catalog) -> list[int]:
    objids = [objidFDPMSO]
    for table in catalog:
        objids.append(table.objid)
        for cix in table.indexes:
            if cix.objid != table.objid:
                objids.append(cix.objid)
        if table.lv_objid is not None:
            objids.append(table.lv_objid)
    return list(dict.fromkeys(objids))


def compact(session: Session, source: str, dest: str, status: Status | None,
            grbit: int) -> None:
    """Copy attached database ``source`` into a new database file ``dest``.

    Errors, in order: JET_errInvalidGrbit (bits other than Stats / Repair /
    PreserveOriginal); JET_errInTransaction; then, after ``JET_sntBegin`` (ESE's
    ErrIsamCompact starts its progress before it opens either database),
    JET_errDatabaseNotFound when ``source`` is not attached; JET_errDatabaseDuplicate
    when ``dest`` is the source; a genuine Windows source is then converted
    (``engine.genuine.convert.convert``, with its errors); DatabaseFile.create's errors
    for ``dest`` (JET_errDatabaseDuplicate, JET_errInvalidPath, ...); the status
    callback's error. After a failure the callback gets ``JET_sntFail`` (ESE
    ErrCMPTermProgress); an error it returns for that replaces the failure's. After
    success it gets ``JET_sntComplete``, and an error it returns then is the call's (the
    copy is made and stays).
    """
    if grbit & ~(C.JET_bitCompactStats | C.JET_bitCompactRepair
                 | C.JET_bitCompactPreserveOriginal):
        raise_error(C.JET_errInvalidGrbit)
    if session.level > 0:
        raise_error(C.JET_errInTransaction)
    if status is not None:
        status(C.JET_sntBegin, 0, 0)
    try:
        _copy(session, source, dest, status)
    except Exception as exc:
        if status is not None:
            try:
                status(C.JET_sntFail, 0, 0)
            except JetError as err:
                raise err from exc
        raise
    if status is not None:
        status(C.JET_sntComplete, 0, 0)


def _copy(session: Session, source: str, dest: str, status: Status | None) -> None:
    """:func:`compact` between its progress reports."""
    storage = storage_of(session.instance)
    db = storage.databases.find_attached(source)
    if db is None:
        raise_error(C.JET_errDatabaseNotFound, source)
    dest_path = normalize(dest)
    if dest_path == db.path:
        raise_error(C.JET_errDatabaseDuplicate, dest_path)
    if getattr(db, "genuine", False):
        convert(session, db, dest_path, status)
        return
    if storage.vs is not None:
        storage.vs.catch_up()
    snap = db.file.snapshot()
    out: DatabaseFile | None = None
    try:
        catalog = Catalog.load(snap, db.page_size)
        trees = _trees(catalog)
        out = DatabaseFile.create(dest_path, page_size=db.file.header.page_size)
        serial = 0
        for done, objid in enumerate(trees, 1):
            batch: list[Op] = []
            size = 0
            for key, value in snap.iterate(objid):
                batch.append(Op(OP_PUT, objid, key, value))
                size += len(key) + len(value)
                if size >= _BATCH_BYTES:
                    serial += 1
                    out.apply(batch, LGPOS(0, serial), durable=False)
                    batch, size = [], 0
            if batch:
                serial += 1
                out.apply(batch, LGPOS(0, serial), durable=False)
            if status is not None:
                status(C.JET_sntProgress, done, len(trees))
        out.flush()
        out.set_state(C.JET_dbstateCleanShutdown)
        out.close()
        out = None
    except BaseException:
        if out is not None:
            out.close()
        if os.path.exists(dest_path) and not _is_attached(storage, dest_path):
            _remove(dest_path)
        raise
    finally:
        snap.close()


def _is_attached(storage: Any, path: str) -> bool:
    return storage.databases.find_attached(path) is not None


def _remove(path: str) -> None:
    for name in (path, path + "-lock"):
        try:
            os.remove(name)
        except OSError:
            pass


def call_status(fn: Callable[..., Any], sesid: Any, snp: int, snt: int, pv: Any) -> None:
    """Run a JET_PFNSTATUS: a negative result is raised as that error; an exception that
    is not a JetError becomes JET_errCallbackFailed (with the exception as its cause)."""
    try:
        result = fn(sesid, snp, snt, pv)
    except JetError:
        raise
    except Exception as exc:
        raise JetError.from_code(C.JET_errCallbackFailed, repr(exc)) from exc
    if isinstance(result, int) and not isinstance(result, bool) and result < 0:
        raise_error(result, "returned by the status callback")


__all__ = ["call_status", "compact"]

"""Statistics and information: JetComputeStats, JetGetCursorInfo, the engine's version,
instance information and JetIdle's work.

**Catalog statistics** (``JetComputeStats``, ESE ``stat.cxx`` ErrIsamComputeStats /
``cat.cxx`` ErrCATStats). ESE keeps, in the ``Stats`` column of a table's and of each
secondary index's catalog row, an ``SR``: entries (``cItems``), distinct keys (``cKeys``),
pages (``cPages``) and the time they were computed. Only ``JetComputeStats`` writes them;
``JetGetTableInfo(JET_TblInfo)``, ``JetGetObjectInfo`` and the ``JET_IdxInfoList`` rows read
them back (``cRecord`` / ``cPage``, ``cKey`` / ``cEntry`` / ``cPage``). Here the counts are
made through the session's view (so they are what the calling transaction sees, as ESE's
are), and the row is written in a transaction of its own or the caller's, like any DDL.

pyese's trees live in LMDB, not in ESE pages, so ``cPages`` is the number of ESE pages of
the database's page size the nodes would fill at ESE's default density: the bytes of the
nodes (key, data and ESE's 4-byte node header) over the usable bytes of a page.
"""

from __future__ import annotations

import datetime as _dt
import math
from typing import Any

from pyese.engine.cursors.cursor import ON, Cursor
from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.schema.ddl import _check_writable, _put_row, ddl_transaction, node_index_key
from pyese.engine.schema.fcb import catalog_of
from pyese.engine.schema.sysobjects import encode_stats, sysobjIndex, sysobjTable
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage import threadstats
from pyese.storage.log.checkpoint import checkpoint_path, read_checkpoint

ENGINE_VERSION = (10 << 28) | (0 << 24) | (10240 << 8) | 0
"""JetGetVersion's value: ESE packs major (4 bits), minor (4 bits), build (16 bits) and
build minor (8 bits) of esent.dll. pyese reports 10.0.10240.0, the Windows 10 ESENT whose
API (JET_VERSION 0x0A00) it implements, so ManagedEsent-style clients enable every feature."""

_PAGE_HEADER = 80
"""Bytes of an ESE page taken by its header (large-page format)."""
_NODE_OVERHEAD = 4
"""ESE's per-node cost on a page: the TAG (2 bytes) and the key-length prefix (2 bytes)."""
_DENSITY = 80
"""ESE's default page density (percent), JET_TABLECREATE's ulDensity default."""
_OLE_EPOCH = _dt.datetime(1899, 12, 30)


def dateserial_now() -> float:
    """Now as a JET_DATESERIAL (days since 1899-12-30, local time as ESE's UtilGetDateTime)."""
    delta = _dt.datetime.now() - _OLE_EPOCH
    return delta.days + delta.seconds / 86400.0 + delta.microseconds / 86400e6


def pages_for(nbytes: int, page_size: int) -> int:
    """ESE pages of ``page_size`` that ``nbytes`` of nodes fill at the default density."""
    usable = (page_size - _PAGE_HEADER) * _DENSITY // 100
    return max(1, math.ceil(nbytes / usable))


def _tree_counts(view: Any, objid: int, key_of: Any) -> tuple[int, int, int]:
    """(entries, distinct keys, bytes) of tree ``objid`` in ``view``."""
    entries = keys = nbytes = 0
    last: bytes | None = None
    for node_key, data in view.iterate(objid):
        entries += 1
        nbytes += len(node_key) + len(data) + _NODE_OVERHEAD
        k = key_of(node_key)
        if k != last:
            keys += 1
            last = k
    return entries, keys, nbytes


def compute_stats(session: Session, cur: Cursor) -> None:
    """JetComputeStats: count the table's records and each secondary index's entries and
    distinct keys as the session sees them, and store them in the catalog rows.

    Raises JET_errPermissionDenied for a database attached read-only and
    JET_errTransReadOnly in a read-only transaction (the catalog write), and whatever the
    catalog write raises (JET_errWriteConflict if another session changed the rows).
    """
    db = cur.db
    _check_writable(db)
    if session.level and session.read_only:
        raise_error(C.JET_errTransReadOnly)  # ESE: pib.hxx ErrPIBCheckUpdatable
    dc = catalog_of(db)
    table = dc.catalog(session).table_by_objid(cur.table.objid)
    when = dateserial_now()
    with ddl_transaction(session):
        view = dc.view(session)
        records, _keys, nbytes = _tree_counts(view, table.objid, lambda k: k)
        row = table.schema.table
        stats = encode_stats(records, records, pages_for(nbytes, dc.page_size), when)
        _put_row(session, db, table.objid, sysobjTable, table.objid,
                 _replace(row, stats=stats).to_record(dc.page_size))
        for cix in table.indexes:
            if cix.objid == table.objid:
                continue
            ix = cix.index
            entries, keys, nbytes = _tree_counts(
                view, cix.objid, lambda k, ix=ix: node_index_key(ix, k))
            stats = encode_stats(entries, keys, pages_for(nbytes, dc.page_size), when)
            _put_row(session, db, table.objid, sysobjIndex, cix.objid,
                     _replace(cix, stats=stats).to_record(dc.page_size))


def table_space(session: Session, cur: Cursor, long_values: bool = False) -> tuple[int, int]:
    """(pages owned, pages available) of the cursor's table as the session sees it: its
    record tree and secondary indexes, or (``long_values``) its long-value tree. Pages are
    counted from node bytes as ``compute_stats`` counts them (``pages_for``): pyese's
    trees share one LMDB sub-database, so no tree owns pages of its own, and none keeps
    free pages in reserve (available is 0)."""
    dc = catalog_of(cur.db)
    table = dc.catalog(session).table_by_objid(cur.table.objid)
    view = dc.view(session)
    if long_values:
        objids = [table.lv_objid] if table.lv_objid is not None else []
    else:
        objids = [table.objid] + [c.objid for c in table.indexes if c.objid != table.objid]
    nbytes = sum(_tree_counts(view, objid, lambda k: k)[2] for objid in objids)
    return (pages_for(nbytes, dc.page_size) if objids else 0), 0


def _replace(obj: Any, **changes: Any) -> Any:
    from dataclasses import replace

    return replace(obj, **changes)


def cursor_info(session: Session, cur: Cursor, level: int) -> None:
    """JetGetCursorInfo (ESE info.cxx ErrIsamGetCursorInfo): JET_errInvalidParameter for a
    level other than 0; JET_errNoCurrentRecord off a record; JET_errRecordDeleted on a
    record of a genuine file ESE flag-deleted (reached only with the pyese attach bit
    JET_bitDbPyeseShowDeleted; ESE's ErrDIRGet gives it for a node it cannot see);
    JET_errWriteConflict when another session has an uncommitted change of the current
    record."""
    if level != 0:
        raise_error(C.JET_errInvalidParameter, "JetGetCursorInfo takes InfoLevel 0")
    cur.resolve_deferred()
    if cur.state != ON:
        raise_error(C.JET_errNoCurrentRecord)
    bookmark = cur.current_bookmark()
    flagged = getattr(cur.view(), "is_flag_deleted", None)  # genuine files (engine.genuine)
    if flagged is not None and flagged(cur.table.objid, bookmark):
        raise_error(C.JET_errRecordDeleted, "ESE flag-deleted this record and has not removed "
                    "it yet (shown by JET_bitDbPyeseShowDeleted)")
    vs = storage_of(session.instance).vs if cur.dc.vs is not None else None
    if vs is not None and vs.uncommitted_by_other(session, cur.db, cur.table.objid, bookmark):
        raise_error(C.JET_errWriteConflict)


def thread_stats() -> dict[str, int]:
    """The calling thread's counters by JET_THREADSTATS field (storage.threadstats)."""
    return threadstats.reading()


def log_signature(instance: Any) -> bytes | None:
    """The raw signature of the instance's log (None when JET_paramRecovery is off)."""
    sig = storage_of(instance).log_signature
    return sig.raw if sig is not None else None


def checkpoint_generations(instance: Any) -> tuple[int, int] | None:
    """(the checkpoint's generation, the newest generation written), or None without a
    log: JetGetInstanceMiscInfo(JET_InstanceMiscInfoCheckpoint)."""
    storage = storage_of(instance)
    log = storage.log
    if log is None:
        return None
    gen_max = log.appended_lgpos.generation
    ckpt = read_checkpoint(checkpoint_path(storage.system_path, storage.base_name))
    gen_min = ckpt.lgpos.generation if ckpt is not None else gen_max
    return (min(gen_min, gen_max) or 1, gen_max)


def version_store_status(session: Session) -> bool:
    """Is the version store more than half full? (JetIdle JET_bitIdleStatus)"""
    vs = storage_of(session.instance).vs
    return vs is not None and vs.nbytes * 2 > vs.max_bytes


def idle_cleanup(session: Session) -> bool:
    """JetIdle's cleanup: drop the versions no reader needs. True if anything went."""
    vs = storage_of(session.instance).vs
    if vs is None:
        return False
    before = vs.nbytes
    vs.cleanup()
    return vs.nbytes < before


__all__ = [
    "ENGINE_VERSION",
    "checkpoint_generations",
    "log_signature",
    "thread_stats",
    "compute_stats",
    "cursor_info",
    "dateserial_now",
    "idle_cleanup",
    "pages_for",
    "table_space",
    "version_store_status",
]

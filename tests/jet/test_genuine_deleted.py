"""JET_bitDbPyeseShowDeleted: a pyese forensic attach bit, not ESE's (issue 14).

ESE hides nodes it has flag-deleted (``node.hxx`` fNDDeleted) and not yet cleaned up; with
this bit the table trees of a genuine file show them as records (the catalog never), so an
analyst can read them through the JET API. Without it pyese hides them as ESE does.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import JET_bitDbPyeseShowDeleted
from pyese.engine.schema.catalog import Catalog
from pyese.storage.edb import EdbFile, Page
from tests.genuine.fuzz import reseal_page
from tests.genuine.samples import SAMPLES_DIR

CB = 4096


@pytest.fixture
def deleted_file(tmp_path: Path) -> Path:
    src = SAMPLES_DIR / "basic.edb.gz"
    if not src.is_file():
        pytest.skip("genuine ESE samples not available")
    raw = bytearray(gzip.decompress(src.read_bytes()))
    good = tmp_path / "good.edb"
    good.write_bytes(raw)
    with EdbFile.open(good) as edb:
        t = Catalog.load(edb.snapshot(), edb.page_size).table("basic")
        leaf = next(p.pgno for p in edb.tree_pages(t.objid) if p.is_leaf)
    page = bytearray(raw[(leaf + 1) * CB:(leaf + 2) * CB])
    p = Page(bytes(page), leaf)
    off = CB - 4 * (p.ctag_reserved + 1)  # the first line's TAG: flags in ib's top bits
    ib = struct.unpack_from("<H", page, off + 2)[0]
    struct.pack_into("<H", page, off + 2, ib | (0x2 << 13))
    reseal_page(page, leaf)
    raw[(leaf + 1) * CB:(leaf + 2) * CB] = page
    path = tmp_path / "deleted.edb"
    path.write_bytes(raw)
    return path


def _count(s, db) -> int:
    t = jet.JetOpenTable(s, db, "basic", None, jet.JET_bitTableReadOnly)
    n = 0
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            n += 1
            jet.JetMove(s, t, jet.JET_MoveNext)
    except jet.JetError as err:
        assert err.err == jet.JET_errNoCurrentRecord
    jet.JetCloseTable(s, t)
    return n


@pytest.mark.parametrize(("grbit", "records"), [(0, 1), (JET_bitDbPyeseShowDeleted, 2)])
def test_show_deleted_attach_bit(deleted_file: Path, grbit: int, records: int) -> None:
    inst = jet.JetCreateInstance("del")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, str(deleted_file), jet.JET_bitDbReadOnly | grbit)
        db = jet.JetOpenDatabase(s, str(deleted_file))
        assert _count(s, db) == records
        jet.JetCloseDatabase(s, db)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(inst)


def _walk_marked(s, db) -> list[tuple[bytes, bool, bytes | None]]:
    """(bookmark, JetGetCursorInfo says deleted, first column's value) per record."""
    t = jet.JetOpenTable(s, db, "basic", None, jet.JET_bitTableReadOnly)
    cols = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
    out = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            try:
                jet.JetGetCursorInfo(s, t)
                deleted = False
            except jet.JetError as err:
                assert err.err == jet.JET_errRecordDeleted, err
                deleted = True
            out.append((jet.JetGetBookmark(s, t), deleted,
                        jet.JetRetrieveColumn(s, t, cols[0].columnid)))
            jet.JetMove(s, t, jet.JET_MoveNext)
    except jet.JetError as err:
        assert err.err == jet.JET_errNoCurrentRecord
    jet.JetCloseTable(s, t)
    return out


def test_cursor_info_marks_a_flag_deleted_record(deleted_file: Path, tmp_path: Path) -> None:
    # issue 14: through the JET API an analyst sees which records are deleted. ESE's
    # JetGetCursorInfo calls ErrDIRGet (info.cxx ErrIsamGetCursorInfo), and ErrBTGet
    # (bt.cxx) answers JET_errRecordDeleted for a node the cursor cannot see: with
    # JET_bitDbPyeseShowDeleted the cursor reaches flag-deleted nodes, and JetGetCursorInfo
    # on one gives that error while its columns stay readable.
    good = tmp_path / "good.edb"  # the fixture's undamaged copy
    inst = jet.JetCreateInstance("delinfo")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, str(deleted_file), jet.JET_bitDbReadOnly
                              | JET_bitDbPyeseShowDeleted)
        db = jet.JetOpenDatabase(s, str(deleted_file))
        shown = _walk_marked(s, db)
        jet.JetCloseDatabase(s, db)
        jet.JetAttachDatabase(s, str(good), jet.JET_bitDbReadOnly | JET_bitDbPyeseShowDeleted)
        db = jet.JetOpenDatabase(s, str(good))
        original = _walk_marked(s, db)
        jet.JetCloseDatabase(s, db)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(inst)
    assert [d for _, d, _ in shown] == [True, False]  # the first line was flagged
    assert [d for _, d, _ in original] == [False, False]
    # the deleted record reads as it was before ESE deleted it
    assert [(bm, v) for bm, _, v in shown] == [(bm, v) for bm, _, v in original]

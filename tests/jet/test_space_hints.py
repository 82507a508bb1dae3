"""Space hints of JetCreateTableColumnIndex3/4 and JetCreateIndex2..4: checked, stored in
the catalog and read back as ESE does.

ESE sources: cat.cxx ErrCATCheckJetSpaceHints (the checks and corrections),
PulCATIGetExtendedHintsStart / ErrCATIMarshallExtendedSpaceHints (the catalog form:
version byte 1, then the 32-bit fields from grbit for a table row, from cbInitial for an
index row, from ulInitialDensity for the deferred long-value hints, trailing zeros
dropped); fcreate.cxx ErrFILECreateTableProcessSpaceHints (sequential hints with a primary
index are JET_errSpaceHintsInvalid).
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import databases_of
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.schema import spacehints as SH
from pyese.engine.schema import sysobjects as S

from .helpers import expect

SPH = jet.JET_SPACEHINTS
CC = jet.JET_COLUMNCREATE


@pytest.fixture
def sdb(inst):
    s = jet.JetBeginSession(inst)
    return s, jet.JetCreateDatabase(s, "sh.edb")


def _create(s, db, name="T", seq=None, lv=None, ix_hints=None, primary=False):
    tc = jet.JET_TABLECREATE3(
        szTableName=name, pSeqSpacehints=seq, pLVSpacehints=lv,
        rgcolumncreate=[CC(szColumnName="k", coltyp=jet.JET_coltypLong)],
        rgindexcreate=[jet.JET_INDEXCREATE2(
            szIndexName="ix", szKey="+k\0\0",
            grbit=jet.JET_bitIndexPrimary if primary else 0, pSpacehints=ix_hints)])
    jet.JetCreateTableColumnIndex3(s, db, tc)
    return tc.tableid


def _rows(inst, objid_table):
    db = databases_of(SYSTEM.find_instance(inst)).find_attached("sh.edb")
    storage = SYSTEM.find_instance(inst).services.parts["storage"]
    if storage.applier is not None:
        storage.applier.drain()
    snap = db.snapshot()
    try:
        rows = [S.decode_row(v, db.page_size) for _, v in snap.iterate(S.objidFDPMSO)]
    finally:
        snap.close()
    return [r for r in rows if r.objid_table == objid_table]


def _objid(s, t):
    return jet.JetGetTableInfo(s, t, jet.JET_TblInfoObjectId)


def test_index_hints_stored_and_read_back(inst, sdb):
    s, db = sdb
    pg = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoPageSize)
    hints = SPH(ulInitialDensity=90, cbInitial=3 * pg - 100,
                grbit=jet.JET_bitCreateHintAppendSequential, ulMaintDensity=60, ulGrowth=150,
                cbMinExtent=pg, cbMaxExtent=8 * pg)
    t = _create(s, db, ix_hints=hints)
    ic = jet.JetGetTableIndexInfo(s, t, "ix", jet.JET_IdxInfoCreateIndex2)
    # cbInitial rounded up to whole pages (ErrCheckNormalizeSpaceHintCb with correction)
    assert (ic.pSpacehints.ulInitialDensity, ic.pSpacehints.cbInitial, ic.pSpacehints.grbit,
            ic.pSpacehints.ulMaintDensity, ic.pSpacehints.ulGrowth,
            ic.pSpacehints.cbMinExtent, ic.pSpacehints.cbMaxExtent) == (
        90, 3 * pg, jet.JET_bitCreateHintAppendSequential, 60, 150, pg, 8 * pg)
    assert ic.ulDensity == 90
    row = next(r for r in _rows(inst, _objid(s, t)) if r.sysobj == S.sysobjIndex)
    # index form: from cbInitial, trailing zeros dropped
    assert row.get("SpaceHints") == bytes([1]) + struct.pack(
        "<6I", 3 * pg, jet.JET_bitCreateHintAppendSequential, 60, 150, pg, 8 * pg)
    assert row.get("SpaceUsage") == 90


def test_table_sequential_and_lv_hints_stored(inst, sdb):
    s, db = sdb
    pg = jet.JetGetDatabaseInfo(s, db, jet.JET_DbInfoPageSize)
    t = _create(s, db, seq=SPH(ulInitialDensity=70, cbInitial=8 * pg, ulMaintDensity=50),
                lv=SPH(ulInitialDensity=100, grbit=jet.JET_bitSpaceHintsUtilizeParentSpace))
    row = next(r for r in _rows(inst, _objid(s, t)) if r.sysobj == S.sysobjTable)
    # table form: density and pages in their own columns, SpaceHints from grbit
    assert row.get("SpaceUsage") == 70
    assert row.get("PagesOrLocale") == 8
    assert row.get("SpaceHints") == bytes([1]) + struct.pack("<2I", 0, 50)
    # deferred long-value form: from ulInitialDensity
    assert row.get("SpaceDeferredLVHints") == bytes([1]) + struct.pack(
        "<3I", 100, 0, jet.JET_bitSpaceHintsUtilizeParentSpace)


def test_nothing_stored_without_extended_hints(inst, sdb):
    s, db = sdb
    t = _create(s, db, ix_hints=SPH(ulInitialDensity=80))
    row = next(r for r in _rows(inst, _objid(s, t)) if r.sysobj == S.sysobjIndex)
    assert row.get("SpaceHints") is None
    # a density of 0 is corrected to the default, 80
    ic = jet.JetGetTableIndexInfo(s, t, "ix", jet.JET_IdxInfoCreateIndex3)
    assert ic.pSpacehints.ulInitialDensity == 80


@pytest.mark.parametrize(("hints", "err"), [
    (SPH(ulInitialDensity=10), jet.JET_errDensityInvalid),
    (SPH(ulInitialDensity=101), jet.JET_errDensityInvalid),
    (SPH(ulMaintDensity=19), jet.JET_errDensityInvalid),
    (SPH(grbit=0x400), jet.JET_errInvalidGrbit),
    (SPH(grbit=jet.JET_bitRetrieveHintTableScanForward
         | jet.JET_bitRetrieveHintTableScanBackward), jet.JET_errSpaceHintsInvalid),
    (SPH(ulGrowth=99), jet.JET_errSpaceHintsInvalid),
    (SPH(ulGrowth=50000), jet.JET_errSpaceHintsInvalid),
    (SPH(cbMinExtent=16 * 1024 * 1024), jet.JET_errSpaceHintsInvalid),
    (SPH(cbMinExtent=65536, cbMaxExtent=32768), jet.JET_errSpaceHintsInvalid),
])
def test_invalid_hints(sdb, hints, err):
    s, db = sdb
    with expect(err):
        _create(s, db, ix_hints=hints)
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "T")


def test_sequential_hints_with_a_primary_index(sdb):
    s, db = sdb
    with expect(jet.JET_errSpaceHintsInvalid):
        _create(s, db, seq=SPH(ulInitialDensity=80), primary=True)


def test_create_index_with_hints(sdb):
    s, db = sdb
    t = _create(s, db)
    jet.JetCreateIndex2(s, t, [jet.JET_INDEXCREATE2(
        szIndexName="k2", szKey="-k\0\0", pSpacehints=SPH(ulInitialDensity=55, ulGrowth=200))])
    sh = jet.JetGetTableIndexInfo(s, t, "k2", jet.JET_IdxInfoCreateIndex2).pSpacehints
    assert (sh.ulInitialDensity, sh.ulGrowth) == (55, 200)


def test_round_trip_of_the_catalog_form():
    hints = SH.SpaceHints(80, 8192, 2, 60, 120, 4096, 8192)
    for kind in (SH.TABLE, SH.INDEX, SH.DEFERRED_LV):
        raw = SH.marshal(hints, kind)
        back = SH.unmarshal(raw, kind, hints.ulInitialDensity, hints.cbInitial)
        assert back == hints
    with expect(jet.JET_errCatalogCorrupted):
        SH.unmarshal(b"\x02\x00\x00\x00\x00", SH.INDEX)

"""Gaps of issue 17 item 8 that ESE answers differently from what pyese did:
JET_IdxInfoList grbits of the primary index, JetRenameColumn inside a transaction."""

from __future__ import annotations

import pyese.jet as jet

from .helpers import expect


def _table(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "g.edb")
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCreateIndex(s, t, "byV", 0, "+v\0\0")
    return s, db, t


def test_idx_info_list_has_every_index_primary_as_primary_unique(inst):
    # ESE info.cxx: the grbit comes from the FIDB flags; a primary index is unique.
    s, db, t = _table(inst)
    rows = {r.indexname: r for r in jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList)}
    assert set(rows) == {"pk", "byV"}
    assert rows["pk"].grbitIndex & (jet.JET_bitIndexPrimary | jet.JET_bitIndexUnique) == (
        jet.JET_bitIndexPrimary | jet.JET_bitIndexUnique)
    assert not rows["byV"].grbitIndex & (jet.JET_bitIndexPrimary | jet.JET_bitIndexUnique)


def test_rename_column_inside_a_transaction(inst):
    s, db, t = _table(inst)
    jet.JetBeginTransaction(s)
    with expect(jet.JET_errInTransaction):
        jet.JetRenameColumn(s, t, "v", "value")
    jet.JetRollback(s, 0)
    jet.JetRenameColumn(s, t, "v", "value")
    assert jet.JetGetTableColumnInfo(s, t, "value").coltyp == jet.JET_coltypLong


def test_enumerate_columns_tagged_only_and_presence_only(inst):
    # ESE fldenum.cxx ErrRECEnumerateColumns: TaggedOnly skips fixed and variable columns;
    # PresenceOnly reports JET_wrnColumnPresent without reading the values.
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "e.edb")
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    f = jet.JetAddColumn(s, t, "f", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    tg = jet.JetAddColumn(s, t, "tg", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLongBinary, grbit=jet.JET_bitColumnTagged
        | jet.JET_bitColumnMultiValued))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, f, b"\x01\x00\x00\x00", 0)
    jet.JetSetColumn(s, t, tg, b"a", 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetSetColumn(s, t, tg, b"b", 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetUpdate(s, t)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    everything = jet.JetEnumerateColumns(s, t, None, 0)
    assert [int(c.columnid) for c in everything] == [int(f), int(tg)]
    tagged = jet.JetEnumerateColumns(s, t, None, jet.JET_bitEnumerateTaggedOnly)
    assert [int(c.columnid) for c in tagged] == [int(tg)]
    assert tagged[0].cEnumColumnValue == 2
    present = jet.JetEnumerateColumns(s, t, None, jet.JET_bitEnumeratePresenceOnly)
    assert [(int(c.columnid), c.err, c.cEnumColumnValue) for c in present] == [
        (int(f), jet.JET_wrnColumnPresent, 0), (int(tg), jet.JET_wrnColumnPresent, 0)]

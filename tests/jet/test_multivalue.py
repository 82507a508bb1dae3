"""Multi-valued columns: itagSequence set/replace/remove, counts, MV indexes."""

from __future__ import annotations

import struct

import pyese.jet as jet

from .helpers import expect


def _setup(inst: jet.JET_INSTANCE, second_mv: bool = False) -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "mv.edb")
    t = jet.JetCreateTable(s, db, "T")
    pk = jet.JetAddColumn(s, t, "pk", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    mv = jet.JetAddColumn(s, t, "mv", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypText, cbMax=64,
        grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued))
    jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+pk\0\0")
    cols = [pk, mv]
    if second_mv:
        cols.append(jet.JetAddColumn(s, t, "mv2", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cbMax=64,
            grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued)))
    return s, t, cols


def _append(s: object, t: object, col: int, value: bytes, grbit: int = 0) -> None:
    jet.JetSetColumn(s, t, col, value, grbit, jet.JET_SETINFO(itagSequence=0))


def _values(s: object, t: object, col: int) -> list[bytes]:
    rc = jet.JET_RETRIEVECOLUMN(columnid=col, itagSequence=0)
    jet.JetRetrieveColumns(s, t, [rc])
    out = []
    for n in range(1, rc.itagSequence + 1):
        out.append(jet.JetRetrieveColumn(s, t, col, 0, jet.JET_RETINFO(itagSequence=n)))
    return out


def test_itag_sequence_append_replace_remove(inst: jet.JET_INSTANCE) -> None:
    s, t, (pk, mv) = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, pk, struct.pack("<i", 1))
    for v in (b"A", b"B", b"C"):
        _append(s, t, mv, v)  # itagSequence 0 appends (ESE: tagfld.cxx)
    jet.JetSetColumn(s, t, mv, b"B2", 0, jet.JET_SETINFO(itagSequence=2))  # n replaces
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert _values(s, t, mv) == [b"A", b"B2", b"C"]
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, mv, None, 0, jet.JET_SETINFO(itagSequence=1))  # NULL removes
    jet.JetUpdate(s, t)
    # isam-semantics §8 item 29: the later values shift down
    assert _values(s, t, mv) == [b"B2", b"C"]
    assert jet.JetRetrieveColumn(s, t, mv, 0, jet.JET_RETINFO(itagSequence=3)) is None


def test_unique_multi_values(inst: jet.JET_INSTANCE) -> None:
    s, t, (pk, mv) = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, pk, struct.pack("<i", 1))
    _append(s, t, mv, b"x", jet.JET_bitSetUniqueMultiValues)
    _append(s, t, mv, b"y", jet.JET_bitSetUniqueMultiValues)
    with expect(jet.JET_errMultiValuedDuplicate):  # ESE: fldmod.cxx ErrFLDSetOneColumn
        _append(s, t, mv, b"x", jet.JET_bitSetUniqueMultiValues)
    _append(s, t, mv, b"x")  # without the bit duplicates are allowed
    with expect(jet.JET_errInvalidGrbit):  # unique MV with a long-value operation
        _append(s, t, mv, b"z", jet.JET_bitSetUniqueMultiValues | jet.JET_bitSetAppendLV)
    jet.JetUpdate(s, t)


def _index_scan(s: object, t: object, pk: int, index: str) -> list[tuple[int, bytes]]:
    jet.JetSetCurrentIndex(s, t, index)
    out = []
    jet.JetMove(s, t, jet.JET_MoveFirst)
    while True:
        key = jet.JetRetrieveKey(s, t)
        p = struct.unpack("<i", jet.JetRetrieveColumn(s, t, pk))[0]
        out.append((p, key))
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
            return out


def test_mv_index_has_an_entry_per_value(inst: jet.JET_INSTANCE) -> None:
    s, t, (pk, mv) = _setup(inst)
    jet.JetCreateIndex(s, t, "ix", 0, "+mv\0\0")
    bms = []
    for p, vals in enumerate([(b"a", b"b", b"c"), (b"x", b"y", b"z"), (b"i", b"j", b"k")]):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, pk, struct.pack("<i", p))
        for v in vals:
            _append(s, t, mv, v)
        bms.append(jet.JetUpdate(s, t))
    entries = _index_scan(s, t, pk, "ix")
    assert [p for p, _k in entries] == [0, 0, 0, 2, 2, 2, 1, 1, 1]  # a b c i j k x y z
    assert len({k for _p, k in entries}) == 9
    # isam-semantics §8 item 42 (ManagedEsent MultivalueIndexFixture): on pk 2 through the
    # primary index, SetCurrentIndex3(NoMove, itag 3) lands on entry [2:k]; next is [1:x]
    jet.JetSetCurrentIndex(s, t, "primary")
    jet.JetGotoBookmark(s, t, bms[2])
    jet.JetSetCurrentIndex3(s, t, "ix", jet.JET_bitNoMove, 3)
    assert jet.JetRetrieveColumn(s, t, pk) == struct.pack("<i", 2)
    assert jet.JetRetrieveKey(s, t) == entries[5][1]
    jet.JetMove(s, t, jet.JET_MoveNext)
    assert jet.JetRetrieveColumn(s, t, pk) == struct.pack("<i", 1)
    assert jet.JetRetrieveKey(s, t) == entries[6][1]
    # removing a value removes its entry
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, mv, None, 0, jet.JET_SETINFO(itagSequence=2))
    jet.JetUpdate(s, t)
    assert [p for p, _k in _index_scan(s, t, pk, "ix")] == [0, 0, 0, 2, 2, 2, 1, 1]


def test_cross_product_index(inst: jet.JET_INSTANCE) -> None:
    s, t, (pk, mv, mv2) = _setup(inst, second_mv=True)
    jet.JetCreateIndex(s, t, "cross", jet.JET_bitIndexCrossProduct, "+mv\0+mv2\0\0")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, pk, struct.pack("<i", 7))
    for v in (b"a", b"b"):
        _append(s, t, mv, v)
    for v in (b"1", b"2", b"3"):
        _append(s, t, mv2, v)
    jet.JetUpdate(s, t)
    # ESE: every combination of the values of the MV columns (fcreate / tagfld)
    entries = _index_scan(s, t, pk, "cross")
    assert len(entries) == 6 and len({k for _p, k in entries}) == 6

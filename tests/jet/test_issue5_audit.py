"""Issue 5 audit: behaviour tests for the names of the issue-5 list that had none.

SetUniqueNormalizedMultiValues, SizeLV with ZeroLength / OverwriteLV and no data,
JetSetCurrentIndex4, JetEnumerateColumns, JetGetRecordSize2, RetrieveCopy with
InsertCopy.
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect

L = struct.Struct("<i")
MV = jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued


class Tbl:
    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        s = self.s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, "a.edb")
        t = self.t = jet.JetCreateTable(s, self.db, "T")
        self.pk = jet.JetAddColumn(s, t, "pk", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.txt = jet.JetAddColumn(s, t, "txt", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cp=1252, grbit=MV))
        self.lb = jet.JetAddColumn(s, t, "lb", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLongBinary))
        self.d = jet.JetAddColumn(s, t, "d", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged), b"DD")
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+pk\0\0")
        jet.JetCreateIndex(s, t, "bytxt", 0, "+txt\0\0")
        jet.JetBeginTransaction(s)

    def prep(self, pk: int) -> None:
        jet.JetPrepareUpdate(self.s, self.t, jet.JET_prepInsert)
        jet.JetSetColumn(self.s, self.t, self.pk, L.pack(pk))

    def copy(self, col: int) -> bytes | None:
        return jet.JetRetrieveColumn(self.s, self.t, col, jet.JET_bitRetrieveCopy)


@pytest.fixture
def tb(inst: jet.JET_INSTANCE) -> Tbl:
    return Tbl(inst)


def test_unique_normalized_multi_values(tb: Tbl) -> None:
    tb.prep(1)
    add = jet.JET_SETINFO(itagSequence=0)
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"abc", 0, add)
    # byte-wise comparison: "ABC" differs from "abc"
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"ABC", jet.JET_bitSetUniqueMultiValues, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, b"abc", jet.JET_bitSetUniqueMultiValues, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, b"ABC",
                         jet.JET_bitSetUniqueNormalizedMultiValues, add)
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"abd",
                     jet.JET_bitSetUniqueNormalizedMultiValues, add)
    with expect(jet.JET_errInvalidGrbit):  # not with Append/Overwrite/SizeLV
        jet.JetSetColumn(tb.s, tb.t, tb.txt, b"x", jet.JET_bitSetUniqueNormalizedMultiValues
                         | jet.JET_bitSetAppendLV, add)
    rc = jet.JET_RETRIEVECOLUMN(columnid=tb.txt, itagSequence=0, grbit=jet.JET_bitRetrieveCopy)
    jet.JetRetrieveColumns(tb.s, tb.t, [rc])
    assert rc.itagSequence == 3


def test_unique_normalized_multi_values_fold_case(tb: Tbl) -> None:
    # ESE tagfld.cxx ErrCheckUniqueNormalizedMultiValues normalizes with the instance's
    # default LCMapString flags (NORM_IGNORECASE among them): "Abc" duplicates "abc"
    tb.prep(1)
    add = jet.JET_SETINFO(itagSequence=0)
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"abc", 0, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, b"Abc",
                         jet.JET_bitSetUniqueNormalizedMultiValues, add)
    # the plain flag still compares bytes
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"Abc", jet.JET_bitSetUniqueMultiValues, add)


def test_unique_normalized_skips_the_value_replaced(tb: Tbl) -> None:
    # ESE fldmod.cxx ErrRECICheckUniqueLVMultiValues / tagfld.cxx: itagSequenceT !=
    # itagSequence, the value being replaced is not compared with itself
    tb.prep(1)
    norm = jet.JET_bitSetUniqueNormalizedMultiValues
    for v in (b"abc", b"xyz"):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, v, 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"ABC", norm, jet.JET_SETINFO(itagSequence=1))
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, b"aBc", norm, jet.JET_SETINFO(itagSequence=2))
    rc = jet.JET_RETRIEVECOLUMN(columnid=tb.txt, itagSequence=2, grbit=jet.JET_bitRetrieveCopy)
    jet.JetRetrieveColumns(tb.s, tb.t, [rc])
    assert tb.copy(tb.txt) == b"ABC" and rc.pvData == b"xyz"


def _mv_table(tb: Tbl, name: str, coltyp: int, cp: int = 0) -> int:
    return jet.JetAddColumn(tb.s, tb.t, name, jet.JET_COLUMNDEF(coltyp=coltyp, cp=cp, grbit=MV))


def test_unique_normalized_unicode_and_long_text(tb: Tbl) -> None:
    # ESE fldmod.cxx ErrRECICheckUniqueNormalizedLVMultiValues: long values too, compared
    # on the normalized form of their first JET_cbKeyMost_OLD bytes
    ut = _mv_table(tb, "ut", jet.JET_coltypText, 1200)
    lt = _mv_table(tb, "lt", jet.JET_coltypLongText, 1200)
    tb.prep(1)
    add = jet.JET_SETINFO(itagSequence=0)
    norm = jet.JET_bitSetUniqueNormalizedMultiValues
    jet.JetSetColumn(tb.s, tb.t, ut, "Straße".encode("utf-16-le"), 0, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, ut, "STRAßE".encode("utf-16-le"), norm, add)
    jet.JetSetColumn(tb.s, tb.t, lt, "Abc".encode("utf-16-le"), 0, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, lt, "aBC".encode("utf-16-le"), norm, add)
    big = "x" * 3000
    jet.JetSetColumn(tb.s, tb.t, lt, big.encode("utf-16-le"), 0, add)  # separated
    with expect(jet.JET_errMultiValuedDuplicateAfterTruncation):
        # equal in the first 255 bytes, whose sort key does not fit the key space either
        jet.JetSetColumn(tb.s, tb.t, lt, ("X" * 3000 + "y").encode("utf-16-le"), norm, add)
    jet.JetSetColumn(tb.s, tb.t, lt, ("X" * 3000 + "y").encode("utf-16-le"),
                     jet.JET_bitSetUniqueMultiValues, add)  # byte-wise: different
    with expect(jet.JET_errMultiValuedDuplicate):
        # byte-wise on long values compares them in full, separated or not
        jet.JetSetColumn(tb.s, tb.t, lt, big.encode("utf-16-le"),
                         jet.JET_bitSetUniqueMultiValues, add)


def test_unique_normalized_binary_and_fixed(tb: Tbl) -> None:
    # ESE fldnorm.cxx ErrFLDNormalizeTaggedData: binary and fixed types are normalized too;
    # their normalization does not fold anything, so only truncation makes a difference
    bn = _mv_table(tb, "bn", jet.JET_coltypBinary)
    lg = _mv_table(tb, "lg", jet.JET_coltypLong)
    tb.prep(1)
    add = jet.JET_SETINFO(itagSequence=0)
    norm = jet.JET_bitSetUniqueNormalizedMultiValues
    jet.JetSetColumn(tb.s, tb.t, bn, b"abc", 0, add)
    jet.JetSetColumn(tb.s, tb.t, bn, b"ABC", norm, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, bn, b"abc", norm, add)
    # 255 bytes normalize to 32 chunks of 9 bytes: past the 255-byte key space, so two
    # values equal in their first 226 bytes collide (JET_errMultiValuedDuplicateAfterTruncation)
    jet.JetSetColumn(tb.s, tb.t, bn, b"k" * 254 + b"1", 0, add)
    with expect(jet.JET_errMultiValuedDuplicateAfterTruncation):
        jet.JetSetColumn(tb.s, tb.t, bn, b"k" * 254 + b"2", norm, add)
    jet.JetSetColumn(tb.s, tb.t, bn, b"k" * 254 + b"2", jet.JET_bitSetUniqueMultiValues, add)
    jet.JetSetColumn(tb.s, tb.t, lg, L.pack(-5), 0, add)
    jet.JetSetColumn(tb.s, tb.t, lg, L.pack(5), norm, add)
    with expect(jet.JET_errMultiValuedDuplicate):
        jet.JetSetColumn(tb.s, tb.t, lg, L.pack(-5), norm, add)


def test_size_lv_zero_with_zero_length_and_overwrite_without_data(tb: Tbl) -> None:
    tb.prep(1)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"abcdef")
    # ESE lv.cxx ErrLVOpFromGrbit: SizeLV|ZeroLength with no size -> ReplaceWithZeroLength
    jet.JetSetColumn(tb.s, tb.t, tb.lb, struct.pack("<I", 0),
                     jet.JET_bitSetSizeLV | jet.JET_bitSetZeroLength)
    assert tb.copy(tb.lb) == b""
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"abcdef")
    jet.JetSetColumn(tb.s, tb.t, tb.lb, struct.pack("<I", 0), jet.JET_bitSetSizeLV)
    assert tb.copy(tb.lb) is None  # SizeLV alone with no size: ReplaceWithNull
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"abcdef")
    # SizeLV|OverwriteLV without data: lvopReplaceWithNull
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"",
                     jet.JET_bitSetSizeLV | jet.JET_bitSetOverwriteLV)
    assert tb.copy(tb.lb) is None
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"abcdef")
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"XY", jet.JET_bitSetSizeLV | jet.JET_bitSetOverwriteLV,
                     jet.JET_SETINFO(ibLongValue=1, itagSequence=1))
    assert tb.copy(tb.lb) == b"aXY"  # overwrite, then truncate to ib + cb


def test_set_current_index4(tb: Tbl) -> None:
    for pk, vals in ((1, (b"m", b"a")), (2, (b"z",))):
        tb.prep(pk)
        for v in vals:
            jet.JetSetColumn(tb.s, tb.t, tb.txt, v, 0, jet.JET_SETINFO(itagSequence=0))
        jet.JetUpdate(tb.s, tb.t)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)  # pk 1 on the primary index
    # NoMove keeps the record; itagSequence picks the entry of the second value ("a")
    jet.JetSetCurrentIndex4(tb.s, tb.t, "bytxt", None, jet.JET_bitNoMove, 2)
    assert jet.JetGetCurrentIndex(tb.s, tb.t) == "bytxt"
    jet.JetMove(tb.s, tb.t, jet.JET_MoveNext)
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.txt, jet.JET_bitRetrieveFromIndex) == b"m"
    jet.JetSetCurrentIndex4(tb.s, tb.t, None)  # MoveFirst on the primary index
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.pk) == L.pack(1)
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex4(tb.s, tb.t, "nope")
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetCurrentIndex4(tb.s, tb.t, "bytxt", None, 0x100)


def test_enumerate_columns(tb: Tbl) -> None:
    tb.prep(5)
    for v in (b"x", b"y"):
        jet.JetSetColumn(tb.s, tb.t, tb.txt, v, 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetUpdate(tb.s, tb.t)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    got = jet.JetEnumerateColumns(tb.s, tb.t)
    assert [(e.columnid, e.err) for e in got] == [
        (tb.pk, jet.JET_wrnColumnPresent), (tb.txt, jet.JET_wrnColumnPresent),
        (tb.d, jet.JET_wrnColumnPresent)]
    assert [v.pvData for v in got[1].rgEnumColumnValue] == [b"x", b"y"]
    assert [v.itagSequence for v in got[1].rgEnumColumnValue] == [1, 2]
    assert got[2].rgEnumColumnValue[0].pvData == b"DD"  # the default
    got = jet.JetEnumerateColumns(tb.s, tb.t, None, jet.JET_bitEnumerateIgnoreDefault
                                  | jet.JET_bitEnumerateCompressOutput)
    assert [(e.columnid, e.err) for e in got] == [
        (tb.pk, jet.JET_wrnColumnSingleValue), (tb.txt, jet.JET_wrnColumnPresent)]
    assert got[0].pvData == L.pack(5)
    ids = [jet.JET_ENUMCOLUMNID(columnid=tb.txt, rgtagSequence=[2]),
           jet.JET_ENUMCOLUMNID(columnid=tb.lb)]
    got = jet.JetEnumerateColumns(tb.s, tb.t, ids)
    assert [v.pvData for v in got[0].rgEnumColumnValue] == [b"y"]
    assert (got[1].columnid, got[1].err) == (tb.lb, jet.JET_wrnColumnNull)
    with expect(jet.JET_errColumnNotFound):
        jet.JetEnumerateColumns(tb.s, tb.t, [jet.JET_ENUMCOLUMNID(columnid=0x3FFF)])
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepReplace)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"new")
    copy = jet.JetEnumerateColumns(tb.s, tb.t, [jet.JET_ENUMCOLUMNID(columnid=tb.lb)],
                                   jet.JET_bitEnumerateCopy)
    assert copy[0].rgEnumColumnValue[0].pvData == b"new"


def test_get_record_size2(tb: Tbl) -> None:
    tb.prep(1)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"q" * 3000)  # separated
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"ab", 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetSetColumn(tb.s, tb.t, tb.txt, b"cd", 0, jet.JET_SETINFO(itagSequence=0))
    copy_size = jet.JetGetRecordSize2(tb.s, tb.t, jet.JET_bitRecordSizeInCopyBuffer)
    jet.JetUpdate(tb.s, tb.t)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetGetRecordSize2(tb.s, tb.t, jet.JET_bitRecordSizeInCopyBuffer)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetGetRecordSize2(tb.s, tb.t, 0x100)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    size = jet.JetGetRecordSize2(tb.s, tb.t)
    assert isinstance(size, jet.JET_RECSIZE2)
    assert size.cbLongValueData == 3000 and size.cLongValues == 1
    assert (size.cNonTaggedColumns, size.cTaggedColumns, size.cMultiValues) == (1, 2, 2)
    assert size.cbData == copy_size.cbData and size.cbData >= 4 + 4
    local = jet.JetGetRecordSize2(tb.s, tb.t, jet.JET_bitRecordSizeLocal)
    assert (local.cbLongValueData, local.cLongValues) == (0, 0)


def test_retrieve_copy_with_insert_copy(tb: Tbl) -> None:
    tb.prep(1)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"body")
    jet.JetUpdate(tb.s, tb.t)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepInsertCopy)
    assert tb.copy(tb.lb) == b"body" and tb.copy(tb.pk) == L.pack(1)
    jet.JetSetColumn(tb.s, tb.t, tb.pk, L.pack(2))
    assert tb.copy(tb.pk) == L.pack(2)
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.pk) == L.pack(1)  # the record itself
    jet.JetUpdate(tb.s, tb.t)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveLast)
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.lb) == b"body"

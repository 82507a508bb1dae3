"""JetRetrieveColumn(s) grbits: FromIndex, FromPrimaryBookmark, Tag, Null, IgnoreDefault.

ESE: fldext.cxx ErrIsamRetrieveColumn / ErrRECRetrieveColumns / ErrRECIRetrieveFromIndex,
fldnorm.cxx ErrRECIRetrieveColumnFromKey, tagfld.cxx TAGFIELDS::ErrScan.
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect

L = struct.Struct("<i")
MV = jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued
FI = jet.JET_bitRetrieveFromIndex
FPB = jet.JET_bitRetrieveFromPrimaryBookmark


def u16(text: str) -> bytes:
    return text.encode("utf-16-le")


class Tbl:
    """A table with a descending Long primary key, multi-valued Long and Text columns,
    a long binary column and a name, each with a secondary index."""

    def __init__(self, inst: jet.JET_INSTANCE, primary: bool = True) -> None:
        s = self.s = jet.JetBeginSession(inst)
        self.db = jet.JetCreateDatabase(s, "r.edb")
        t = self.t = jet.JetCreateTable(s, self.db, "T")
        self.pk = jet.JetAddColumn(s, t, "pk", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        self.name = jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cp=1200, cbMax=100))
        self.mvl = jet.JetAddColumn(s, t, "mvl", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=MV))
        self.mvt = jet.JetAddColumn(s, t, "mvt", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cp=1200, grbit=MV))
        self.lb = jet.JetAddColumn(s, t, "lb", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLongBinary))
        self.other = jet.JetAddColumn(s, t, "other", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong))
        if primary:
            jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "-pk\0\0")
        jet.JetCreateIndex(s, t, "bymvl", 0, "+mvl\0\0")
        jet.JetCreateIndex(s, t, "bymvt", 0, "+mvt\0\0")
        jet.JetCreateIndex(s, t, "bylb", 0, "+lb\0\0")
        jet.JetCreateIndex(s, t, "byname", 0, "+name\0+other\0\0")

    def insert(self, pk: int, name: str = "", mvl: tuple[int, ...] = (),
               mvt: tuple[str, ...] = (), lb: bytes | None = None, other: int = 0) -> bytes:
        s, t = self.s, self.t
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, self.pk, L.pack(pk))
        jet.JetSetColumn(s, t, self.other, L.pack(other))
        if name:
            jet.JetSetColumn(s, t, self.name, u16(name))
        for v in mvl:
            jet.JetSetColumn(s, t, self.mvl, L.pack(v), 0, jet.JET_SETINFO(itagSequence=0))
        for w in mvt:
            jet.JetSetColumn(s, t, self.mvt, u16(w), 0, jet.JET_SETINFO(itagSequence=0))
        if lb is not None:
            jet.JetSetColumn(s, t, self.lb, lb)
        bm = jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
        return bm

    def get(self, col: int, grbit: int = 0, ri: jet.JET_RETINFO | None = None) -> bytes | None:
        return jet.JetRetrieveColumn(self.s, self.t, col, grbit, ri)

    def index(self, name: str | None) -> None:
        jet.JetSetCurrentIndex(self.s, self.t, name)


@pytest.fixture
def tb(inst: jet.JET_INSTANCE) -> Tbl:
    return Tbl(inst)


# --- RetrieveFromIndex: values decoded from the current index entry -------------------


def test_multivalued_entry_gives_its_own_value_not_itag1(tb: Tbl) -> None:
    tb.insert(1, mvl=(30, 10, 20))
    tb.index("bymvl")
    seen = []
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    for _ in range(3):
        ri = jet.JET_RETINFO(itagSequence=1)
        seen.append((L.unpack(tb.get(tb.mvl, FI | jet.JET_bitRetrieveTag, ri))[0],
                     ri.itagSequence, L.unpack(tb.get(tb.mvl))[0]))
        try:
            jet.JetMove(tb.s, tb.t, jet.JET_MoveNext)
        except jet.JetError:
            break
    # ESE: fldext.cxx ErrRECIRetrieveFromIndex decodes this entry's key; RetrieveTag gives
    # the itagSequence the entry was made from; a plain retrieval still reads itag 1
    assert seen == [(10, 2, 30), (20, 3, 30), (30, 1, 30)]


def test_text_falls_back_to_the_record_value_of_this_entry(tb: Tbl) -> None:
    tb.insert(1, mvt=("Zed", "Alpha"))
    tb.index("bymvt")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)  # the "alpha" entry
    # ESE: text cannot be denormalised (case lost): errDIRNoShortCircuit, then ComputeItag
    # finds the multi-value behind the entry and the record gives it, case intact
    assert tb.get(tb.mvt, FI) == u16("Alpha")
    assert tb.get(tb.mvt) == u16("Zed")
    rc = jet.JET_RETRIEVECOLUMN(columnid=tb.mvt, grbit=FI, itagSequence=1)
    jet.JetRetrieveColumns(tb.s, tb.t, [rc])
    # ErrRECRetrieveColumns passes &itagSequence: a fallback writes the entry's itag
    assert (rc.pvData, rc.itagSequence, rc.err) == (u16("Alpha"), 2, 0)


def test_from_index_ignores_the_callers_itag_sequence(tb: Tbl) -> None:
    tb.insert(1, mvl=(5, 6))
    tb.index("bymvl")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveLast)
    assert tb.get(tb.mvl, FI, jet.JET_RETINFO(itagSequence=0)) == L.pack(6)
    assert tb.get(tb.mvl, FI, jet.JET_RETINFO(itagSequence=9)) == L.pack(6)
    with expect(jet.JET_errBadItagSequence):
        tb.get(tb.mvl, 0, jet.JET_RETINFO(itagSequence=0))


def test_index_value_vs_copy_buffer_and_truncated_key_fallback(tb: Tbl) -> None:
    short, big = b"\x01\x02\x03\x04\x05", b"\xf0" + bytes(range(256)) * 4
    tb.insert(1, lb=short)
    tb.insert(2, lb=big)
    tb.index("bylb")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    assert tb.get(tb.pk) == L.pack(1)
    jet.JetBeginTransaction(tb.s)
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepReplace)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"new")
    # ESE ErrIsamRetrieveColumn: the FromIndex path runs before the copy buffer is chosen,
    # so RetrieveCopy|FromIndex gives the index entry's (old) value
    assert tb.get(tb.lb, jet.JET_bitRetrieveCopy) == b"new"
    assert tb.get(tb.lb, jet.JET_bitRetrieveCopy | FI) == short
    # the long-value offset applies to the decoded value
    assert tb.get(tb.lb, FI, jet.JET_RETINFO(ibLongValue=2)) == short[2:]
    assert tb.get(tb.lb, FI, jet.JET_RETINFO(ibLongValue=9)) == b""
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepCancel)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveNext)
    assert tb.get(tb.pk) == L.pack(2)
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepReplace)
    jet.JetSetColumn(tb.s, tb.t, tb.lb, b"new")
    # a key as long as cbKeyMost may be truncated: errDIRNoShortCircuit, so the value
    # comes from the record -- here the copy buffer, as RetrieveCopy asks
    assert tb.get(tb.lb, FI) == big
    assert tb.get(tb.lb, jet.JET_bitRetrieveCopy | FI) == b"new"
    jet.JetRollback(tb.s, 0)


def test_clustered_index_decodes_the_primary_key(tb: Tbl) -> None:
    tb.insert(7, other=70)
    tb.insert(3, other=30)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)  # descending key: 7 first
    assert tb.get(tb.pk, FI) == L.pack(7)
    assert tb.get(tb.pk, FPB) == L.pack(7)
    # on the clustered index a non-key column is not in "the index" (no error code
    # special to the clustered index: ErrRECIRetrieveFromIndex uses the primary IDB)
    with expect(jet.JET_errColumnNotFound):
        tb.get(tb.other, FI)
    jet.JetBeginTransaction(tb.s)
    jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepReplace)
    jet.JetSetColumn(tb.s, tb.t, tb.pk, L.pack(99))
    assert tb.get(tb.pk, jet.JET_bitRetrieveCopy) == L.pack(99)
    assert tb.get(tb.pk, jet.JET_bitRetrieveCopy | FI) == L.pack(7)  # from the key
    jet.JetRollback(tb.s, 0)
    # RetrieveTag is stripped on the clustered index: the caller's itagSequence stands
    ri = jet.JET_RETINFO(itagSequence=4)
    assert tb.get(tb.pk, FI | jet.JET_bitRetrieveTag, ri) == L.pack(7)
    assert ri.itagSequence == 4


def test_clustered_index_not_on_a_record_reads_the_record(tb: Tbl) -> None:
    tb.insert(7, other=70)
    t2 = jet.JetOpenTable(tb.s, tb.db, "T")
    # ESE: pfucbCurIndex nil and locLogical != locOnCurBM (deferred move first): return
    # errDIRNoShortCircuit before the index is consulted, so even a non-key column reads
    assert jet.JetRetrieveColumn(tb.s, t2, tb.other, FI) == L.pack(70)
    jet.JetMove(tb.s, t2, jet.JET_MoveFirst)
    with expect(jet.JET_errColumnNotFound):
        jet.JetRetrieveColumn(tb.s, t2, tb.other, FI)


def test_from_primary_bookmark_on_a_secondary_index(tb: Tbl) -> None:
    tb.insert(5, name="Bob", other=1)
    tb.index("byname")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    assert tb.get(tb.pk, FPB) == L.pack(5)
    with expect(jet.JET_errColumnNotFound):  # pk is not in "byname"
        tb.get(tb.pk, FI)
    with expect(jet.JET_errColumnNotFound):  # name is not in the primary key
        tb.get(tb.name, FPB)
    # a column after a Unicode text column is not decoded; the record still gives it
    assert tb.get(tb.other, FI) == L.pack(1)
    assert tb.get(tb.name, FI) == u16("Bob")


def test_sequential_table(inst: jet.JET_INSTANCE) -> None:
    tb = Tbl(inst, primary=False)
    tb.insert(4, name="x", other=44)
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    # no primary index: "for a sequential index, must go to the record"
    assert tb.get(tb.other, FI) == L.pack(44)
    tb.index("byname")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    with expect(jet.JET_errColumnNotFound):  # "no columns in a sequential index"
        tb.get(tb.pk, FPB)


def test_from_index_errors_and_their_order(tb: Tbl) -> None:
    tb.insert(1, mvl=(1,))
    tb.index("bymvl")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    with expect(jet.JET_errInvalidGrbit):
        tb.get(tb.mvl, FI | FPB)
    with expect(jet.JET_errBadColumnId):  # FCOLUMNIDValid(0) fails before the scan path
        tb.get(0, FI)
    with expect(jet.JET_errBadColumnId):
        tb.get(tb.mvl | 0x10000, FI)
    with pytest.raises(jet.JetError):
        jet.JetMove(tb.s, tb.t, jet.JET_MoveNext)
    # the column is looked up in the index before the cursor's entry is fetched
    with expect(jet.JET_errColumnNotFound):
        tb.get(tb.other, FI)
    with expect(jet.JET_errNoCurrentRecord):
        tb.get(tb.mvl, FI)


def test_tuple_index_column(inst: jet.JET_INSTANCE) -> None:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "tu.edb")
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "txt", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1252))
    jet.JetCreateIndex(s, t, "tu", jet.JET_bitIndexTuples, "+txt\0\0")
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, b"abcdef")
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetSetCurrentIndex(s, t, "tu")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    with expect(jet.JET_errIndexTuplesCannotRetrieveFromIndex):
        jet.JetRetrieveColumn(s, t, c, FI)
    assert jet.JetRetrieveColumn(s, t, c) == b"abcdef"


def test_retrieve_tag_single_valued_and_without_from_index(tb: Tbl) -> None:
    tb.insert(1, name="n", mvl=(8, 9))
    tb.index("byname")
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    ri = jet.JET_RETINFO(itagSequence=5)
    assert tb.get(tb.name, FI | jet.JET_bitRetrieveTag, ri) == u16("n")
    assert ri.itagSequence == 1  # not multi-valued: 1
    ri = jet.JET_RETINFO(itagSequence=2)
    assert tb.get(tb.mvl, jet.JET_bitRetrieveTag, ri) == L.pack(9)  # no FromIndex
    assert ri.itagSequence == 2


# --- columnid 0 scans, RetrieveNull, RetrieveIgnoreDefault ---------------------------


@pytest.fixture
def dflt(inst: jet.JET_INSTANCE) -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "d.edb")
    t = jet.JetCreateTable(s, db, "T")
    fx = jet.JetAddColumn(s, t, "fx", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong),
                          L.pack(42))
    a = jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged), b"dA")
    b = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, grbit=MV))
    c = jet.JetAddColumn(s, t, "c", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged), b"dC")
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, a, None)  # explicit NULL over the default
    jet.JetSetColumn(s, t, b, b"b1", 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetSetColumn(s, t, b, b"b2", 0, jet.JET_SETINFO(itagSequence=0))
    bm = jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetGotoBookmark(s, t, bm)
    return s, t, fx, a, b, c


def _scan(s: object, t: object, grbit: int) -> list[tuple[int, bytes | None]]:
    out = []
    for n in range(1, 10):
        ri = jet.JET_RETINFO(itagSequence=n)
        v = jet.JetRetrieveColumn(s, t, 0, grbit, ri)
        if ri.columnidNextTagged == 0:
            break
        out.append((ri.columnidNextTagged, v))
    return out


def test_scan_defaults_and_explicit_nulls(dflt: tuple) -> None:
    s, t, _fx, a, b, c = dflt
    # ESE TAGFIELDS::ErrScan: an absent column with a default counts once (its default);
    # an explicit NULL counts only with JET_bitRetrieveNull (JET_wrnColumnSetNull)
    assert _scan(s, t, 0) == [(b, b"b1"), (b, b"b2"), (c, b"dC")]
    assert _scan(s, t, jet.JET_bitRetrieveIgnoreDefault) == [(b, b"b1"), (b, b"b2")]
    assert _scan(s, t, jet.JET_bitRetrieveNull) == [(a, None), (b, b"b1"), (b, b"b2"),
                                                    (c, b"dC")]
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=0, itagSequence=1, grbit=jet.JET_bitRetrieveNull),
           jet.JET_RETRIEVECOLUMN(columnid=0, itagSequence=1),
           jet.JET_RETRIEVECOLUMN(columnid=0, itagSequence=9)]
    jet.JetRetrieveColumns(s, t, rcs)
    assert (rcs[0].err, rcs[0].columnidNextTagged, rcs[0].pvData) == (
        jet.JET_wrnColumnSetNull, a, None)
    assert (rcs[1].err, rcs[1].columnidNextTagged, rcs[1].pvData) == (0, b, b"b1")
    assert (rcs[2].err, rcs[2].columnidNextTagged) == (jet.JET_wrnColumnNull, 0)


def test_scan_counts(dflt: tuple) -> None:
    s, t, *_ = dflt
    counts = []
    for g in (0, jet.JET_bitRetrieveNull, jet.JET_bitRetrieveIgnoreDefault):
        rc = jet.JET_RETRIEVECOLUMN(columnid=0, itagSequence=0, grbit=g)
        jet.JetRetrieveColumns(s, t, [rc])
        assert (rc.err, rc.columnidNextTagged, rc.cbActual) == (0, 0, 0)
        counts.append(rc.itagSequence)
    assert counts == [3, 4, 2]
    with expect(jet.JET_errBadItagSequence):  # "must use RetrieveColumns() to count"
        jet.JetRetrieveColumn(s, t, 0, 0, jet.JET_RETINFO(itagSequence=0))


def test_column_counts_include_the_default(dflt: tuple) -> None:
    s, t, fx, a, b, c = dflt
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=x, itagSequence=0,
                                  grbit=jet.JET_bitRetrieveIgnoreDefault) for x in (fx, a, b, c)]
    jet.JetRetrieveColumns(s, t, rcs)
    # ESE RECICountColumn takes no grbit: defaults count, an explicit NULL does not
    assert [r.itagSequence for r in rcs] == [1, 0, 2, 1]
    assert [r.columnidNextTagged for r in rcs] == [fx, a, b, c]


def test_ignore_default_is_for_tagged_columns_only(dflt: tuple) -> None:
    s, t, fx, a, _b, c = dflt
    assert jet.JetRetrieveColumn(s, t, c) == b"dC"
    assert jet.JetRetrieveColumn(s, t, c, jet.JET_bitRetrieveIgnoreDefault) is None
    assert jet.JetRetrieveColumn(s, t, a) is None  # the explicit NULL hides the default
    # ESE ErrRECRetrieveNonTaggedColumn takes no grbit: a fixed column keeps its default
    assert jet.JetRetrieveColumn(s, t, fx, jet.JET_bitRetrieveIgnoreDefault) == L.pack(42)


def test_columnid_next_tagged_is_the_column_retrieved(dflt: tuple) -> None:
    s, t, fx, _a, b, c = dflt
    # ESE ErrIsamRetrieveColumn ends with pretinfo->columnidNextTagged = columnid
    for col in (fx, b, c):
        ri = jet.JET_RETINFO(itagSequence=1)
        jet.JetRetrieveColumn(s, t, col, 0, ri)
        assert ri.columnidNextTagged == col
    ri = jet.JET_RETINFO(itagSequence=3)
    assert jet.JetRetrieveColumn(s, t, b, 0, ri) is None
    assert ri.columnidNextTagged == b


# --- ibLongValue and cbActual; itagSequence of non-tagged columns ----------------------


def _rc(col: int, ib: int, cb: int | None = None, itag: int = 1,
        grbit: int = 0) -> jet.JET_RETRIEVECOLUMN:
    return jet.JET_RETRIEVECOLUMN(columnid=col, ibLongValue=ib, cbData=cb, itagSequence=itag,
                                  grbit=grbit)


def test_cb_actual_is_what_is_left_after_ib_long_value(tb: Tbl) -> None:
    # ESE lv.cxx ErrRECRetrieveSLongField: *pcbActual = ulActual - ibGraphic (0 when
    # ibGraphic >= ulActual, JET_errSuccess); fldext.cxx ErrRECRetrieveColumns offsets an
    # intrinsic long value the same way before cbActual = dataRetrieved.Cb()
    big = bytes(range(256)) * 20  # separated
    tb.insert(1, name="n", lb=big)
    tb.insert(2, name="m", lb=b"abcdefghij")  # intrinsic
    tb.index("primary")
    for pk, value in ((1, big), (2, b"abcdefghij")):
        jet.JetMakeKey(tb.s, tb.t, L.pack(pk), jet.JET_bitNewKey)
        jet.JetSeek(tb.s, tb.t, jet.JET_bitSeekEQ)
        n = len(value)
        for grbit in (0, jet.JET_bitRetrieveCopy):
            if grbit:
                jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepReplace)
            rcs = [_rc(tb.lb, 3, 4, grbit=grbit), _rc(tb.lb, 3, None, grbit=grbit),
                   _rc(tb.lb, n - 2, 4, grbit=grbit), _rc(tb.lb, n, 4, grbit=grbit),
                   _rc(tb.lb, n + 100, None, grbit=grbit)]
            jet.JetRetrieveColumns(tb.s, tb.t, rcs)
            assert [r.cbActual for r in rcs] == [n - 3, n - 3, 2, 0, 0]
            assert [r.pvData for r in rcs] == [value[3:7], value[3:], value[-2:], b"", b""]
            assert [r.err for r in rcs] == [jet.JET_wrnBufferTruncated, 0, 0, 0, 0]
            ri = jet.JET_RETINFO(ibLongValue=n, itagSequence=1)
            assert jet.JetRetrieveColumn(tb.s, tb.t, tb.lb, grbit, ri) == b""
            if grbit:
                jet.JetPrepareUpdate(tb.s, tb.t, jet.JET_prepCancel)


def test_ib_long_value_is_ignored_by_other_columns(tb: Tbl) -> None:
    # ESE fldext.cxx ErrIsamRetrieveColumn: ibLVOffset is applied only for
    # wrnRECSeparatedLV / wrnRECIntrinsicLV / wrnRECCompressed (long values)
    tb.insert(1, name="hello", mvl=(7,))
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    ri = jet.JET_RETINFO(ibLongValue=4, itagSequence=1)
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.name, 0, ri) == u16("hello")
    rcs = [_rc(tb.name, 4, 2), _rc(tb.mvl, 100), _rc(tb.pk, 2)]
    jet.JetRetrieveColumns(tb.s, tb.t, rcs)
    assert [r.pvData for r in rcs] == [u16("h"), L.pack(7), L.pack(1)]
    assert [r.cbActual for r in rcs] == [10, 4, 4]
    assert [r.err for r in rcs] == [jet.JET_wrnBufferTruncated, 0, 0]


def test_itag_sequence_zero_or_more_on_non_tagged_columns(tb: Tbl) -> None:
    # ESE fldext.cxx ErrIsamRetrieveColumn: ErrRECRetrieveNonTaggedColumn takes no
    # itagSequence; ErrRECRetrieveTaggedColumn (rec.hxx) rejects 0 with
    # JET_errBadItagSequence; columnid 0 with itagSequence 0 is rejected too
    tb.insert(5, name="x", mvl=(1, 2))
    jet.JetMove(tb.s, tb.t, jet.JET_MoveFirst)
    for itag in (0, 2, 9):
        ri = jet.JET_RETINFO(itagSequence=itag)
        assert jet.JetRetrieveColumn(tb.s, tb.t, tb.pk, 0, ri) == L.pack(5)
        assert jet.JetRetrieveColumn(tb.s, tb.t, tb.name, 0, ri) == u16("x")
    with expect(jet.JET_errBadItagSequence):
        jet.JetRetrieveColumn(tb.s, tb.t, tb.mvl, 0, jet.JET_RETINFO(itagSequence=0))
    with expect(jet.JET_errBadItagSequence):
        jet.JetRetrieveColumn(tb.s, tb.t, 0, 0, jet.JET_RETINFO(itagSequence=0))
    with expect(jet.JET_errColumnNotFound):  # ErrRECIAccessColumn comes first
        jet.JetRetrieveColumn(tb.s, tb.t, 0x7F00, 0, jet.JET_RETINFO(itagSequence=0))
    assert jet.JetRetrieveColumn(tb.s, tb.t, tb.mvl, 0,
                                 jet.JET_RETINFO(itagSequence=3)) is None
    rcs = [_rc(tb.pk, 0, itag=2), _rc(tb.pk, 0, itag=0), _rc(tb.mvl, 0, itag=0)]
    jet.JetRetrieveColumns(tb.s, tb.t, rcs)
    assert rcs[0].pvData == L.pack(5) and rcs[0].cbActual == 4
    # itagSequence 0 counts (RECICountColumn)
    assert (rcs[1].itagSequence, rcs[2].itagSequence) == (1, 2)

"""Columns: every ESE column type round-trips its binary form; placement, id ranges,
grbits, defaults, limits and errors of JetAddColumn / JetDeleteColumn / JetRenameColumn /
JetSetColumnDefaultValue (ESE fcreate.cxx ErrFILEIValidateAddColumn,
ErrFILEGetNextColumnid; fdelete.cxx ErrIsamDeleteColumn)."""

from __future__ import annotations

import struct
import uuid

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def db(s):
    return jet.JetCreateDatabase(s, "t.edb")


@pytest.fixture
def t(s, db):
    return jet.JetCreateTable(s, db, "T")


def cdef(coltyp, grbit=0, cbMax=0, cp=0):
    return jet.JET_COLUMNDEF(coltyp=coltyp, grbit=grbit, cbMax=cbMax, cp=cp)


def insert(s, t, values):
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    for cid, v in values.items():
        jet.JetSetColumn(s, t, cid, v)
    return jet.JetUpdate(s, t)


VALUES = [
    (jet.JET_coltypBit, b"\xff"),
    (jet.JET_coltypUnsignedByte, b"\xfe"),
    (jet.JET_coltypShort, struct.pack("<h", -12345)),
    (jet.JET_coltypLong, struct.pack("<i", -2_000_000_000)),
    (jet.JET_coltypCurrency, struct.pack("<q", -(10 ** 15))),
    (jet.JET_coltypIEEESingle, struct.pack("<f", 1.5)),
    (jet.JET_coltypIEEEDouble, struct.pack("<d", -3.25e100)),
    (jet.JET_coltypDateTime, struct.pack("<d", 45000.75)),
    (jet.JET_coltypBinary, bytes(range(200))),
    (jet.JET_coltypText, "héllo wörld".encode("utf-16-le")),
    (jet.JET_coltypLongBinary, bytes(range(256)) * 40),
    (jet.JET_coltypLongText, ("long text ✓ " * 500).encode("utf-16-le")),
    (jet.JET_coltypUnsignedLong, struct.pack("<I", 0xFFFFFFF0)),
    (jet.JET_coltypLongLong, struct.pack("<q", -(2 ** 62))),
    (jet.JET_coltypGUID, uuid.UUID("12345678-1234-5678-9abc-def012345678").bytes_le),
    (jet.JET_coltypUnsignedShort, struct.pack("<H", 65000)),
    (jet.JET_coltypUnsignedLongLong, struct.pack("<Q", 2 ** 64 - 2)),
]


def test_every_column_type_round_trips_its_binary_form(s, t):
    cids = {}
    for coltyp, _value in VALUES:
        cp = 1200 if coltyp in (jet.JET_coltypText, jet.JET_coltypLongText) else 0
        cids[coltyp] = jet.JetAddColumn(s, t, f"c{coltyp}", cdef(coltyp, cp=cp))
    c1252 = jet.JetAddColumn(s, t, "a1252", cdef(jet.JET_coltypText, cp=1252))
    l1252 = jet.JetAddColumn(s, t, "l1252", cdef(jet.JET_coltypLongText, cp=1252))
    ansi = "caf\xe9".encode("cp1252")
    values = {cids[c]: v for c, v in VALUES}
    values[c1252] = ansi
    values[l1252] = ansi * 1000
    bm = insert(s, t, values)
    jet.JetGotoBookmark(s, t, bm)
    for cid, v in values.items():
        assert jet.JetRetrieveColumn(s, t, cid) == v
    for coltyp, _ in VALUES:
        info = jet.JetGetTableColumnInfo(s, t, f"c{coltyp}")
        assert info.coltyp == coltyp
    assert jet.JetGetTableColumnInfo(s, t, "a1252").cp == 1252
    assert jet.JetGetTableColumnInfo(s, t, "l1252").cp == 1252
    assert jet.JetGetTableColumnInfo(s, t, f"c{jet.JET_coltypText}").cp == 1200


def test_placement_and_columnid_ranges(s, t):
    # ESE: daedef.hxx fixed 1..127, variable 128..255, tagged 256.. (fcreate.cxx
    # ErrFILEGetNextColumnid hands them out in sequence within each class).
    f1 = jet.JetAddColumn(s, t, "f1", cdef(jet.JET_coltypLong))
    v1 = jet.JetAddColumn(s, t, "v1", cdef(jet.JET_coltypText))
    f2 = jet.JetAddColumn(s, t, "f2", cdef(jet.JET_coltypGUID))
    tg = jet.JetAddColumn(s, t, "t1", cdef(jet.JET_coltypLong, jet.JET_bitColumnTagged))
    lv = jet.JetAddColumn(s, t, "lv", cdef(jet.JET_coltypLongBinary))
    fx = jet.JetAddColumn(s, t, "fx", cdef(jet.JET_coltypBinary, jet.JET_bitColumnFixed, 10))
    v2 = jet.JetAddColumn(s, t, "v2", cdef(jet.JET_coltypBinary))
    assert [int(c) for c in (f1, f2, fx)] == [1, 2, 3]
    assert [int(c) for c in (v1, v2)] == [128, 129]
    assert [int(c) for c in (tg, lv)] == [256, 257]
    g = {n: jet.JetGetTableColumnInfo(s, t, n).grbit for n in ("f1", "v1", "t1", "lv", "fx")}
    assert g["f1"] & jet.JET_bitColumnFixed and g["fx"] & jet.JET_bitColumnFixed
    assert not g["v1"] & (jet.JET_bitColumnFixed | jet.JET_bitColumnTagged)
    assert g["t1"] & jet.JET_bitColumnTagged and g["lv"] & jet.JET_bitColumnTagged
    assert jet.JetGetTableColumnInfo(s, t, "fx").cbMax == 10


def test_text_and_binary_cbmax(s, t):
    jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypText))
    jet.JetAddColumn(s, t, "b", cdef(jet.JET_coltypBinary, cbMax=300))
    jet.JetAddColumn(s, t, "c", cdef(jet.JET_coltypText, cbMax=20))
    # ESE: cat.cxx UlCATColumnSize -- 0 means 255, more is cut to 255 (a warning).
    assert jet.JetGetTableColumnInfo(s, t, "a").cbMax == 255
    assert jet.JetGetTableColumnInfo(s, t, "b").cbMax == 255
    assert jet.JetGetTableColumnInfo(s, t, "c").cbMax == 20
    assert jet.JetGetTableColumnInfo(s, t, "a").cp == 1252  # cp 0 -> 1252


@pytest.mark.parametrize("coltyp,grbit,err", [
    (jet.JET_coltypNil, 0, jet.JET_errInvalidColumnType),
    (jet.JET_coltypSLV, 0, jet.JET_errInvalidColumnType),
    (19, 0, jet.JET_errInvalidColumnType),
    (jet.JET_coltypLong, jet.JET_bitColumnFixed | jet.JET_bitColumnTagged,
     jet.JET_errInvalidGrbit),
    (jet.JET_coltypLongText, jet.JET_bitColumnFixed, jet.JET_errInvalidGrbit),
    (jet.JET_coltypLong, jet.JET_bitColumnMultiValued, jet.JET_errMultiValuedColumnMustBeTagged),
    (jet.JET_coltypLong, jet.JET_bitColumnVersion | jet.JET_bitColumnTagged,
     jet.JET_errCannotBeTagged),
    (jet.JET_coltypLong, jet.JET_bitColumnAutoincrement | jet.JET_bitColumnTagged,
     jet.JET_errCannotBeTagged),
    # ESE: fcreate.cxx ErrFILEIValidateAddColumn gives InvalidGrbit (not InvalidColumnType)
    # for a version / autoincrement / escrow column of the wrong type.
    (jet.JET_coltypShort, jet.JET_bitColumnVersion, jet.JET_errInvalidGrbit),
    (jet.JET_coltypShort, jet.JET_bitColumnAutoincrement, jet.JET_errInvalidGrbit),
    (jet.JET_coltypLong, jet.JET_bitColumnVersion | jet.JET_bitColumnAutoincrement,
     jet.JET_errInvalidGrbit),
    (jet.JET_coltypLong, jet.JET_bitColumnEscrowUpdate, jet.JET_errInvalidGrbit),  # no default
    (jet.JET_coltypLong, jet.JET_bitColumnDeleteOnZero, jet.JET_errInvalidGrbit),
    # no JET_USERDEFINEDDEFAULT as the default: fcreate.cxx ErrFILEIValidateAddColumn's
    # "sizeof( JET_USERDEFINEDDEFAULT_A ) != cbDefaultValue" (test_user_defined_default.py)
    (jet.JET_coltypLong, jet.JET_bitColumnUserDefinedDefault | jet.JET_bitColumnTagged,
     jet.JET_errInvalidParameter),
    (jet.JET_coltypLongBinary, jet.JET_bitColumnCompressed | 0, None),
    (jet.JET_coltypBinary, jet.JET_bitColumnCompressed, jet.JET_errColumnCannotBeCompressed),
])
def test_add_column_errors(s, t, coltyp, grbit, err):
    if err is None:
        jet.JetAddColumn(s, t, "c", cdef(coltyp, grbit))
        return
    with expect(err):
        jet.JetAddColumn(s, t, "c", cdef(coltyp, grbit))
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "c")


def test_invalid_code_page(s, t):
    with expect(jet.JET_errInvalidCodePage):
        jet.JetAddColumn(s, t, "c", cdef(jet.JET_coltypText, cp=437))


@pytest.mark.parametrize("name", ["", " lead", "a.b", "a!b", "a[b", "a]b", "tab\tx", "x" * 65])
def test_invalid_column_names(s, t, name):
    # ESE: ErrUTILCheckName
    with expect(jet.JET_errInvalidName):
        jet.JetAddColumn(s, t, name, cdef(jet.JET_coltypLong))


def test_names_trailing_spaces_dropped_and_64_chars_ok(s, t):
    jet.JetAddColumn(s, t, "x" * 64, cdef(jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "trail  ", cdef(jet.JET_coltypLong))
    assert jet.JetGetTableColumnInfo(s, t, "trail").columnid


def test_column_duplicate_is_case_insensitive(s, t):
    jet.JetAddColumn(s, t, "Name", cdef(jet.JET_coltypLong))
    with expect(jet.JET_errColumnDuplicate):
        jet.JetAddColumn(s, t, "NAME", cdef(jet.JET_coltypText))


def test_second_autoincrement_or_version_is_redundant(s, t):
    jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong, jet.JET_bitColumnAutoincrement))
    with expect(jet.JET_errColumnRedundant):
        jet.JetAddColumn(s, t, "b", cdef(jet.JET_coltypLongLong, jet.JET_bitColumnAutoincrement))
    jet.JetAddColumn(s, t, "v", cdef(jet.JET_coltypLong, jet.JET_bitColumnVersion))
    with expect(jet.JET_errColumnRedundant):
        jet.JetAddColumn(s, t, "w", cdef(jet.JET_coltypLong, jet.JET_bitColumnVersion))


def test_too_many_fixed_columns(s, t):
    # 127 fixed column ids (1..127); the 128th gives JET_errTooManyColumns.
    for i in range(127):
        jet.JetAddColumn(s, t, f"f{i}", cdef(jet.JET_coltypBit))
    with expect(jet.JET_errTooManyColumns):
        jet.JetAddColumn(s, t, "one_more", cdef(jet.JET_coltypBit))
    # other classes still have room
    assert int(jet.JetAddColumn(s, t, "v", cdef(jet.JET_coltypBinary))) == 128


def test_too_many_variable_columns(s, t):
    for i in range(128):
        jet.JetAddColumn(s, t, f"v{i}", cdef(jet.JET_coltypBinary))
    with expect(jet.JET_errTooManyColumns):
        jet.JetAddColumn(s, t, "one_more", cdef(jet.JET_coltypText))


def test_default_values(s, t):
    # A record written before the columns existed reads their defaults (ESE: the record's
    # last fid is below the new column's, so the default record answers).
    other = jet.JetAddColumn(s, t, "o", cdef(jet.JET_coltypLong))
    bm = insert(s, t, {other: struct.pack("<i", 1)})
    c = jet.JetAddColumn(s, t, "n", cdef(jet.JET_coltypLong), struct.pack("<i", 42))
    txt = jet.JetAddColumn(s, t, "txt", cdef(jet.JET_coltypText, cp=1200), "dflt".encode(
        "utf-16-le"))
    tg = jet.JetAddColumn(s, t, "tg", cdef(jet.JET_coltypLongText, cp=1252), b"long default")
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c) == struct.pack("<i", 42)
    assert jet.JetRetrieveColumn(s, t, txt) == "dflt".encode("utf-16-le")
    assert jet.JetRetrieveColumn(s, t, tg) == b"long default"
    db = jet.JetGetTableInfo(s, t, jet.JET_TblInfoDbid)
    jet.JetSetColumnDefaultValue(s, db, "T", "n", struct.pack("<i", 7))
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c) == struct.pack("<i", 7)
    row = next(r for r in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
               if r.columnname == "n")
    assert row.Default == struct.pack("<i", 7)


def test_default_value_errors(s, t, db):
    with expect(jet.JET_errDefaultValueTooBig):
        jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypText, cbMax=4), b"12345")
    with expect(jet.JET_errDefaultValueTooBig):
        jet.JetAddColumn(s, t, "b", cdef(jet.JET_coltypLongBinary), b"x" * 256)
    jet.JetAddColumn(s, t, "c", cdef(jet.JET_coltypText, cbMax=4))
    with expect(jet.JET_errDefaultValueTooBig):
        jet.JetSetColumnDefaultValue(s, db, "T", "c", b"12345")
    with expect(jet.JET_errColumnNotFound):
        jet.JetSetColumnDefaultValue(s, db, "T", "nope", b"1")


def test_escrow_column(s, db, t):
    jet.JetAddColumn(s, t, "e", cdef(jet.JET_coltypLong, jet.JET_bitColumnEscrowUpdate),
                     struct.pack("<i", 0))
    info = jet.JetGetTableColumnInfo(s, t, "e")
    assert info.grbit & jet.JET_bitColumnEscrowUpdate
    with expect(jet.JET_errInvalidGrbit):  # escrow is Long or LongLong
        jet.JetAddColumn(s, t, "e2", cdef(jet.JET_coltypShort, jet.JET_bitColumnEscrowUpdate),
                         b"\0\0")


def test_autoincrement_and_escrow_need_an_exclusive_cursor(s, db, t):
    # ESE: fcreate.cxx ErrFILEIValidateAddColumn -- JET_errExclusiveTableLockRequired.
    jet.JetCloseTable(s, t)
    shared = jet.JetOpenTable(s, db, "T")
    with expect(jet.JET_errExclusiveTableLockRequired):
        jet.JetAddColumn(s, shared, "a", cdef(jet.JET_coltypLong, jet.JET_bitColumnAutoincrement))
    with expect(jet.JET_errExclusiveTableLockRequired):
        jet.JetAddColumn(s, shared, "e", cdef(jet.JET_coltypLong, jet.JET_bitColumnEscrowUpdate),
                         b"\0\0\0\0")
    jet.JetAddColumn(s, shared, "plain", cdef(jet.JET_coltypLong))
    jet.JetCloseTable(s, shared)
    excl = jet.JetOpenTable(s, db, "T", None, jet.JET_bitTableDenyRead)
    jet.JetAddColumn(s, excl, "a", cdef(jet.JET_coltypLong, jet.JET_bitColumnAutoincrement))


def test_autoincrement_and_notnull(s, t):
    a = jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong, jet.JET_bitColumnAutoincrement))
    n = jet.JetAddColumn(s, t, "n", cdef(jet.JET_coltypLong, jet.JET_bitColumnNotNULL))
    bm1 = insert(s, t, {n: struct.pack("<i", 1)})
    bm2 = insert(s, t, {n: struct.pack("<i", 2)})
    got = []
    for bm in (bm1, bm2):
        jet.JetGotoBookmark(s, t, bm)
        got.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, a))[0])
    assert got[1] == got[0] + 1
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errNullInvalid):
        jet.JetUpdate(s, t)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    info = jet.JetGetTableColumnInfo(s, t, "n")
    assert info.grbit & jet.JET_bitColumnNotNULL
    assert jet.JetGetTableColumnInfo(s, t, "a").grbit & jet.JET_bitColumnAutoincrement


def test_add_notnull_column_to_table_with_records(s, t):
    c = jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))
    insert(s, t, {c: struct.pack("<i", 1)})
    # ESE accepts it; existing records read NULL (ESE: fcreate.cxx ErrIsamAddColumn has no
    # record scan).
    n = jet.JetAddColumn(s, t, "nn", cdef(jet.JET_coltypLong, jet.JET_bitColumnNotNULL))
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, t, n) is None


def test_multivalued_tagged_column(s, t):
    c = jet.JetAddColumn(s, t, "mv", cdef(jet.JET_coltypLong,
                                           jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, struct.pack("<i", 1))
    jet.JetSetColumn(s, t, c, struct.pack("<i", 2), 0, jet.JET_SETINFO(itagSequence=0))
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c, 0, jet.JET_RETINFO(itagSequence=2)) == \
        struct.pack("<i", 2)
    assert jet.JetGetTableColumnInfo(s, t, "mv").grbit & jet.JET_bitColumnMultiValued


def test_delete_column(s, t):
    a = jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))
    b = jet.JetAddColumn(s, t, "b", cdef(jet.JET_coltypText))
    tg = jet.JetAddColumn(s, t, "tg", cdef(jet.JET_coltypLongText))
    bm = insert(s, t, {a: b"\1\0\0\0", b: b"bee", tg: b"tagged"})
    jet.JetDeleteColumn(s, t, "a")
    jet.JetDeleteColumn2(s, t, "tg", 0)
    with expect(jet.JET_errColumnNotFound):
        jet.JetDeleteColumn(s, t, "a")
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "a")
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, int(a), jet.JET_ColInfoByColid)
    names = [r.columnname for r in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)]
    assert names == ["b"]
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, b) == b"bee"
    # a new fixed column does not reuse the deleted one's id (ESE keeps the slot).
    assert int(jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))) == 2
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, 2) is None


def test_delete_indexed_column_is_in_use(s, t):
    jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "ia", 0, "+a\0\0")
    with expect(jet.JET_errColumnInUse):
        jet.JetDeleteColumn(s, t, "a")
    jet.JetDeleteIndex(s, t, "ia")
    jet.JetDeleteColumn(s, t, "a")


def test_rename_column(s, t):
    a = jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "b", cdef(jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "ia", 0, "+a\0\0")
    jet.JetRenameColumn(s, t, "a", "alpha")
    assert jet.JetGetTableColumnInfo(s, t, "alpha").columnid == int(a)
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "a")
    with expect(jet.JET_errColumnDuplicate):
        jet.JetRenameColumn(s, t, "alpha", "B")
    with expect(jet.JET_errColumnNotFound):
        jet.JetRenameColumn(s, t, "zzz", "y")
    with expect(jet.JET_errInvalidName):
        jet.JetRenameColumn(s, t, "alpha", "a.b")
    jet.JetRenameColumn(s, t, "alpha", "ALPHA")  # a change of case only
    rows = jet.JetGetTableIndexInfo(s, t, "ia")
    assert rows[0].columnname == "ALPHA"


def test_ddl_in_rolled_back_transaction_leaves_no_column(s, t):
    jet.JetBeginTransaction(s)
    jet.JetAddColumn(s, t, "gone", cdef(jet.JET_coltypLong))
    assert jet.JetGetTableColumnInfo(s, t, "gone")
    jet.JetRollback(s, 0)
    with expect(jet.JET_errColumnNotFound):
        jet.JetGetTableColumnInfo(s, t, "gone")
    # the id is free again
    assert int(jet.JetAddColumn(s, t, "x", cdef(jet.JET_coltypLong))) == 1


def test_column_ddl_on_read_only_cursor(s, db, t):
    jet.JetAddColumn(s, t, "a", cdef(jet.JET_coltypLong))
    jet.JetCloseTable(s, t)
    ro = jet.JetOpenTable(s, db, "T", None, jet.JET_bitTableReadOnly)
    with expect(jet.JET_errPermissionDenied):
        jet.JetAddColumn(s, ro, "b", cdef(jet.JET_coltypLong))

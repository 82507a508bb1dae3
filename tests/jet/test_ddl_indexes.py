"""Indexes: JetCreateIndex/2/3/4 and JetDeleteIndex, key strings, grbits and errors
(ESE fcreate.cxx ErrFILECreateIndex / ErrFILEIGenerateIDB / ErrFILEICheckIndex), and
building over existing records."""

from __future__ import annotations

import random
import struct

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
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "Name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200))
    jet.JetAddColumn(s, t, "Age", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "Tags", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypText, grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued))
    jet.JetAddColumn(s, t, "Esc", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnEscrowUpdate), b"\0\0\0\0")
    return t


def cid(s, t, name):
    return jet.JetGetTableColumnInfo(s, t, name).columnid


def insert(s, t, name=None, age=None, tags=()):
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    if name is not None:
        jet.JetSetColumn(s, t, cid(s, t, "Name"), name.encode("utf-16-le"))
    if age is not None:
        jet.JetSetColumn(s, t, cid(s, t, "Age"), struct.pack("<i", age))
    for tag in tags:
        jet.JetSetColumn(s, t, cid(s, t, "Tags"), tag.encode(), 0,
                         jet.JET_SETINFO(itagSequence=0))
    return jet.JetUpdate(s, t)


def walk(s, t, index):
    jet.JetSetCurrentIndex(s, t, index)
    out = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except jet.JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
        return out
    while True:
        n = jet.JetRetrieveColumn(s, t, cid(s, t, "Name"))
        a = jet.JetRetrieveColumn(s, t, cid(s, t, "Age"))
        out.append((n.decode("utf-16-le") if n is not None else None,
                    struct.unpack("<i", a)[0] if a is not None else None))
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return out


def test_key_string_with_two_columns_over_existing_records(s, t):
    rows = [("bob", 30), ("alice", 40), ("bob", 20), ("Carol", 25)]
    for n, a in rows:
        insert(s, t, n, a)
    jet.JetCreateIndex(s, t, "na", 0, "+Name\0-Age\0\0")
    assert walk(s, t, "na") == [("alice", 40), ("bob", 30), ("bob", 20), ("Carol", 25)]
    insert(s, t, "bob", 25)  # maintained after the build
    assert walk(s, t, "na")[1:4] == [("bob", 30), ("bob", 25), ("bob", 20)]


def test_first_segment_needs_a_sign_later_ones_default_ascending(s, t):
    # ESE: fcreate.cxx ErrIsamCreateIndex -- the key starts with + or -.
    with expect(jet.JET_errIndexInvalidDef):
        jet.JetCreateIndex(s, t, "a", 0, "Age\0\0")
    jet.JetCreateIndex(s, t, "b", 0, "-Age\0Name\0\0")
    rows = jet.JetGetTableIndexInfo(s, t, "b")
    assert [(r.columnname, r.grbitColumn) for r in rows] == [
        ("Age", jet.JET_bitKeyDescending), ("Name", jet.JET_bitKeyAscending)]


@pytest.mark.parametrize("key,err", [
    ("", jet.JET_errInvalidParameter),
    ("+Name\0", jet.JET_errIndexInvalidDef),
    ("+Name\0\0junk", jet.JET_errIndexInvalidDef),
    ("\0\0", jet.JET_errIndexInvalidDef),
    ("+Name\0+Name\0\0", jet.JET_errIndexInvalidDef),
    ("+Nope\0\0", jet.JET_errColumnNotFound),
    ("+Esc\0\0", jet.JET_errCannotIndex),
    ("".join(f"+c{i}\0" for i in range(17)) + "\0", jet.JET_errIndexInvalidDef),
])
def test_bad_keys(s, t, key, err):
    for i in range(17):
        jet.JetAddColumn(s, t, f"c{i}", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    with expect(err):
        jet.JetCreateIndex(s, t, "i", 0, key)
    with expect(jet.JET_errIndexNotFound):
        jet.JetGetTableIndexInfo(s, t, "i")


def test_sixteen_key_columns_is_the_limit(s, t):
    for i in range(16):
        jet.JetAddColumn(s, t, f"c{i}", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "i", 0, "".join(f"+c{i}\0" for i in range(16)) + "\0")
    assert len(jet.JetGetTableIndexInfo(s, t, "i")) == 16


def test_index_duplicate_and_has_primary_and_invalid_name(s, t):
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+Age\0\0")
    with expect(jet.JET_errIndexDuplicate):
        jet.JetCreateIndex(s, t, "PK", 0, "+Name\0\0")
    with expect(jet.JET_errIndexHasPrimary):
        jet.JetCreateIndex(s, t, "pk2", jet.JET_bitIndexPrimary, "+Name\0\0")
    with expect(jet.JET_errInvalidName):
        jet.JetCreateIndex(s, t, "a.b", 0, "+Name\0\0")


def test_primary_index_needs_an_empty_table(s, t):
    insert(s, t, "x", 1)
    with expect(jet.JET_errTableNotEmpty):
        jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+Age\0\0")


def test_primary_index_grbit_conflicts(s, t):
    for g in (jet.JET_bitIndexIgnoreNull, jet.JET_bitIndexIgnoreAnyNull,
              jet.JET_bitIndexIgnoreFirstNull):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary | g, "+Age\0\0")
    with expect(jet.JET_errInvalidGrbit):
        jet.JetCreateIndex(s, t, "x", 0x40000000, "+Age\0\0")


def test_unique_index_over_duplicates_gives_key_duplicate_and_no_index(s, t):
    insert(s, t, "a", 1)
    insert(s, t, "b", 1)
    with expect(jet.JET_errKeyDuplicate):
        jet.JetCreateIndex(s, t, "u", jet.JET_bitIndexUnique, "+Age\0\0")
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex(s, t, "u")
    jet.JetCreateIndex(s, t, "u", jet.JET_bitIndexUnique, "+Name\0\0")
    with expect(jet.JET_errKeyDuplicate):
        insert(s, t, "a", 3)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)


def test_null_handling_grbits(s, t):
    insert(s, t, "n1", None)
    insert(s, t, None, 5)
    insert(s, t, None, None)
    insert(s, t, "n2", 7)
    jet.JetCreateIndex(s, t, "plain", 0, "+Name\0+Age\0\0")
    jet.JetCreateIndex(s, t, "ignull", jet.JET_bitIndexIgnoreNull, "+Name\0+Age\0\0")
    jet.JetCreateIndex(s, t, "ignany", jet.JET_bitIndexIgnoreAnyNull, "+Name\0+Age\0\0")
    jet.JetCreateIndex(s, t, "ignfirst", jet.JET_bitIndexIgnoreFirstNull, "+Name\0+Age\0\0")
    assert len(walk(s, t, "plain")) == 4
    # IgnoreNull: only all-NULL keys are left out; IgnoreAnyNull: any NULL segment;
    # IgnoreFirstNull: a NULL first segment (ESE: fcreate.cxx / idb.hxx).
    assert sorted(walk(s, t, "ignull"), key=str) == sorted(
        [("n1", None), (None, 5), ("n2", 7)], key=str)
    assert walk(s, t, "ignany") == [("n2", 7)]
    assert walk(s, t, "ignfirst") == [("n1", None), ("n2", 7)]
    with expect(jet.JET_errIndexInvalidDef if False else jet.JET_errNullKeyDisallowed):
        jet.JetCreateIndex(s, t, "nonull", jet.JET_bitIndexDisallowNull, "+Name\0\0")


def test_disallow_null_on_new_records(s, t):
    jet.JetCreateIndex(s, t, "nonull", jet.JET_bitIndexDisallowNull, "+Name\0\0")
    with expect(jet.JET_errNullKeyDisallowed):
        insert(s, t, None, 1)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)


def test_multivalued_index_and_cross_product(s, t):
    insert(s, t, "x", 1, tags=("b", "a"))
    insert(s, t, "y", 2, tags=("c",))
    jet.JetCreateIndex(s, t, "tags", 0, "+Tags\0\0")
    assert jet.JetIndexRecordCount(s, t, 0) == 3 if False else True
    jet.JetSetCurrentIndex(s, t, "tags")
    assert jet.JetIndexRecordCount(s, t, 0) == 3
    jet.JetCreateIndex(s, t, "cp", jet.JET_bitIndexCrossProduct, "+Tags\0+Name\0\0")
    jet.JetSetCurrentIndex(s, t, "cp")
    assert jet.JetIndexRecordCount(s, t, 0) == 3


def test_create_index2_unicode_keymost_and_conditional(s, t):
    insert(s, t, "x" * 120, 1)
    insert(s, t, "x" * 120 + "y", None)
    ics = [
        jet.JET_INDEXCREATE(szIndexName="uni", szKey="+Name\0\0",
                            grbit=jet.JET_bitIndexUnicode,
                            pidxunicode=jet.JET_UNICODEINDEX(lcid=1033, dwMapFlags=0x400)),
        jet.JET_INDEXCREATE(szIndexName="short", szKey="+Name\0\0", cbVarSegMac=8),
        jet.JET_INDEXCREATE(szIndexName="big", szKey="+Name\0\0",
                            grbit=jet.JET_bitIndexKeyMost | jet.JET_bitIndexUnique,
                            cbKeyMost=1000),
        jet.JET_INDEXCREATE(szIndexName="cond", szKey="+Name\0\0", rgconditionalcolumn=[
            jet.JET_CONDITIONALCOLUMN(szColumnName="Age",
                                      grbit=jet.JET_bitIndexColumnMustBeNonNull)]),
    ]
    jet.JetCreateIndex2(s, t, ics)
    assert [ic.err for ic in ics] == [0, 0, 0, 0]
    assert jet.JetGetTableIndexInfo(s, t, "uni", jet.JET_IdxInfoLCID) == 1033
    assert jet.JetGetTableIndexInfo(s, t, "big", jet.JET_IdxInfoKeyMost) == 1000
    assert jet.JetGetTableIndexInfo(s, t, "short", jet.JET_IdxInfoVarSegMac) == 8
    assert walk(s, t, "cond") == [("x" * 120, 1)]
    # the two names share their first 8 key bytes: equal keys in "short" (truncation),
    # distinct in "big".
    jet.JetSetCurrentIndex(s, t, "short")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    k1 = jet.JetRetrieveKey(s, t)
    jet.JetMove(s, t, jet.JET_MoveNext)
    assert jet.JetRetrieveKey(s, t) == k1
    jet.JetSetCurrentIndex(s, t, "big")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    k1 = jet.JetRetrieveKey(s, t)
    jet.JetMove(s, t, jet.JET_MoveNext)
    assert jet.JetRetrieveKey(s, t) != k1


def test_create_index_batch_is_all_or_nothing(s, t):
    ics = [jet.JET_INDEXCREATE(szIndexName="ok", szKey="+Name\0\0"),
           jet.JET_INDEXCREATE(szIndexName="bad", szKey="+Nope\0\0")]
    with expect(jet.JET_errColumnNotFound):
        jet.JetCreateIndex2(s, t, ics)
    assert [ic.err for ic in ics] == [0, jet.JET_errColumnNotFound]
    with expect(jet.JET_errIndexNotFound):
        jet.JetGetTableIndexInfo(s, t, "ok")


def test_create_index3_and_4_tuples(s, t):
    insert(s, t, "abcdef", 1)
    jet.JetCreateIndex3(s, t, [jet.JET_INDEXCREATE2(szIndexName="tup", szKey="+Name\0\0",
                                                    grbit=jet.JET_bitIndexTuples)])
    jet.JetSetCurrentIndex(s, t, "tup")
    # default limits (ESE idb.hxx): substrings of 3..10 chars at every offset -> 4 entries
    assert jet.JetIndexRecordCount(s, t, 0) == 4
    ic = jet.JET_INDEXCREATE3(
        szIndexName="tup2", szKey="+Name\0\0",
        grbit=jet.JET_bitIndexTuples | jet.JET_bitIndexTupleLimits | jet.JET_bitIndexUnicode,
        pidxunicode=jet.JET_UNICODEINDEX2(szLocaleName="en-US", dwMapFlags=0x400),
        ptuplelimits=jet.JET_TUPLELIMITS(chLengthMin=2, chLengthMax=4, chToIndexMax=3,
                                         cchIncrement=1, ichStart=0))
    jet.JetCreateIndex4(s, t, [ic])
    jet.JetSetCurrentIndex(s, t, "tup2")
    assert jet.JetIndexRecordCount(s, t, 0) == 3
    for grbit, err in ((jet.JET_bitIndexTuples | jet.JET_bitIndexUnique,
                        jet.JET_errIndexTuplesNonUniqueOnly),
                       (jet.JET_bitIndexTuples | jet.JET_bitIndexPrimary,
                        jet.JET_errIndexTuplesSecondaryIndexOnly)):
        with expect(err):
            jet.JetCreateIndex(s, t, "bad", grbit, "+Name\0\0")
    with expect(jet.JET_errIndexTuplesTextBinaryColumnsOnly):
        jet.JetCreateIndex(s, t, "bad", jet.JET_bitIndexTuples, "+Age\0\0")


def test_delete_index(s, t):
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+Age\0\0")
    jet.JetCreateIndex(s, t, "n", 0, "+Name\0\0")
    insert(s, t, "a", 1)
    jet.JetDeleteIndex(s, t, "N")
    with expect(jet.JET_errIndexNotFound):
        jet.JetDeleteIndex(s, t, "n")
    with expect(jet.JET_errIndexMustStay):
        jet.JetDeleteIndex(s, t, "pk")
    insert(s, t, "b", 2)
    jet.JetCreateIndex(s, t, "n", 0, "-Name\0\0")
    assert walk(s, t, "n") == [("b", 2), ("a", 1)]


def test_rolled_back_index_is_gone(s, t):
    insert(s, t, "a", 1)
    jet.JetBeginTransaction(s)
    jet.JetCreateIndex(s, t, "n", 0, "+Name\0\0")
    jet.JetRollback(s, 0)
    with expect(jet.JET_errIndexNotFound):
        jet.JetGetTableIndexInfo(s, t, "n")
    jet.JetCreateIndex(s, t, "n", 0, "+Name\0\0")
    assert walk(s, t, "n") == [("a", 1)]


@pytest.mark.slow
def test_index_over_100000_existing_rows():
    # The build writes its entries through the version store inside the DDL transaction,
    # so the version store must hold them (pyese; ESE builds without versions).
    inst = jet.JetCreateInstance("big")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, 4096)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "big.edb")
    t = jet.JetCreateTable(s, db, "Big")
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    v = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    n = 100_000
    rng = random.Random(4)
    values = list(range(n))
    rng.shuffle(values)
    jet.JetBeginTransaction(s)
    for i, val in enumerate(values):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, k, struct.pack("<i", i))
        jet.JetSetColumn(s, t, v, struct.pack("<i", val - n // 2))
        jet.JetUpdate(s, t)
        if i % 10_000 == 9_999:
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
            jet.JetBeginTransaction(s)
    jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    jet.JetCreateIndex(s, t, "byv", jet.JET_bitIndexUnique, "+v\0\0")
    jet.JetSetCurrentIndex(s, t, "byv")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    seen = []
    while True:
        seen.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, v))[0])
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError:
            break
    assert seen == list(range(-n // 2, n - n // 2))
    jet.JetTerm(inst)

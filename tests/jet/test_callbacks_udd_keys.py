"""User-defined default columns in index keys.

ESE evaluates a JET_bitColumnUserDefinedDefault column's callback when it builds an index
key of a record that has no value for the column: fldnorm.cxx ErrRECIIRetrieveKey gets
wrnRECUserDefinedDefault from ErrRECRetrieveTaggedColumn and calls
ErrRECCallback( ppib, pfucb, JET_cbtypUserDefinedDefaultValue, columnid, pbLV,
&cbActual, columnid ) with cbActual = cbDataMost (the index's cbKeyMost to start with);
a conditional column's callback gets pbLV NULL and cbActual 0. With the key built from
the copy buffer (insert, the new keys of a replace) the callback's JET_bitRetrieveCopy
reads the record being keyed (FUCBSetAlwaysRetrieveCopy); with the key built from the
record the cursor is on (the old keys of a replace, an index build) it reads that record
(FUCBSetNeverRetrieveCopy). JetCreateIndex accepts such a column (fcreate.cxx sets every
bit of the index's rgbitIdx for it: "use the dependency list to optimize this"), so any
column set by a replace may change the index's keys. The JET_CALLBACK documentation:
"tableid: cursor positioned on the record for which the user-defined default is being
retrieved".
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect

CALLS: list[tuple] = []
MODE = {"kind": "double"}


def key_udd(sesid, dbid, tableid, cbtyp, pvArg1, pvArg2, pvContext, ulUnused):
    """Twice column "a" as a 4-byte value, read through the cursor handed over with
    JET_bitRetrieveCopy (the record being keyed, per the module docstring); MODE "plain"
    reads it without JET_bitRetrieveCopy."""
    CALLS.append((cbtyp, None if pvArg1 is None else "buffer", pvArg2[0],
                  bytes(pvContext or b""), ulUnused))
    kind = MODE["kind"]
    if kind == "error":
        return jet.JET_errOutOfMemory
    a_col = jet.JetGetTableColumnInfo(sesid, tableid, "a", jet.JET_ColInfo).columnid
    grbit = 0 if kind == "plain" else jet.JET_bitRetrieveCopy
    raw = jet.JetRetrieveColumn(sesid, tableid, a_col, grbit)
    n = struct.unpack("<i", raw)[0] if raw else 0
    if kind == "null-odd" and n % 2:
        return jet.JET_wrnColumnNull
    if pvArg1 is None:  # a conditional column: only NULL or not
        return jet.JET_wrnBufferTruncated
    value = struct.pack(">i", 2 * n)
    pvArg1[:] = value
    pvArg2[0] = len(value)
    return 0


NAME = f"{__name__}!key_udd"


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    MODE["kind"] = "double"


@pytest.fixture
def env(parker):
    i = jet.JetCreateInstance("uddkeys")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramEnablePersistedCallbacks, 1, None)
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    db = jet.JetCreateDatabase(s, "uddkeys.edb")
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        jet.JET_COLUMNCREATE(szColumnName="id", coltyp=jet.JET_coltypLong),
        jet.JET_COLUMNCREATE(szColumnName="a", coltyp=jet.JET_coltypLong),
        jet.JET_COLUMNCREATE(
            szColumnName="u", coltyp=jet.JET_coltypBinary,
            grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnUserDefinedDefault,
            pvDefault=jet.JET_USERDEFINEDDEFAULT(szCallback=NAME, pbUserData=b"ud"))],
        rgindexcreate=[jet.JET_INDEXCREATE(szIndexName="pk", szKey="+id\0\0",
                                           grbit=jet.JET_bitIndexPrimary)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t = tc.tableid
    ids = {c.szColumnName: c.columnid for c in tc.rgcolumncreate}
    yield s, db, t, ids
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


def _insert(s, t, ids, rid, a, u=None):
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, ids["id"], struct.pack("<i", rid), 0)
    jet.JetSetColumn(s, t, ids["a"], struct.pack("<i", a), 0)
    if u is not None:
        jet.JetSetColumn(s, t, ids["u"], u, 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)


def _ids_in_index(s, t, ids, index="ux"):
    """The ids of the records in ``index``, in index order."""
    jet.JetSetCurrentIndex(s, t, index)
    out = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    except jet.JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
        return out
    while True:
        out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, ids["id"], 0))[0])
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return out


def _seek_u(s, t, value):
    """Seek index "ux" for u == ``value``: the id found, or None."""
    jet.JetSetCurrentIndex(s, t, "ux")
    jet.JetMakeKey(s, t, value, jet.JET_bitNewKey)
    try:
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    except jet.JetError as e:
        assert e.err == jet.JET_errRecordNotFound
        return None
    return jet.JetGetBookmark(s, t)


def _create_ux(s, t, key="+u\0\0"):
    jet.JetCreateIndex(s, t, "ux", 0, key, 100)


def test_insert_keys_the_callback_value(env):
    s, db, t, ids = env
    _create_ux(s, t)
    _insert(s, t, ids, 1, 30)
    _insert(s, t, ids, 2, 10)
    _insert(s, t, ids, 3, 20, u=struct.pack(">i", 1))  # a stored value wins
    # keys: 2*a for ids 1 and 2 (60, 20), the stored 1 for id 3
    assert _ids_in_index(s, t, ids) == [3, 2, 1]
    assert _seek_u(s, t, struct.pack(">i", 60)) is not None
    # each insert without a value called the callback once for the key, with a buffer
    # of the index's cbKeyMost bytes, pbUserData as pvContext, the columnid as ulUnused
    key_calls = [c for c in CALLS if c[1] == "buffer"]
    assert key_calls[:2] == [
        (jet.JET_cbtypUserDefinedDefaultValue, "buffer", jet.JET_cbKeyMost, b"ud",
         ids["u"].value)] * 2


def test_replace_of_another_column_rekeys_the_index(env):
    s, db, t, ids = env
    _create_ux(s, t)
    _insert(s, t, ids, 1, 30)
    _insert(s, t, ids, 2, 10)
    assert _ids_in_index(s, t, ids) == [2, 1]
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMakeKey(s, t, struct.pack("<i", 1), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, ids["a"], struct.pack("<i", 1), 0)  # "a" is not in the key
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    # the old entry (60) went, the new one (2) came: one entry per record
    assert _ids_in_index(s, t, ids) == [1, 2]
    assert _seek_u(s, t, struct.pack(">i", 60)) is None
    assert _seek_u(s, t, struct.pack(">i", 2)) is not None


def test_delete_removes_the_entry(env):
    s, db, t, ids = env
    _create_ux(s, t)
    _insert(s, t, ids, 1, 30)
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetDelete(s, t)
    assert _ids_in_index(s, t, ids) == []


def test_create_index_over_existing_records(env):
    s, db, t, ids = env
    _insert(s, t, ids, 1, 5)
    _insert(s, t, ids, 2, 3)
    _insert(s, t, ids, 3, 4)
    CALLS.clear()
    _create_ux(s, t)
    # the build called the callback once per record, each time on that record
    assert len(CALLS) == 3
    assert _ids_in_index(s, t, ids) == [2, 3, 1]  # 6, 8, 10
    assert _seek_u(s, t, struct.pack(">i", 8)) is not None


def test_callback_error_fails_the_insert(env):
    s, db, t, ids = env
    _create_ux(s, t)
    MODE["kind"] = "error"
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, ids["id"], struct.pack("<i", 1), 0)
    jet.JetSetColumn(s, t, ids["a"], struct.pack("<i", 1), 0)
    with expect(jet.JET_errOutOfMemory):
        jet.JetUpdate(s, t)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    jet.JetCommitTransaction(s, 0)
    MODE["kind"] = "double"
    assert _ids_in_index(s, t, ids, "pk") == []


def test_callback_error_fails_create_index(env):
    s, db, t, ids = env
    _insert(s, t, ids, 1, 5)
    MODE["kind"] = "error"
    key = "+u\0\0"
    with expect(jet.JET_errOutOfMemory):
        jet.JetCreateIndex(s, t, "ux", 0, key, 100)
    MODE["kind"] = "double"
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex(s, t, "ux")


def test_null_default_and_ignore_null(env):
    s, db, t, ids = env
    key = "+u\0\0"
    jet.JetCreateIndex(s, t, "ux", jet.JET_bitIndexIgnoreNull, key, 100)
    MODE["kind"] = "null-odd"
    _insert(s, t, ids, 1, 3)  # NULL default: not in an IgnoreNull index
    _insert(s, t, ids, 2, 4)
    assert _ids_in_index(s, t, ids) == [2]


def test_conditional_column_gets_no_buffer(env):
    s, db, t, ids = env
    ic = jet.JET_INDEXCREATE(
        szIndexName="ux", szKey="+a\0\0",
        rgconditionalcolumn=[jet.JET_CONDITIONALCOLUMN(
            szColumnName="u", grbit=jet.JET_bitIndexColumnMustBeNonNull)])
    jet.JetCreateIndex2(s, t, [ic])
    MODE["kind"] = "null-odd"
    CALLS.clear()
    _insert(s, t, ids, 1, 3)  # the default is NULL: not in the index
    _insert(s, t, ids, 2, 4)
    assert _ids_in_index(s, t, ids) == [2]
    # ErrRECIIRetrieveKey on a conditional column: pvArg1 NULL, *pcbActual 0
    assert CALLS and all(c[1] is None and c[2] == 0 for c in CALLS)


def _bookmark_of(s, t, ids, rid):
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMakeKey(s, t, struct.pack("<i", rid), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    return jet.JetGetBookmark(s, t)


def _current_id(s, t, ids):
    return struct.unpack("<i", jet.JetRetrieveColumn(s, t, ids["id"], 0))[0]


def test_goto_bookmark_finds_the_callback_entry(env):
    # rec.cxx ErrRECIGotoBookmark: ErrDIRGotoJetBookmark puts the table's cursor on the
    # record, then ErrRECRetrieveKeyFromRecord keys it there (fldnorm.cxx
    # ErrRECIIRetrieveKey calls the callback, FUCBSetNeverRetrieveCopy) and
    # ErrDIRDownKeyData goes to that entry of the secondary index. ErrIsamSetCurrentIndex
    # with JET_bitNoMove keeps the record the same way (JetSetCurrentIndex2 NoMove).
    s, db, t, ids = env
    _create_ux(s, t)
    _insert(s, t, ids, 1, 30)
    _insert(s, t, ids, 2, 10)
    _insert(s, t, ids, 3, 20)
    assert _ids_in_index(s, t, ids) == [2, 3, 1]  # keys 20, 40, 60
    bm = _bookmark_of(s, t, ids, 3)
    jet.JetSetCurrentIndex(s, t, "ux")
    CALLS.clear()
    jet.JetGotoBookmark(s, t, bm)
    assert len(CALLS) == 1  # the record keyed once, by its callback
    assert _current_id(s, t, ids) == 3
    jet.JetMove(s, t, jet.JET_MoveNext, 0)  # on the entry 40: next is 60
    assert _current_id(s, t, ids) == 1
    jet.JetMove(s, t, jet.JET_MovePrevious, 0)
    jet.JetMove(s, t, jet.JET_MovePrevious, 0)
    assert _current_id(s, t, ids) == 2
    _bookmark_of(s, t, ids, 3)
    jet.JetSetCurrentIndex2(s, t, "ux", jet.JET_bitNoMove)
    jet.JetMove(s, t, jet.JET_MoveNext, 0)
    assert _current_id(s, t, ids) == 1


def test_retrieve_tag_from_index_matches_the_callback_entry(env):
    # fldext.cxx ErrRECIRetrieveFromIndex, ComputeItag: for a multi-valued column the
    # record's keys are made with ErrRECRetrieveKeyFromRecord on the table's cursor (the
    # callback gives "u") and compared with the current entry's key.
    s, db, t, ids = env
    m = jet.JetAddColumn(s, t, "m", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong,
        grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued), None)
    jet.JetCreateIndex(s, t, "mu", 0, "+m\0+u\0\0", 100)
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, ids["id"], struct.pack("<i", 1), 0)
    jet.JetSetColumn(s, t, ids["a"], struct.pack("<i", 30), 0)
    for v in (9, 7):
        jet.JetSetColumn(s, t, m, struct.pack("<i", v), 0,
                         jet.JET_SETINFO(itagSequence=0))
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetSetCurrentIndex(s, t, "mu")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    got = []
    for _ in range(2):
        ri = jet.JET_RETINFO(itagSequence=1)
        value = jet.JetRetrieveColumn(
            s, t, m, jet.JET_bitRetrieveFromIndex | jet.JET_bitRetrieveTag, ri)
        got.append((struct.unpack("<i", value)[0], ri.itagSequence))
        if not got[1:]:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
    assert got == [(7, 2), (9, 1)]  # entries (7, 60) and (9, 60), 7 being value 2


def test_plain_retrieval_in_the_callback_reads_the_record_being_keyed(env):
    # fldnorm.cxx ErrRECIIRetrieveKey: a key made from the copy buffer (insert, the new
    # keys of a replace) sets pfucb->dataWorkBuf = lineRec and FUCBSetAlwaysRetrieveCopy,
    # so fldext.cxx reads the record being keyed with or without JET_bitRetrieveCopy; a
    # key made from the record (the old keys of a replace) sets
    # FUCBSetNeverRetrieveCopy and a plain retrieval reads that record.
    s, db, t, ids = env
    _create_ux(s, t)
    MODE["kind"] = "plain"
    _insert(s, t, ids, 1, 30)  # the cursor is on no record: the copy buffer is read
    _insert(s, t, ids, 2, 10)
    assert _ids_in_index(s, t, ids) == [2, 1]  # 20, 60
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMakeKey(s, t, struct.pack("<i", 1), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, ids["a"], struct.pack("<i", 5), 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    # the old key (60, from the record) went; the new one (10, from the copy buffer) came
    assert _ids_in_index(s, t, ids) == [1, 2]
    assert _seek_u(s, t, struct.pack(">i", 60)) is None
    assert _seek_u(s, t, struct.pack(">i", 10)) is not None

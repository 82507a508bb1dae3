"""JetPrepareUpdate / JetSetColumn / JetUpdate / JetDelete: isam-semantics §5, §8 17-31, 39."""

from __future__ import annotations

import struct

import pyese.jet as jet

from .helpers import expect

L = struct.Struct("<i")


def _setup(inst: jet.JET_INSTANCE, primary: bool = True) -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "u.edb")
    t = jet.JetCreateTable(s, db, "T")
    c = {
        "id": jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        "auto": jet.JetAddColumn(s, t, "auto", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnAutoincrement)),
        "ver": jet.JetAddColumn(s, t, "ver", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnVersion)),
        "txt": jet.JetAddColumn(s, t, "txt", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cbMax=10)),
        "tag": jet.JetAddColumn(s, t, "tag", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypBinary, cbMax=10, grbit=jet.JET_bitColumnTagged)),
        "nn": jet.JetAddColumn(s, t, "nn", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnNotNULL)),
    }
    if primary:
        jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+id\0\0")
    return s, t, c


def _insert(s: object, t: object, c: dict, i: int, **extra: bytes) -> bytes:
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c["id"], L.pack(i))
    jet.JetSetColumn(s, t, c["nn"], L.pack(0))
    for k, v in extra.items():
        jet.JetSetColumn(s, t, c[k], v)
    return jet.JetUpdate(s, t)


def _count(s: object, t: object) -> int:
    n = 0
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except jet.JetError:
        return 0
    while True:
        n += 1
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError:
            return n


def test_not_prepared_and_already_prepared(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    with expect(jet.JET_errUpdateNotPrepared):  # §8.17
        jet.JetSetColumn(s, t, c["id"], L.pack(1))
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(s, t)
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errAlreadyPrepared):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)


def test_cancel_replace_leaves_record(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    _insert(s, t, c, 1, txt=b"old")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, c["txt"], b"new")
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    with expect(jet.JET_errUpdateNotPrepared):  # §8.18
        jet.JetSetColumn(s, t, c["txt"], b"x")
    assert jet.JetRetrieveColumn(s, t, c["txt"]) == b"old"


def test_insert_copy(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    _insert(s, t, c, 1)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsertCopy)
    jet.JetSetColumn(s, t, c["id"], L.pack(2))
    bm = jet.JetUpdate(s, t)
    assert _count(s, t) == 2  # §8.20
    jet.JetGotoBookmark(s, t, bm)
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["auto"]))[0] == 2
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsertCopy)
    with expect(jet.JET_errKeyDuplicate):  # §8.19
        jet.JetUpdate(s, t)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    assert _count(s, t) == 2


def test_insert_copy_delete_original(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    _insert(s, t, c, 1, txt=b"keep")
    jet.JetMove(s, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsertCopyDeleteOriginal)
    with expect(jet.JET_errAlreadyPrepared):
        jet.JetDelete(s, t)
    jet.JetSetColumn(s, t, c["id"], L.pack(5))  # may change the primary key
    bm = jet.JetUpdate(s, t)
    assert _count(s, t) == 1
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c["txt"]) == b"keep"
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["id"]))[0] == 5


def test_primary_changed_stays_prepared(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    _insert(s, t, c, 1)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, c["id"], L.pack(9))
    with expect(jet.JET_errRecordPrimaryChanged):  # §8.23; ESE: recupd ErrRECIReplace
        jet.JetUpdate(s, t)
    jet.JetSetColumn(s, t, c["id"], L.pack(1))  # still prepared
    jet.JetUpdate(s, t)


def test_special_columns_and_sizes(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errInvalidColumnType):  # §8.24
        jet.JetSetColumn(s, t, c["auto"], L.pack(7))
    with expect(jet.JET_errInvalidBufferSize):  # §8.25
        jet.JetSetColumn(s, t, c["id"], b"abc")
    assert jet.JetSetColumn(s, t, c["txt"], b"x" * 12) == jet.JET_wrnColumnMaxTruncated
    with expect(jet.JET_errColumnTooBig):  # §8.27
        jet.JetSetColumn(s, t, c["tag"], b"y" * 12)
    with expect(jet.JET_errNullInvalid):  # §8.28: NULL fails at once
        jet.JetSetColumn(s, t, c["nn"], None)
    jet.JetSetColumn(s, t, c["id"], L.pack(1))
    with expect(jet.JET_errNullInvalid):  # §8.28: unset NotNULL at JetUpdate
        jet.JetUpdate(s, t)
    jet.JetSetColumn(s, t, c["nn"], L.pack(3))
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c["txt"]) == b"x" * 10  # §8.26
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["auto"]))[0] == 1
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["ver"]))[0] == 0
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    with expect(jet.JET_errInvalidColumnType):
        jet.JetSetColumn(s, t, c["ver"], L.pack(5))
    jet.JetSetColumn(s, t, c["txt"], b"b")
    jet.JetUpdate(s, t)
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["ver"]))[0] == 1
    # a replace with nothing set leaves the version column alone (ESE: ErrIsamUpdate)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetUpdate(s, t)
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["ver"]))[0] == 1


def test_autoinc_readable_at_prepare(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    got = jet.JetRetrieveColumn(s, t, c["auto"], jet.JET_bitRetrieveCopy)
    assert L.unpack(got)[0] == 1
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    assert L.unpack(jet.JetRetrieveColumn(s, t, c["auto"], jet.JET_bitRetrieveCopy))[0] == 2


def test_zero_length_default_and_revert(inst: jet.JET_INSTANCE) -> None:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "d.edb")
    t = jet.JetCreateTable(s, db, "T")
    cd = jet.JetAddColumn(s, t, "d", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged), b"dflt")
    cb = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, cb, b"", jet.JET_bitSetZeroLength)
    jet.JetSetColumn(s, t, cd, None)  # explicit NULL overrides the default
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, cb) == b""
    assert jet.JetRetrieveColumn(s, t, cd) is None
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, cd, None, jet.JET_bitSetRevertToDefaultValue)
    jet.JetSetColumn(s, t, cb, b"")  # no ZeroLength bit: NULL
    jet.JetUpdate(s, t)
    assert jet.JetRetrieveColumn(s, t, cd) == b"dflt"
    assert jet.JetRetrieveColumn(s, t, cb) is None
    assert jet.JetRetrieveColumn(s, t, cd, jet.JET_bitRetrieveIgnoreDefault) is None


def test_no_primary_bookmark_and_delete(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst, primary=False)
    bm = _insert(s, t, c, 1)
    assert bm == b"\x00\x00\x00\x01"  # §8.39
    assert _insert(s, t, c, 2) == b"\x00\x00\x00\x02"
    jet.JetGotoBookmark(s, t, bm)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetDelete(s, t)  # cancels the prepared update
    with expect(jet.JET_errUpdateNotPrepared):
        jet.JetUpdate(s, t)
    with expect(jet.JET_errRecordDeleted):
        jet.JetRetrieveColumn(s, t, c["id"])
    assert _count(s, t) == 1


def test_unique_secondary_key_duplicate(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetCreateIndex(s, t, "u", jet.JET_bitIndexUnique, "+txt\0\0")
    _insert(s, t, c, 1, txt=b"a")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c["id"], L.pack(2))
    jet.JetSetColumn(s, t, c["nn"], L.pack(2))
    jet.JetSetColumn(s, t, c["txt"], b"A")
    with expect(jet.JET_errKeyDuplicate):
        jet.JetUpdate(s, t)
    assert _count(s, t) == 1


def test_record_too_big(inst: jet.JET_INSTANCE) -> None:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "b.edb")
    t = jet.JetCreateTable(s, db, "T")
    cols = [jet.JetAddColumn(s, t, f"c{i}", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary, cbMax=255, grbit=jet.JET_bitColumnTagged))
        for i in range(40)]
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    for col in cols:
        jet.JetSetColumn(s, t, col, b"z" * 255)
    with expect(jet.JET_errRecordTooBig):
        jet.JetUpdate(s, t)


def test_level0_durable_and_rollback_leaves_no_trace(inst: jet.JET_INSTANCE) -> None:
    from pyese.engine.cursors.cursor import CURSORS

    s, t, c = _setup(inst)
    cl = jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "bytxt", 0, "+txt\0\0")
    _insert(s, t, c, 1, txt=b"a")
    cur = CURSORS[int(t)]
    lv_nodes_before = list(cur.view().iterate(cur.table.lv_objid))
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c["id"], L.pack(2))
    jet.JetSetColumn(s, t, c["nn"], L.pack(2))
    jet.JetSetColumn(s, t, c["txt"], b"b")
    jet.JetSetColumn(s, t, cl, b"q" * 50000)
    jet.JetUpdate(s, t)
    assert _count(s, t) == 2
    jet.JetRollback(s, 0)
    t2 = jet.JetOpenTable(s, jet.JetOpenDatabase(s, "u.edb"), "T")
    assert _count(s, t2) == 1
    jet.JetSetCurrentIndex(s, t2, "bytxt")
    assert _count(s, t2) == 1
    cur2 = CURSORS[int(t2)]
    assert list(cur2.view().iterate(cur2.table.lv_objid)) == lv_nodes_before
    jet.JetCloseTable(s, t2)
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    i2 = jet.JetCreateInstance("t2")
    jet.JetInit(i2)
    s2 = jet.JetBeginSession(i2)
    jet.JetAttachDatabase(s2, "u.edb")
    t3 = jet.JetOpenTable(s2, jet.JetOpenDatabase(s2, "u.edb"), "T")
    assert _count(s2, t3) == 1  # the level-0 insert is durable
    jet.JetMove(s2, t3, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s2, t3, c["txt"]) == b"a"
    jet.JetTerm(i2)


def test_set_columns(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    items = [jet.JET_SETCOLUMN(columnid=c["id"], pvData=L.pack(4)),
             jet.JET_SETCOLUMN(columnid=c["nn"], pvData=L.pack(1)),
             jet.JET_SETCOLUMN(columnid=c["txt"], pvData=b"t" * 11)]
    jet.JetSetColumns(s, t, items)
    assert items[2].err == jet.JET_wrnColumnMaxTruncated
    bm = jet.JetUpdate2(s, t, 0)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c["txt"]) == b"t" * 10


def test_set_columns_itag_zero_on_single_valued_tagged_column_adds_a_value(
        inst: jet.JET_INSTANCE) -> None:
    """JET_SETCOLUMN.itagSequence = 0 appends a value even to a tagged column declared
    without JET_bitColumnMultiValued, as ESE does: ErrIsamSetColumns (fldmod.cxx) passes
    each item's itagSequence unchanged to ErrFLDSetOneColumn -> ErrRECSetColumn
    (rec.hxx) -> TAGFIELDS::ErrSetColumn (tagfld.cxx), whose "add a 2nd value" branch is
    taken for any itagSequence other than 1 on an existing non-NULL value; nothing on
    that path reads FFIELDMultivalued (the flag matters to index key extraction only).
    An itagSequence of 1 overwrites the first value."""
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    items = [jet.JET_SETCOLUMN(columnid=c["id"], pvData=L.pack(7), itagSequence=1),
             jet.JET_SETCOLUMN(columnid=c["nn"], pvData=L.pack(1), itagSequence=1),
             jet.JET_SETCOLUMN(columnid=c["tag"], pvData=b"first"),
             jet.JET_SETCOLUMN(columnid=c["tag"], pvData=b"second")]
    assert items[2].itagSequence == 0 and items[3].itagSequence == 0
    jet.JetSetColumns(s, t, items)
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c["tag"]) == b"first"
    second = jet.JetRetrieveColumn(s, t, c["tag"], 0, jet.JET_RETINFO(itagSequence=2))
    assert second == b"second"
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumns(s, t, [jet.JET_SETCOLUMN(columnid=c["tag"], pvData=b"one",
                                               itagSequence=1)])
    jet.JetUpdate(s, t)
    assert jet.JetRetrieveColumn(s, t, c["tag"]) == b"one"
    assert jet.JetRetrieveColumn(s, t, c["tag"], 0,
                                 jet.JET_RETINFO(itagSequence=2)) == b"second"


def test_insert_must_set_autoincrement_is_an_insert(inst: jet.JET_INSTANCE) -> None:
    """JET_prepInsertMustSetAutoIncrement prepares an insert whose autoincrement value the
    caller sets: JetUpdate writes a new record (it used to take the replace path and fail
    inside the engine)."""
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsertMustSetAutoIncrement)
    jet.JetSetColumn(s, t, c["id"], L.pack(1))
    jet.JetSetColumn(s, t, c["nn"], L.pack(0))
    jet.JetSetColumn(s, t, c["auto"], L.pack(42))
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c["auto"]) == L.pack(42)
    assert _count(s, t) == 1

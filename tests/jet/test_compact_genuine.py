"""JetCompact converts a genuine Windows ``.edb`` into a writable pyese database (issue 17
item 1; ESE ``dbutil.cxx`` ErrIsamCompact / ErrCMPCopyTable).

For every genuine file in the shared test data (all of them, whatever their number): the
file is attached read-only and compacted; the copy is attached read-write and compared
through the JET API with the genuine file read through the JET API: the same user tables
(no system table: ErrCMPCopySelectedTables skips them), the same column definitions, the
same index definitions, every record's every value (every itagSequence of multi-valued
columns, long values in full), secondary indexes with as many entries that seeks find;
then a row is inserted and one updated in the copy and committed.
"""

from __future__ import annotations

import gzip
import os
import struct
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.genuine.convert import is_system_table
from pyese.jethdr.errors import JetError
from tests.genuine.samples import SAMPLES_DIR

from .helpers import expect

GENUINE = sorted(p.name[:-3] for p in SAMPLES_DIR.glob("*.gz")) if SAMPLES_DIR.is_dir() else []


@pytest.fixture(scope="module")
def genuine_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not GENUINE:
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("genuine")
    for name in GENUINE:
        (out / name).write_bytes(gzip.decompress((SAMPLES_DIR / f"{name}.gz").read_bytes()))
    return out


def _attach(s, path: str, grbit: int) -> object:
    with warnings.catch_warnings():  # qmgr was last closed dirty: attached as it is
        warnings.simplefilter("ignore")
        jet.JetAttachDatabase(s, path, grbit)
    return jet.JetOpenDatabase(s, path)


def _tables(s, db) -> list[str]:
    return sorted(r.objectname for r in jet.JetGetObjectInfo(
        s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoListNoStats)
        if not is_system_table(r.objectname))


def _columns(s, t) -> dict[str, tuple]:
    """Column name -> its definition as JET_ColInfoList reports it (columnids aside: a
    deleted column's gap closes in the copy, as in ESE's; JET_bitColumnUpdatable aside:
    it says whether this cursor may write, and the source is attached read-only)."""
    return {c.columnname: (c.coltyp, c.cbMax, c.grbit & ~jet.JET_bitColumnUpdatable, c.Cp,
                           c.Default)
            for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}


def _indexes(s, t) -> dict[str, tuple]:
    """Index name -> (grbit, [(column, grbitColumn)], LCMapFlags) from JET_IdxInfoList."""
    out: dict[str, tuple] = {}
    for r in jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList):
        grbit, segs, flags = out.get(r.indexname, (r.grbitIndex, [], r.LCMapFlags))
        segs.append((r.columnname, r.grbitColumn))
        out[r.indexname] = (grbit, segs, flags)
    return out


def _entries(s, t) -> Iterator[None]:
    """Position on each entry of the current index in turn."""
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
        return
    while True:
        yield
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return


def _values(s, t, columnid: int, tagged: bool) -> list[bytes | None]:
    out: list[bytes | None] = []
    itag = 1
    while True:
        v = jet.JetRetrieveColumn(s, t, columnid, 0, jet.JET_RETINFO(itagSequence=itag))
        if v is None or not tagged:
            return out + ([v] if v is not None else [])
        out.append(v)
        itag += 1


RETRIEVE_COLUMN_ROWS = 40
"""Records of each table read value by value with JetRetrieveColumn (every itagSequence);
every record is read with PyeseRetrieveRows (tests/jet/test_batch_rows_genuine.py shows it
gives what JetRetrieveColumn gives), which keeps the 7,284 records of SRUDB fast."""


def _rows(s, t, cols: list) -> tuple[list[dict[str, list]], list[tuple]]:
    """The table's records in primary-index order: the first ones as column name -> every
    value (JetRetrieveColumn), and every one as a PyeseRetrieveRows row (by column name)."""
    cols = sorted(cols, key=lambda c: c.columnname)
    first = []
    for _ in _entries(s, t):
        if len(first) == RETRIEVE_COLUMN_ROWS:
            break
        first.append({c.columnname: _values(s, t, c.columnid,
                                            bool(c.grbit & jet.JET_bitColumnTagged))
                      for c in cols})
    every: list[tuple] = []
    cids = [c.columnid for c in cols]
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except JetError:
        return first, every
    while True:
        try:
            every += jet.PyeseRetrieveRows(s, t, cids, 500)
        except JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return first, every


SEEKS_PER_INDEX = 60
"""Entries of each secondary index sought (spread over the whole index)."""


def _check_seeks(s, t, index: str, key_columns: list[str]) -> int:
    """Entries of ``index`` (:data:`SEEKS_PER_INDEX`, spread evenly) are found by
    JetSeek(SeekEQ) on their own key (made from their values, or from the normalized key
    where a column is multi-valued), the record inside the index range of that key.
    Returns the number of entries."""
    jet.JetSetCurrentIndex(s, t, index)
    cols = {c.columnname: c for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
    multi = any(cols[n].grbit & jet.JET_bitColumnMultiValued for n in key_columns)
    total = _count(s, t)
    step = max(1, total // SEEKS_PER_INDEX)
    entries = []
    for i, _ in enumerate(_entries(s, t)):
        if i % step:
            continue
        bookmark = jet.JetGetBookmark(s, t)
        if multi:
            key = [(jet.JetRetrieveKey(s, t), jet.JET_bitNormalizedKey)]
        else:
            key = [(jet.JetRetrieveColumn(s, t, cols[n].columnid), 0) for n in key_columns]
        entries.append((bookmark, key))
    for bookmark, key in entries:
        for i, (value, grbit) in enumerate(key):
            jet.JetMakeKey(s, t, value, grbit | (jet.JET_bitNewKey if i == 0 else 0))
        jet.JetSeek(s, t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange)
        found = [jet.JetGetBookmark(s, t)]
        while True:
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except JetError:
                break
            found.append(jet.JetGetBookmark(s, t))
        assert bookmark in found, (index, key)
    return total


def _count(s, t) -> int:
    """Entries of the current index (JetIndexRecordCount counts from the current one)."""
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
        return 0
    return jet.JetIndexRecordCount(s, t, 0)


def _index_count(s, t, index: str) -> int:
    jet.JetSetCurrentIndex(s, t, index)
    return _count(s, t)


def _every(s, t, cids: list[int]) -> list[tuple]:
    rows: list[tuple] = []
    jet.JetMove(s, t, jet.JET_MoveFirst)
    while True:
        try:
            rows += jet.PyeseRetrieveRows(s, t, cids, 1000)
        except JetError:
            return rows


_INTS = {jet.JET_coltypUnsignedByte: "<B", jet.JET_coltypShort: "<h",
         jet.JET_coltypLong: "<i", jet.JET_coltypUnsignedLong: "<I",
         jet.JET_coltypLongLong: "<q", jet.JET_coltypCurrency: "<q",
         jet.JET_coltypUnsignedShort: "<H", jet.JET_coltypUnsignedLongLong: "<Q"}


def _fresh(coltyp: int, cb_max: int, old: bytes | None, n: int) -> bytes:
    """A value of the column's type that no record of the samples holds."""
    if coltyp in _INTS:
        fmt = _INTS[coltyp]
        v = struct.unpack(fmt, old)[0] if old else 0
        return struct.pack(fmt, (v + 97 + n) % (1 << (8 * struct.calcsize(fmt) - 1)))
    if coltyp == jet.JET_coltypGUID:
        return uuid.uuid4().bytes_le
    if coltyp in (jet.JET_coltypIEEEDouble, jet.JET_coltypDateTime):
        return struct.pack("<d", (struct.unpack("<d", old)[0] if old else 0.0) + 1.5 + n)
    if coltyp == jet.JET_coltypIEEESingle:
        return struct.pack("<f", float(n) + 0.25)
    if coltyp == jet.JET_coltypBit:
        return b"\x00" if old == b"\xff" else b"\xff"
    return (b"pyese convert %d " % n + uuid.uuid4().hex.encode())[:cb_max or 255]


def _write_to_copy(s, db, table: str) -> None:
    """Insert a copy of the first record with fresh values in every unique key column
    (JET_prepInsertCopy: a new autoincrement value, one more than the largest copied, as
    ESE's compaction sets the counter from the records' largest), update a column of it,
    commit, and find it again."""
    t = jet.JetOpenTable(s, db, table)
    if _count(s, t) == 0:
        jet.JetCloseTable(s, t)
        return
    cols = {c.columnname: c for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
    unique: set[str] = set()
    indexed: set[str] = set()
    for r in jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList):
        indexed.add(r.columnname)
        if r.grbitIndex & (jet.JET_bitIndexUnique | jet.JET_bitIndexPrimary):
            unique.add(r.columnname)
    before = _count(s, t)
    auto = next((c for c in cols.values() if c.grbit & jet.JET_bitColumnAutoincrement), None)
    if auto is not None:
        fmt = _INTS[auto.coltyp]
        largest = max(struct.unpack(fmt, row[0])[0] for row in _every(s, t, [auto.columnid]))
    jet.JetMove(s, t, jet.JET_MoveFirst)
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsertCopy)
    for n, name in enumerate(sorted(unique)):
        c = cols[name]
        if c.grbit & jet.JET_bitColumnAutoincrement:
            continue
        old = jet.JetRetrieveColumn(s, t, c.columnid, 0, jet.JET_RETINFO(itagSequence=1))
        jet.JetSetColumn(s, t, c.columnid, _fresh(c.coltyp, c.cbMax, old, n), 0)
    bookmark = jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    assert _count(s, t) == before + 1
    if auto is not None:
        jet.JetGotoBookmark(s, t, bookmark)
        got = struct.unpack(_INTS[auto.coltyp], jet.JetRetrieveColumn(s, t, auto.columnid))[0]
        assert got == largest + 1
    plain = [c for c in cols.values() if c.columnname not in indexed and not c.grbit & (
        jet.JET_bitColumnAutoincrement | jet.JET_bitColumnVersion
        | jet.JET_bitColumnEscrowUpdate)]
    jet.JetGotoBookmark(s, t, bookmark)
    if plain:
        c = plain[0]
        value = _fresh(c.coltyp, c.cbMax, None, 7)
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        jet.JetSetColumn(s, t, c.columnid, value, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
        jet.JetGotoBookmark(s, t, bookmark)
        assert jet.JetRetrieveColumn(s, t, c.columnid) == value
    jet.JetCloseTable(s, t)


@pytest.mark.parametrize("name", GENUINE)
def test_genuine_file_converts_to_an_equal_writable_pyese_database(inst, genuine_dir: Path,
                                                                   name: str) -> None:
    s = jet.JetBeginSession(inst)
    src = str(genuine_dir / name)
    sdb = _attach(s, src, jet.JET_bitDbReadOnly)
    calls: list[tuple[int, int, object]] = []

    def status(sesid, snp, snt, pv):
        calls.append((snp, snt, pv))
        return 0

    jet.JetCompact(s, src, "converted.edb", status)
    assert calls[0][:2] == (jet.JET_snpCompact, jet.JET_sntBegin)
    assert calls[-1][:2] == (jet.JET_snpCompact, jet.JET_sntComplete)
    assert {snt for _snp, snt, _pv in calls[1:-1]} == {jet.JET_sntProgress}
    done = [pv.cunitDone for _snp, snt, pv in calls if snt == jet.JET_sntProgress]
    assert done == sorted(done) and done[-1] == calls[1][2].cunitTotal

    ddb = _attach(s, "converted.edb", 0)  # read-write: an ordinary pyese database
    tables = _tables(s, sdb)
    assert tables and _tables(s, ddb) == tables
    records = 0
    for table in tables:
        st, dt = jet.JetOpenTable(s, sdb, table), jet.JetOpenTable(s, ddb, table)
        assert _columns(s, dt) == _columns(s, st), table
        indexes = _indexes(s, st)
        assert _indexes(s, dt) == indexes, table
        want = _rows(s, st, jet.JetGetTableColumnInfo(s, st, None, jet.JET_ColInfoList))
        got = _rows(s, dt, jet.JetGetTableColumnInfo(s, dt, None, jet.JET_ColInfoList))
        assert got[0] == want[0], table
        assert got[1] == want[1], table
        records += len(want[1])
        for index, (grbit, segs, _flags) in indexes.items():
            if grbit & jet.JET_bitIndexPrimary:
                continue
            n = _check_seeks(s, dt, index, [c for c, _g in segs])
            assert n == _index_count(s, st, index), (table, index)
        jet.JetCloseTable(s, st)
        jet.JetCloseTable(s, dt)
    assert records > 0
    for table in tables:
        _write_to_copy(s, ddb, table)
    jet.JetCloseDatabase(s, ddb, 0)
    jet.JetDetachDatabase(s, "converted.edb")


def test_genuine_compaction_errors_and_stop(inst, genuine_dir: Path) -> None:
    s = jet.JetBeginSession(inst)
    src = str(min((genuine_dir / n for n in GENUINE), key=lambda p: p.stat().st_size))
    _attach(s, src, jet.JET_bitDbReadOnly)
    with expect(jet.JET_errDatabaseDuplicate):  # the destination is the source
        jet.JetCompact(s, src, src)
    open("taken.edb", "wb").close()
    with expect(jet.JET_errDatabaseDuplicate):  # the destination exists
        jet.JetCompact(s, src, "taken.edb")
    jet.JetBeginTransaction(s)
    with expect(jet.JET_errInTransaction):
        jet.JetCompact(s, src, "dst.edb")
    jet.JetRollback(s, 0)
    with expect(jet.JET_errInvalidParameter):  # ESE dropped JET_CONVERT
        jet.JetCompact(s, src, "dst.edb", None, object())

    calls: list[int] = []

    def stop(sesid, snp, snt, pv):
        calls.append(snt)
        return jet.JET_errOutOfMemory if snt == jet.JET_sntProgress else 0

    with expect(jet.JET_errOutOfMemory):
        jet.JetCompact(s, src, "dst.edb", stop)
    # ESE dbutil.cxx ErrCMPTermProgress: JET_sntFail after a failure
    assert calls == [jet.JET_sntBegin, jet.JET_sntProgress, jet.JET_sntFail]
    assert not os.path.exists("dst.edb")  # the partial copy is gone, and detached:
    jet.JetCompact(s, src, "dst.edb")  # the same name works again
    assert os.path.exists("dst.edb")
    calls.clear()

    def fail_too(sesid, snp, snt, pv):
        calls.append(snt)
        return jet.JET_errDiskFull if snt == jet.JET_sntFail else 0

    with expect(jet.JET_errDiskFull):  # the error returned for JET_sntFail replaces it
        jet.JetCompact(s, src, "dst.edb", fail_too)
    assert calls == [jet.JET_sntBegin, jet.JET_sntFail]  # ErrCMPOpenDB: destination exists
    calls.clear()

    def record(sesid, snp, snt, pv):
        calls.append(snt)
        return 0

    with expect(jet.JET_errDatabaseNotFound):  # the source is opened after JET_sntBegin
        jet.JetCompact(s, "nowhere.edb", "other.edb", record)
    assert calls == [jet.JET_sntBegin, jet.JET_sntFail]


# ------------------------------------------------------------------ schema features
#
# The genuine samples have no template tables, version or escrow columns, conditional or
# tuple indexes, tables without a primary index or deleted columns. The converter reads
# any attached database through the same catalog and record format, so it is run here
# (the engine function JetCompact calls for a genuine source) on a pyese database that
# has them all, and the copy compared through the JET API.

CC = jet.JET_COLUMNCREATE
IC = jet.JET_INDEXCREATE


def _make_featureful(s) -> object:
    db = jet.JetCreateDatabase(s, "features.edb")
    tmpl = jet.JET_TABLECREATE(
        szTableName="Tmpl", grbit=jet.JET_bitTableCreateTemplateTable,
        rgcolumncreate=[CC(szColumnName="id", coltyp=jet.JET_coltypLong,
                           grbit=jet.JET_bitColumnAutoincrement),
                        CC(szColumnName="name", coltyp=jet.JET_coltypText, cbMax=100, cp=1200),
                        CC(szColumnName="tags", coltyp=jet.JET_coltypLong,
                           grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued)],
        rgindexcreate=[IC(szIndexName="pk", szKey="+id\0\0", grbit=jet.JET_bitIndexPrimary),
                       IC(szIndexName="byname", szKey="-name\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tmpl)
    jet.JetCloseTable(s, tmpl.tableid)
    derived = jet.JET_TABLECREATE(
        szTableName="Derived", szTemplateTableName="Tmpl",
        rgcolumncreate=[CC(szColumnName="extra", coltyp=jet.JET_coltypLongLong),
                        CC(szColumnName="ver", coltyp=jet.JET_coltypLong,
                           grbit=jet.JET_bitColumnVersion),
                        CC(szColumnName="counter", coltyp=jet.JET_coltypLong,
                           grbit=jet.JET_bitColumnEscrowUpdate,
                           pvDefault=struct.pack("<i", 5))],
        rgindexcreate=[IC(szIndexName="byextra", szKey="+extra\0-name\0\0",
                          grbit=jet.JET_bitIndexIgnoreAnyNull,
                          rgconditionalcolumn=[jet.JET_CONDITIONALCOLUMN(
                              szColumnName="ver",
                              grbit=jet.JET_bitIndexColumnMustBeNonNull)])])
    jet.JetCreateTableColumnIndex(s, db, derived)
    jet.JetCloseTable(s, derived.tableid)
    seq = jet.JET_TABLECREATE(
        szTableName="Seq", rgcolumncreate=[
            CC(szColumnName="gone", coltyp=jet.JET_coltypLong),
            CC(szColumnName="d", coltyp=jet.JET_coltypLong, pvDefault=struct.pack("<i", 42)),
            CC(szColumnName="txt", coltyp=jet.JET_coltypLongText, cp=1252,
               pvDefault=b"default text"),
            CC(szColumnName="blob", coltyp=jet.JET_coltypLongBinary,
               grbit=jet.JET_bitColumnMultiValued)],
        rgindexcreate=[IC(szIndexName="words", szKey="+txt\0\0",
                          grbit=jet.JET_bitIndexTuples)])
    jet.JetCreateTableColumnIndex(s, db, seq)
    t = seq.tableid
    jet.JetDeleteColumn(s, t, "gone")  # a gap in the fixed columnids
    cid = {c.columnname: c.columnid
           for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
    jet.JetBeginTransaction(s)
    for i in range(30):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        if i % 3 == 0:
            jet.JetSetColumn(s, t, cid["d"], None, 0)  # an explicit NULL over the default
        elif i % 3 == 1:
            jet.JetSetColumn(s, t, cid["d"], struct.pack("<i", i), 0)
        if i % 4 == 0:
            jet.JetSetColumn(s, t, cid["txt"], b"words to index %d" % i, 0)
        elif i % 4 == 1:
            jet.JetSetColumn(s, t, cid["txt"], b"", jet.JET_bitSetZeroLength)
        for k in range(i % 3):
            jet.JetSetColumn(s, t, cid["blob"], bytes([i, k]) * (700 * k + 1),
                             jet.JET_bitSetSeparateLV if k == 1 else 0,
                             jet.JET_SETINFO(itagSequence=0))
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "Derived")
    cid = {c.columnname: c.columnid
           for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
    jet.JetBeginTransaction(s)
    for i in range(25):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, cid["name"], f"name {i % 7}".encode("utf-16-le"), 0)
        if i % 2:
            jet.JetSetColumn(s, t, cid["extra"], struct.pack("<q", i * 1000), 0)
        for k in range(i % 4):
            jet.JetSetColumn(s, t, cid["tags"], struct.pack("<i", k * i), 0,
                             jet.JET_SETINFO(itagSequence=0))
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    for _ in range(3):  # version 3 and an escrow total other than the default
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        jet.JetSetColumn(s, t, cid["extra"], struct.pack("<q", 7), 0)
        jet.JetUpdate(s, t)
        jet.JetEscrowUpdate(s, t, cid["counter"], struct.pack("<i", 10), 0)
        jet.JetCommitTransaction(s, 0)
    jet.JetBeginTransaction(s)  # the largest autoincrement value is not the last record's
    jet.JetMove(s, t, jet.JET_MoveLast)
    jet.JetDelete(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    return db


def test_converter_copies_templates_versions_escrow_conditions_and_defaults(inst) -> None:
    from pyese.engine.genuine.convert import convert
    from pyese.engine.instance.database import databases_of
    from pyese.engine.instance.gate import session_call
    from pyese.engine.instance.logservice import storage_of

    s = jet.JetBeginSession(inst)
    sdb = _make_featureful(s)
    with session_call(s) as session:
        storage_of(session.instance).vs.catch_up()
        source = databases_of(session.instance).find_attached("features.edb")
        convert(session, source, "copy.edb", None)
    ddb = _attach(s, "copy.edb", 0)
    assert _tables(s, ddb) == _tables(s, sdb) == ["Derived", "Seq", "Tmpl"]
    for table in ("Tmpl", "Derived", "Seq"):
        st, dt = jet.JetOpenTable(s, sdb, table), jet.JetOpenTable(s, ddb, table)
        assert _columns(s, dt) == _columns(s, st), table
        assert _indexes(s, dt) == _indexes(s, st), table
        want = _rows(s, st, jet.JetGetTableColumnInfo(s, st, None, jet.JET_ColInfoList))
        got = _rows(s, dt, jet.JetGetTableColumnInfo(s, dt, None, jet.JET_ColInfoList))
        assert got == want, table
        for level in (jet.JET_TblInfoTemplateTableName,):
            assert jet.JetGetTableInfo(s, dt, level) == jet.JetGetTableInfo(s, st, level)
        jet.JetCloseTable(s, st)
        jet.JetCloseTable(s, dt)
    t = jet.JetOpenTable(s, ddb, "Derived")
    cid = {c.columnname: c.columnid
           for c in jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)}
    jet.JetMove(s, t, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, t, cid["ver"]) == struct.pack("<i", 3)
    counter = struct.unpack("<i", jet.JetRetrieveColumn(s, t, cid["counter"]))[0]
    assert counter > 5  # escrow updates kept (the rows compared equal above)
    jet.JetBeginTransaction(s)  # the copy's autoincrement goes on from the largest copied
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    bookmark = jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetGotoBookmark(s, t, bookmark)
    assert jet.JetRetrieveColumn(s, t, cid["id"]) == struct.pack("<i", 25)
    jet.JetSetCurrentIndex(s, t, "byextra")  # the conditional index (inherited columns)
    jet.JetMakeKey(s, t, struct.pack("<q", 7), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekGE)
    assert jet.JetRetrieveColumn(s, t, cid["extra"]) == struct.pack("<q", 7)


def test_converter_batches_stay_within_the_version_store(inst) -> None:
    # Two records of 1.2 MiB of long values each: one batch would need 2.4 MiB of
    # versions, more than the default budget (JET_paramMaxVerPages 64); the converter
    # commits before the record that would take its batch over.
    from pyese.engine.genuine.convert import convert
    from pyese.engine.instance.database import databases_of
    from pyese.engine.instance.gate import session_call
    from pyese.engine.instance.logservice import storage_of

    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "lv.edb")
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        CC(szColumnName="b", coltyp=jet.JET_coltypLongBinary)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t, b = tc.tableid, tc.rgcolumncreate[0].columnid
    values = [bytes([i + 1]) * (1200 << 10) for i in range(2)]
    for value in values:
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, b, value, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    with session_call(s) as session:
        storage_of(session.instance).vs.catch_up()
        convert(session, databases_of(session.instance).find_attached("lv.edb"),
                "copy.edb", None)
    t = jet.JetOpenTable(s, _attach(s, "copy.edb", 0), "T")
    assert [row[0] for row in _every(s, t, [b])] == values


def test_converter_copies_a_record_larger_than_the_version_store(inst) -> None:
    # One record of 5 MiB of long values, more than the whole default version store
    # (JET_paramMaxVerPages 64: about 2 MiB at its quarter per batch): ESE's compaction
    # copies it with versioning off (dbutil.cxx ErrCMPOpenDB, JET_bitDbVersioningOff);
    # pyese writes its long values outside any transaction, in quarter-budget steps,
    # then the record in a transaction of its own. The records around it are batched.
    from pyese.engine.genuine.convert import convert
    from pyese.engine.instance.database import databases_of
    from pyese.engine.instance.gate import session_call
    from pyese.engine.instance.logservice import storage_of

    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "big.edb")
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        CC(szColumnName="id", coltyp=jet.JET_coltypLong),
        CC(szColumnName="b", coltyp=jet.JET_coltypLongBinary,
           grbit=jet.JET_bitColumnMultiValued)],
        rgindexcreate=[IC(szIndexName="pk", szKey="+id\0\0", grbit=jet.JET_bitIndexPrimary)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t = tc.tableid
    idc, b = (c.columnid for c in tc.rgcolumncreate)
    rows = [(1, [b"small"]), (2, [bytes(range(256)) * (12 << 10), b"x" * (2 << 20)]),
            (3, [b"after"])]
    for rid, values in rows:  # outside a transaction: the source's own LV writes batch
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, idc, struct.pack("<i", rid), 0)
        for value in values:
            jet.JetSetColumn(s, t, b, value, 0, jet.JET_SETINFO(itagSequence=0))
        jet.JetUpdate(s, t)
    jet.JetCloseTable(s, t)
    reports: list[tuple[int, int, int]] = []
    with session_call(s) as session:
        storage_of(session.instance).vs.catch_up()
        convert(session, databases_of(session.instance).find_attached("big.edb"),
                "copy.edb", lambda snt, done, total: reports.append((snt, done, total)))
    t = jet.JetOpenTable(s, _attach(s, "copy.edb", 0), "T")
    got = []
    jet.JetMove(s, t, jet.JET_MoveFirst)
    while True:
        rid = struct.unpack("<i", jet.JetRetrieveColumn(s, t, idc))[0]
        vals = []
        itag = 1
        while True:
            v = jet.JetRetrieveColumn(s, t, b, 0, jet.JET_RETINFO(itagSequence=itag))
            if v is None:
                break
            vals.append(v)
            itag += 1
        got.append((rid, vals))
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except JetError:
            break
    assert got == rows
    # progress: the batch before the big record, the big record on its own, the rest
    assert [done for snt, done, total in reports if snt == jet.JET_sntProgress] == [1, 2, 3]


def test_converter_keeps_a_shared_long_value_shared(inst) -> None:
    # A long value two records reference (LVROOT refcount 2, as ESE's JetPrepareUpdate
    # InsertCopy leaves one) is copied once, with its refcount (dbutil.cxx
    # ErrCMPCopyLVTree and the LIDMAP); deleting one record of the copy drops a
    # reference, the last one the value.
    from pyese.engine.cursors.cursor import cursor_for
    from pyese.engine.genuine.convert import convert
    from pyese.engine.instance.database import databases_of
    from pyese.engine.instance.gate import session_call
    from pyese.engine.instance.logservice import storage_of
    from pyese.engine.records import update as U
    from pyese.engine.records.longvalue import LongValueReader
    from pyese.engine.records.record import lid_from_bytes, lv_root_key

    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "shared.edb")
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        CC(szColumnName="id", coltyp=jet.JET_coltypLong),
        CC(szColumnName="b", coltyp=jet.JET_coltypLongBinary)],
        rgindexcreate=[IC(szIndexName="pk", szKey="+id\0\0", grbit=jet.JET_bitIndexPrimary)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    t = tc.tableid
    idc, b = (c.columnid for c in tc.rgcolumncreate)
    value = bytes(range(256)) * 40
    jet.JetBeginTransaction(s)
    for rid in (1, 2, 3):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, idc, struct.pack("<i", rid), 0)
        jet.JetSetColumn(s, t, b, value if rid == 1 else b"own %d" % rid * 400, 0)
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)

    def lids_and_refs(sesid, tableid) -> list[tuple[int, int]]:
        """(LID, its refcount) of column b of each record, in key order."""
        out = []
        jet.JetMove(sesid, tableid, jet.JET_MoveFirst)
        while True:
            with session_call(sesid) as session:
                cur = cursor_for(session, tableid)
                raw, _flags = cur.record_view().raw(b.value)
                lid = lid_from_bytes(raw)
                out.append((lid, LongValueReader(cur.view(), cur.table.lv_objid)
                            .root(lid).ref_count))
            try:
                jet.JetMove(sesid, tableid, jet.JET_MoveNext)
            except JetError:
                return out

    # record 3 takes a reference to record 1's value (its own value is dropped)
    shared_lid = lids_and_refs(s, t)[0][0]
    jet.JetMove(s, t, jet.JET_MoveLast)
    with session_call(s) as session:
        cur = cursor_for(session, t)
        session.begin_transaction()
        U.prepare_update(cur, U.PREP_REPLACE)
        U.lv_add_reference(cur, shared_lid)
        cur.update.image.set_separated(b.value, 1, shared_lid)
        cur.update.dirty.add(b.value)
        U.do_update(cur)
        session.commit_transaction()
    src_refs = lids_and_refs(s, t)
    assert src_refs[0] == src_refs[2] == (shared_lid, 2)
    jet.JetCloseTable(s, t)
    with session_call(s) as session:
        storage_of(session.instance).vs.catch_up()
        convert(session, databases_of(session.instance).find_attached("shared.edb"),
                "copy.edb", None)
    dt = jet.JetOpenTable(s, _attach(s, "copy.edb", 0), "T")
    refs = lids_and_refs(s, dt)
    assert refs[0] == refs[2] and refs[0][1] == 2 and refs[1][1] == 1  # copied once
    jet.JetMove(s, dt, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, dt, b) == value
    jet.JetMove(s, dt, jet.JET_MoveLast)
    assert jet.JetRetrieveColumn(s, dt, b) == value
    jet.JetBeginTransaction(s)  # deleting one record drops one reference
    jet.JetDelete(s, dt)
    jet.JetCommitTransaction(s, 0)
    assert lids_and_refs(s, dt)[0] == (refs[0][0], 1)
    jet.JetMove(s, dt, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(s, dt, b) == value
    jet.JetBeginTransaction(s)  # the last reference deletes the value
    jet.JetDelete(s, dt)
    jet.JetCommitTransaction(s, 0)
    with session_call(s) as session:
        cur = cursor_for(session, dt)
        assert cur.view().get(cur.table.lv_objid, lv_root_key(refs[0][0])) is None

"""Genuine Windows databases read through the JET API (issue 7): values, indexes, seeks.

The samples (shared/testdata/edb) are attached with JetAttachDatabase(JET_bitDbReadOnly)
and read with the ordinary API; values are compared with dissect.esedb's reading
(tests/genuine/*.json), index entries with the genuine index trees themselves.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from pyese.values import to_python
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, fixture, gunzip_samples

from .helpers import expect


@pytest.fixture(scope="module")
def edb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_samples(tmp_path_factory.mktemp("edb"))


@contextmanager
def opened(inst, path: Path, table: str) -> Iterator[tuple[object, object, object]]:
    """(sesid, dbid, tableid) on a genuine file attached read-only; detached afterwards."""
    s = jet.JetBeginSession(inst)
    assert jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly) == 0
    db = jet.JetOpenDatabase(s, str(path))
    t = jet.JetOpenTable(s, db, table)
    try:
        yield s, db, t
    finally:
        jet.JetCloseTable(s, t)
        jet.JetCloseDatabase(s, db)
        jet.JetDetachDatabase(s, str(path))
        jet.JetEndSession(s)


def _canon(coltyp: int, raw: bytes, cp: int):
    """A value in the fixtures' canonical form (see tests/genuine/README.md)."""
    if coltyp == jet.JET_coltypDateTime:
        return struct.unpack("<d", raw)[0]
    v = to_python(coltyp, raw, cp)
    if coltyp == jet.JET_coltypGUID:
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def _values(s, t, col) -> list:
    """Every value of a column of the current record, through JetRetrieveColumn."""
    out = []
    itag = 1
    while True:
        v = jet.JetRetrieveColumn(s, t, col.columnid, 0, jet.JET_RETINFO(itagSequence=itag))
        if v is None:
            return out
        out.append(_canon(col.coltyp, v, col.Cp))
        if not col.grbit & jet.JET_bitColumnTagged:
            return out
        itag += 1


def _records(s, t) -> Iterator[None]:
    """Position on each record of the current index in turn."""
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except JetError as e:
        assert e.err == jet.JET_errNoCurrentRecord
        return
    while True:
        yield None
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return


@pytest.mark.parametrize("name", SAMPLES)
def test_every_value_through_retrieve_column_equals_the_oracle(inst, edb_dir: Path,
                                                               name: str) -> None:
    expected = fixture(name)["records"]
    with opened(inst, edb_dir / f"{name}.edb", name) as (s, _db, t):
        cols = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
        assert {c.columnname for c in cols} == set(expected[0])
        got = []
        for _ in _records(s, t):
            got.append({c.columnname: _values(s, t, c) for c in cols})
    assert len(got) == len(expected)
    compared = 0
    for g, e in zip(got, expected, strict=True):
        for col in e:
            assert g[col] == e[col], (name, col)
            compared += len(e[col])
    assert compared > 0


def _index_columns(s, t) -> dict[str, list]:
    """Secondary index name -> its key segments (JET_INDEXLIST_ROWs), from the API."""
    out: dict[str, list] = {}
    for row in jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList):
        if not row.grbitIndex & jet.JET_bitIndexPrimary:
            out.setdefault(row.indexname, []).append(row)
    return out


UNICODE_GAP = {"IxUnicode", "IxLongUnicode"}
"""Indexes whose genuine keys hold U+1F98A, which keys_text does not yet normalize as Windows
does (docs/architecture/genuine.md)."""


def _bookmarks_in_range(s, t) -> list[bytes]:
    """Bookmarks from the current entry to the end of the index range."""
    found = [jet.JetGetBookmark(s, t)]
    while True:
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except JetError as e:
            assert e.err == jet.JET_errNoCurrentRecord
            return found
        found.append(jet.JetGetBookmark(s, t))


def test_seek_on_every_genuine_secondary_index_equals_a_filtered_scan(inst,
                                                                      edb_dir: Path) -> None:
    # issue 7: for every index of the samples, JetSeek(EQ | SetIndexRange) finds exactly the
    # records a full scan filtered on the key columns finds. The index trees hold Windows'
    # keys, the seek key is pyese's normalization of the value (JetMakeKey).
    with opened(inst, edb_dir / "index.edb", "index") as (s, _db, t):
        indexes = _index_columns(s, t)
        assert len(indexes) == 18
        # the scan: every record's raw key-column values, by bookmark
        rows = []
        for _ in _records(s, t):
            rows.append((jet.JetGetBookmark(s, t),
                         {c.columnid: jet.JetRetrieveColumn(s, t, c.columnid)
                          for segs in indexes.values() for c in segs}))
        assert rows
        not_normalized_alike = set()
        for name, segs in sorted(indexes.items()):
            jet.JetSetCurrentIndex(s, t, name)
            for _bm, values in rows:
                wanted = [bm for bm, v in rows
                          if all(v[c.columnid] == values[c.columnid] for c in segs)]
                for i, c in enumerate(segs):
                    jet.JetMakeKey(s, t, values[c.columnid], jet.JET_bitNewKey if i == 0 else 0)
                try:
                    rc = jet.JetSeek(s, t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange)
                except JetError as e:
                    assert e.err == jet.JET_errRecordNotFound
                    not_normalized_alike.add(name)
                    continue
                assert rc == 0
                assert _bookmarks_in_range(s, t) == wanted, name
        # keys_text does not yet normalize U+1F98A (in both Unicode samples) as Windows does
        # (see docs/architecture/genuine.md): the other 16 types seek by value.
        assert not_normalized_alike <= UNICODE_GAP
        # every index, seeking the genuine key itself (JET_bitNormalizedKey) finds it too
        for name in sorted(indexes):
            jet.JetSetCurrentIndex(s, t, name)
            entries = []
            for _ in _records(s, t):
                entries.append((jet.JetRetrieveKey(s, t), jet.JetGetBookmark(s, t)))
            assert len(entries) == len(rows)
            for key, _bm in entries:
                jet.JetMakeKey(s, t, key, jet.JET_bitNormalizedKey)
                assert jet.JetSeek(s, t, jet.JET_bitSeekEQ | jet.JET_bitSetIndexRange) == 0
                assert _bookmarks_in_range(s, t) == [b for k, b in entries if k == key]
            # below every key: GE lands on the first entry with a warning, LT finds nothing
            jet.JetMakeKey(s, t, b"\x00", jet.JET_bitNormalizedKey)
            assert jet.JetSeek(s, t, jet.JET_bitSeekGE) == jet.JET_wrnSeekNotEqual
            assert jet.JetGetBookmark(s, t) == entries[0][1]
            jet.JetMakeKey(s, t, b"\x00", jet.JET_bitNormalizedKey)
            with expect(jet.JET_errRecordNotFound):
                jet.JetSeek(s, t, jet.JET_bitSeekLT)


def test_index_entries_are_the_genuine_nodes(inst, edb_dir: Path) -> None:
    # A genuine index node is key = normalized key, data = primary bookmark; the entry key
    # JetRetrieveKey gives is the node key (ESE: the key is what the index tree stores).
    path = edb_dir / "index.edb"
    with opened(inst, path, "index") as (s, _db, t):
        indexes = _index_columns(s, t)
        by_api: dict[str, list[tuple[bytes, bytes]]] = {}
        for name in sorted(indexes):
            jet.JetSetCurrentIndex(s, t, name)
            by_api[name] = [(jet.JetRetrieveKey(s, t), jet.JetGetBookmark(s, t))
                            for _ in _records(s, t)]
            # JetGotoBookmark on a secondary index lands on the record's entry (its key is
            # pyese's normalization of the record: the Unicode gap again)
            for key, bm in by_api[name]:
                jet.JetGotoBookmark(s, t, bm)
                if name not in UNICODE_GAP:
                    assert jet.JetRetrieveKey(s, t) == key, name
                assert jet.JetGetBookmark(s, t) == bm
            # the last entry, moving backwards from the end
            jet.JetMove(s, t, jet.JET_MoveLast)
            assert jet.JetRetrieveKey(s, t) == by_api[name][-1][0]
    from pyese.engine.schema.catalog import Catalog

    with EdbFile.open(path) as edb:
        catalog = Catalog.load(edb.snapshot(), edb.page_size)
        table = catalog.table("index")
        for ix in table.secondary_indexes():
            nodes = [(n.key, n.data) for n in edb.leaf_nodes(ix.objid)]
            assert by_api[ix.index.name] == nodes
            root = edb.read_page(edb.pgno_fdp(ix.objid))
            # the page flag the engine reads the node layout from agrees with the catalog
            assert root.non_unique_keys == (not ix.index.is_unique), ix.index.name


def test_set_index_range_and_moves_on_a_genuine_index(inst, edb_dir: Path) -> None:
    with opened(inst, edb_dir / "index.edb", "index") as (s, _db, t):
        jet.JetSetCurrentIndex(s, t, "IxLong")
        jet.JetMove(s, t, jet.JET_MoveFirst)
        value = jet.JetRetrieveColumn(s, t, jet.JetGetTableColumnInfo(s, t, "Long").columnid)
        assert struct.unpack("<i", value)[0] == -13371337
        jet.JetMakeKey(s, t, struct.pack("<i", -13371337), jet.JET_bitNewKey)
        assert jet.JetSeek(s, t, jet.JET_bitSeekGE) == 0
        jet.JetMakeKey(s, t, struct.pack("<i", -13371337), jet.JET_bitNewKey)
        jet.JetSetIndexRange(s, t, jet.JET_bitRangeUpperLimit | jet.JET_bitRangeInclusive)
        with expect(jet.JET_errNoCurrentRecord):
            jet.JetMove(s, t, jet.JET_MoveNext)
        jet.JetMakeKey(s, t, struct.pack("<i", -13371338), jet.JET_bitNewKey)
        with expect(jet.JET_errRecordNotFound):
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
        jet.JetMakeKey(s, t, struct.pack("<i", -13371336), jet.JET_bitNewKey)
        assert jet.JetSeek(s, t, jet.JET_bitSeekLE) == jet.JET_wrnSeekNotEqual
        jet.JetMakeKey(s, t, struct.pack("<i", -13371336), jet.JET_bitNewKey)
        with expect(jet.JET_errRecordNotFound):
            jet.JetSeek(s, t, jet.JET_bitSeekGE)
        # the primary index
        jet.JetSetCurrentIndex(s, t, None)
        jet.JetMakeKey(s, t, struct.pack("<i", 1), jet.JET_bitNewKey)
        assert jet.JetSeek(s, t, jet.JET_bitSeekEQ) == 0
        assert jet.JetRetrieveColumn(s, t, jet.JetGetTableColumnInfo(s, t, "Id").columnid) \
            == struct.pack("<i", 1)


def test_multi_valued_and_long_values_by_offset(inst, edb_dir: Path) -> None:
    # tagged multi-values by itagSequence and a separated long value read from an offset
    with opened(inst, edb_dir / "multi.edb", "multi") as (s, _db, t):
        jet.JetMove(s, t, jet.JET_MoveFirst)
        col = jet.JetGetTableColumnInfo(s, t, "Long")
        vals = [jet.JetRetrieveColumn(s, t, col.columnid, 0, jet.JET_RETINFO(itagSequence=i))
                for i in (1, 2, 3, 4)]
        assert [None if v is None else struct.unpack("<i", v)[0] for v in vals] \
            == [0, -2147483647, 2147483647, None]
    expected = fixture("text")["records"][0]
    with opened(inst, edb_dir / "text.edb", "text") as (s, _db, t):
        jet.JetMove(s, t, jet.JET_MoveFirst)
        names = [n for n in expected if n.startswith("Long") and expected[n]]
        assert names
        for n in names:
            col = jet.JetGetTableColumnInfo(s, t, n)
            whole = jet.JetRetrieveColumn(s, t, col.columnid)
            assert whole is not None and len(whole) >= 10
            part = jet.JetRetrieveColumn(s, t, col.columnid, 0,
                                         jet.JET_RETINFO(itagSequence=1, ibLongValue=10))
            assert part == whole[10:], n

"""Records handed to the cursor decoded once (engine/genuine/records.py).

A ``DecodedLayout`` must answer every retrieval as the table's ``RecordLayout`` does: the
same (bytes, flags) for every column and itagSequence of every record, defaults of columns
beyond the record's last ones included, and the same errors on a damaged record. The JET
path over a genuine file reads through it, and must give the per-column path's values.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.genuine.records import CACHE_RECORDS, RecordCache
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from tests.genuine.samples import REAL_WORLD, SAMPLES, SAMPLES_DIR

FILES = [f"{n}.edb" for n in SAMPLES] + sorted(REAL_WORLD.values())


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("genrec")
    paths = {}
    for name in FILES:
        p = out / name
        p.write_bytes(gzip.decompress((SAMPLES_DIR / f"{name}.gz").read_bytes()))
        paths[name] = p
    return paths


def _answer(layout, record: bytes, cid: int, itag: int, use_default: bool) -> object:
    try:
        return layout.retrieve_ex(record, cid, itag, use_default=use_default)
    except JetError as err:
        return ("JetError", err.err)


@pytest.mark.parametrize("name", FILES)
def test_decoded_layout_answers_as_the_table_layout(files: dict[str, Path], name: str) -> None:
    with EdbFile.open(files[name]) as edb:
        snap = edb.snapshot()
        for table in Catalog.load(snap, edb.page_size):
            cache = RecordCache(table.layout)
            cids = [c.columnid for c in table.column_list()]
            for i, view in enumerate(TableReader(snap, table).records()):
                if i >= 40:
                    break
                flipped = bytearray(view.data)
                flipped[(i * 7) % len(flipped)] ^= 0xFF  # one byte damaged, a different one
                records = [view.data, view.data[: len(view.data) // 2], b"\x00\x7f",
                           bytes(flipped)]
                for rec in records:
                    _, decoded = cache.put(view.bookmark, rec)
                    for cid in cids:
                        for itag in (1, 2):
                            for use_default in (True, False):
                                assert _answer(decoded, rec, cid, itag, use_default) == \
                                    _answer(table.layout, rec, cid, itag, use_default), (
                                        name, table.name, cid, itag)


def test_the_record_cache_is_bounded(files: dict[str, Path]) -> None:
    with EdbFile.open(files["SRUDB-win10.dat"]) as edb:
        snap = edb.snapshot()
        table = max(Catalog.load(snap, edb.page_size), key=lambda t: t.objid)
        cache = RecordCache(table.layout)
        for i in range(3 * CACHE_RECORDS):
            cache.put(i.to_bytes(4, "big"), b"")
            assert len(cache.entries) <= CACHE_RECORDS


def test_jet_retrieve_columns_on_srum_equals_the_per_column_path(files: dict[str, Path]) -> None:
    path = files["SRUDB-win10.dat"]
    with EdbFile.open(path) as edb:
        snap = edb.snapshot()
        expected = {}
        for table in Catalog.load(snap, edb.page_size):
            if table.name.startswith("MSys"):
                continue
            cols = table.column_list()
            expected[table.name] = [
                {c.columnid: v.get(c.columnid) for c in cols}
                for _, v in zip(range(300), TableReader(snap, table).records(), strict=False)]
    inst = jet.JetCreateInstance("genrec")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly)
        db = jet.JetOpenDatabase(s, str(path))
        for name, rows in expected.items():
            t = jet.JetOpenTable(s, db, name, None, jet.JET_bitTableReadOnly)
            cols = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
            rcs = [jet.JET_RETRIEVECOLUMN(columnid=c.columnid, itagSequence=1) for c in cols]
            got = []
            if rows:
                jet.JetMove(s, t, jet.JET_MoveFirst)
                for i in range(len(rows)):
                    jet.JetRetrieveColumns(s, t, rcs)
                    got.append({rc.columnid: rc.pvData for rc in rcs})
                    # one column at a time reads the same (the record is kept decoded)
                    assert {c.columnid: jet.JetRetrieveColumn(s, t, c.columnid)
                            for c in cols} == got[-1]
                    if i + 1 < len(rows):
                        jet.JetMove(s, t, jet.JET_MoveNext)
            assert got == rows, name
            jet.JetCloseTable(s, t)
        jet.JetCloseDatabase(s, db)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(inst)


def test_snapshot_rows_are_the_records_decoded(files: dict[str, Path]) -> None:
    # GenuineSnapshot.rows: the batch read (a page of leaves at a time, one RowDecoder per
    # table): every value as the per-column path gives it, from a start key to a stop key
    from pyese.engine.genuine.snapshot import GenuineSnapshot

    for name in ("SRUDB-win10.dat", "multi.edb"):
        with EdbFile.open(files[name]) as edb:
            snap = GenuineSnapshot(edb, {})
            for table in Catalog.load(snap, edb.page_size):
                cols = table.column_list()
                views = list(TableReader(snap, table).records())
                want = []
                for v in views:
                    row = []
                    for c in cols:
                        vals = v.values(c.columnid)
                        multi = c.grbit & jet.JET_bitColumnMultiValued
                        row.append(None if not vals else vals[0] if len(vals) == 1
                                   and not multi else vals)
                    want.append((v.bookmark, row))
                assert list(snap.rows(table, cols)) == want, table.name
                if len(views) > 4:
                    lo, hi = views[1].bookmark, views[-2].bookmark
                    assert list(snap.rows(table, cols, lo, hi)) == want[1:-2]

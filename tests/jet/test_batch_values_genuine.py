"""PyeseRetrieveValues on genuine files, and the decoder's page method.

Every table of every genuine sample (the six samples, a BITS and a SRUM database) is read
page after page forward and backward, and inside an index range, through
PyeseRetrieveValues (the leaf path, its records decoded a page at a time by a typed
``RowDecoder.values_many``) and compared with PyeseRetrieveRows on a second cursor, each
value converted by the typing: the same rows, the same cursor. The general paths are
disabled meanwhile, so the test fails if the leaf path is not the one taken.
``RowDecoder.values_many`` is compared with ``values`` record by record over every table
(typed and not), and on damaged records (the same values, or the same JetError).
A column asked for twice is read twice (the decoder reads each column once: such a
read takes the general path).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese._codec import LAYER_VALUES
from pyese.engine.cursors import batch
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.genuine.rowdecode import RowDecoder, resolver
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from pyese.typedvalues import PYTHON_VALUES
from tests.genuine.samples import REAL_WORLD, SAMPLES, SAMPLES_DIR

from .helpers import expect
from .test_batch_rows import _where
from .test_batch_rows_genuine import _first, _tables, edb_files
from .test_batch_values import _columns, _converted

__all__ = ["edb_files"]  # the fixture, shared with test_batch_rows_genuine

pytestmark = pytest.mark.filterwarnings(
    "ignore::pyese.engine.instance.database.DirtyShutdownWarning")

GRBIT = jet.Pyese_bitRowsBookmark


@pytest.fixture
def leaf_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kw):
        raise AssertionError("the general path was taken")
    monkeypatch.setattr(batch, "_read_rows_fast", refuse)
    monkeypatch.setattr(batch, "_read_rows_fast_typed", refuse)


def _pages(s, t, u, cids, info, typing, n, grbit=GRBIT) -> list[list]:
    out: list[list] = []
    while True:
        want = jet.PyeseRetrieveRows(s, u, cids, n, grbit)
        got = jet.PyeseRetrieveValues(s, t, cids, n, typing, grbit)
        assert got == _converted(want, cids, info, typing, True)
        assert _where(s, t) == _where(s, u)
        out += got
        if grbit & jet.Pyese_bitRowsStay or _where(s, t) is None:
            return out


def test_every_genuine_table(inst, edb_files: list[Path], leaf_path_only: None) -> None:
    tables = rows = 0
    for path in edb_files:
        for s, t, u, cids, _multi in _tables(inst, path):
            info = _columns(s, t)
            if not (_first(s, t) and _first(s, u)):
                with expect(jet.JET_errNoCurrentRecord):
                    jet.PyeseRetrieveValues(s, t, cids, 5, PYTHON_VALUES)
                continue
            tables += 1
            everything = _pages(s, t, u, cids, info, LAYER_VALUES, 41)
            rows += len(everything)
            with expect(jet.JET_errNoCurrentRecord):  # parked after the last entry
                jet.PyeseRetrieveValues(s, t, cids, 5, LAYER_VALUES)
            # the columns in reverse order, from the first row, with PYTHON_VALUES
            for c in (t, u):
                jet.JetMove(s, c, jet.JET_MoveFirst)
            assert len(_pages(s, t, u, cids[::-1], info, PYTHON_VALUES, 64)) == len(everything)
            # a range over the middle half, by normalized key (the primary bookmark)
            marks = [r[-1] for r in everything]
            lo, hi = marks[len(marks) // 4], marks[(3 * len(marks)) // 4]
            for c in (t, u):
                jet.JetGotoBookmark(s, c, lo)
                jet.JetMakeKey(s, c, hi, jet.JET_bitNormalizedKey)
                jet.JetSetIndexRange(s, c, jet.JET_bitRangeUpperLimit
                                     | jet.JET_bitRangeInclusive)
            got = _pages(s, t, u, cids, info, LAYER_VALUES, 6)
            assert [r[-1] for r in got] == [m for m in marks if lo <= m <= hi]
            # backward from the last row, and one page that stays
            for c in (t, u):
                jet.JetMove(s, c, jet.JET_MoveLast)
            back = _pages(s, t, u, cids, info, LAYER_VALUES, 29,
                          GRBIT | jet.Pyese_bitRowsBackward)
            assert [r[-1] for r in back] == marks[::-1]
            for c in (t, u):
                jet.JetMove(s, c, jet.JET_MoveFirst)
            _pages(s, t, u, cids, info, LAYER_VALUES, 7, GRBIT | jet.Pyese_bitRowsStay)
    assert tables >= 8 and rows > 4000


def test_a_column_asked_twice(inst, edb_files: list[Path]) -> None:
    srudb = next(p for p in edb_files if p.name == REAL_WORLD["srudb"])
    for s, t, u, cids, _multi in _tables(inst, srudb):
        if not (_first(s, t) and _first(s, u)):
            continue
        info = _columns(s, t)
        twice = [cids[0], *cids, cids[0]]
        got = _pages(s, t, u, twice, info, LAYER_VALUES, 50)  # typed and untyped agree
        for c in (t, u):
            jet.JetMove(s, c, jet.JET_MoveFirst)
        a = jet.PyeseRetrieveRows(s, t, twice, 50, GRBIT)
        b = jet.PyeseRetrieveRows(s, u, cids, 50, GRBIT)
        assert a == [(r[0], r[1], *r[1:], r[1]) for r in b]
        assert got
        return
    pytest.fail("no table with rows in the SRUM sample")


FILES = [f"{n}.edb" for n in SAMPLES] + sorted(REAL_WORLD.values())


@pytest.fixture(scope="module")
def readers(tmp_path_factory: pytest.TempPathFactory):
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("values_many")
    opened, tables = [], []
    for name in FILES:
        p = out / name
        p.write_bytes(gzip.decompress((SAMPLES_DIR / f"{name}.gz").read_bytes()))
        edb = EdbFile.open(p)
        opened.append(edb)
        snap = edb.snapshot()
        for table in Catalog.load(snap, edb.page_size):
            reader = TableReader(snap, table)
            tables.append((reader, table.column_list(), list(reader.records())))
    yield tables
    for edb in opened:
        edb.close()


def test_values_many_is_values_record_by_record(readers) -> None:
    compared = 0
    for reader, columns, views in readers:
        resolve = resolver(reader.lv)
        datas = [v.data for v in views]
        for cols in (columns, columns[::-1], columns[1::3]):
            for typing in (None, PYTHON_VALUES, LAYER_VALUES):
                dec = RowDecoder(reader.layout, cols, typing=typing)
                want = [dec.values(d, resolve) for d in datas]
                assert dec.values_many(datas, resolve) == want
                compared += len(datas)
    assert compared > 10_000


def _verdict(fn):
    try:
        return fn()
    except JetError as err:
        return ("JetError", err.err)


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_values_many_on_damaged_records(readers, data) -> None:
    # a page mixing sound and damaged records: the same values, or the same JetError, as
    # values() record by record
    with_rows = [r for r in readers if r[2]]
    reader, columns, views = with_rows[data.draw(st.integers(0, len(with_rows) - 1))]
    picks = data.draw(st.lists(st.integers(0, len(views) - 1), min_size=1, max_size=6))
    page = []
    for i in picks:
        rec = bytearray(views[i].data)
        if data.draw(st.booleans()):
            kind = data.draw(st.sampled_from(["byte", "cut"]))
            if kind == "byte" and rec:
                rec[data.draw(st.integers(0, len(rec) - 1))] = data.draw(st.integers(0, 255))
            else:
                del rec[data.draw(st.integers(0, len(rec))):]
        page.append(bytes(rec))
    typing = data.draw(st.sampled_from([None, PYTHON_VALUES, LAYER_VALUES]))
    dec = RowDecoder(reader.layout, columns, typing=typing)
    resolve = resolver(reader.lv)
    want = _verdict(lambda: [dec.values(r, resolve) for r in page])
    assert _verdict(lambda: dec.values_many(page, resolve)) == want

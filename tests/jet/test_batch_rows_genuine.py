"""PyeseRetrieveRows on genuine files: the leaf-at-a-time path equals the JET loop.

On a genuine .edb attached read-only, a read on the primary index without a
cursor filter takes its rows from whole leaves decoded record by record
(``engine.cursors.batch._read_rows_genuine``) instead of a step and a record read per row.
Every table of every genuine sample (the six samples, a BITS and a SRUM database) is read
page after page (resuming across calls) forward and backward, inside an index range set
with a normalized key (upper going forward, lower going backward), and with
``Pyese_bitRowsStay``; rows, bookmarks and where the cursor is left are
compared with ``JetRetrieveColumn`` (every value of a multi-valued column) and
``JetMove`` on a second cursor. The general path is disabled meanwhile, so
the test fails if the leaf path is not the one taken.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.cursors import batch
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_real_world, gunzip_samples

from .helpers import expect
from .test_batch_rows import _loop_rows, _where

pytestmark = pytest.mark.filterwarnings(
    "ignore::pyese.engine.instance.database.DirtyShutdownWarning")


@pytest.fixture(scope="module")
def edb_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("edb")
    gunzip_samples(out)
    real = gunzip_real_world(out)
    return [out / f"{n}.edb" for n in SAMPLES] + [real["qmgr"], real["srudb"]]


@pytest.fixture
def no_general_path(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args, **_kw):
        raise AssertionError("the general path was taken")
    monkeypatch.setattr(batch, "_read_rows_fast", refuse)


def _tables(inst, path: Path) -> Iterator[tuple[object, object, object, list[int], set[int]]]:
    """(sesid, t, u, every columnid, multi-valued columnids) per table of ``path``: two
    cursors on the table's primary index (or clustered order)."""
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, str(path))
    try:
        names = [r.objectname for r in jet.JetGetObjectInfo(
            s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoListNoStats)]
        assert names
        for name in names:
            t = jet.JetOpenTable(s, db, name)
            u = jet.JetOpenTable(s, db, name)
            infos = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)
            cids = [int(c.columnid) for c in infos]
            multi = {int(c.columnid) for c in infos
                     if c.grbit & jet.JET_bitColumnMultiValued}
            yield s, t, u, cids, multi
            jet.JetCloseTable(s, t)
            jet.JetCloseTable(s, u)
    finally:
        jet.JetCloseDatabase(s, db)
        jet.JetDetachDatabase(s, str(path))
        jet.JetEndSession(s)


def _first(s, t) -> bool:
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
    except jet.JetError as exc:
        assert exc.err == jet.JET_errNoCurrentRecord
        return False
    return True


def _pages(s, t, u, cids, multi, n, *, stay=False, backward=False) -> list[tuple]:
    """Pages until the end (or one page with ``stay``), each checked against the loop;
    every row read."""
    grbit = (jet.Pyese_bitRowsBookmark | (jet.Pyese_bitRowsStay if stay else 0)
             | (jet.Pyese_bitRowsBackward if backward else 0))
    out: list[tuple] = []
    while True:
        want = _loop_rows(s, u, cids, multi, n, backward, True, stay)
        got = jet.PyeseRetrieveRows(s, t, cids, n, grbit)
        assert got == want
        assert _where(s, t) == _where(s, u)
        out += got
        if stay or _where(s, t) is None:
            return out


def _same_next_move(s, t, u) -> None:
    """Where JetMove(JET_MoveNext) takes the two cursors is the same (from an entry: the
    next one; parked after the last entry: nowhere; before the first: to it)."""
    for c in (t, u):
        try:
            jet.JetMove(s, c, jet.JET_MoveNext)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
    assert _where(s, t) == _where(s, u)


def test_every_genuine_table_page_after_page(inst, edb_files: list[Path],
                                             no_general_path: None) -> None:
    tables = rows = ranged = 0
    for path in edb_files:
        for s, t, u, cids, multi in _tables(inst, path):
            tables += 1
            if not (_first(s, t) and _first(s, u)):
                with expect(jet.JET_errNoCurrentRecord):
                    jet.PyeseRetrieveRows(s, t, cids, 5)
                continue
            everything = _pages(s, t, u, cids, multi, 37)
            rows += len(everything)
            with expect(jet.JET_errNoCurrentRecord):  # parked after the last entry
                jet.PyeseRetrieveRows(s, t, cids, 5)
            _same_next_move(s, t, u)
            # a range over the middle half, by normalized key (the primary bookmark)
            marks = [r[0] for r in everything]
            lo, hi = marks[len(marks) // 4], marks[(3 * len(marks)) // 4]
            for c in (t, u):
                jet.JetGotoBookmark(s, c, lo)
                jet.JetMakeKey(s, c, hi, jet.JET_bitNormalizedKey)
                jet.JetSetIndexRange(s, c, jet.JET_bitRangeUpperLimit
                                     | jet.JET_bitRangeInclusive)
            got = _pages(s, t, u, cids, multi, 5)
            assert [r[0] for r in got] == [m for m in marks if lo <= m <= hi]
            ranged += len(got)
            # backward, from the last row, then in a lower range
            for c in (t, u):
                jet.JetMove(s, c, jet.JET_MoveLast)
            back = _pages(s, t, u, cids, multi, 29, backward=True)
            assert back == everything[::-1]
            _same_next_move(s, t, u)  # parked before the first entry
            for c in (t, u):
                jet.JetGotoBookmark(s, c, hi)
                jet.JetMakeKey(s, c, lo, jet.JET_bitNormalizedKey)
                jet.JetSetIndexRange(s, c, jet.JET_bitRangeInclusive)
            back = _pages(s, t, u, cids, multi, 4, backward=True)
            assert back == got[::-1]
            _same_next_move(s, t, u)
            # Pyese_bitRowsStay from the middle: the cursor stays on the last row read
            for c in (t, u):
                jet.JetGotoBookmark(s, c, lo)
            _pages(s, t, u, cids, multi, 3, stay=True)
            _same_next_move(s, t, u)  # JetMove goes on from where the batch read stopped
            if _where(s, u) is None:  # fewer than 3 rows were left in the range
                with expect(jet.JET_errNoCurrentRecord):
                    jet.PyeseRetrieveRows(s, t, cids, 2)
            else:
                assert jet.PyeseRetrieveRows(s, t, cids, 2, jet.Pyese_bitRowsBookmark)[0][0] \
                    == _where(s, u)
    assert tables > 20 and rows > 7000 and ranged > 3000

"""JetRetrieveColumns and JetEnumerateColumns on genuine files: the one-decode path equals
the item-by-item path.

``JetRetrieveColumns`` reads a list of plain items (no grbit, no ibLongValue,
itagSequence >= 1) from one decode of the current record
(``engine.cursors.retrieve.retrieve_columns``, the ``dump`` path's ``RowDecoder``), and
``JetEnumerateColumns`` without a column list likewise
(``engine.cursors.retrieve.enumerate_record``). Every record of every table of the genuine
samples (the six samples, a Windows 11 BITS and a Windows 10 SRUM database) is read both
ways, with several column lists (every column in columnid order; reversed with a
duplicate, itagSequence 2 and a small cbData), and every output field compared: pvData,
cbActual, err (JET_wrnColumnNull, JET_wrnBufferTruncated), columnidNextTagged,
itagSequence. The item-by-item path is the reference (ESE ``fldext.cxx``
ErrRECRetrieveColumns retrieves the items one after the other; ``fldenum.cxx`` for
the enumeration); a counter proves the one-decode path was the one taken.

Then the cases that must not take it, or must give the same errors: an argument of the
wrong type after a list was planned (a bool columnid is JET_errInvalidParameter even
though True == 1), a changed columnid, a bad grbit in a later item, no current record.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.cursors import retrieve as R
from pyese.jet import record as jet_record
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_real_world, gunzip_samples

from .helpers import expect

pytestmark = pytest.mark.filterwarnings(
    "ignore::pyese.engine.instance.database.DirtyShutdownWarning")

_MAX_ROWS = 150
"""Records read per table (SRUM's big tables are cut there; every other table is read
whole)."""
_OUT_FIELDS = ("pvData", "cbActual", "err", "columnidNextTagged", "itagSequence")


@pytest.fixture(scope="module")
def edb_files(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("edb")
    gunzip_samples(out)
    real = gunzip_real_world(out)
    return [out / f"{n}.edb" for n in SAMPLES] + [real["qmgr"], real["srudb"]]


class _Counted:
    """Wraps an engine fast path: counts the calls it answered (not None)."""

    def __init__(self, fn):
        self.fn = fn
        self.answered = 0

    def __call__(self, *args):
        got = self.fn(*args)
        if got is not None:
            self.answered += 1
        return got


_SLOW = {"on": False}


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> dict[str, _Counted]:
    """Counters: ``planned`` / ``columns`` (JetRetrieveColumns answered from a kept plan
    / from a plan made or found afresh), ``enumerate``, and ``item`` (items read one by
    one outside :func:`_slow`: none should be)."""
    counted = {"planned": _Counted(R.planned_columns),
               "columns": _Counted(R.retrieve_columns),
               "enumerate": _Counted(R.enumerate_record)}
    monkeypatch.setattr(R, "planned_columns", counted["planned"])
    monkeypatch.setattr(R, "retrieve_columns", counted["columns"])
    monkeypatch.setattr(R, "enumerate_record", counted["enumerate"])
    item = _Counted(lambda *_a: None)
    one = jet_record._retrieve_one

    def retrieve_one(*args):
        if not _SLOW["on"]:
            item(*args)
            item.answered += 1
        return one(*args)
    monkeypatch.setattr(jet_record, "_retrieve_one", retrieve_one)
    counted["item"] = item
    return counted


def _slow(fn, *args):
    """``fn(*args)`` with the one-decode paths switched off (the item-by-item path)."""
    saved = R.planned_columns, R.retrieve_columns, R.enumerate_record
    R.planned_columns = R.retrieve_columns = R.enumerate_record = lambda *_a: None
    _SLOW["on"] = True
    try:
        return fn(*args)
    finally:
        R.planned_columns, R.retrieve_columns, R.enumerate_record = saved
        _SLOW["on"] = False


def _tables(inst, path: Path) -> Iterator[tuple[object, object, list[int]]]:
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, str(path))
    try:
        names = [r.objectname for r in jet.JetGetObjectInfo(
            s, db, jet.JET_objtypTable, None, None, jet.JET_ObjInfoListNoStats)]
        for name in names:
            t = jet.JetOpenTable(s, db, name, None, jet.JET_bitTableReadOnly)
            infos = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)
            yield s, t, [int(c.columnid) for c in infos]
            jet.JetCloseTable(s, t)
    finally:
        jet.JetCloseDatabase(s, db)
        jet.JetDetachDatabase(s, str(path))
        jet.JetEndSession(s)


def _lists(cids: list[int]) -> list[list[dict]]:
    """The column lists read from every record: every column (value 1); reversed, the
    first column twice, value 2 of every column and a cbData of 3 on every other item."""
    every = [{"columnid": c, "itagSequence": 1} for c in cids]
    mixed = [{"columnid": c, "itagSequence": 1 + (k % 3 == 1),
              "cbData": 3 if k % 2 else None}
             for k, c in enumerate(list(reversed(cids)) + cids[:1])]
    return [every, mixed]


def _outputs(rcs: list) -> list[tuple]:
    return [tuple(getattr(rc, f) for f in _OUT_FIELDS) for rc in rcs]


def _read(s, t, spec: list[dict]) -> list[tuple]:
    rcs = [jet.JET_RETRIEVECOLUMN(**item) for item in spec]
    jet.JetRetrieveColumns(s, t, rcs)
    return _outputs(rcs)


def test_every_record_of_every_genuine_table(inst, edb_files: list[Path],
                                             fast: dict[str, _Counted]) -> None:
    rows = values = 0
    for path in edb_files:
        for s, t, cids in _tables(inst, path):
            specs = _lists(cids)
            planned = [[jet.JET_RETRIEVECOLUMN(**item) for item in spec] for spec in specs]
            try:
                jet.JetMove(s, t, jet.JET_MoveFirst)
            except jet.JetError as exc:
                assert exc.err == jet.JET_errNoCurrentRecord
                continue
            for _ in range(_MAX_ROWS):
                for spec, rcs in zip(specs, planned):
                    want = _slow(_read, s, t, spec)
                    jet.JetRetrieveColumns(s, t, rcs)  # the same list, call after call
                    assert _outputs(rcs) == want, (path.name, spec)
                    values += len(rcs)
                want_enum = _slow(jet.JetEnumerateColumns, s, t)
                for grbit in (0, jet.JET_bitEnumerateCompressOutput):
                    assert jet.JetEnumerateColumns(s, t, None, grbit) == _slow(
                        jet.JetEnumerateColumns, s, t, None, grbit)
                assert jet.JetEnumerateColumns(s, t) == want_enum
                rows += 1
                try:
                    jet.JetMove(s, t, jet.JET_MoveNext)
                except jet.JetError as exc:
                    assert exc.err == jet.JET_errNoCurrentRecord
                    break
    assert rows > 1500
    assert fast["item"].answered == 0  # no item was read on its own
    assert fast["planned"].answered + fast["columns"].answered == 2 * rows
    assert fast["planned"].answered > rows  # the same lists, call after call
    assert fast["enumerate"].answered == 3 * rows


def _first_table(inst, path: Path):
    """(sesid, tableid, columnids) of the file's first table with records, on its first
    record."""
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, str(path), jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, str(path))
    for row in jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None,
                                    jet.JET_ObjInfoListNoStats):
        t = jet.JetOpenTable(s, db, row.objectname, None, jet.JET_bitTableReadOnly)
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            continue
        infos = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoListSortColumnid)
        return s, t, [int(c.columnid) for c in infos]
    raise AssertionError("no table with records")


def test_a_planned_list_is_checked_again_each_call(inst, edb_files: list[Path],
                                                   fast: dict[str, _Counted]) -> None:
    s, t, cids = _first_table(inst, edb_files[-1])
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in cids[:3]]
    jet.JetRetrieveColumns(s, t, rcs)
    first = _outputs(rcs)
    # a bool equals the int it replaces, but is not an int (jet._args.integer)
    rcs[0].columnid = True if cids[0] == 1 else bool(cids[0])
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumns(s, t, rcs)
    rcs[0].columnid = float(cids[0])
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumns(s, t, rcs)
    # a changed columnid is read, not the planned one
    rcs[0].columnid = cids[1]
    jet.JetRetrieveColumns(s, t, rcs)
    assert _outputs(rcs)[0][:3] == first[1][:3]
    assert rcs[0].columnidNextTagged == cids[1]
    # a bad grbit in the third item: the first two are filled, the error raised
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in cids[:3]]
    rcs[2].grbit = 0x40000000
    with expect(jet.JET_errInvalidGrbit):
        jet.JetRetrieveColumns(s, t, rcs)
    assert rcs[0].columnidNextTagged == cids[0] and rcs[2].columnidNextTagged == 0
    # a planned list whose third item changes: the first two hold this record's values
    # (as the item-by-item path leaves them), the third's error is raised
    four = (cids * 2)[:4]
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in four]
    jet.JetRetrieveColumns(s, t, rcs)
    jet.JetMove(s, t, jet.JET_MoveNext)
    want = _slow(_read, s, t, [{"columnid": c, "itagSequence": 1} for c in four[:2]])
    rcs[2].grbit = 0x40000000
    with expect(jet.JET_errInvalidGrbit):
        jet.JetRetrieveColumns(s, t, rcs)
    assert _outputs(rcs[:2]) == want
    rcs[2].grbit = 0
    rcs[3].cbData = 1
    jet.JetRetrieveColumns(s, t, rcs)
    assert _outputs(rcs) == _slow(_read, s, t, [
        {"columnid": c, "itagSequence": 1, "cbData": 1 if k == 3 else None}
        for k, c in enumerate(four)])
    # an unknown column in the second item
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in (cids[0], 0xFFF0)]
    with expect(jet.JET_errColumnNotFound):
        jet.JetRetrieveColumns(s, t, rcs)
    # itagSequence 0 counts the values (item-by-item path)
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=cids[0], itagSequence=0)]
    jet.JetRetrieveColumns(s, t, rcs)
    assert rcs[0].itagSequence == 1 and rcs[0].pvData is None


def test_no_current_record_from_a_planned_list(inst, edb_files: list[Path],
                                               fast: dict[str, _Counted]) -> None:
    s, t, cids = _first_table(inst, edb_files[-1])
    rcs = [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in cids]
    jet.JetRetrieveColumns(s, t, rcs)
    jet.JetMove(s, t, jet.JET_MoveLast)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(s, t, jet.JET_MoveNext)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetRetrieveColumns(s, t, rcs)
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetEnumerateColumns(s, t)
    assert fast["columns"].answered == 1 and fast["item"].answered == 0

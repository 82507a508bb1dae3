"""JetGotoBookmark then a read, on a genuine file: one tree seek, the same values.

``JetGotoBookmark`` finds the record (``GenuineSnapshot.get``) and the read that follows
asks the snapshot for it again (``record_view``); the snapshot keeps its last answer (the
file never changes), so the pair costs one seek. The kept answer is keyed by tree and key:
another table's record under the same bookmark bytes, or another bookmark, is sought
afresh. Every record of SRUM's tables is visited in a shuffled order and read both after
a ``JetMove`` and after a ``JetGotoBookmark``: the values must be equal.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.genuine.snapshot import GenuineSnapshot
from pyese.storage.edb.btree import EdbTreeCursor
from tests.genuine.samples import SAMPLES_DIR, gunzip_real_world

pytestmark = pytest.mark.filterwarnings(
    "ignore::pyese.engine.instance.database.DirtyShutdownWarning")


@pytest.fixture(scope="module")
def srudb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_real_world(tmp_path_factory.mktemp("edb"))["srudb"]


def _tables(s, db) -> list[tuple[object, list[jet.JET_RETRIEVECOLUMN]]]:
    out = []
    for row in jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None,
                                    jet.JET_ObjInfoListNoStats):
        t = jet.JetOpenTable(s, db, row.objectname, None, jet.JET_bitTableReadOnly)
        cols = jet.JetGetTableColumnInfo(s, t, None, jet.JET_ColInfoList)
        out.append((t, [jet.JET_RETRIEVECOLUMN(columnid=c.columnid, itagSequence=1)
                        for c in cols]))
    return out


def _values(rcs: list[jet.JET_RETRIEVECOLUMN]) -> list[tuple[object, ...]]:
    return [(rc.pvData, rc.cbActual, rc.err, rc.columnidNextTagged) for rc in rcs]


def test_goto_bookmark_then_read_is_one_seek(inst, srudb: Path, monkeypatch) -> None:
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, str(srudb), jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, str(srudb))
    visits = []
    for t, rcs in _tables(s, db):
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
            while True:
                jet.JetRetrieveColumns(s, t, rcs)
                visits.append((t, rcs, jet.JetGetBookmark(s, t), _values(rcs)))
                if len(visits) % 7 == 0:  # SRUM's big tables: a sample of them
                    for _ in range(6):
                        jet.JetMove(s, t, jet.JET_MoveNext)
                jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as err:
            assert err.err == jet.JET_errNoCurrentRecord
    assert len({t for t, *_ in visits}) > 5 and len(visits) > 500
    random.Random(7).shuffle(visits)
    seeks = []
    real = EdbTreeCursor._seek

    def counted(self, key):
        seeks.append(key)
        return real(self, key)

    monkeypatch.setattr(EdbTreeCursor, "_seek", counted)
    for t, rcs, bm, want in visits:
        seeks.clear()
        jet.JetGotoBookmark(s, t, bm)
        jet.JetRetrieveColumns(s, t, rcs)
        assert _values(rcs) == want
        assert len(seeks) <= 1  # 0: the record was still in the table's record cache


def _sought(snap: GenuineSnapshot, objid: int, key: bytes) -> bytes | None:
    """What a seek of tree ``objid`` finds at ``key`` (no kept answer involved)."""
    node = snap.cursor(objid).seek_ge(key)
    return node[1] if node is not None and node[0] == key else None


def test_the_kept_answer_is_keyed_by_tree_and_key(inst, srudb: Path) -> None:
    from pyese.engine.cursors.cursor import CURSORS

    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, str(srudb), jet.JET_bitDbReadOnly)
    db = jet.JetOpenDatabase(s, str(srudb))
    firsts: list[tuple[int, bytes]] = []  # (objid, bookmark of its first record)
    snap = None
    for t, _rcs in _tables(s, db):
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            continue
        cur = CURSORS[int(t)]
        snap = cur.view()
        firsts.append((cur.table.objid, jet.JetGetBookmark(s, t)))
    assert isinstance(snap, GenuineSnapshot) and len(firsts) > 3
    checked = 0
    for a, bm in firsts:
        got = snap.get(a, bm)
        assert got is not None and got == _sought(snap, a, bm)
        for b, _ in firsts:
            want = _sought(snap, b, bm)
            assert snap.get(a, bm) == got  # kept, or sought again: the same bytes
            if want != got:  # another tree answers otherwise for the same key
                assert snap.get(b, bm) == want
                checked += 1
        assert snap.get(a, bm + b"\xff") == _sought(snap, a, bm + b"\xff")
    assert checked > 10

"""DatabaseFile.repack, the step of online defragmentation (engine.instance.defrag): it
moves records without changing any tree, and packs trees that deletes left sparse."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese.storage.database import longkeys as LK
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_PUT, Op


def _contents(db: DatabaseFile, objids: list[int]) -> dict[int, list[tuple[bytes, bytes]]]:
    snap = db.snapshot()
    try:
        return {o: list(snap.iterate(o)) for o in objids}
    finally:
        snap.close()


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(keys=st.lists(st.tuples(st.sampled_from([5, 6, 9]),
                               st.binary(min_size=1, max_size=600)), max_size=60),
       drop=st.lists(st.integers(min_value=0, max_value=59), max_size=40),
       step=st.integers(min_value=1, max_value=7))
def test_repack_changes_no_tree(tmp_path, keys, drop, step):
    path = tmp_path / f"r{abs(hash((tuple(keys), tuple(drop), step)))}.db"
    db = DatabaseFile.create(str(path))
    try:
        # long keys (over 496 bytes) land in buckets: repack moves them as raw records
        ops = [Op(OP_PUT, o, k, k[::-1] * 3) for o, k in keys]
        if ops:
            db.apply(ops, LGPOS(1, 1))
        gone = [Op(OP_DELETE, *keys[i]) for i in drop if i < len(keys)]
        if gone:
            db.apply(gone, LGPOS(1, 2))
        before = _contents(db, [5, 6, 9])
        key: bytes | None = LK.objid_prefix(0)
        moved = 0
        while key is not None:
            key, n = db.repack(key, None, step)
            moved += n
        assert _contents(db, [5, 6, 9]) == before
        assert db.check() == []
    finally:
        db.close()
        for name in (path, str(path) + "-lock"):
            if os.path.exists(name):
                os.remove(name)


def test_repack_stops_at_stop_and_packs(tmp_path):
    db = DatabaseFile.create(str(tmp_path / "p.db"))
    try:
        db.apply([Op(OP_PUT, 7, i.to_bytes(4, "big"), bytes(100)) for i in range(2000)],
                 LGPOS(1, 1))
        db.apply([Op(OP_PUT, 8, b"other", b"x")], LGPOS(1, 2))
        db.apply([Op(OP_DELETE, 7, i.to_bytes(4, "big"), None)
                  for i in range(2000) if i % 5], LGPOS(1, 3))
        pages = db.tree_pages()
        key: bytes | None = LK.objid_prefix(7)
        total = 0
        while key is not None:
            key, n = db.repack(key, LK.objid_prefix(8), 100)
            total += n
        assert total == 400  # only tree 7's records, not tree 8's
        assert db.tree_pages() < pages
    finally:
        db.close()

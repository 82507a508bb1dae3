"""The read path of the version store: MergedCursor steps and VersionStore.get.

A MergedCursor continues from its file cursor inside a transaction (the file snapshot is
fixed until the transaction ends) and opens a registered file snapshot per step at level 0.
These tests check the merged order against a model, what each kind of reader sees of a
concurrent commit made between two steps, and that level-0 steps close their snapshots.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese import jet
from pyese.engine.instance.database import database_of
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.transactions.versionstore import VersionStore

OBJ = 9


class Env:
    def __init__(self, root) -> None:
        self.inst = jet.JetCreateInstance(f"rp-{id(self)}")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramSystemPath, 0, str(root) + "/")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramLogFilePath, 0, str(root) + "/")
        jet.JetInit(self.inst)
        first = jet.JetBeginSession(self.inst)
        self.path = str(root / "r.db")
        jet.JetCreateDatabase(first, self.path)
        self.sesids = [first]
        self.vs: VersionStore = SYSTEM.find_session(first).instance.services.parts["version_store"]

    def session(self, i: int):
        while len(self.sesids) <= i:
            s = jet.JetBeginSession(self.inst)
            jet.JetOpenDatabase(s, self.path)
            self.sesids.append(s)
        sesid = self.sesids[i]
        ses = SYSTEM.find_session(sesid)
        return sesid, ses, database_of(ses, 1)

    def put(self, i: int, key: bytes, value: bytes) -> None:
        _, ses, db = self.session(i)
        self.vs.put(ses, db, OBJ, key, value)

    def delete(self, i: int, key: bytes) -> None:
        _, ses, db = self.session(i)
        self.vs.delete(ses, db, OBJ, key)

    def cursor(self, i: int):
        _, ses, db = self.session(i)
        return self.vs.cursor(ses, db, OBJ)

    def term(self) -> None:
        jet.JetTerm2(self.inst, 0)


@pytest.fixture
def env(tmp_path):
    e = Env(tmp_path)
    yield e
    e.term()


def _k(i: int) -> bytes:
    return b"k%03d" % i


def _walk(cur, reverse: bool = False) -> list[bytes]:
    out = []
    node = cur.last() if reverse else cur.first()
    while node is not None:
        out.append(node[0])
        assert len(out) < 1000, "the walk does not advance"
        node = cur.prev() if reverse else cur.next()
    return out


def test_walk_in_transaction_merges_file_and_own_changes(env: Env) -> None:
    for i in range(0, 20, 2):
        env.put(1, _k(i), b"c%d" % i)  # level 0: committed at once
    s0, _, _ = env.session(0)
    jet.JetBeginTransaction(s0)
    env.put(0, _k(5), b"own")
    env.delete(0, _k(4))
    env.put(0, _k(99), b"own")
    expected = [_k(i) for i in (0, 2, 5, 6, 8, 10, 12, 14, 16, 18, 99)]
    assert _walk(env.cursor(0)) == expected
    assert _walk(env.cursor(0), reverse=True) == expected[::-1]
    cur = env.cursor(0)
    assert cur.seek_ge(_k(3)) == (_k(5), b"own")
    assert cur.next() == (_k(6), b"c6")
    assert cur.prev() == (_k(5), b"own")  # direction change: seeks again
    assert cur.prev() == (_k(2), b"c2")
    assert cur.next() == (_k(5), b"own")
    jet.JetRollback(s0, 0)


def test_continued_walk_sees_own_write_not_others_commit(env: Env) -> None:
    for i in range(0, 10, 2):
        env.put(1, _k(i), b"c")
    s0, _, _ = env.session(0)
    jet.JetBeginTransaction(s0)
    cur = env.cursor(0)
    assert cur.first() == (_k(0), b"c")
    env.put(1, _k(1), b"other")  # committed after the transaction began: invisible
    env.delete(1, _k(2))  # likewise: the transaction still sees k002
    env.put(0, _k(3), b"own")  # the transaction's own write: visible to the next step
    assert cur.next() == (_k(2), b"c")
    assert cur.next() == (_k(3), b"own")
    assert cur.next() == (_k(4), b"c")
    jet.JetCommitTransaction(s0)


def test_level0_step_sees_commit_made_between_steps(env: Env) -> None:
    for i in range(0, 10, 2):
        env.put(1, _k(i), b"c")
    cur = env.cursor(0)
    assert cur.first() == (_k(0), b"c")
    env.put(1, _k(1), b"new")
    env.delete(1, _k(2))
    assert cur.next() == (_k(1), b"new")
    assert cur.next() == (_k(4), b"c")
    _, ses, db = env.session(0)
    assert env.vs.get(ses, db, OBJ, _k(2)) is None
    assert env.vs.get(ses, db, OBJ, _k(1)) == b"new"


def test_cursor_reused_across_transactions_reads_new_snapshot(env: Env) -> None:
    for i in range(0, 6, 2):
        env.put(1, _k(i), b"c")
    s0, _, _ = env.session(0)
    jet.JetBeginTransaction(s0)
    cur = env.cursor(0)
    assert cur.first() == (_k(0), b"c")
    jet.JetCommitTransaction(s0)
    env.put(1, _k(1), b"new")
    jet.JetBeginTransaction(s0)
    assert cur.next() == (_k(1), b"new")  # a new transaction: a new file snapshot
    jet.JetCommitTransaction(s0)


def test_level0_steps_close_their_snapshots(env: Env) -> None:
    for i in range(5):
        env.put(1, _k(i), b"c")
    cur = env.cursor(0)
    node = cur.first()
    while node is not None:
        assert not env.vs._snaps  # registered for the step only
        node = cur.next()
    assert cur.seek_le(_k(3)) == (_k(3), b"c")
    assert not env.vs._snaps
    s0, _, _ = env.session(0)
    jet.JetBeginTransaction(s0)
    assert cur.first() is not None
    assert len(env.vs._snaps) == 1  # the transaction's snapshot
    jet.JetCommitTransaction(s0)
    assert not env.vs._snaps


OPS = st.lists(st.tuples(st.sampled_from(["put1", "del1", "put0", "del0"]),
                         st.integers(0, 15)), max_size=40)
MOVES = st.lists(st.sampled_from(["next", "prev", "seek_ge", "seek_le"]), max_size=25)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS, moves=MOVES, seek=st.integers(0, 16))
def test_moves_match_model(tmp_path_factory, ops, moves, seek) -> None:
    env = Env(tmp_path_factory.mktemp("m"))
    try:
        s0, _, _ = env.session(0)
        committed: dict[bytes, bytes] = {}
        seen_by_trx: dict[bytes, bytes] | None = None
        touched: set[tuple[bytes, str]] = set()  # (key, session): written since the begin
        for n, (op, i) in enumerate(ops):
            if seen_by_trx is None and n == len(ops) // 2:
                jet.JetBeginTransaction(s0)
                seen_by_trx = dict(committed)
            key = _k(i)
            if seen_by_trx is not None:
                owner = "0" if op.endswith("0") else "1"
                if (key, "1" if owner == "0" else "0") in touched:
                    continue  # the other session wrote it: this write would conflict
                touched.add((key, owner))
            if op == "put1":
                env.put(1, key, b"1:%d" % n)
                committed[key] = b"1:%d" % n
            elif op == "del1":
                env.delete(1, key)
                committed.pop(key, None)
            elif seen_by_trx is not None:
                if op == "put0":
                    env.put(0, key, b"0:%d" % n)
                    seen_by_trx[key] = b"0:%d" % n
                else:
                    env.delete(0, key)
                    seen_by_trx.pop(key, None)
        model = seen_by_trx if seen_by_trx is not None else committed
        keys = sorted(model)
        cur = env.cursor(0)
        pos: int | None = None  # index into keys, None: unpositioned
        for m in moves:
            if m == "seek_ge":
                got = cur.seek_ge(_k(seek))
                idx = [j for j, k in enumerate(keys) if k >= _k(seek)]
                pos = idx[0] if idx else None
            elif m == "seek_le":
                got = cur.seek_le(_k(seek))
                idx = [j for j, k in enumerate(keys) if k <= _k(seek)]
                pos = idx[-1] if idx else None
            elif pos is None:
                got = cur.next() if m == "next" else cur.prev()
                assert got is None
                continue
            else:
                got = cur.next() if m == "next" else cur.prev()
                pos = pos + 1 if m == "next" else pos - 1
                if not 0 <= pos < len(keys):
                    pos = None
            want = None if pos is None else (keys[pos], model[keys[pos]])
            assert got == want
        if seen_by_trx is not None:
            jet.JetRollback(s0, 0)
    finally:
        env.term()

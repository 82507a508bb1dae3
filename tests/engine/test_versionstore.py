"""The version store: snapshot isolation, write conflicts, locks, nesting, limits, cursors.

Transactions go through the JET API (JetBeginTransaction ...); writes and reads through the
engine's VersionStore directly (tables come later). Two sessions driven from one thread
are independent transactions (each binds to its session + thread), which keeps the
interleavings deterministic.
"""

from __future__ import annotations

import threading

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese import jet
from pyese.engine.instance.database import database_of
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.transactions.versionstore import VersionStore

OBJ = 7


class Env:
    def __init__(self, root, *, max_ver_pages: int | None = None, recovery: bool = True):
        self.inst = jet.JetCreateInstance(f"vs-{id(self)}")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramSystemPath, 0, str(root) + "/")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramLogFilePath, 0, str(root) + "\\")
        if max_ver_pages is not None:
            jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramMaxVerPages, max_ver_pages, None)
        if not recovery:
            jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramRecovery, 0, "off")
        jet.JetInit(self.inst)
        first = jet.JetBeginSession(self.inst)
        jet.JetCreateDatabase(first, str(root / "v.db"))
        self.path = str(root / "v.db")
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

    def put(self, i, key, value):
        _, ses, db = self.session(i)
        self.vs.put(ses, db, OBJ, key, value)

    def delete(self, i, key):
        _, ses, db = self.session(i)
        self.vs.delete(ses, db, OBJ, key)

    def get(self, i, key):
        _, ses, db = self.session(i)
        return self.vs.get(ses, db, OBJ, key)

    def walk(self, i, reverse=False):
        _, ses, db = self.session(i)
        cur = self.vs.cursor(ses, db, OBJ)
        out = []
        node = cur.last() if reverse else cur.first()
        while node is not None:
            out.append(node)
            node = cur.prev() if reverse else cur.next()
        return out

    def begin(self, i, grbit=0):
        jet.JetBeginTransaction2(self.session(i)[0], grbit)

    def commit(self, i, grbit=0):
        return jet.JetCommitTransaction2(self.session(i)[0], grbit)

    def rollback(self, i, grbit=0):
        jet.JetRollback(self.session(i)[0], grbit)


@pytest.fixture
def env(tmp_path):
    return Env(tmp_path)


def conflict():
    return pytest.raises(jet.WriteConflictError)


def test_scenario15_uncommitted_version_conflicts_at_once(env):
    # ESE: ver.cxx FVERIWriteConflict ~4601: the conflict is raised by the update itself
    env.put(0, b"R", b"0")
    env.begin(1)
    env.put(1, b"R", b"1")
    env.begin(2)
    with conflict():
        env.put(2, b"R", b"2")
    with conflict():
        env.delete(2, b"R")
    _, ses2, db = env.session(2)
    with conflict():
        env.vs.lock(ses2, db, OBJ, b"R", True)
    env.rollback(2)
    with conflict():  # level 0 writes run in their own transaction and conflict too
        env.put(2, b"R", b"2")
    env.commit(1)
    env.put(2, b"R", b"2")
    assert env.get(0, b"R") == b"2"


def test_scenario16_commit_after_my_begin_conflicts(env):
    # ESE: ver.hxx FActiveNotByMe ~1033: committed with trxCommit0 > my trxBegin0
    env.put(0, b"R", b"0")
    env.begin(2)
    env.begin(1)
    env.put(1, b"R", b"1")
    env.commit(1)
    with conflict():
        env.put(2, b"R", b"2")
    env.put(2, b"other", b"x")  # other keys are free
    env.rollback(2)
    env.begin(2)
    env.put(2, b"R", b"2")  # a new snapshot sees the commit: no conflict
    env.commit(2)


def test_scenario17_snapshot_reads(env):
    # ESE: ver.cxx ~3300, pib.hxx ~1252: the snapshot is taken at the level-0 begin
    env.put(0, b"R", b"old")
    env.put(0, b"gone", b"here")
    env.begin(2)
    assert env.get(2, b"R") == b"old"
    env.begin(1)
    env.put(1, b"R", b"new")
    env.delete(1, b"gone")
    env.put(1, b"born", b"x")
    assert env.get(2, b"R") == b"old"  # uncommitted by another: before-image
    env.commit(1)
    assert env.get(2, b"R") == b"old"
    assert env.get(2, b"gone") == b"here"
    assert env.get(2, b"born") is None
    assert env.walk(2) == [(b"R", b"old"), (b"gone", b"here")]
    assert env.get(3, b"R") == b"new"  # level 0: the latest committed
    assert env.walk(3) == [(b"R", b"new"), (b"born", b"x")]
    env.begin(2)  # nested begin keeps the snapshot
    assert env.get(2, b"R") == b"old"
    env.commit(2)
    env.commit(2)
    assert env.get(2, b"R") == b"new"


def test_snapshot_survives_apply_and_cleanup(env):
    env.put(0, b"R", b"old")
    env.begin(2)
    assert env.get(2, b"R") == b"old"
    for i in range(20):
        env.put(1, b"R", b"v%d" % i)
    storage = env.vs.instance.services.parts["storage"]
    storage.applier.drain()
    env.vs.cleanup()
    assert env.get(2, b"R") == b"old"  # before-images are kept for the open snapshot
    assert env.walk(2) == [(b"R", b"old")]
    env.commit(2)
    env.vs.cleanup()
    assert env.vs.nbytes == 0  # everything applied, no reader: every version dropped
    assert env.get(2, b"R") == b"v19"


def test_scenario18_locks(env):
    # ESE: ver.cxx ~4186-4271; ME BasicTableTests.VerifyTryGetLockReturnsFalseOnWriteConflict
    env.put(0, b"R", b"0")
    env.begin(1)
    env.begin(2)
    _, s1, db = env.session(1)
    _, s2, _ = env.session(2)
    env.vs.lock(s1, db, OBJ, b"R", False)
    env.vs.lock(s2, db, OBJ, b"R", False)
    with conflict():
        env.vs.lock(s2, db, OBJ, b"R", True)
    with conflict():
        env.put(2, b"R", b"2")
    env.rollback(1)
    with conflict():  # a level-0 write of session 1 against session 2's read lock
        env.put(1, b"R", b"x")
    env.vs.lock(s2, db, OBJ, b"R", True)
    env.put(2, b"R", b"2")
    env.commit(2)
    with pytest.raises(jet.NotInTransactionError):  # ESE: rec.cxx ~49
        env.vs.lock(s1, db, OBJ, b"R", False)


def test_scenario21_peek_any_sees_uncommitted_insert(env):
    # ESE: bt.cxx ~5716: a concurrent duplicate insert is found (JET_errKeyDuplicate)
    env.begin(1)
    env.put(1, b"U", b"1")
    _, _, db = env.session(2)
    assert env.vs.peek_any(db, OBJ, b"U")
    assert not env.vs.peek_any(db, OBJ, b"V")
    env.rollback(1)
    assert not env.vs.peek_any(db, OBJ, b"U")


def test_scenario22_read_only_transaction(env):
    # ESE: pib.hxx ~1495
    env.begin(1, jet.JET_bitTransactionReadOnly)
    with pytest.raises(jet.TransReadOnlyError):
        env.put(1, b"R", b"1")
    with pytest.raises(jet.TransReadOnlyError):
        env.delete(1, b"R")
    _, s1, db = env.session(1)
    with pytest.raises(jet.TransReadOnlyError):
        env.vs.lock(s1, db, OBJ, b"R", True)
    env.vs.lock(s1, db, OBJ, b"R", False)
    assert env.commit(1) is None  # nothing logged


def test_scenario5_6_nested_rollback(env):
    # ESE: ver.cxx ~8263 (rollback undoes one level), ~6443 (commit relabels to the parent)
    env.begin(1)
    env.put(1, b"a", b"1")
    env.begin(1)
    env.put(1, b"a", b"2")
    env.put(1, b"b", b"2")
    env.begin(1)
    env.put(1, b"a", b"3")
    env.delete(1, b"b")
    assert env.get(1, b"a") == b"3" and env.get(1, b"b") is None
    env.rollback(1)
    assert env.get(1, b"a") == b"2" and env.get(1, b"b") == b"2"
    env.commit(1)  # level 2 -> 1
    assert env.get(1, b"a") == b"2"
    env.begin(1)
    env.put(1, b"c", b"3")
    env.commit(1)
    env.rollback(1)  # level 1 rolls back everything, including the committed level 2
    assert env.walk(1) == [] and env.walk(2) == []
    env.begin(1)
    env.put(1, b"a", b"1")
    env.begin(1)
    env.begin(1)
    env.put(1, b"a", b"3")
    env.rollback(1, jet.JET_bitRollbackAll)
    assert env.get(1, b"a") is None
    assert env.vs.nbytes == 0


def test_version_store_out_of_memory(tmp_path):
    env = Env(tmp_path, max_ver_pages=1)
    env.begin(1)
    big = b"x" * 20000
    env.put(1, b"a", big)
    env.put(1, b"b", big)
    with pytest.raises(jet.VersionStoreOutOfMemoryError):  # ESE: ver.cxx ~574
        env.put(1, b"c", big * 3)
    assert env.get(1, b"b") == big  # the transaction stays open
    env.rollback(1)
    assert env.vs.nbytes == 0
    env.put(1, b"c", big * 2)


def test_wait_last_level0_commit_after_lazy(env):
    # ME DurableCommitTests.LazyCommitFollowedByReadOnlyCanCommitLazy (scenario 33)
    log = env.vs.instance.services.parts["storage"].log
    env.begin(1)
    env.put(1, b"a", b"1")
    cid = env.commit(1, jet.JET_bitCommitLazyFlush)
    assert cid is not None
    lgpos = env.session(1)[1].last_commit_lgpos
    env.begin(1)
    env.commit(1)  # empty: logs nothing
    assert env.session(1)[1].last_commit_lgpos == lgpos
    env.commit(1, jet.JET_bitWaitLastLevel0Commit)
    assert log.flushed_lgpos >= lgpos
    before = log.appended_lgpos.generation
    env.commit(1, jet.JET_bitForceNewLog)
    env.put(1, b"b", b"2")
    assert env.session(1)[1].last_commit_lgpos.generation == before + 1


def test_recovery_off_commits_apply_directly(tmp_path):
    env = Env(tmp_path, recovery=False)
    env.begin(2)
    env.put(1, b"a", b"1")
    assert env.get(2, b"a") is None
    assert env.get(3, b"a") == b"1"
    env.commit(2)
    assert not list(tmp_path.glob("*.log"))


def test_concurrent_commits_are_all_visible(env):
    n, per = 4, 25
    barrier = threading.Barrier(n)
    sessions = [env.session(i + 1) for i in range(n)]
    errors = []

    def work(i):
        sesid, ses, db = sessions[i]
        try:
            barrier.wait(10)
            for k in range(per):
                jet.JetBeginTransaction(sesid)
                env.vs.put(ses, db, OBJ, b"t%d-%03d" % (i, k), b"%d" % k)
                jet.JetCommitTransaction(sesid)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert len(env.walk(0)) == n * per


KEYS = [b"", b"a", b"ab", b"b", b"c" * 600, b"c" * 600 + b"x"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 1),
            st.sampled_from(["put", "del", "begin", "commit", "rollback", "read"]),
            st.sampled_from(KEYS),
            st.binary(max_size=3),
        ),
        max_size=40,
    )
)
def test_model(tmp_path_factory, steps):
    """Random writes, nested transactions, commits and rollbacks by two sessions: every
    read and cursor walk equals the model (committed state as of the snapshot + own)."""
    env = Env(tmp_path_factory.mktemp("m"))
    committed: dict[bytes, bytes] = {}
    snap: list[dict[bytes, bytes] | None] = [None, None]  # committed state at level-0 begin
    own: list[list[dict[bytes, bytes | None]]] = [[], []]  # per level: changes
    try:
        for who, op, key, value in steps:
            s = who + 1
            level = len(own[who])

            def view(who=who):
                base = dict(snap[who] if snap[who] is not None else committed)
                for lv in own[who]:
                    for k, v in lv.items():
                        if v is None:
                            base.pop(k, None)
                        else:
                            base[k] = v
                return base

            if op == "begin" and level < 7:
                env.begin(s)
                if level == 0:
                    snap[who] = dict(committed)
                own[who].append({})
            elif op == "commit" and level:
                env.commit(s)
                top = own[who].pop()
                if own[who]:
                    own[who][-1].update(top)
                else:
                    for k, v in top.items():
                        if v is None:
                            committed.pop(k, None)
                        else:
                            committed[k] = v
                    snap[who] = None
            elif op == "rollback" and level:
                env.rollback(s)
                own[who].pop()
                if not own[who]:
                    snap[who] = None
            elif op in ("put", "del"):
                other = 1 - who
                mine = view()
                try:
                    if op == "put":
                        env.put(s, key, value)
                    else:
                        env.delete(s, key)
                except jet.WriteConflictError:
                    touched = any(key in lv for lv in own[other])
                    stale = snap[who] is not None and snap[who].get(key) != committed.get(key)
                    assert touched or stale or key in _committed_since(env, who, key)
                    continue
                assert not any(key in lv for lv in own[other])
                if level:
                    assert not _committed_since(env, who, key)
                new = value if op == "put" else None
                if level:
                    own[who][-1][key] = new
                elif new is None:
                    committed.pop(key, None)
                else:
                    committed[key] = new
                assert mine is not None
            else:
                expect = view()
                assert env.get(s, key) == expect.get(key)
                assert env.walk(s) == sorted(expect.items())
                assert env.walk(s, reverse=True) == sorted(expect.items(), reverse=True)
    finally:
        SYSTEM.reset_for_tests()


def _committed_since(env, who, key):
    # A key committed by the other session after this one's snapshot conflicts even if the
    # value is equal (ESE compares commit ids, not values): report such keys.
    _, ses, db = env.session(who + 1)
    tree = env.vs._trees.get((db.dbnum, OBJ))
    if tree is None:
        return set()
    chain = tree.chains.get(key) or []
    return (
        {key} if any(v.trx.commit_id and v.trx.commit_id > ses.trx_begin0 for v in chain) else set()
    )

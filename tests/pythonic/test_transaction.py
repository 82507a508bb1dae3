"""Transactions: commit, rollback, savepoints, run(), threads, the session pool."""

from __future__ import annotations

import threading
import time

import pytest

import pyese


def _names(inst: pyese.Instance) -> list[str]:
    with inst.transaction(read_only=True) as tx:
        return [r["name"] for r in tx.table("people")]


def test_context_manager_commits_or_rolls_back(inst: pyese.Instance, db: pyese.Database
                                               ) -> None:
    with inst.transaction() as tx:
        tx.table("people").insert({"name": "kept"})
    with pytest.raises(RuntimeError), inst.transaction() as tx:
        tx.table("people").insert({"name": "lost"})
        raise RuntimeError("boom")
    assert _names(inst) == ["kept"]


def test_explicit_commit_rollback_and_use_after_end(inst: pyese.Instance,
                                                    db: pyese.Database) -> None:
    tx = inst.transaction()
    t = tx.table("people")
    t.insert({"name": "a"})
    tx.rollback()
    assert not tx.active
    with pytest.raises(pyese.TransactionEndedError, match="rolled back"):
        t.insert({"name": "b"})
    with pytest.raises(pyese.TransactionEndedError):
        tx.commit()
    tx = inst.transaction(lazy=True)
    tx.table("people").insert({"name": "c"})
    tx.commit()
    with pytest.raises(pyese.TransactionEndedError, match="committed"):
        tx.table("people")
    assert _names(inst) == ["c"]


def test_transactions_are_independent_and_isolated(inst: pyese.Instance,
                                                   db: pyese.Database) -> None:
    a = inst.transaction()
    b = inst.transaction()  # same thread, another session
    a.table("people").insert({"name": "from a"})
    assert len(b.table("people")) == 0  # b's snapshot predates a's commit
    a.commit()
    assert len(b.table("people")) == 0
    b.rollback()
    assert _names(inst) == ["from a"]


def test_savepoint_rolls_back_alone(inst: pyese.Instance, db: pyese.Database) -> None:
    with inst.transaction() as tx:
        t = tx.table("people")
        t.insert({"name": "outer"})
        with pytest.raises(KeyError), tx.savepoint():
            t.insert({"name": "inner"})
            raise KeyError("x")
        with tx.savepoint():
            t.insert({"name": "inner ok"})
            with tx.savepoint():
                t.insert({"name": "deep"})
    assert sorted(_names(inst)) == ["deep", "inner ok", "outer"]


def test_savepoint_depth_is_eses(inst: pyese.Instance, db: pyese.Database) -> None:
    with inst.transaction() as tx:
        def nest(n: int) -> None:
            with tx.savepoint():
                nest(n + 1)
        with pytest.raises(pyese.TransTooDeepError):
            nest(1)  # level 1 is the transaction; ESE allows 7 levels


def test_cursor_opened_in_rolled_back_savepoint_is_reopened(inst: pyese.Instance,
                                                            db: pyese.Database) -> None:
    db.create_table("other", {"x": int})
    with inst.transaction() as tx:
        with pytest.raises(ValueError), tx.savepoint():
            tx.table("other").insert({"x": 1})  # ESE closes this cursor at the rollback
            raise ValueError
    with inst.transaction() as tx:
        tx.table("other").insert({"x": 2})
    with inst.transaction() as tx:
        assert [r["x"] for r in tx.table("other")] == [2]


def test_run_retries_write_conflicts(inst: pyese.Instance, db: pyese.Database) -> None:
    with inst.transaction() as tx:
        tx.table("people").insert({"name": "n", "age": 0})
    attempts = []

    def bump(tx: pyese.Transaction) -> int:
        attempts.append(1)
        if len(attempts) == 1:  # another writer commits after this transaction began
            with inst.transaction() as other:
                other.table("people").update(1, {"age": 100})
        row = tx.table("people").update(1, {"age": tx.table("people").get(1)["age"] + 1})
        return int(row["age"])

    assert inst.run(bump) == 101
    assert len(attempts) == 2
    with pytest.raises(pyese.WriteConflictError):
        attempts.clear()
        inst.run(bump, retries=0)


def test_run_returns_and_propagates(inst: pyese.Instance, db: pyese.Database) -> None:
    assert inst.run(lambda tx: tx.table("people").insert({"name": "r"})["id"]) == 1
    with pytest.raises(ZeroDivisionError):
        inst.run(lambda tx: (tx.table("people").insert({"name": "no"}), 1 / 0))
    assert _names(inst) == ["r"]


def test_transaction_begun_on_one_thread_committed_on_another(inst: pyese.Instance,
                                                              db: pyese.Database) -> None:
    tx = inst.transaction()
    tx.table("people").insert({"name": "main thread"})
    idents = {threading.get_ident()}

    def continue_it() -> None:
        idents.add(threading.get_ident())
        tx.table("people").insert({"name": "worker"})
        tx.commit()

    th = threading.Thread(target=continue_it)
    th.start()
    th.join()
    assert len(idents) == 2 and not tx.active
    assert sorted(_names(inst)) == ["main thread", "worker"]


def test_two_threads_inside_one_transaction(inst: pyese.Instance, db: pyese.Database
                                            ) -> None:
    tx = inst.transaction()
    t = tx.table("people")
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with tx.entered():  # a thread in the middle of a call of this transaction
            inside.set()
            release.wait(5)

    th = threading.Thread(target=hold)
    th.start()
    assert inside.wait(5)
    try:
        with pytest.raises(pyese.SessionSharingViolationError):
            t.insert({"name": "second thread"})
    finally:
        release.set()
        th.join()
    t.insert({"name": "after"})  # the transaction is intact
    tx.commit()
    assert _names(inst) == ["after"]


def test_pool_is_bounded_and_times_out(tmp_path) -> None:
    with pyese.Instance(tmp_path, max_sessions=2, session_timeout=0.2) as inst:
        inst.open_database("x.edb").create_table("t", {"a": int})
        a, b = inst.transaction(), inst.transaction()
        t0 = time.monotonic()
        with pytest.raises(pyese.PoolTimeoutError, match="all 2 sessions"):
            inst.transaction()
        assert time.monotonic() - t0 >= 0.19
        got = []

        def waiter() -> None:
            with inst.transaction(timeout=5) as c:
                got.append(c.table("t").insert({"a": 3}))

        th = threading.Thread(target=waiter)
        th.start()
        time.sleep(0.05)
        a.commit()  # frees a session: the waiter proceeds
        th.join(5)
        assert got and not th.is_alive()
        b.rollback()


def test_read_only_transaction_refuses_writes(inst: pyese.Instance, db: pyese.Database
                                              ) -> None:
    with inst.transaction(read_only=True) as tx, pytest.raises(pyese.JetError):
        tx.table("people").insert({"name": "x"})
    assert _names(inst) == []


def test_close_with_open_transaction_rolls_it_back(tmp_path) -> None:
    inst = pyese.Instance(tmp_path)
    inst.open_database("x.edb").create_table("t", {"a": int})
    tx = inst.transaction()
    tx.table("t").insert({"a": 1})
    inst.close()
    with pytest.raises(pyese.InstanceClosedError):
        tx.commit()
    with pyese.Instance(tmp_path) as again:
        again.open_database("x.edb")
        with again.transaction() as tx2:
            assert len(tx2.table("t")) == 0


def test_sixteen_threads_share_a_pool_of_six_sessions(tmp_path) -> None:
    with pyese.Instance(tmp_path, max_sessions=6, session_timeout=60) as inst:
        db = inst.open_database("bank.edb")
        db.create_table("acct", {"id": pyese.Long, "bal": pyese.Long, "owner": str},
                        {"pk": pyese.Index("+id", primary=True), "own": "+owner"})
        with inst.transaction() as tx:
            for i in range(8):
                tx.table("acct").insert({"id": i, "bal": 100, "owner": f"o{i % 3}"})
        errors: list[BaseException] = []
        barrier = threading.Barrier(16)

        def transfer(tx: pyese.Transaction, a: int, b: int) -> None:
            t = tx.table("acct")
            ra, rb = t.get(a), t.get(b)
            t.update(a, {"bal": ra["bal"] - 1})
            t.update(b, {"bal": rb["bal"] + 1})

        def work(n: int) -> None:
            try:
                barrier.wait()
                for i in range(12):
                    a, b = (n + i) % 8, (n * 3 + i + 1) % 8
                    if a != b:
                        inst.run(lambda tx, a=a, b=b: transfer(tx, a, b), retries=1000,
                                 lazy=True)
                    with inst.transaction(read_only=True) as tx:  # a consistent snapshot
                        assert sum(r["bal"] for r in tx.table("acct").range(
                            index="own", columns=["bal"])) == 800
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        with inst.transaction() as tx:
            assert sum(r["bal"] for r in tx.table("acct")) == 800

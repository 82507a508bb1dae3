"""How a transaction holds its session: session contexts only where ESE checks them.

ESE checks a context-bound transaction's context where a level begins, commits or rolls
back (``pib.hxx`` FPIBCheckTrxContext from ``dir.cxx`` ErrDIRBeginTransaction /
ErrDIRCommitTransaction / ErrDIRRollback), and every update, delete and escrow update
opens such a level; seeks, moves and retrievals inside a transaction do not. Only the
thread that set a context may reset it (``pib.hxx`` ErrPIBCheckCorrectSessionContext). So
the layer sets the context around begins, writes and ends, never around reads, and a
second thread inside the same transaction is refused by the transaction's own lock.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import pyese
import pyese.jet as jet


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts of the session-context calls the layer makes (through ``pyese.jet``)."""
    seen: Counter[str] = Counter()
    for name in ("JetSetSessionContext", "JetResetSessionContext"):
        real = getattr(jet, name)

        def counted(*args: Any, _real: Callable[..., Any] = real, _name: str = name) -> Any:
            seen[_name] += 1
            return _real(*args)

        monkeypatch.setattr(jet, name, counted)
    return seen


@pytest.fixture
def filled(inst: pyese.Instance, db: pyese.Database) -> pyese.Instance:
    with inst.transaction() as tx:
        t = tx.table("people")
        for i in range(20):
            t.insert({"name": f"p{i:02d}", "age": i})
    return inst


def _names(inst: pyese.Instance) -> list[str]:
    with inst.transaction(read_only=True) as tx:
        return [r["name"] for r in tx.table("people")]


def test_reads_make_no_context_calls(filled: pyese.Instance, calls: Counter[str]) -> None:
    tx = filled.transaction(read_only=True)
    assert calls == {"JetSetSessionContext": 1, "JetResetSessionContext": 1}  # the begin
    t = tx.table("people")
    calls.clear()
    for i in range(1, 21):
        assert t.get(i) is not None
    assert len(list(t.range(index="byname", start="p05", stop="p10"))) == 5
    assert len(list(t.find("p03", index="byname"))) == 1
    assert len(t) == 20 and 3 in t
    assert calls == {}
    tx.commit()
    assert calls == {"JetSetSessionContext": 1, "JetResetSessionContext": 1}


def test_writes_set_the_context_around_each_call(filled: pyese.Instance,
                                                 calls: Counter[str]) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        calls.clear()
        t.insert({"name": "w"})
        t.update(1, {"age": 99})
        t.escrow(1, "visits", 2)
        t.delete(2)
        assert calls == {"JetSetSessionContext": 4, "JetResetSessionContext": 4}


def test_insert_many_batches_are_bound_to_their_thread(db: pyese.Database,
                                                       calls: Counter[str]) -> None:
    assert db.insert_many("people", ({"name": f"m{i}"} for i in range(50)), batch=10) == 50
    assert calls == {}  # ESE's thread binding: no context for work that never moves
    assert len(_names(db.instance)) == 50


def test_transaction_moves_between_threads(filled: pyese.Instance) -> None:
    """Begun on the main thread; read, written, savepointed and committed on others, one
    at a time, each step on a new thread."""
    tx = filled.transaction()
    t = tx.table("people")
    threads: set[int] = {threading.get_ident()}
    alive: list[threading.Thread] = []
    finish = threading.Event()  # threads stay alive to the end: no ident is reused

    def on_new_thread(fn: Callable[[], Any]) -> Any:
        box: list[Any] = []
        done = threading.Event()

        def run() -> None:
            threads.add(threading.get_ident())
            try:
                box.append(fn())
            except BaseException as exc:  # handed back to the test's thread
                box.append(exc)
            done.set()
            finish.wait(10)

        th = threading.Thread(target=run)
        th.start()
        alive.append(th)
        assert done.wait(10)
        if isinstance(box[0], BaseException):
            raise box[0]
        return box[0]

    assert on_new_thread(lambda: t.get(3))["name"] == "p02"
    on_new_thread(lambda: t.insert({"name": "moved"}))
    on_new_thread(lambda: t.update(1, {"name": "renamed"}))

    def in_savepoint() -> None:
        with pytest.raises(ZeroDivisionError), tx.savepoint():
            t.insert({"name": "undone"})
            raise ZeroDivisionError

    on_new_thread(in_savepoint)
    with pytest.raises(pyese.JetError):  # a write ESE refuses leaves it usable
        on_new_thread(lambda: t.insert({"id": 1, "name": "dup"}))  # autoincrement
    assert on_new_thread(lambda: [r["name"] for r in t.find("moved", index="byname")]) \
        == ["moved"]
    on_new_thread(tx.commit)
    finish.set()
    for th in alive:
        th.join()
    assert len(threads) == 8 and not tx.active
    names = _names(filled)
    assert "moved" in names and "renamed" in names and "undone" not in names
    assert "dup" not in names and len(names) == 21


def test_transaction_hops_between_pool_workers(filled: pyese.Instance) -> None:
    """Many calls of one transaction on a thread pool: every call lands on whichever
    worker is free (asyncio.to_thread does the same)."""
    tx = filled.transaction()
    t = tx.table("people")
    with ThreadPoolExecutor(4) as pool:
        for i in range(40):
            pool.submit(t.insert, {"name": f"h{i:02d}", "age": i}).result()
            row = pool.submit(t.get, 21 + i).result()
            assert row is not None and row["name"] == f"h{i:02d}"
        rows = pool.submit(lambda: list(t.range(index="byname", start="h", stop="i"))).result()
        pool.submit(tx.commit).result()
    assert [r["name"] for r in rows] == [f"h{i:02d}" for i in range(40)]
    assert len(_names(filled)) == 60


def test_second_thread_inside_is_refused_for_reads_writes_and_ends(
        filled: pyese.Instance) -> None:
    tx = filled.transaction()
    t = tx.table("people")
    inside, release = threading.Event(), threading.Event()
    rows = t.range()
    next(rows)

    def hold() -> None:
        with tx.entered():  # a thread in the middle of the transaction's calls
            inside.set()
            release.wait(10)

    th = threading.Thread(target=hold)
    th.start()
    assert inside.wait(10)
    try:
        for misuse in (lambda: t.get(1), lambda: t.insert({"name": "x"}),
                       lambda: t.update(1, {"age": 1}), lambda: len(t),
                       lambda: list(rows), tx.commit, tx.rollback,
                       lambda: tx.savepoint().__enter__()):
            with pytest.raises(pyese.SessionSharingViolationError):
                misuse()
    finally:
        release.set()
        th.join()
    assert tx.active
    t.insert({"name": "after"})  # nothing was disturbed
    tx.commit()
    assert "after" in _names(filled) and "x" not in _names(filled)


def test_context_set_outside_the_layer_is_a_clear_error(filled: pyese.Instance) -> None:
    """A JetSetSessionContext on the transaction's session made by hand on another thread
    blocks the transaction's writes and end (ESE: JET_errSessionContextAlreadySet, and
    only that thread may reset it), with an error that says so; reads still work."""
    tx = filled.transaction()
    t = tx.table("people")
    is_set, unset, undone = threading.Event(), threading.Event(), threading.Event()

    def intruder() -> None:
        jet.JetSetSessionContext(tx.sesid, 0x5151)
        is_set.set()
        unset.wait(10)
        jet.JetResetSessionContext(tx.sesid)
        undone.set()

    th = threading.Thread(target=intruder)
    th.start()
    assert is_set.wait(10)
    try:
        assert t.get(1) is not None
        with pytest.raises(pyese.SessionSharingViolationError, match="another thread"):
            t.insert({"name": "blocked"})
        with pytest.raises(pyese.SessionSharingViolationError, match="another thread"):
            tx.commit()
        with pytest.raises(jet.SessionContextNotSetByThisThreadError):
            jet.JetResetSessionContext(tx.sesid)  # only the thread that set it may
    finally:
        unset.set()
        th.join()
    assert undone.is_set() and tx.active
    t.insert({"name": "unblocked"})
    tx.commit()
    assert "unblocked" in _names(filled) and "blocked" not in _names(filled)


def test_use_after_end_or_close_is_a_clear_error(tmp_path: Path) -> None:
    inst = pyese.Instance(tmp_path)
    inst.open_database("x.edb").create_table("t", {"a": int},
                                             {"pk": pyese.Index("+a", primary=True)})
    tx = inst.transaction()
    t = tx.table("t")
    t.insert({"a": 1})
    rows = t.range()
    tx.commit()
    for misuse in (lambda: t.insert({"a": 2}), lambda: t.get(1), lambda: tx.table("t"),
                   tx.commit, tx.rollback, lambda: list(rows)):
        with pytest.raises(pyese.TransactionEndedError, match="committed"):
            misuse()
    tx2 = inst.transaction()
    t2 = tx2.table("t")
    inst.close()
    for misuse in (lambda: t2.get(1), lambda: t2.insert({"a": 3}), tx2.commit):
        with pytest.raises(pyese.InstanceClosedError):
            misuse()
    with pytest.raises(pyese.InstanceClosedError):
        inst.transaction()


def test_many_threads_many_transactions_one_pool(filled: pyese.Instance) -> None:
    """Transactions begun on one thread and committed on another, 16 at once, through a
    pool of workers: each commits its own rows, none sees the others' sessions."""
    begun: list[pyese.Transaction] = []
    for _ in range(8):
        begun.append(filled.transaction(lazy=True))

    def write(i: int) -> int:
        tx = begun[i]
        t = tx.table("people")
        for k in range(5):
            t.insert({"name": f"t{i}x{k}", "age": k})
        return len(list(t.range(index="byname", start=f"t{i}x", stop=f"t{i}y")))

    def commit(i: int) -> None:
        begun[i].commit()

    with ThreadPoolExecutor(16) as pool:
        assert list(pool.map(write, range(8))) == [5] * 8
        list(pool.map(commit, range(8)))
    assert len(_names(filled)) == 20 + 40


def test_rows_iterated_on_another_thread(filled: pyese.Instance) -> None:
    tx = filled.transaction(read_only=True)
    it: Iterator[pyese.Row] = tx.table("people").range(index="byname")
    first = next(it)
    with ThreadPoolExecutor(1) as pool:
        rest = pool.submit(list, it).result()
    assert [first["name"], *(r["name"] for r in rest)] == [f"p{i:02d}" for i in range(20)]
    tx.commit()

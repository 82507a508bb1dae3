"""``pyese demo``: a quick start on the Pythonic layer, then an order-processing server in
the spirit of ESE's JetSetSessionContext page.

The quick start opens an instance, creates a table with a secondary index, loads rows with
``insert_many``, reads them back in index order, and keeps a few keys in a
``PersistentDict``: the first things a Python user does.

The server: worker threads serve requests in three stages (receive, price, commit), each
stage its own thread pool, as staged servers do; the instance's bounded session pool
carries the transactions. Each order is one ``inst.transaction()`` that spans three
tasks, one per stage, each on whatever worker of that stage is free: every transaction
moves between threads. The pool does what ESE's page asks of such a server: the calls
ESE checks against the transaction's binding (its begin, every write, its commit) run
inside ``JetSetSessionContext`` / ``JetResetSessionContext`` with the transaction's own
context value, so the next stage's thread may continue it; reads need no context.

The demo also misuses a transaction on purpose, committing it from a second thread while
the first is still inside it, and shows it refused with
``JET_errSessionSharingViolation``. It ends by printing totals, read back from the table,
that prove no order was lost or counted twice.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import pyese


@dataclass
class Ledger:
    """What the server committed; guarded by ``lock``."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    committed: int = 0
    amount_cents: int = 0
    migrated: int = 0
    refused: int = 0
    threads_used: set[int] = field(default_factory=set)
    rows: int = 0
    """Orders read back from the table after the run."""
    priced: int = 0
    table_cents: int = 0


def run(orders: int = 2000, workers: int = 9, sessions: int = 4, quiet: bool = False) -> Ledger:
    """Run the quick start, then the server on ``orders`` requests; return its ledger."""
    say = (lambda *a: None) if quiet else print
    workdir = tempfile.mkdtemp(prefix="pyese-demo-")
    try:
        quick_start(workdir + "/quick", say)
        return _serve(orders, workers, sessions, say, workdir + "/server")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def quick_start(path: str, say: Any) -> None:
    """What a new user does first: an instance, a table, rows, a range, a dictionary."""
    say("pyese quick start")
    with pyese.Instance(path) as inst:
        db = inst.open_database("people.edb")
        db.create_table("people",
                        {"id": pyese.Column(pyese.Long, autoincrement=True),
                         "name": str, "born": int},
                        indexes={"primary": pyese.Index("+id", primary=True),
                                 "by_born": "+born\0+name\0\0"})
        db.insert_many("people", [{"name": n, "born": b} for n, b in
                                  [("Ada", 1815), ("Grace", 1906), ("Edsger", 1930),
                                   ("Barbara", 1939), ("Jim", 1944)]])
        with inst.transaction(read_only=True) as tx:
            people = tx.table("people")
            names = [r["name"] for r in people.range(index="by_born", start=1900, stop=1940)]
            say(f"  born 1900-1939    : {', '.join(names)}")
            say(f"  rows              : {len(people)}")
    with pyese.PersistentDict(path + "/dict", key_type=str, value_type=str) as d:
        d["Key"] = "exact"
        d["key"] = "keys compare exactly, though ESE's text keys fold case"
        say(f"  PersistentDict    : {sorted(d)} -> {len(d)} entries")


def _serve(orders: int, workers: int, sessions: int, say: Any, path: str) -> Ledger:
    per_stage = max(1, workers // 3)
    say(f"pyese demo server: {orders} orders, {per_stage * 3} worker threads in 3 stages,"
        f" {sessions} ESE sessions")
    ledger = Ledger()
    with pyese.Instance(path, max_sessions=sessions) as inst:
        db = inst.open_database("orders.edb")
        db.create_table("Orders", {"Id": pyese.Column(pyese.Long, not_null=True),
                                   "Cents": pyese.Column(pyese.LongLong),
                                   "Priced": pyese.Column(pyese.Bit)},
                        indexes={"ById": pyese.Index("+Id", primary=True)})
        _misuse(inst, ledger, say)
        started = time.perf_counter()
        submitted = _pipeline(inst, ledger, orders, per_stage, say)
        elapsed = time.perf_counter() - started
        with inst.transaction(read_only=True) as tx:
            for row in tx.table("Orders"):
                ledger.rows += 1
                ledger.priced += bool(row["Priced"])
                ledger.table_cents += row["Cents"]

    say(f"  orders submitted  : {orders}")
    say(f"  orders committed  : {ledger.committed}")
    say(f"  rows in the table : {ledger.rows} ({ledger.priced} priced)")
    say(f"  amount submitted  : {submitted / 100:,.2f}")
    say(f"  amount committed  : {ledger.amount_cents / 100:,.2f}")
    say(f"  amount in table   : {ledger.table_cents / 100:,.2f}")
    say(f"  moved threads     : {ledger.migrated} transactions committed on another thread")
    say(f"  worker threads    : {len(ledger.threads_used)} served commits")
    say(f"  misuses refused   : {ledger.refused}")
    say(f"  throughput        : {orders / elapsed:,.0f} orders/s ({elapsed:.2f} s)")
    ok = (ledger.committed == orders == ledger.rows == ledger.priced
          and ledger.amount_cents == submitted == ledger.table_cents)
    say("  nothing lost      : " + ("yes" if ok else "NO"))
    return ledger


def _misuse(inst: pyese.Instance, ledger: Ledger, say: Any) -> None:
    """Two threads inside one transaction at once: the second is refused as ESE does, and
    the first one's work is not disturbed."""
    tx = inst.transaction()
    inside, done = threading.Event(), threading.Event()

    def holder() -> None:
        with tx.entered():  # this thread is inside the transaction ...
            inside.set()
            done.wait()

    t = threading.Thread(target=holder)
    t.start()
    inside.wait()
    try:
        tx.commit()  # ... so another thread may not commit it now
    except pyese.SessionSharingViolationError as exc:
        with ledger.lock:
            ledger.refused += 1
        say(f"  misuse refused as ESE does: {exc}")
    finally:
        done.set()
        t.join()
    tx.rollback()


def _pipeline(inst: pyese.Instance, ledger: Ledger, orders: int, per_stage: int,
              say: Any) -> int:
    """Receive, price and commit every order on three thread pools; the cents submitted."""
    finished = threading.Semaphore(0)
    receivers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="receive")
    pricers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="price")
    committers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="commit")

    def guarded(fn: Any, *args: Any) -> None:
        try:
            fn(*args)
        except pyese.JetError as exc:
            say(f"  unexpected: {exc}")
            finished.release()

    def receive(order: int, cents: int) -> None:
        tx = inst.transaction()  # waits for a free session of the pool
        tx.table("Orders").insert({"Id": order, "Cents": cents, "Priced": False})
        pricers.submit(guarded, price, tx, order, cents, threading.get_ident())

    def price(tx: pyese.Transaction, order: int, cents: int, began_on: int) -> None:
        with tx.savepoint():  # a nested level for the pricing step
            tx.table("Orders").update(order, {"Priced": True})
        committers.submit(guarded, commit, tx, cents, began_on)

    def commit(tx: pyese.Transaction, cents: int, began_on: int) -> None:
        tx.commit()
        me = threading.get_ident()
        with ledger.lock:
            ledger.committed += 1
            ledger.amount_cents += cents
            ledger.threads_used.add(me)
            if me != began_on:
                ledger.migrated += 1
        finished.release()

    submitted = 0
    for order in range(orders):
        cents = 100 + (order * 37) % 9900
        submitted += cents
        receivers.submit(guarded, receive, order, cents)
    for _ in range(orders):
        finished.acquire()
    for stage in (receivers, pricers, committers):
        stage.shutdown(wait=True)
    return submitted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyese demo", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=9)
    parser.add_argument("--sessions", type=int, default=4)
    args = parser.parse_args(argv)
    ledger = run(args.orders, args.workers, args.sessions)
    ok = ledger.rows == ledger.committed == args.orders and ledger.refused == 1
    return 0 if ok else 1

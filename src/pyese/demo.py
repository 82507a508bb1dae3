"""``pyese demo``: an order-processing server in the spirit of ESE's JetSetSessionContext page.

Worker threads serve requests in three stages (receive, price, commit), each stage its
own thread pool, as staged servers do; a smaller pool of ESE sessions carries the
transactions. Each order is one transaction that spans three tasks, one per stage, each
on whatever worker of that stage is free: every transaction moves between threads.
Between tasks the transaction is handed over with a session context: the task that
ends calls ``JetResetSessionContext``, the next one calls ``JetSetSessionContext`` with
the order's context value, on its own thread.

The demo also misuses a session on purpose, committing from a thread that does not hold
the transaction's context, and shows ESE refusing it with
``JET_errSessionSharingViolation``. It ends by printing totals that prove no order was
lost or counted twice.

The orders live in a table of a real database (in a temporary directory): the receive
stage inserts the order, the price stage (a nested transaction level) marks it priced,
the commit stage commits. The totals are then read back from the table with a cursor,
so an order counts exactly when ESE committed its transaction.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import struct
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pyese.jet as jet
from pyese.jet.structs import JET_COLUMNCREATE, JET_INDEXCREATE, JET_TABLECREATE


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
    """Run the server on ``orders`` requests and return its ledger."""
    say = (lambda *a: None) if quiet else print
    workdir = tempfile.mkdtemp(prefix="pyese-demo-")
    try:
        return _run(orders, workers, sessions, say, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _open_orders(inst: jet.JET_INSTANCE, path: str, sessions: int
                 ) -> tuple[dict[int, jet.JET_TABLEID], dict[str, int], list[jet.JET_SESID]]:
    """Create the orders table; open it in every session of the pool."""
    first = jet.JetBeginSession(inst)
    dbid = jet.JetCreateDatabase(first, path)
    tc = JET_TABLECREATE(
        szTableName="Orders",
        rgcolumncreate=[
            JET_COLUMNCREATE(szColumnName="Id", coltyp=jet.JET_coltypLong,
                                 grbit=jet.JET_bitColumnNotNULL),
            JET_COLUMNCREATE(szColumnName="Cents", coltyp=jet.JET_coltypCurrency),
            JET_COLUMNCREATE(szColumnName="Priced", coltyp=jet.JET_coltypBit),
        ],
        rgindexcreate=[JET_INDEXCREATE(szIndexName="ById", szKey="+Id\0\0",
                                           grbit=jet.JET_bitIndexPrimary)],
    )
    jet.JetCreateTableColumnIndex(first, dbid, tc)
    jet.JetCloseTable(first, tc.tableid)
    columns = {str(cc.szColumnName): int(cc.columnid) for cc in tc.rgcolumncreate}
    sesids = [first] + [jet.JetBeginSession(inst) for _ in range(sessions - 1)]
    tables: dict[int, jet.JET_TABLEID] = {}
    for sesid in sesids:
        if sesid != first:
            jet.JetOpenDatabase(sesid, path)
        tables[int(sesid)] = jet.JetOpenTable(sesid, dbid, "Orders")
    return tables, columns, sesids


def _totals(sesid: jet.JET_SESID, tableid: jet.JET_TABLEID, columns: dict[str, int]
            ) -> tuple[int, int, int]:
    """(rows, priced rows, cents) read back from the table."""
    rows = priced = cents = 0
    try:
        jet.JetMove(sesid, tableid, jet.JET_MoveFirst)
    except jet.NoCurrentRecordError:
        return 0, 0, 0
    while True:
        rows += 1
        raw = jet.JetRetrieveColumn(sesid, tableid, columns["Cents"]) or bytes(8)
        cents += struct.unpack("<q", raw)[0]
        if jet.JetRetrieveColumn(sesid, tableid, columns["Priced"]) == b"\xff":
            priced += 1
        try:
            jet.JetMove(sesid, tableid, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            return rows, priced, cents


def _run(orders: int, workers: int, sessions: int, say, workdir: str) -> Ledger:
    inst = jet.JetCreateInstance(f"pyese-demo-{time.monotonic_ns()}")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, sessions)
    for param in (jet.JET_paramSystemPath, jet.JET_paramLogFilePath):
        jet.JetSetSystemParameter(inst, None, param, 0, workdir + os.sep)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramCircularLog, 1)
    jet.JetInit(inst)
    tables, columns, sesids = _open_orders(inst, os.path.join(workdir, "orders.edb"), sessions)
    pool: queue.Queue[jet.JET_SESID] = queue.Queue()
    for sesid in sesids:
        pool.put(sesid)
    say(
        f"pyese demo: {orders} orders, {max(1, workers // 3) * 3} worker threads in 3 stages,"
        f" {sessions} ESE sessions"
    )

    ledger = Ledger()
    finished = threading.Semaphore(0)
    per_stage = max(1, workers // 3)
    receivers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="receive")
    pricers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="price")
    committers = ThreadPoolExecutor(max_workers=per_stage, thread_name_prefix="commit")
    submitted_cents = 0

    def receive(order: int, sesid: jet.JET_SESID, cents: int) -> None:
        ctx = 0x5EED0000 + order
        jet.JetSetSessionContext(sesid, ctx)  # before the level-0 begin: the trx follows ctx
        jet.JetBeginTransaction(sesid)
        t = tables[int(sesid)]
        jet.JetPrepareUpdate(sesid, t, jet.JET_prepInsert)
        jet.JetSetColumn(sesid, t, columns["Id"], struct.pack("<i", order))
        jet.JetSetColumn(sesid, t, columns["Cents"], struct.pack("<q", cents))
        jet.JetUpdate(sesid, t)
        jet.JetResetSessionContext(sesid)
        pricers.submit(guarded, price, order, sesid, ctx, cents, threading.get_ident())

    def price(order: int, sesid: jet.JET_SESID, ctx: int, cents: int, began_on: int) -> None:
        jet.JetSetSessionContext(sesid, ctx)
        jet.JetBeginTransaction(sesid)  # a nested level for the pricing step
        t = tables[int(sesid)]
        jet.JetMakeKey(sesid, t, struct.pack("<i", order), jet.JET_bitNewKey)
        jet.JetSeek(sesid, t, jet.JET_bitSeekEQ)
        jet.JetPrepareUpdate(sesid, t, jet.JET_prepReplace)
        jet.JetSetColumn(sesid, t, columns["Priced"], b"\xff")
        jet.JetUpdate(sesid, t)
        jet.JetCommitTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        committers.submit(guarded, commit, order, sesid, ctx, cents, began_on)

    def commit(order: int, sesid: jet.JET_SESID, ctx: int, cents: int, began_on: int) -> None:
        jet.JetSetSessionContext(sesid, ctx)
        jet.JetCommitTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        me = threading.get_ident()
        with ledger.lock:
            ledger.committed += 1
            ledger.amount_cents += cents
            ledger.threads_used.add(me)
            if me != began_on:
                ledger.migrated += 1
        pool.put(sesid)
        finished.release()

    def guarded(fn, *args) -> None:
        try:
            fn(*args)
        except jet.JetError as exc:
            say(f"  unexpected: {exc}")
            finished.release()

    # A deliberate misuse, shown first: a transaction begun under a context cannot be
    # committed by a thread that does not hold that context.
    demo_sesid = pool.get()
    jet.JetSetSessionContext(demo_sesid, 0xBAD)
    jet.JetBeginTransaction(demo_sesid)
    jet.JetResetSessionContext(demo_sesid)

    def rogue() -> None:
        try:
            jet.JetCommitTransaction(demo_sesid)
        except jet.SessionSharingViolationError as exc:
            with ledger.lock:
                ledger.refused += 1
            say(f"  misuse refused as ESE does: {exc}")

    t = threading.Thread(target=rogue)
    t.start()
    t.join()
    jet.JetSetSessionContext(demo_sesid, 0xBAD)
    jet.JetRollback(demo_sesid)
    jet.JetResetSessionContext(demo_sesid)
    pool.put(demo_sesid)

    started = time.perf_counter()
    for order in range(orders):
        cents = 100 + (order * 37) % 9900
        submitted_cents += cents
        sesid = pool.get()
        receivers.submit(guarded, receive, order, sesid, cents)
    for _ in range(orders):
        finished.acquire()
    elapsed = time.perf_counter() - started
    for stage in (receivers, pricers, committers):
        stage.shutdown(wait=True)

    reader = pool.get()
    rows, priced, table_cents = _totals(reader, tables[int(reader)], columns)
    pool.put(reader)
    while not pool.empty():
        jet.JetEndSession(pool.get())
    jet.JetTerm(inst)
    ledger.rows, ledger.priced, ledger.table_cents = rows, priced, table_cents

    say(f"  orders submitted  : {orders}")
    say(f"  orders committed  : {ledger.committed}")
    say(f"  rows in the table : {rows} ({priced} priced)")
    say(f"  amount submitted  : {submitted_cents / 100:,.2f}")
    say(f"  amount committed  : {ledger.amount_cents / 100:,.2f}")
    say(f"  amount in table   : {table_cents / 100:,.2f}")
    say(f"  moved threads     : {ledger.migrated} transactions committed on another thread")
    say(f"  worker threads    : {len(ledger.threads_used)} served commits")
    say(f"  misuses refused   : {ledger.refused}")
    say(f"  throughput        : {orders / elapsed:,.0f} orders/s ({elapsed:.2f} s)")
    ok = (ledger.committed == orders == rows == priced
          and ledger.amount_cents == submitted_cents == table_cents)
    say("  nothing lost      : " + ("yes" if ok else "NO"))
    return ledger


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyese demo", description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=9)
    parser.add_argument("--sessions", type=int, default=4)
    args = parser.parse_args(argv)
    ledger = run(args.orders, args.workers, args.sessions)
    ok = ledger.rows == ledger.committed == args.orders and ledger.refused == 1
    return 0 if ok else 1

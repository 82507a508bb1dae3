"""Transfer throughput: pyese (JET API) against sqlite3, at 1, 2, 4, 8 and 16 threads.

Each transfer moves an amount between two random accounts in one transaction. pyese:
one session per thread, JetSeek + JetPrepareUpdate(JET_prepReplace) + JetRetrieveColumn +
JetSetColumn + JetUpdate on both rows, lazy commit, retry on JET_errWriteConflict.
sqlite3: one connection per thread, WAL, BEGIN IMMEDIATE, synchronous=NORMAL (the analogue
of a lazy commit), retry on SQLITE_BUSY / locked. Prints transfers per second and the
pyese/sqlite ratio per thread count.

    .venv/bin/python bench/bench_transfer.py [--transfers N] [--accounts N]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import struct
import tempfile
import threading
import time

from _results import emit

import pyese.jet as jet

THREAD_COUNTS = (1, 2, 4, 8, 16)
INITIAL = 1_000


def run_threads(n_threads: int, total: int, work) -> tuple[float, int]:
    """Run ``total`` transfers split over ``n_threads`` threads; (seconds, retries)."""
    per = [total // n_threads + (1 if i < total % n_threads else 0) for i in range(n_threads)]
    retries = [0] * n_threads
    barrier = threading.Barrier(n_threads + 1)
    errors: list[BaseException] = []

    def body(i: int) -> None:
        try:
            do = work(i)
            barrier.wait()
            retries[i] = do(per[i])
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n_threads)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    dt = time.perf_counter() - t0
    if errors:
        raise errors[0]
    return dt, sum(retries)


# ------------------------------------------------------------------ pyese


class PyeseBank:
    def __init__(self, accounts: int, directory: str) -> None:
        self.accounts = accounts
        self.path = os.path.join(directory, "bank.edb")
        self.inst = jet.JetCreateInstance("bench")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramCircularLog, 1)
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramMaxSessions, 64)
        for param in (jet.JET_paramLogFilePath, jet.JET_paramSystemPath):
            jet.JetSetSystemParameter(self.inst, 0, param, 0, directory + os.sep)
        jet.JetInit(self.inst)
        s = jet.JetBeginSession(self.inst)
        db = jet.JetCreateDatabase(s, self.path)
        t = jet.JetCreateTable(s, db, "acct")
        col = jet.JET_COLUMNDEF
        self.cid = jet.JetAddColumn(s, t, "id", col(coltyp=jet.JET_coltypLong))
        self.cbal = jet.JetAddColumn(s, t, "bal", col(coltyp=jet.JET_coltypLongLong))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetBeginTransaction(s)
        for i in range(accounts):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, self.cid, struct.pack("<i", i))
            jet.JetSetColumn(s, t, self.cbal, struct.pack("<q", INITIAL))
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s)
        jet.JetEndSession(s)

    def worker(self, i: int):
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, self.path)
        t = jet.JetOpenTable(s, db, "acct")
        rng = random.Random(i)
        cbal = self.cbal

        def add(acct: int, delta: int) -> None:
            jet.JetMakeKey(s, t, struct.pack("<i", acct), jet.JET_bitNewKey)
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
            jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
            bal = struct.unpack("<q", jet.JetRetrieveColumn(s, t, cbal))[0]
            jet.JetSetColumn(s, t, cbal, struct.pack("<q", bal + delta))
            jet.JetUpdate(s, t)

        def do(n: int) -> int:
            retries = 0
            for _ in range(n):
                a, b = rng.sample(range(self.accounts), 2)
                amount = rng.randint(1, 50)
                while True:
                    jet.JetBeginTransaction(s)
                    try:
                        add(a, -amount)
                        add(b, amount)
                        jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
                        break
                    except jet.JetError as exc:
                        try:
                            jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
                        except jet.JetError:
                            pass
                        jet.JetRollback(s)
                        if exc.err != jet.JET_errWriteConflict:
                            raise
                        retries += 1
            return retries

        return do

    def total(self) -> int:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, self.path)
        t = jet.JetOpenTable(s, db, "acct")
        jet.JetBeginTransaction(s)
        jet.JetMove(s, t, jet.JET_MoveFirst)
        total = 0
        while True:
            total += struct.unpack("<q", jet.JetRetrieveColumn(s, t, self.cbal))[0]
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                break
        jet.JetCommitTransaction(s)
        jet.JetEndSession(s)
        return total

    def close(self) -> None:
        jet.JetTerm(self.inst)


# ------------------------------------------------------------------ sqlite3


class SqliteBank:
    def __init__(self, accounts: int, directory: str) -> None:
        self.accounts = accounts
        self.path = os.path.join(directory, "bank.sqlite")
        con = sqlite3.connect(self.path)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, bal INTEGER NOT NULL)")
        con.executemany("INSERT INTO acct VALUES (?, ?)", [(i, INITIAL) for i in range(accounts)])
        con.commit()
        con.close()

    def worker(self, i: int):
        con = sqlite3.connect(self.path, timeout=0, isolation_level=None,
                              check_same_thread=False)
        con.execute("PRAGMA synchronous=NORMAL")
        rng = random.Random(i)

        def do(n: int) -> int:
            retries = 0
            for _ in range(n):
                a, b = rng.sample(range(self.accounts), 2)
                amount = rng.randint(1, 50)
                while True:
                    try:
                        con.execute("BEGIN IMMEDIATE")
                    except sqlite3.OperationalError:
                        retries += 1  # busy: another writer holds the lock
                        continue
                    try:
                        for acct, delta in ((a, -amount), (b, amount)):
                            (bal,) = con.execute("SELECT bal FROM acct WHERE id=?",
                                                 (acct,)).fetchone()
                            con.execute("UPDATE acct SET bal=? WHERE id=?", (bal + delta, acct))
                        con.execute("COMMIT")
                        break
                    except sqlite3.OperationalError:
                        con.execute("ROLLBACK")
                        retries += 1
            con.close()
            return retries

        return do

    def total(self) -> int:
        con = sqlite3.connect(self.path)
        (total,) = con.execute("SELECT SUM(bal) FROM acct").fetchone()
        con.close()
        return int(total)

    def close(self) -> None:
        return None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--transfers", type=int, default=4000)
    ap.add_argument("--accounts", type=int, default=1000)
    args = ap.parse_args()
    print(f"{args.transfers} transfers over {args.accounts} accounts per run")
    print(f"{'threads':>7} {'pyese/s':>10} {'retries':>8} {'sqlite/s':>10} {'retries':>8} "
          f"{'ratio':>7}")
    for n in THREAD_COUNTS:
        rates = []
        retry_counts = []
        for cls in (PyeseBank, SqliteBank):
            with tempfile.TemporaryDirectory() as d:
                bank = cls(args.accounts, d)
                try:
                    dt, retries = run_threads(n, args.transfers, bank.worker)
                    assert bank.total() == args.accounts * INITIAL, "money was lost"
                finally:
                    bank.close()
            rates.append(args.transfers / dt)
            retry_counts.append(retries)
        print(f"{n:>7} {rates[0]:>10.0f} {retry_counts[0]:>8} {rates[1]:>10.0f} "
              f"{retry_counts[1]:>8} {rates[0] / rates[1]:>7.3f}")
        emit(f"transfer_{n}", rates[0], sqlite3=rates[1])


if __name__ == "__main__":
    main()

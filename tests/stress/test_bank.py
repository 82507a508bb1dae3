"""Bank-transfer stress test of snapshot isolation through the JET API.

16 threads share 8 sessions, handed around with JetSetSessionContext /
JetResetSessionContext; each transfer moves money between two accounts in one
transaction (JetSeek, JetPrepareUpdate(Replace), JetRetrieveColumn, JetSetColumn,
JetUpdate), retrying on JET_errWriteConflict. Reader threads sum the balances in their
snapshots (twice per transaction: a scan and seeks). A history checker then looks for the
anomalies snapshot isolation forbids: lost updates, dirty reads, non-repeatable reads
inside a transaction, fractured (non-atomic) visibility of a committed transfer.

Every account row carries a version counter ``ver`` incremented by each write, so the
committed writes of an account must form one chain 0, 1, 2, ... (two committed writers of
the same version would be a lost update).

The suite runs 10,000 transfers, so that the whole suite stays within its five minutes on
two cores; ``PYESE_BANK_TRANSFERS=50000`` runs the issue's full size (about 70 s alone), and
``python tools/torture.py snapshot --minutes M`` checks snapshots for as long as asked.
"""

from __future__ import annotations

import os
import queue
import random
import struct
import threading
from dataclasses import dataclass, field

import pytest

import pyese.jet as jet

pytestmark = pytest.mark.slow

ACCOUNTS = 200
INITIAL = 1_000
THREADS = 16
SESSIONS = 8
READERS = 2
TRANSFERS = int(os.environ.get("PYESE_BANK_TRANSFERS", "10000"))
FRACTURE_SAMPLES = 40
"""Snapshots checked against every committed transfer for atomic visibility."""
DEADLINE = float(os.environ.get("PYESE_BANK_DEADLINE", "300"))


def pk(n: int) -> bytes:
    return struct.pack("<i", n)


def pq(n: int) -> bytes:
    return struct.pack("<q", n)


def uq(b: bytes | None) -> int:
    assert b is not None
    return int(struct.unpack("<q", b)[0])


@dataclass
class Write:
    acct: int
    read_ver: int
    read_bal: int
    new_bal: int


@dataclass
class History:
    lock: threading.Lock = field(default_factory=threading.Lock)
    committed: list[list[Write]] = field(default_factory=list)
    aborted: int = 0
    snapshots: list[dict[int, tuple[int, int]]] = field(default_factory=list)
    errors: list[BaseException] = field(default_factory=list)


class Bank:
    def __init__(self) -> None:
        self.inst = jet.JetCreateInstance("bank")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramCircularLog, 1)
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramMaxVerPages, 4096)
        jet.JetInit(self.inst)
        s = jet.JetBeginSession(self.inst)
        db = jet.JetCreateDatabase(s, "bank.edb")
        t = jet.JetCreateTable(s, db, "acct")
        col = jet.JET_COLUMNDEF
        self.cid = jet.JetAddColumn(s, t, "id", col(coltyp=jet.JET_coltypLong))
        self.cbal = jet.JetAddColumn(s, t, "bal", col(coltyp=jet.JET_coltypLongLong))
        self.cver = jet.JetAddColumn(s, t, "ver", col(coltyp=jet.JET_coltypLongLong))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetBeginTransaction(s)
        for i in range(ACCOUNTS):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, self.cid, pk(i))
            jet.JetSetColumn(s, t, self.cbal, pq(INITIAL))
            jet.JetSetColumn(s, t, self.cver, pq(0))
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s)
        jet.JetCloseTable(s, t)
        jet.JetEndSession(s)

    def open(self) -> tuple[jet.JET_SESID, jet.JET_TABLEID]:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, "bank.edb")
        return s, jet.JetOpenTable(s, db, "acct")

    def seek(self, s: jet.JET_SESID, t: jet.JET_TABLEID, acct: int) -> None:
        jet.JetMakeKey(s, t, pk(acct), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)

    def read(self, s: jet.JET_SESID, t: jet.JET_TABLEID) -> tuple[int, int]:
        bal = uq(jet.JetRetrieveColumn(s, t, self.cbal))
        return bal, uq(jet.JetRetrieveColumn(s, t, self.cver))


def transfer(bank: Bank, s: jet.JET_SESID, t: jet.JET_TABLEID, rng: random.Random,
             history: History) -> None:
    """One transfer, retried until it commits."""
    src, dst = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 50)
    while True:
        writes: list[Write] = []
        jet.JetBeginTransaction(s)
        try:
            for acct, delta in ((src, -amount), (dst, amount)):
                bank.seek(s, t, acct)
                jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
                bal, ver = bank.read(s, t)
                jet.JetSetColumn(s, t, bank.cbal, pq(bal + delta))
                jet.JetSetColumn(s, t, bank.cver, pq(ver + 1))
                jet.JetUpdate(s, t)
                writes.append(Write(acct, ver, bal, bal + delta))
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
        except jet.JetError as exc:
            try:
                jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
            except jet.JetError:
                pass
            jet.JetRollback(s)
            if exc.err != jet.JET_errWriteConflict:
                raise
            with history.lock:
                history.aborted += 1
            continue
        with history.lock:
            history.committed.append(writes)
        return


def run_bank() -> tuple[Bank, History, dict[int, tuple[int, int]]]:
    bank = Bank()
    history = History()
    pool: queue.Queue[tuple[jet.JET_SESID, jet.JET_TABLEID]] = queue.Queue()
    for _ in range(SESSIONS):
        pool.put(bank.open())
    todo = iter(range(TRANSFERS))
    todo_lock = threading.Lock()
    writers_done = threading.Event()

    def writer(n: int) -> None:
        rng = random.Random(n)
        ctx = 0x1000 + n
        try:
            while True:
                with todo_lock:
                    if next(todo, None) is None:
                        return
                s, t = pool.get(timeout=DEADLINE)
                jet.JetSetSessionContext(s, ctx)
                try:
                    transfer(bank, s, t, rng, history)
                finally:
                    jet.JetResetSessionContext(s)
                    pool.put((s, t))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            history.errors.append(exc)

    def reader() -> None:
        s, t = bank.open()
        try:
            while not writers_done.is_set():
                jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
                scan: dict[int, tuple[int, int]] = {}
                jet.JetMove(s, t, jet.JET_MoveFirst)
                while True:
                    acct = struct.unpack("<i", jet.JetRetrieveColumn(s, t, bank.cid))[0]
                    scan[acct] = bank.read(s, t)
                    try:
                        jet.JetMove(s, t, jet.JET_MoveNext)
                    except jet.JetError as exc:
                        assert exc.err == jet.JET_errNoCurrentRecord
                        break
                again = {}
                for acct in range(ACCOUNTS):
                    bank.seek(s, t, acct)
                    again[acct] = bank.read(s, t)
                jet.JetCommitTransaction(s)
                # non-repeatable read inside one transaction
                assert scan == again, "non-repeatable read inside a transaction"
                with history.lock:
                    history.snapshots.append(scan)
        except BaseException as exc:  # noqa: BLE001
            history.errors.append(exc)

    writers = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    readers = [threading.Thread(target=reader) for _ in range(READERS)]
    for th in writers + readers:
        th.start()
    for th in writers:
        th.join(DEADLINE)
        assert not th.is_alive(), "deadlock: a writer did not finish"
    writers_done.set()
    for th in readers:
        th.join(DEADLINE)
        assert not th.is_alive(), "deadlock: a reader did not finish"
    s, t = bank.open()
    final = {}
    for acct in range(ACCOUNTS):
        bank.seek(s, t, acct)
        final[acct] = bank.read(s, t)
    return bank, history, final


def check_history(history: History, final: dict[int, tuple[int, int]]) -> None:
    """The anomaly checks; raises AssertionError naming the anomaly."""
    # Lost updates: per account, the committed writes chain read_ver 0, 1, 2, ...
    by_acct: dict[int, list[Write]] = {a: [] for a in range(ACCOUNTS)}
    for txn in history.committed:
        for w in txn:
            by_acct[w.acct].append(w)
    state: dict[int, dict[int, int]] = {}
    for acct, ws in by_acct.items():
        ws.sort(key=lambda w: w.read_ver)
        vers = [w.read_ver for w in ws]
        assert vers == list(range(len(ws))), f"lost update on account {acct}"
        bal = INITIAL
        chain = {0: INITIAL}
        for w in ws:
            assert w.read_bal == bal, f"account {acct} read a value no commit wrote"
            bal = w.new_bal
            chain[w.read_ver + 1] = bal
        state[acct] = chain
        assert final[acct] == (bal, len(ws)), f"account {acct} final state"
    assert sum(b for b, _ in final.values()) == ACCOUNTS * INITIAL
    # Snapshots: exact sums, only committed states (no dirty read), and every committed
    # transfer seen wholly or not at all.
    step = max(1, len(history.snapshots) // FRACTURE_SAMPLES)
    for i, snap in enumerate(history.snapshots):
        assert sorted(snap) == list(range(ACCOUNTS))
        assert sum(b for b, _ in snap.values()) == ACCOUNTS * INITIAL, "snapshot sum"
        for acct, (bal, ver) in snap.items():
            assert state[acct].get(ver) == bal, f"dirty read of account {acct}"
        if i % step:
            continue
        for txn in history.committed:
            seen = {snap[w.acct][1] > w.read_ver for w in txn}
            assert len(seen) == 1, "fractured read of a committed transfer"


def test_bank_transfers_keep_snapshot_isolation() -> None:
    _bank, history, final = run_bank()
    assert not history.errors, history.errors[:3]
    assert len(history.committed) == TRANSFERS
    assert history.snapshots, "the readers took no snapshot"
    check_history(history, final)
    jet.JetTerm(_bank.inst)


def test_checker_detects_a_lost_update() -> None:
    """The checker itself: a forged history with two writers of one version fails."""
    h = History()
    h.committed = [[Write(0, 0, INITIAL, INITIAL - 5), Write(1, 0, INITIAL, INITIAL + 5)],
                   [Write(0, 0, INITIAL, INITIAL - 7), Write(2, 0, INITIAL, INITIAL + 7)]]
    final = {a: (INITIAL, 0) for a in range(ACCOUNTS)}
    with pytest.raises(AssertionError, match="lost update"):
        check_history(h, final)


def test_checker_detects_a_dirty_read() -> None:
    h = History()
    h.committed = [[Write(0, 0, INITIAL, INITIAL - 5), Write(1, 0, INITIAL, INITIAL + 5)]]
    final = {a: (INITIAL, 0) for a in range(ACCOUNTS)}
    final[0] = (INITIAL - 5, 1)
    final[1] = (INITIAL + 5, 1)
    snap = {a: (INITIAL, 0) for a in range(ACCOUNTS)}
    snap[0] = (INITIAL - 9, 1)  # a version-1 value no commit wrote
    snap[1] = (INITIAL + 9, 1)
    h.snapshots = [snap]
    with pytest.raises(AssertionError, match="dirty read"):
        check_history(h, final)

"""The snapshot checker: money moving between two databases, readers that must never see
it move.

A bank of ``ACCOUNTS`` accounts lives in two databases (``bank_a.edb``, ``bank_b.edb``);
each account is one row of table ``acct`` in exactly one of them, with a balance, a long
value of padding and two indexes: the primary index ``+id`` and a secondary index
``-bal+id`` (descending, so every transfer moves entries of it). The whole bank always
holds ``ACCOUNTS`` rows and ``ACCOUNTS * INITIAL`` money.

Writers (one transaction each): take money from one account and give it to another, in
either database, rewriting the padding now and then (sometimes a large long value, which
keeps the applier busy on one database while the other is done); some transfers also
*migrate* the receiving account to the other database (delete there, insert here, same
id and balance). Durable and lazy commits are mixed; write conflicts roll back.

Readers (one read-only transaction each): read one account, sum and count the bank through
the primary index of both databases, then through the secondary index of both, then read
the first account again. In one snapshot the two walks must agree row for row, hold every
account exactly once, sum to the total, and the account read twice must read the same.
Writers check too: each account they look for is in exactly one database.

Both kinds of transaction are generators run one step at a time by a pool of worker
threads: between steps the session is released (``JetResetSessionContext``) and the
transaction may continue on another thread (``JetSetSessionContext``), as a server hands
requests around.

The first anomaly stops the run with ``Anomaly`` naming it. ``run(root, seed, seconds)``
is what the suite (a few seconds, fixed seed) and ``tools/torture.py snapshot`` (as long
as asked) call.
"""

from __future__ import annotations

import os
import queue
import random
import struct
import threading
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

import pyese.jet as jet

ACCOUNTS = 48
INITIAL = 1_000
TOTAL = ACCOUNTS * INITIAL
DBS = ("bank_a.edb", "bank_b.edb")
SECONDARY = "bybal"


class Anomaly(AssertionError):
    """A snapshot showed something no serial order of the committed transfers gives."""


def _pi(n: int) -> bytes:
    return struct.pack("<i", n)


def _pq(n: int) -> bytes:
    return struct.pack("<q", n)


def _ui(b: bytes | None) -> int:
    assert b is not None
    return int(struct.unpack("<i", b)[0])


def _uq(b: bytes | None) -> int:
    assert b is not None
    return int(struct.unpack("<q", b)[0])


@dataclass
class Figures:
    """What one run did (added up over rounds by the command line)."""

    snapshots: int = 0
    transfers: int = 0
    migrations: int = 0
    durable: int = 0
    lazy: int = 0
    conflicts: int = 0
    anomalies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Exceptions that are neither an anomaly nor an expected JET_errWriteConflict."""

    def add(self, other: Figures) -> None:
        for name in ("snapshots", "transfers", "migrations", "durable", "lazy", "conflicts"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.anomalies += other.anomalies
        self.errors += other.errors


class Bank:
    """The instance, its two databases and the column ids (the same in both)."""

    def __init__(self, root: str, *, max_ver_pages: int | None = None) -> None:
        self.root = root
        self.inst = jet.JetCreateInstance(f"bank-{os.getpid()}-{id(self)}")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramSystemPath, 0, root + "/")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
        jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramCircularLog, 1)
        if max_ver_pages is not None:
            jet.JetSetSystemParameter(self.inst, 0, jet.JET_paramMaxVerPages, max_ver_pages)
        jet.JetInit(self.inst)
        self.paths = [os.path.join(root, name) for name in DBS]
        s = jet.JetBeginSession(self.inst)
        col = jet.JET_COLUMNDEF
        for n, path in enumerate(self.paths):
            db = jet.JetCreateDatabase(s, path)
            t = jet.JetCreateTable(s, db, "acct")
            self.cid = jet.JetAddColumn(s, t, "id", col(coltyp=jet.JET_coltypLong))
            self.cbal = jet.JetAddColumn(s, t, "bal", col(coltyp=jet.JET_coltypLongLong))
            self.cpad = jet.JetAddColumn(s, t, "pad", col(coltyp=jet.JET_coltypLongBinary))
            jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
            jet.JetCreateIndex(s, t, SECONDARY, 0, "-bal\0+id\0\0")
            jet.JetBeginTransaction(s)
            for acct in range(n, ACCOUNTS, 2):
                jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
                jet.JetSetColumn(s, t, self.cid, _pi(acct))
                jet.JetSetColumn(s, t, self.cbal, _pq(INITIAL))
                jet.JetSetColumn(s, t, self.cpad, bytes([acct]) * 100)
                jet.JetUpdate(s, t)
            jet.JetCommitTransaction(s)
            jet.JetCloseTable(s, t)
            jet.JetCloseDatabase(s, db)
        jet.JetEndSession(s)

    def close(self) -> None:
        jet.JetTerm(self.inst)


class Handle:
    """One session with, per database, a cursor on the primary and one on the secondary."""

    def __init__(self, bank: Bank) -> None:
        self.bank = bank
        self.sesid = jet.JetBeginSession(bank.inst)
        self.pri: list[jet.JET_TABLEID] = []
        self.sec: list[jet.JET_TABLEID] = []
        for path in bank.paths:
            db = jet.JetOpenDatabase(self.sesid, path)
            self.pri.append(jet.JetOpenTable(self.sesid, db, "acct"))
            t = jet.JetOpenTable(self.sesid, db, "acct")
            jet.JetSetCurrentIndex(self.sesid, t, SECONDARY)
            self.sec.append(t)

    def find(self, acct: int) -> tuple[int, int] | None:
        """(database number, balance) of ``acct``, positioned on it; None if absent
        from both; an Anomaly if present in both."""
        s, bank = self.sesid, self.bank
        found: list[tuple[int, int]] = []
        for n, t in enumerate(self.pri):
            jet.JetMakeKey(s, t, _pi(acct), jet.JET_bitNewKey)
            try:
                jet.JetSeek(s, t, jet.JET_bitSeekEQ)
            except jet.JetError as exc:
                if exc.err != jet.JET_errRecordNotFound:
                    raise
                continue
            found.append((n, _uq(jet.JetRetrieveColumn(s, t, bank.cbal))))
        if len(found) > 1:
            raise Anomaly(f"account {acct} is in both databases: {found}")
        if found:
            jet.JetMakeKey(s, self.pri[found[0][0]], _pi(acct), jet.JET_bitNewKey)
            jet.JetSeek(s, self.pri[found[0][0]], jet.JET_bitSeekEQ)
            return found[0]
        return None

    def balance(self, n: int, acct: int) -> int | None:
        """The balance of ``acct`` in database ``n`` (None: not there)."""
        t = self.pri[n]
        jet.JetMakeKey(self.sesid, t, _pi(acct), jet.JET_bitNewKey)
        try:
            jet.JetSeek(self.sesid, t, jet.JET_bitSeekEQ)
        except jet.JetError as exc:
            if exc.err != jet.JET_errRecordNotFound:
                raise
            return None
        return _uq(jet.JetRetrieveColumn(self.sesid, t, self.bank.cbal))

    def walk(self, t: jet.JET_TABLEID) -> Iterator[tuple[int, int]]:
        """(id, balance) of every row, in the order of the cursor's index."""
        s, bank = self.sesid, self.bank
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError as exc:
            if exc.err == jet.JET_errNoCurrentRecord:
                return
            raise
        while True:
            yield (_ui(jet.JetRetrieveColumn(s, t, bank.cid)),
                   _uq(jet.JetRetrieveColumn(s, t, bank.cbal)))
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError as exc:
                if exc.err == jet.JET_errNoCurrentRecord:
                    return
                raise

    def close(self) -> None:
        jet.JetEndSession(self.sesid)


Step = Generator[None, None, None]


def reader(h: Handle, rng: random.Random, fig: Figures) -> Step:
    """One read-only transaction, in four steps (a thread hand-over between each)."""
    s = h.sesid
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    try:
        # The first step reads one database only: the other's snapshot opens a hand-over
        # later, when the applier may be between the two files.
        order = [0, 1] if rng.random() < 0.5 else [1, 0]
        probe = rng.randrange(ACCOUNTS)
        first = h.balance(order[0], probe)
        yield
        by_pri: dict[int, tuple[int, int]] = {}
        for n in order:
            for acct, bal in h.walk(h.pri[n]):
                if acct in by_pri:
                    raise Anomaly(f"account {acct} twice by the primary indexes")
                by_pri[acct] = (n, bal)
            yield
        by_sec: dict[int, tuple[int, int]] = {}
        for n in reversed(order):
            for acct, bal in h.walk(h.sec[n]):
                if acct in by_sec:
                    raise Anomaly(f"account {acct} twice by the secondary indexes")
                by_sec[acct] = (n, bal)
        yield
        again = h.balance(order[0], probe)
    finally:
        jet.JetCommitTransaction(s)
    sum_pri = sum(b for _, b in by_pri.values())
    sum_sec = sum(b for _, b in by_sec.values())
    if len(by_pri) != ACCOUNTS or len(by_sec) != ACCOUNTS:
        raise Anomaly(f"{len(by_pri)} accounts by the primary index, {len(by_sec)} by "
                      f"the secondary (of {ACCOUNTS})")
    if sum_pri != TOTAL or sum_sec != TOTAL:
        raise Anomaly(f"the bank sums to {sum_pri} by the primary index and {sum_sec} "
                      f"by the secondary (of {TOTAL})")
    if by_pri != by_sec:
        diff = {a: (by_pri.get(a), by_sec.get(a)) for a in set(by_pri) | set(by_sec)
                if by_pri.get(a) != by_sec.get(a)}
        raise Anomaly(f"the two indexes disagree: {diff}")
    if first != again:
        raise Anomaly(f"account {probe} read twice in one transaction: {first}, {again}")
    walked = by_pri.get(probe)
    if first != (walked[1] if walked is not None and walked[0] == order[0] else None):
        raise Anomaly(f"account {probe} read {first} by a seek in database {order[0]}, "
                      f"{walked} (database, balance) by the walk")
    fig.snapshots += 1


def _pad(rng: random.Random, acct: int) -> bytes:
    roll = rng.random()
    n = 256 << 10 if roll < 0.01 else 16 << 10 if roll < 0.1 else rng.randrange(16, 2000)
    return bytes([acct % 251]) * n


def writer(h: Handle, rng: random.Random, fig: Figures) -> Step:
    """One transfer (maybe with a migration), in three steps; retried on conflicts."""
    s, bank = h.sesid, h.bank
    src, dst = rng.sample(range(ACCOUNTS), 2)
    amount = rng.randint(1, 100)
    migrate = rng.random() < 0.25
    lazy = rng.random() < 0.5
    while True:
        jet.JetBeginTransaction(s)
        try:
            where = h.find(src)
            if where is None:
                raise Anomaly(f"writer: account {src} in neither database")
            t = h.pri[where[0]]
            jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
            jet.JetSetColumn(s, t, bank.cbal, _pq(where[1] - amount))
            if rng.random() < 0.3:
                jet.JetSetColumn(s, t, bank.cpad, _pad(rng, src))
            jet.JetUpdate(s, t)
            yield
            where = h.find(dst)
            if where is None:
                raise Anomaly(f"writer: account {dst} in neither database")
            n, bal = where
            t = h.pri[n]
            if migrate:
                pad = jet.JetRetrieveColumn(s, t, bank.cpad)
                jet.JetDelete(s, t)
                t = h.pri[1 - n]
                jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
                jet.JetSetColumn(s, t, bank.cid, _pi(dst))
                jet.JetSetColumn(s, t, bank.cpad, pad or b"")
            else:
                jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
            jet.JetSetColumn(s, t, bank.cbal, _pq(bal + amount))
            jet.JetUpdate(s, t)
            yield
            jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush if lazy else 0)
        except jet.JetError as exc:
            _cancel(h)
            if exc.err != jet.JET_errWriteConflict:
                raise
            fig.conflicts += 1
            yield
            continue
        except BaseException:
            _cancel(h)
            raise
        fig.transfers += 1
        fig.migrations += migrate
        if lazy:
            fig.lazy += 1
        else:
            fig.durable += 1
        return


def _cancel(h: Handle) -> None:
    for t in h.pri:
        try:
            jet.JetPrepareUpdate(h.sesid, t, jet.JET_prepCancel)
        except jet.JetError:
            pass
    try:
        jet.JetRollback(h.sesid)
    except jet.JetError:
        pass


@dataclass
class _Job:
    handle: Handle
    ctx: int
    rng: random.Random
    read: bool
    steps: Step | None = None


def run(root: str, seed: int, seconds: float, *, threads: int = 6, readers: int = 4,
        writers: int = 4, max_ver_pages: int | None = None) -> Figures:
    """Run the bank for ``seconds`` in directory ``root``; the figures, with at most one
    anomaly (the run stops at the first) and any unexpected exception in ``errors``."""
    fig = Figures()
    bank = Bank(root, max_ver_pages=max_ver_pages)
    master = random.Random(seed)
    jobs: queue.Queue[_Job | None] = queue.Queue()
    handles = [Handle(bank) for _ in range(readers + writers)]
    for n, h in enumerate(handles):
        jobs.put(_Job(h, 0x5000 + n, random.Random(master.getrandbits(64)), n < readers))
    deadline = time.monotonic() + seconds
    stop = threading.Event()
    live = [len(handles)]
    lock = threading.Lock()

    def fail(exc: BaseException) -> None:
        with lock:
            if isinstance(exc, Anomaly):
                fig.anomalies.append(str(exc))
            else:
                fig.errors.append(f"{type(exc).__name__}: {exc}")
        stop.set()

    def worker() -> None:
        while True:
            job = jobs.get()
            if job is None:
                return
            s = job.handle.sesid
            finished = False
            try:
                jet.JetSetSessionContext(s, job.ctx)
                try:
                    if job.steps is None:
                        if stop.is_set() or time.monotonic() > deadline:
                            finished = True
                        else:
                            job.steps = (reader if job.read else writer)(
                                job.handle, job.rng, fig)
                    if job.steps is not None:
                        try:
                            next(job.steps)
                        except StopIteration:
                            job.steps = None
                finally:
                    jet.JetResetSessionContext(s)
            except BaseException as exc:  # noqa: BLE001 - reported in the figures
                fail(exc)
                finished = True
            if finished:
                with lock:
                    live[0] -= 1
                    last = live[0] == 0
                if last:
                    for _ in range(threads):
                        jobs.put(None)
            else:
                jobs.put(job)

    pool = [threading.Thread(target=worker, name=f"bank-{n}") for n in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    for h in handles:
        try:
            h.close()
        except jet.JetError as exc:
            fig.errors.append(f"JetEndSession: {exc}")
    bank.close()
    return fig

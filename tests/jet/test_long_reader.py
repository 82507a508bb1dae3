"""A long-running reader does not make writers fail (issue 6, version store limits).

ESE keeps every version younger than the oldest transaction, so one long transaction can
fill the version store (JET_errVersionStoreOutOfMemory for every writer). pyese reclaims
under pressure what the reader can read from its own file snapshot, pins in the reader's
overlay the few values its snapshot cannot show, and keeps a tombstone (key, commit id)
per key for a reader that may still write, so its write conflicts as ESE's would.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator

import pytest

import pyese.jet as jet
from pyese.engine.instance import logservice
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of
from pyese.storage.faults import FaultInjector

from .helpers import expect

ROWS = 50
PAYLOAD = 2000
MAX_VER_PAGES = 16  # 512 KiB of versions
UPDATES = 1500  # about 6 MiB of before- and after-images: 12 times the limit


class Bank:
    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        self.inst = inst
        s = jet.JetBeginSession(inst)
        db = jet.JetCreateDatabase(s, "long.edb")
        t = jet.JetCreateTable(s, db, "acct")
        col = jet.JET_COLUMNDEF
        self.cid = jet.JetAddColumn(s, t, "id", col(coltyp=jet.JET_coltypLong))
        self.cbal = jet.JetAddColumn(s, t, "bal", col(coltyp=jet.JET_coltypLong))
        self.cpad = jet.JetAddColumn(s, t, "pad", col(coltyp=jet.JET_coltypLongBinary))
        jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+id\0\0")
        jet.JetBeginTransaction(s)
        for i in range(ROWS):
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, self.cid, struct.pack("<i", i))
            jet.JetSetColumn(s, t, self.cbal, struct.pack("<i", 100))
            jet.JetSetColumn(s, t, self.cpad, b"p" * 100)
            jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s)
        jet.JetCloseTable(s, t)
        jet.JetEndSession(s)

    def session(self) -> tuple[jet.JET_SESID, jet.JET_TABLEID]:
        s = jet.JetBeginSession(self.inst)
        db = jet.JetOpenDatabase(s, "long.edb")
        return s, jet.JetOpenTable(s, db, "acct")

    def balances(self, s: jet.JET_SESID, t: jet.JET_TABLEID) -> dict[int, int]:
        out = {}
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            i = struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cid))[0]
            out[i] = struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cbal))[0]
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError as exc:
                assert exc.err == jet.JET_errNoCurrentRecord
                return out

    def seek(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int) -> None:
        jet.JetMakeKey(s, t, struct.pack("<i", i), jet.JET_bitNewKey)
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)

    def add(self, s: jet.JET_SESID, t: jet.JET_TABLEID, i: int, amount: int,
            grbit: int = 0, pad: int = PAYLOAD) -> None:
        """One transaction: add ``amount`` to account ``i`` and rewrite its padding."""
        jet.JetBeginTransaction(s)
        self.seek(s, t, i)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
        bal = struct.unpack("<i", jet.JetRetrieveColumn(s, t, self.cbal))[0]
        jet.JetSetColumn(s, t, self.cbal, struct.pack("<i", bal + amount))
        jet.JetSetColumn(s, t, self.cpad, bytes([i % 251]) * pad)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, grbit)


@pytest.fixture
def faults() -> Iterator[FaultInjector]:
    injector = FaultInjector()
    logservice.TEST_FAULTS = injector
    try:
        yield injector
    finally:
        logservice.TEST_FAULTS = None


@pytest.fixture
def small(faults: FaultInjector) -> Iterator[jet.JET_INSTANCE]:
    inst = jet.JetCreateInstance("long")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, MAX_VER_PAGES)
    jet.JetInit(inst)
    yield inst
    faults.disarm()
    jet.JetTerm2(inst, jet.JET_bitTermAbrupt)


def version_store(s: jet.JET_SESID):  # noqa: ANN201
    with session_call(s) as session:
        return storage_of(session.instance).vs


def overlay_of(vs, s: jet.JET_SESID):  # noqa: ANN001, ANN201
    """The values reclaim pinned for session ``s``'s open transaction."""
    with session_call(s) as session:
        return vs._trx[session.id].overlay


@pytest.mark.parametrize("grbit", [0, jet.JET_bitTransactionReadOnly])
def test_writers_go_on_past_the_limit_while_a_reader_holds_its_snapshot(
        small: jet.JET_INSTANCE, grbit: int) -> None:
    bank = Bank(small)
    r, tr = bank.session()
    w, tw = bank.session()
    vs = version_store(r)
    jet.JetBeginTransaction2(r, grbit)
    before = bank.balances(r, tr)
    assert sum(before.values()) == ROWS * 100
    for n in range(UPDATES):
        # ESE would fail here with JET_errVersionStoreOutOfMemory: every version is
        # younger than the reader's transaction.
        bank.add(w, tw, n % ROWS, 1)
    assert vs.nbytes <= vs.max_bytes
    # the reader still sees its snapshot, the writer the new balances
    assert bank.balances(r, tr) == before
    assert sum(bank.balances(w, tw).values()) == ROWS * 100 + UPDATES
    if grbit:
        assert vs.ntombstones == 0  # a read-only transaction can never conflict
    else:
        # one tombstone per record written since (and per long-value key: each
        # replace wrote a new long value), however many times it was written
        assert ROWS <= vs.ntombstones <= ROWS + 2 * UPDATES
        # a write by the reader to a row committed after its snapshot still conflicts
        # (ESE: ver.cxx FVERIWriteConflict; the version itself is gone, its tombstone not)
        bank.seek(r, tr, 3)
        with expect(jet.JET_errWriteConflict):  # prepReplace takes the write lock
            jet.JetPrepareUpdate(r, tr, jet.JET_prepReplace)
    jet.JetCommitTransaction(r)
    vs.catch_up()
    with vs._cleanup_lock:  # a cleanup on the applier's thread has finished
        pass
    vs.cleanup()
    assert vs.nbytes == 0 and vs.ntombstones == 0  # reclaimed when the reader ends
    assert all(not t.tombstones and not t.horizon for t in vs._trees.values())


def test_reader_begun_before_lazy_commits_were_applied_keeps_what_it_sees(
        small: jet.JET_INSTANCE, faults: FaultInjector) -> None:
    """The reader's snapshot begins after commits that are not in the file yet: when
    their versions are reclaimed, the values it sees move into its overlay."""
    bank = Bank(small)
    r, tr = bank.session()
    w, tw = bank.session()
    vs = version_store(r)
    vs.catch_up()
    applier = threading.Event()
    faults.hold("applier.apply", applier)
    for i in range(ROWS):
        bank.add(w, tw, i, 5, jet.JET_bitCommitLazyFlush, pad=8)  # committed, not applied
    jet.JetBeginTransaction(r)
    seen = bank.balances(r, tr)
    assert seen == {i: 105 for i in range(ROWS)}
    applier.set()
    for n in range(UPDATES):
        bank.add(w, tw, n % ROWS, 1)
    assert vs.nbytes <= vs.max_bytes
    overlay = overlay_of(vs, r)
    # one value per key it sees (the records, and long values freed since)
    assert overlay is not None and len(overlay) >= ROWS
    assert bank.balances(r, tr) == seen
    jet.JetCommitTransaction(r)
    assert sum(bank.balances(w, tw).values()) == ROWS * 105 + UPDATES


def test_overlay_value_is_the_before_image_of_the_readers_own_write(
        small: jet.JET_INSTANCE, faults: FaultInjector) -> None:
    bank = Bank(small)
    r, tr = bank.session()
    w, tw = bank.session()
    vs = version_store(r)
    vs.catch_up()
    applier = threading.Event()
    faults.hold("applier.apply", applier)
    bank.add(w, tw, 0, 7)  # account 0: 107, durable, not yet in the database file
    jet.JetBeginTransaction(r)
    assert bank.balances(r, tr)[0] == 107
    applier.set()
    for n in range(UPDATES):
        bank.add(w, tw, 1 + n % (ROWS - 1), 1)  # never account 0
    vs.catch_up()
    vs.reclaim()
    overlay = overlay_of(vs, r)
    assert overlay  # account 0's record (and its long value) pinned for r
    bank.seek(r, tr, 0)
    jet.JetPrepareUpdate(r, tr, jet.JET_prepReplace)
    bal = struct.unpack("<i", jet.JetRetrieveColumn(r, tr, bank.cbal))[0]
    assert bal == 107
    jet.JetSetColumn(r, tr, bank.cbal, struct.pack("<i", bal + 1))
    jet.JetUpdate(r, tr)
    # another reader's view of account 0 before r commits: the committed 107
    jet.JetBeginTransaction(w)
    bank.seek(w, tw, 0)
    assert struct.unpack("<i", jet.JetRetrieveColumn(w, tw, bank.cbal))[0] == 107
    jet.JetCommitTransaction(w)
    jet.JetCommitTransaction(r)
    bank.seek(w, tw, 0)
    assert struct.unpack("<i", jet.JetRetrieveColumn(w, tw, bank.cbal))[0] == 108

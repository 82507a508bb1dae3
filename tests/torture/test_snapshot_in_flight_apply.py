"""Snapshot isolation across the applier's in-flight window (issue 12, item 1).

The applier commits a batch to each database file in turn (one LMDB write transaction per
file), then tells the version store (``on_applied``). A transaction whose file snapshot
of a database opens between that file commit and ``on_applied`` holds a commit the
version store did not yet count as applied: before the fix it took the file's newer
value for its snapshot's, and later, once the commit was counted, the version's
before-image: one account read twice gave two answers, and money appeared or vanished
between two databases.

ESE has no such window (its version store and its pages are one cache, ver.cxx); pyese
closes it by announcing each batch before its first file commit (``on_applying``) and by
reading, for each snapshot opened while a batch is in flight, the applied position its
file holds (``VersionStore._open_snapshot``). The applier is held in the window with the
``applier.applied`` fault seam, so every case is deterministic.
"""

from __future__ import annotations

import struct
import threading
import time
from collections.abc import Iterator

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of
from pyese.storage.faults import FaultInjector

DBS = ("one.edb", "two.edb")


def _create_accounts(inst: jet.JET_INSTANCE) -> None:
    """Both databases, each with table T holding account 1 with a balance of 100."""
    s = jet.JetBeginSession(inst)
    for name in DBS:
        db = jet.JetCreateDatabase(s, name)
        t = jet.JetCreateTable(s, db, "T")
        jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        jet.JetAddColumn(s, t, "Bal", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongLong))
        jet.JetCreateIndex(s, t, "Primary", jet.JET_bitIndexPrimary, "+Id\0\0")
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, 1, struct.pack("<i", 1))
        jet.JetSetColumn(s, t, 2, struct.pack("<q", 100))
        jet.JetUpdate(s, t)
        jet.JetCloseTable(s, t)
    jet.JetEndSession(s)


@pytest.fixture
def inst(faults: FaultInjector) -> Iterator[jet.JET_INSTANCE]:
    inst = jet.JetCreateInstance("inflight")
    jet.JetInit(inst)
    _create_accounts(inst)
    yield inst
    faults.disarm()
    jet.JetTerm2(inst, jet.JET_bitTermAbrupt)


class Client:
    def __init__(self, inst: jet.JET_INSTANCE) -> None:
        self.s = jet.JetBeginSession(inst)
        self.t = [jet.JetOpenTable(self.s, jet.JetOpenDatabase(self.s, n), "T") for n in DBS]

    def bal(self, n: int) -> int:
        t = self.t[n]
        jet.JetMakeKey(self.s, t, struct.pack("<i", 1), jet.JET_bitNewKey)
        jet.JetSeek(self.s, t, jet.JET_bitSeekEQ)
        return int(struct.unpack("<q", jet.JetRetrieveColumn(self.s, t, 2))[0])

    def move(self, amount: int) -> None:
        """One transaction over both databases: ``amount`` from one.edb to two.edb."""
        jet.JetBeginTransaction(self.s)
        for n, delta in ((0, -amount), (1, amount)):
            bal = self.bal(n)
            jet.JetPrepareUpdate(self.s, self.t[n], jet.JET_prepReplace)
            jet.JetSetColumn(self.s, self.t[n], 2, struct.pack("<q", bal + delta))
            jet.JetUpdate(self.s, self.t[n])
        jet.JetCommitTransaction(self.s)

    def vs(self):  # noqa: ANN201
        with session_call(self.s) as session:
            return storage_of(session.instance).vs


def file_positions(client: Client) -> list[object]:
    """The applied position each database file holds now (a fresh file snapshot of each,
    past the engine)."""
    out = []
    vs = client.vs()
    for tree_db in sorted({t.db for t in vs._trees.values()}, key=lambda d: d.dbnum):
        snap = tree_db.file.snapshot()
        try:
            out.append(snap.applied_lgpos)
        finally:
            snap.close()
    return out


def hold_after_file_commit(faults: FaultInjector) -> threading.Event:
    """Hold the applier between the file commits of its next batch and ``on_applied``;
    returns the event that releases it."""
    release = threading.Event()
    faults.hold("applier.applied", release)
    return release


def wait_files_past(client: Client, before: list[object]) -> None:
    deadline = time.monotonic() + 10
    while file_positions(client) == before:
        assert time.monotonic() < deadline, "the applier never committed the files"
        time.sleep(0.005)


def test_first_read_inside_the_window_sees_the_snapshot(
        inst: jet.JET_INSTANCE, faults: FaultInjector) -> None:
    """A transaction begun before the commit opens both file snapshots while the files
    hold the commit and the version store has not counted it: it reads the old values,
    then the same again after ``on_applied``."""
    reader, writer, late = Client(inst), Client(inst), Client(inst)
    writer.vs().catch_up()
    before = file_positions(writer)
    release = hold_after_file_commit(faults)
    jet.JetBeginTransaction(reader.s)  # its snapshot: before the move
    writer.move(30)
    wait_files_past(writer, before)
    jet.JetBeginTransaction(late.s)  # its snapshot: after the move
    try:
        assert (reader.bal(0), reader.bal(1)) == (100, 100)
        assert (late.bal(0), late.bal(1)) == (70, 130)
        release.set()
        reader.vs().catch_up()
        assert (reader.bal(0), reader.bal(1)) == (100, 100)
        assert (late.bal(0), late.bal(1)) == (70, 130)
    finally:
        release.set()
        jet.JetCommitTransaction(reader.s)
        jet.JetCommitTransaction(late.s)
    assert (reader.bal(0), reader.bal(1)) == (70, 130)


def test_one_snapshot_before_the_file_commit_one_inside_the_window(
        inst: jet.JET_INSTANCE, faults: FaultInjector) -> None:
    """The reader's snapshot of one.edb opens before the applier writes, its snapshot of
    two.edb after: both must show the state before the move (the sum is kept)."""
    reader, writer = Client(inst), Client(inst)
    writer.vs().catch_up()
    before = file_positions(writer)
    release = hold_after_file_commit(faults)
    jet.JetBeginTransaction(reader.s)
    try:
        first = reader.bal(0)  # one.edb's file snapshot: the old file
        writer.move(30)
        wait_files_past(writer, before)
        assert first + reader.bal(1) == 200  # two.edb's opens inside the window
        assert reader.bal(1) == 100
        release.set()
        reader.vs().catch_up()
        assert (reader.bal(0), reader.bal(1)) == (first, 100)
    finally:
        release.set()
        jet.JetCommitTransaction(reader.s)


def test_level0_reads_inside_the_window_see_the_commit(
        inst: jet.JET_INSTANCE, faults: FaultInjector) -> None:
    """Outside a transaction every read is the latest committed state, window or not."""
    reader, writer = Client(inst), Client(inst)
    writer.vs().catch_up()
    before = file_positions(writer)
    release = hold_after_file_commit(faults)
    try:
        writer.move(5)
        wait_files_past(writer, before)
        assert (reader.bal(0), reader.bal(1)) == (95, 105)
    finally:
        release.set()
    writer.vs().catch_up()
    assert (reader.bal(0), reader.bal(1)) == (95, 105)


def test_without_a_log_the_commit_applied_in_place_is_announced_too() -> None:
    """JET_paramRecovery off: the committing thread writes the files itself, one after
    the other, and is held after the first file's commit (the file's own fault hook). A
    transaction begun before reads the old values from both files, in the window and
    after it."""
    inst = jet.JetCreateInstance("direct")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramRecovery, 0, "off")
    jet.JetInit(inst)
    try:
        _create_accounts(inst)
        reader, writer = Client(inst), Client(inst)
        in_window, release = threading.Event(), threading.Event()
        with session_call(writer.s) as session:
            one = storage_of(session.instance).databases.by_dbnum
        first_file = min(one.values(), key=lambda d: d.dbnum).file

        def hook(point: str) -> None:
            if point == "apply.after_commit":
                in_window.set()
                release.wait(10)

        jet.JetBeginTransaction(reader.s)
        first_file._faults = hook  # the storage's fault hook of one.edb
        mover = threading.Thread(target=writer.move, args=(30,))
        mover.start()
        try:
            assert in_window.wait(10)
            assert (reader.bal(0), reader.bal(1)) == (100, 100)
        finally:
            first_file._faults = None
            release.set()
            mover.join(10)
        assert (reader.bal(0), reader.bal(1)) == (100, 100)
        jet.JetCommitTransaction(reader.s)
        assert (reader.bal(0), reader.bal(1)) == (70, 130)
        jet.JetEndSession(reader.s)
        jet.JetEndSession(writer.s)
    finally:
        jet.JetTerm2(inst, jet.JET_bitTermAbrupt)

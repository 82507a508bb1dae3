"""Durable commits: one log fsync per lone commit, one fsync for every commit waiting in a
group, and every acknowledged commit found after a SIGKILL (issue 19).

The fsyncs are counted through the fault seam: a point armed with ``times=0`` never fails
but counts its hits (``FaultInjector.hits``); ``log.fsync`` is hit before each fsync of a
log file (``storage/log/log_writer.py``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

import pytest

import pyese.jet as jet
from pyese.engine.instance import logservice
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of
from pyese.storage.faults import FaultInjector
from pyese.storage.log.log_writer import LogWriter

CHILD = os.path.join(os.path.dirname(__file__), "group_commit_child.py")
THREADS = 8


def _never() -> BaseException:
    raise AssertionError("a counting point never fails")


@pytest.fixture
def applier_never_flushes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The applier leaves every flush to the committers: only they wait on the log."""
    monkeypatch.setattr(logservice, "FLUSH_DELAY", 3600.0)


@pytest.fixture
def table(tmp_path, faults: FaultInjector) -> Iterator[tuple[object, str, LogWriter]]:
    inst = jet.JetCreateInstance("groupcommit")
    root = str(tmp_path)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    path = os.path.join(root, "g.db")
    db = jet.JetCreateDatabase(s, path)
    t = jet.JetCreateTable(s, db, "t")
    jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetCreateIndex(s, t, "primary", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCloseTable(s, t)
    with session_call(s) as session:
        log = storage_of(session.instance).log
    assert log is not None
    yield inst, path, log
    faults.disarm()
    jet.JetTerm2(inst, jet.JET_bitTermAbrupt)


class Writer:
    """A session with the table open, committing one row per transaction."""

    def __init__(self, inst: object, path: str) -> None:
        self.s = jet.JetBeginSession(inst)
        d = jet.JetOpenDatabase(self.s, path)
        self.t = jet.JetOpenTable(self.s, d, "t")
        self.ck = jet.JetGetTableColumnInfo(self.s, self.t, "k").columnid

    def commit_row(self, key: bytes, grbit: int = 0) -> None:
        jet.JetBeginTransaction(self.s)
        jet.JetPrepareUpdate(self.s, self.t, jet.JET_prepInsert)
        jet.JetSetColumn(self.s, self.t, self.ck, key)
        jet.JetUpdate(self.s, self.t)
        jet.JetCommitTransaction(self.s, grbit)


def test_a_lone_durable_commit_pays_one_log_fsync(table, faults: FaultInjector) -> None:
    inst, path, log = table
    w = Writer(inst, path)
    faults.arm("log.fsync", _never, times=0)  # count only
    for i in range(20):
        before = log.appended_lgpos
        w.commit_row(b"%04d" % i)
        # durable on return: the record appended by this commit is on disk
        assert log.flushed_lgpos > before
    assert faults.hits("log.fsync") == 20


def test_lazy_commits_stay_lazy(applier_never_flushes: None, table,
                                faults: FaultInjector) -> None:
    inst, path, log = table
    w = Writer(inst, path)
    faults.arm("log.fsync", _never, times=0)
    for i in range(10):
        w.commit_row(b"%04d" % i, jet.JET_bitCommitLazyFlush)
    assert faults.hits("log.fsync") == 0
    assert log.flushed_lgpos < log.appended_lgpos
    jet.JetCommitTransaction(w.s, jet.JET_bitWaitLastLevel0Commit)
    assert faults.hits("log.fsync") == 1  # one flush makes all ten durable
    assert log.flushed_lgpos >= log.appended_lgpos


def test_one_fsync_covers_every_commit_waiting_for_it(applier_never_flushes: None, table,
                                                      faults: FaultInjector) -> None:
    """Leader/follower: while the first committer's fsync is held, the others append and
    wait; when it ends, one of them flushes all their records with a single fsync."""
    inst, path, log = table
    writers = [Writer(inst, path) for _ in range(THREADS)]
    release = threading.Event()
    faults.arm("log.fsync", _never, times=0)
    faults.hold("log.fsync", release)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            writers[i].commit_row(b"%02d" % i)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    first = threading.Thread(target=run, args=(0,))
    others = [threading.Thread(target=run, args=(i,)) for i in range(1, THREADS)]
    try:
        first.start()
        deadline = time.monotonic() + 30
        while not log._leader:  # the first committer leads a flush, held at its fsync
            assert time.monotonic() < deadline
            time.sleep(0.001)
        assert faults.hits("log.fsync") == 0  # a held hit is counted once it passes
        for th in others:
            th.start()
        while log._waiters < THREADS - 1:  # every follower appended and waits for a flush
            assert time.monotonic() < deadline, f"{log._waiters} waiting"
            time.sleep(0.001)
    finally:
        release.set()
        for th in [first, *others]:
            if th.is_alive() or th.ident is not None:
                th.join(30)
    assert not errors
    assert faults.hits("log.fsync") == 2  # the held leader's, then one for all the others
    assert log.flushed_lgpos >= log.appended_lgpos


def _read_keys(root: str) -> set[bytes]:
    inst = jet.JetCreateInstance("groupcommit-recover")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 64, None)
    jet.JetInit(inst)  # soft recovery
    try:
        s = jet.JetBeginSession(inst)
        path = os.path.join(root, "g.db")
        jet.JetAttachDatabase(s, path)
        d = jet.JetOpenDatabase(s, path)
        t = jet.JetOpenTable(s, d, "t")
        ck = jet.JetGetTableColumnInfo(s, t, "k").columnid
        keys: set[bytes] = set()
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            return keys
        while True:
            keys.add(bytes(jet.JetRetrieveColumn(s, t, ck)))
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                return keys
    finally:
        jet.JetTerm2(inst, 0)


def test_sigkill_after_group_commits_keeps_every_acknowledged_row(tmp_path) -> None:
    root = str(tmp_path)
    child = subprocess.Popen([sys.executable, CHILD, root, str(THREADS)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    acked: list[tuple[int, int]] = []
    assert child.stdout is not None
    try:
        assert child.stdout.readline() == "ready\n", child.stderr.read() if child.stderr else ""
        while len(acked) < 150:
            line = child.stdout.readline()
            assert line, child.stderr.read() if child.stderr else "child died"
            i, n = line.split()
            acked.append((int(i), int(n)))
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        child.stdout.close()
        if child.stderr:
            child.stderr.close()
    assert len({i for i, _n in acked}) > 1  # several committers took part
    keys = _read_keys(root)
    missing = [(i, n) for i, n in acked if b"%02d%08d" % (i, n) not in keys]
    assert not missing
    # each thread's rows are a prefix of its commit order (no holes)
    for i in range(THREADS):
        mine = sorted(int(k[2:]) for k in keys if int(k[:2]) == i)
        assert mine == list(range(len(mine)))

"""OS snapshot sessions (ESE ``io.cxx`` ~3310-4080): states, errors, a freeze that keeps
the files stable while commits wait, and ``JET_paramOSSnapshotTimeout``."""

from __future__ import annotations

import hashlib
import os
import threading
import time

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C

from .helpers import create_db, expect, make_instance


@pytest.fixture
def env(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    db.put(1, b"one")
    yield inst, db, tmp_path
    from pyese.engine.backup import snapshot

    for sid in list(snapshot._SESSIONS):
        snapshot.end(sid, C.JET_bitAbortSnapshot)


def _digest(path) -> dict[str, str]:
    out = {}
    for name in sorted(os.listdir(path)):
        if name.endswith("-lock"):
            continue
        with open(os.path.join(path, name), "rb") as f:
            out[name] = hashlib.sha256(f.read()).hexdigest()
    return out


def test_prepare_and_sequence_errors(env):
    inst, _db, _tmp = env
    with expect(C.JET_errInvalidGrbit):
        jet.JetOSSnapshotPrepare(0x10)
    with expect(C.JET_errOSSnapshotInvalidSnapId):
        jet.JetOSSnapshotFreeze(jet.JET_OSSNAPID(999))
    sid = jet.JetOSSnapshotPrepare(0)
    with expect(C.JET_errOSSnapshotInvalidSequence):  # Thaw before Freeze
        jet.JetOSSnapshotThaw(sid)
    with expect(C.JET_errOSSnapshotInvalidSequence):  # TruncateLog before Thaw
        jet.JetOSSnapshotTruncateLog(sid)
    infos = jet.JetOSSnapshotFreeze(sid)
    assert [i.szInstanceName for i in infos] == ["i"]
    with expect(C.JET_errOSSnapshotInvalidSequence):  # a second Freeze
        jet.JetOSSnapshotFreeze(sid)
    jet.JetOSSnapshotThaw(sid)
    with expect(C.JET_errOSSnapshotInvalidSnapId):  # no ContinueAfterThaw: the id is gone
        jet.JetOSSnapshotGetFreezeInfo(sid)


def test_continue_after_thaw_and_truncate(env):
    inst, _db, _tmp = env
    sid = jet.JetOSSnapshotPrepare(C.JET_bitContinueAfterThaw)
    jet.JetOSSnapshotFreeze(sid)
    jet.JetOSSnapshotThaw(sid)
    with expect(C.JET_errOSSnapshotInvalidSequence):  # a second Thaw
        jet.JetOSSnapshotThaw(sid)
    with expect(C.JET_errInvalidGrbit):
        jet.JetOSSnapshotTruncateLog(sid, 0x2)
    jet.JetOSSnapshotTruncateLog(sid)
    jet.JetOSSnapshotEnd(sid)
    misc = jet.JetGetDatabaseFileInfo(str(_tmp / "inst" / "a.db"), C.JET_DbInfoMisc)
    assert misc.bkinfoFullPrev.genLow != 0  # a full snapshot, logs truncated
    with expect(C.JET_errOSSnapshotInvalidSnapId):
        jet.JetOSSnapshotEnd(sid)


def test_copy_snapshot_cannot_truncate(env):
    sid = jet.JetOSSnapshotPrepare(C.JET_bitCopySnapshot | C.JET_bitContinueAfterThaw)
    jet.JetOSSnapshotFreeze(sid)
    jet.JetOSSnapshotThaw(sid)
    with expect(C.JET_errOSSnapshotInvalidSequence):
        jet.JetOSSnapshotTruncateLog(sid)
    jet.JetOSSnapshotAbort(sid)


def test_prepare_instance_rules(env):
    inst, _db, _tmp = env
    sid = jet.JetOSSnapshotPrepare(C.JET_bitExplicitPrepare)
    with expect(C.JET_errInvalidGrbit):
        jet.JetOSSnapshotPrepareInstance(sid, inst, 1)
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errOSSnapshotNotAllowed):  # an instance running a streaming backup
        jet.JetOSSnapshotPrepareInstance(sid, inst, 0)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    jet.JetOSSnapshotPrepareInstance(sid, inst, 0)
    with expect(C.JET_errOSSnapshotNotAllowed):  # already in this snapshot
        jet.JetOSSnapshotPrepareInstance(sid, inst, 0)
    jet.JetOSSnapshotAbort(sid)


def test_freeze_keeps_files_stable_and_commits_wait(env):
    inst, db, tmp = env
    sid = jet.JetOSSnapshotPrepare(0)
    jet.JetOSSnapshotFreeze(sid)
    before = _digest(tmp / "inst")
    done = threading.Event()

    def writer():
        db.put(2, b"two")  # a durable commit: waits for the thaw
        done.set()

    th = threading.Thread(target=writer)
    th.start()
    time.sleep(0.3)
    assert not done.is_set()
    assert _digest(tmp / "inst") == before  # nothing written while frozen
    jet.JetOSSnapshotThaw(sid)
    th.join(10)
    assert done.is_set()
    assert 2 in db.rows()


def test_freeze_timeout(env):
    inst, db, _tmp = env
    jet.JetSetSystemParameter(None, 0, C.JET_paramOSSnapshotTimeout, 200, None)
    try:
        sid = jet.JetOSSnapshotPrepare(0)
        jet.JetOSSnapshotFreeze(sid)
        time.sleep(0.5)
        db.put(3, b"after the timeout")  # the timeout thawed the instance
        with expect(C.JET_errOSSnapshotTimeOut):
            jet.JetOSSnapshotThaw(sid)
        with expect(C.JET_errOSSnapshotInvalidSnapId):
            jet.JetOSSnapshotEnd(sid)
    finally:
        jet.JetSetSystemParameter(None, 0, C.JET_paramOSSnapshotTimeout, 70000, None)


def test_end_from_freeze_thaws_and_term_aborts(env):
    inst, db, _tmp = env
    sid = jet.JetOSSnapshotPrepare(0)
    jet.JetOSSnapshotFreeze(sid)
    with expect(C.JET_errInvalidGrbit):
        jet.JetOSSnapshotEnd(sid, 0x4)
    jet.JetOSSnapshotEnd(sid, C.JET_bitAbortSnapshot)
    db.put(4, b"x")
    sid = jet.JetOSSnapshotPrepare(0)
    jet.JetOSSnapshotFreeze(sid)
    from .helpers import close_db

    close_db(db)
    jet.JetTerm(inst)  # the session is aborted and the instance terminates
    with expect(C.JET_errOSSnapshotInvalidSnapId):
        jet.JetOSSnapshotThaw(sid)

"""Surrogate backup (``JetBeginSurrogateBackup`` / ``JetEndSurrogateBackup``, ``jethdr.w``):
a backup taken from a replica, of which this instance only records the end.

ESE ``backup.cxx``: ErrIsamBeginSurrogateBackup checks the range (lgenFirst > lgenLast, or
lgenLast past the current generation: ``JET_errInvalidParameter``) and calls
ErrBKBeginExternalBackup with ``JET_bitBackupSurrogate``, whose copy range becomes
``[lgenFirst, lgenLast]`` and which leaves ``m_fBackupInProgressLocal`` false, so every
streaming call answers ``JET_errNoBackup``; ErrIsamEndSurrogateBackup takes exactly one of
EndNormal/EndAbort and ErrBKExternalBackupCleanUp records ``[lgenFirst, lgenLast]`` in every
attached database's header (``bkinfoFullPrev`` when the logs were truncated, else
``bkinfoCopyPrev``) and deletes no log.
"""

from __future__ import annotations

import os

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C

from .helpers import create_db, expect, make_instance


@pytest.fixture
def env(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(10):
        db.put(n, b"v%d" % n)
    return inst, str(tmp_path / "inst" / "a.db"), tmp_path


def _misc(path):
    return jet.JetGetDatabaseFileInfo(path, C.JET_DbInfoMisc)


def _logs(tmp):
    return sorted(n for n in os.listdir(tmp / "inst") if n.endswith(".log"))


def test_range_checks(env):
    inst, _path, _tmp = env
    with expect(C.JET_errInvalidParameter):
        jet.JetBeginSurrogateBackup(inst, 2, 1, 0)
    with expect(C.JET_errInvalidParameter):  # the replica cannot be ahead of the active
        jet.JetBeginSurrogateBackup(inst, 1, 10_000, 0)
    with expect(C.JET_errInvalidGrbit):
        jet.JetBeginSurrogateBackup(inst, 1, 1, 0x80)
    with expect(C.JET_errMissingFullBackup):  # an incremental one needs a full backup
        jet.JetBeginSurrogateBackup(inst, 1, 1, C.JET_bitBackupIncremental)


def test_circular_logging_is_invalid_backup(tmp_path):
    inst = make_instance(str(tmp_path / "c"), circular=True)
    with expect(C.JET_errInvalidBackup):
        jet.JetBeginSurrogateBackup(inst, 1, 1, 0)


def test_streaming_calls_answer_no_backup_and_begin_is_refused(env):
    inst, path, _tmp = env
    jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    for call in (
        lambda: jet.JetGetAttachInfoInstance(inst),
        lambda: jet.JetOpenFileInstance(inst, path),
        lambda: jet.JetReadFileInstance(inst, 1),
        lambda: jet.JetCloseFileInstance(inst, 1),
        lambda: jet.JetGetLogInfoInstance(inst),
        lambda: jet.JetTruncateLogInstance(inst),
    ):
        with expect(C.JET_errNoBackup):
            call()
    with expect(C.JET_errSurrogateBackupInProgress):
        jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errSurrogateBackupInProgress):
        jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndAbort)
    assert _misc(path).bkinfoCopyPrev.genLow == 0  # an abort records nothing
    # a local backup running: a surrogate Begin gets BackupInProgress
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errBackupInProgress):
        jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)


def test_end_grbits(env):
    inst, _path, _tmp = env
    with expect(C.JET_errNoBackup):
        jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndNormal)
    jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    for bad in (0, C.JET_bitBackupEndNormal | C.JET_bitBackupEndAbort, C.JET_bitBackupTruncateDone):
        with expect(C.JET_errInvalidParameter):
            jet.JetEndSurrogateBackup(inst, bad)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndAbort)
    with expect(C.JET_errNoBackup):
        jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndAbort)


def test_normal_end_records_the_replicas_range_and_deletes_no_log(env):
    inst, path, tmp = env
    before = _logs(tmp)
    jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndNormal)
    m = _misc(path)
    assert (m.bkinfoCopyPrev.genLow, m.bkinfoCopyPrev.genHigh) == (1, 1)  # not truncated
    assert m.bkinfoFullPrev.genLow == 0
    jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndNormal | C.JET_bitBackupTruncateDone)
    m = _misc(path)
    assert (m.bkinfoFullPrev.genLow, m.bkinfoFullPrev.genHigh) == (1, 1)
    assert _logs(tmp) == before
    # a full one recorded: an incremental surrogate backup may begin, and is logs only
    jet.JetBeginSurrogateBackup(inst, 1, 1, C.JET_bitBackupIncremental)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndNormal | C.JET_bitBackupTruncateDone)
    m = _misc(path)
    assert (m.bkinfoIncPrev.genLow, m.bkinfoIncPrev.genHigh) == (1, 1)
    # NoDbHeaderUpdate: nothing recorded
    jet.JetBeginSurrogateBackup(inst, 1, 1, 0)
    jet.JetEndSurrogateBackup(inst, C.JET_bitBackupEndNormal | C.JET_bitBackupNoDbHeaderUpdate)
    assert _misc(path).bkinfoIncPrev.genLow == 1  # a full one would have cleared it

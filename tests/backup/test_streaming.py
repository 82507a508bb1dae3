"""The streaming ("external") backup API, call by call, with ESE's errors in ESE's order.

Source: ESE ``dev/ese/src/ese/backup.cxx`` (``bk``) and ``jetapi.cxx`` (``api``) at the
commit the digest uses; ManagedEsent ``DatabaseFileTestHelper.StreamingBackup``.
"""

from __future__ import annotations

import os

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C

from .helpers import create_db, expect, make_instance, stream_backup


@pytest.fixture
def env(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(20):
        db.put(n, b"v%d" % n)
    return inst, db, tmp_path


def _read_all(inst, name):
    h, low, high = jet.JetOpenFileInstance(inst, name)
    data = b""
    while chunk := jet.JetReadFileInstance(inst, h):
        data += chunk
    jet.JetCloseFileInstance(inst, h)
    return data, low | (high << 32)


def _misc(path):
    return jet.JetGetDatabaseFileInfo(path, C.JET_DbInfoMisc)


# -- Begin ---------------------------------------------------------------------------------


def test_begin_recovery_off_is_logging_disabled(tmp_path):
    # bk 1628-1930: recovery off -> JET_errLoggingDisabled
    inst = make_instance(str(tmp_path / "i"), init=False)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramRecovery, 0, "off")
    jet.JetInit(inst)
    with expect(C.JET_errLoggingDisabled):
        jet.JetBeginExternalBackupInstance(inst, 0)


def test_begin_not_initialised(tmp_path):
    inst = make_instance(str(tmp_path / "i"), init=False)
    with expect(C.JET_errNotInitialized):
        jet.JetBeginExternalBackupInstance(inst, 0)


@pytest.mark.parametrize("grbit", [0x2, 0x80, C.JET_bitBackupIncremental | C.JET_bitInternalCopy])
def test_begin_bad_grbit(env, grbit):
    inst, _db, _ = env
    with expect(C.JET_errInvalidGrbit):
        jet.JetBeginExternalBackupInstance(inst, grbit)


def test_begin_incremental_with_circular_logging(tmp_path):
    # bk 1672-1681: incremental backups need every log; circular logging deletes them
    inst = make_instance(str(tmp_path / "i"), circular=True)
    with expect(C.JET_errInvalidBackup):
        jet.JetBeginExternalBackupInstance(inst, C.JET_bitBackupIncremental)


def test_second_begin_and_incremental_without_full(env):
    inst, _db, _ = env
    with expect(C.JET_errMissingFullBackup):  # bk 802-842
        jet.JetBeginExternalBackupInstance(inst, C.JET_bitBackupIncremental)
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errBackupInProgress):
        jet.JetBeginExternalBackupInstance(inst, 0)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)


# -- no backup ------------------------------------------------------------------------------


def test_every_call_without_backup_is_no_backup(env):
    inst, _db, _ = env
    for call in (
        lambda: jet.JetGetAttachInfoInstance(inst),
        lambda: jet.JetOpenFileInstance(inst, "x"),
        lambda: jet.JetReadFileInstance(inst, 1),
        lambda: jet.JetCloseFileInstance(inst, 1),
        lambda: jet.JetGetLogInfoInstance(inst),
        lambda: jet.JetGetTruncateLogInfoInstance(inst),
        lambda: jet.JetTruncateLogInstance(inst),
        lambda: jet.JetEndExternalBackupInstance(inst),
    ):
        with expect(C.JET_errNoBackup):
            call()


def test_legacy_calls_in_multi_instance_mode(env):
    # api 2971-2990: the calls without Instance need one-instance mode
    for call in (lambda: jet.JetBeginExternalBackup(0), jet.JetGetAttachInfo,
                 jet.JetGetLogInfo, jet.JetTruncateLog, jet.JetEndExternalBackup,
                 lambda: jet.JetBackup("x"), jet.JetStopBackup):
        with expect(C.JET_errRunningInMultiInstanceMode):
            call()


def test_one_instance_mode_legacy_calls(tmp_path):
    os.chdir(tmp_path)
    jet.JetInit(None)
    sesid = jet.JetBeginSession(None)
    jet.JetCreateDatabase(sesid, str(tmp_path / "a.db"))
    jet.JetBeginExternalBackup(0)
    assert jet.JetGetAttachInfo() == [str(tmp_path / "a.db")]
    h, low, _high = jet.JetOpenFile(str(tmp_path / "a.db"))
    n = 0
    while chunk := jet.JetReadFile(h):
        n += len(chunk)
    jet.JetCloseFile(h)
    assert n == low
    for name in jet.JetGetLogInfo():
        h, _l, _h = jet.JetOpenFile(name)
        while jet.JetReadFile(h):
            pass
        jet.JetCloseFile(h)
    jet.JetTruncateLog()
    jet.JetEndExternalBackup()
    assert _misc(str(tmp_path / "a.db")).bkinfoFullPrev.genLow == 1
    jet.JetEndSession(sesid, 0)
    jet.JetTerm(None)


# -- database phase --------------------------------------------------------------------------


def test_attach_info_full_and_incremental(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    assert jet.JetGetAttachInfoInstance(inst) == [str(tmp / "inst" / "a.db")]
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    stream_backup(inst, str(tmp / "full"))
    jet.JetBeginExternalBackupInstance(inst, C.JET_bitBackupIncremental)
    with expect(C.JET_errInvalidBackupSequence):  # bk 1943-2104
        jet.JetGetAttachInfoInstance(inst)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)


def test_open_file_errors_database_phase(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errInvalidParameter):
        jet.JetOpenFileInstance(inst, "")
    with expect(C.JET_errDatabaseNotFound):  # bk 2125-2672: a log before GetLogInfo
        jet.JetOpenFileInstance(inst, str(tmp / "inst" / "edb00001.log"))
    # the backup goes on
    data, size = _read_all(inst, str(tmp / "inst" / "a.db"))
    assert len(data) == size and size % 8192 == 0
    jet.JetGetLogInfoInstance(inst)
    with expect(C.JET_errInvalidBackupSequence):
        jet.JetOpenFileInstance(inst, str(tmp / "inst" / "a.db"))
    with expect(C.JET_errNoBackup):  # the log phase error ended it
        jet.JetGetLogInfoInstance(inst)


def test_missing_log_ends_backup(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    jet.JetGetLogInfoInstance(inst)
    with expect(C.JET_errMissingFileToBackup):
        jet.JetOpenFileInstance(inst, str(tmp / "inst" / "edb000FF.log"))
    with expect(C.JET_errNoBackup):
        jet.JetGetLogInfoInstance(inst)


def test_read_delivers_announced_size_and_close_unknown_handle(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    data, size = _read_all(inst, str(tmp / "inst" / "a.db"))
    assert len(data) == size
    with expect(C.JET_errInvalidParameter):
        jet.JetCloseFileInstance(inst, 12345)
    with expect(C.JET_errInvalidParameter):
        jet.JetReadFileInstance(inst, 12345)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)


# -- log phase -----------------------------------------------------------------------------------


def test_get_log_info_rolls_once(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    h, _l, _h = jet.JetOpenFileInstance(inst, str(tmp / "inst" / "a.db"))
    with expect(C.JET_errInvalidBackupSequence):  # bk 3155-3473: a file still open
        jet.JetGetLogInfoInstance(inst)
    with expect(C.JET_errNoBackup):
        jet.JetCloseFileInstance(inst, h)
    jet.JetBeginExternalBackupInstance(inst, 0)
    cur_gen = _current_generation(tmp / "inst")
    names, info = jet.JetGetLogInfoInstance2(inst)
    assert _current_generation(tmp / "inst") == cur_gen + 1
    assert info.ulGenHigh == cur_gen and info.szBaseName == "edb"
    assert names == [str(tmp / "inst" / f"edb{g:05X}.log")
                     for g in range(info.ulGenLow, info.ulGenHigh + 1)]
    names2, info2 = jet.JetGetLogInfoInstance2(inst)
    assert names2 == names and info2 == info
    assert _current_generation(tmp / "inst") == cur_gen + 1
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)


def _current_generation(path) -> int:
    from pyese.storage.log import log_format as F

    return F.read_file_header(str(path / "edb.log")).generation


def test_truncate_log_checks(env):
    inst, db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    with expect(C.JET_errInvalidBackupSequence):  # bk 3522-3528: GetLogInfo not called
        jet.JetTruncateLogInstance(inst)
    _read_all(inst, str(tmp / "inst" / "a.db"))
    names = jet.JetGetLogInfoInstance(inst)
    h, _l, _h = jet.JetOpenFileInstance(inst, names[0])
    with expect(C.JET_errInvalidBackupSequence):  # a file open
        jet.JetTruncateLogInstance(inst)
    jet.JetCloseFileInstance(inst, h)
    with expect(C.JET_errLogFileNotCopied):  # bk 3502-3561: not read to its end
        jet.JetTruncateLogInstance(inst)
    for name in names:
        _read_all(inst, name)
    doomed = jet.JetGetTruncateLogInfoInstance(inst)
    jet.JetTruncateLogInstance(inst)
    assert not any(os.path.exists(n) for n in doomed)
    jet.JetEndExternalBackupInstance(inst)
    db.put(1000, b"after")


def test_truncation_keeps_what_recovery_needs(env):
    inst, db, tmp = env
    for round_ in range(3):
        for n in range(5):
            db.put(100 * (round_ + 1) + n, b"r")
        stream_backup(inst, str(tmp / f"b{round_}"))
    # a dirty stop: recovery must still find every log it needs
    from pyese.engine.instance.instance import SYSTEM

    SYSTEM.find_instance(inst).force_shutdown()
    SYSTEM.reset_for_tests()
    inst2 = make_instance(str(tmp / "inst"), "again")
    from .helpers import open_db

    rows = open_db(inst2, str(tmp / "inst" / "a.db")).rows()
    assert len(rows) == 35


def test_end_grbits_and_header_fields(env):
    inst, _db, tmp = env
    path = str(tmp / "inst" / "a.db")
    jet.JetBeginExternalBackupInstance(inst, 0)
    for grbit in (0, 3):
        with expect(C.JET_errInvalidParameter):
            jet.JetEndExternalBackupInstance2(inst, grbit)
    _read_all(inst, path)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndNormal)  # downgraded: no GetLogInfo
    assert _misc(path).bkinfoFullPrev.genLow == 0
    # complete, not truncated: a copy backup (bk 3999-4128)
    info = stream_backup(inst, str(tmp / "copy"), truncate=False)
    m = _misc(path)
    assert m.bkinfoFullPrev.genLow == 0
    assert (m.bkinfoCopyPrev.genLow, m.bkinfoCopyPrev.genHigh) == (info.ulGenLow, info.ulGenHigh)
    info = stream_backup(inst, str(tmp / "full"))
    m = _misc(path)
    assert (m.bkinfoFullPrev.genLow, m.bkinfoFullPrev.genHigh) == (info.ulGenLow, info.ulGenHigh)
    info = stream_backup(inst, str(tmp / "inc"), incremental=True)
    m = _misc(path)
    assert (m.bkinfoIncPrev.genLow, m.bkinfoIncPrev.genHigh) == (info.ulGenLow, info.ulGenHigh)
    assert m.bkinfoFullPrev.genLow != 0
    # the streamed copy is a backup copy: bkinfoFullCur set, attach refused (db.cxx ~2815)
    cur = _misc(str(tmp / "full" / "a.db")).bkinfoFullCur
    assert cur.genLow == m.bkinfoFullPrev.genLow and cur.genHigh == 0
    sesid = jet.JetBeginSession(inst)
    with expect(C.JET_errSoftRecoveryOnBackupDatabase):
        jet.JetAttachDatabase(sesid, str(tmp / "full" / "a.db"))
    # NoDbHeaderUpdate leaves the header alone
    before = _misc(path).bkinfoFullPrev
    jet.JetBeginExternalBackupInstance(inst, 0)
    _read_all(inst, path)
    for name in jet.JetGetLogInfoInstance(inst):
        _read_all(inst, name)
    jet.JetTruncateLogInstance(inst)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndNormal
                                      | C.JET_bitBackupNoDbHeaderUpdate)
    assert _misc(path).bkinfoFullPrev == before


def test_stop_backup(env):
    inst, _db, tmp = env
    jet.JetStopBackupInstance(inst)  # no backup: success (api 22618-22646)
    jet.JetBeginExternalBackupInstance(inst, 0)
    h, _l, _h = jet.JetOpenFileInstance(inst, str(tmp / "inst" / "a.db"))
    jet.JetStopBackupInstance(inst)
    for call in (lambda: jet.JetGetAttachInfoInstance(inst),
                 lambda: jet.JetOpenFileInstance(inst, str(tmp / "inst" / "a.db")),
                 lambda: jet.JetReadFileInstance(inst, h),
                 lambda: jet.JetGetLogInfoInstance(inst),
                 lambda: jet.JetGetTruncateLogInfoInstance(inst),
                 lambda: jet.JetTruncateLogInstance(inst)):
        with expect(C.JET_errBackupAbortByServer):
            call()
    jet.JetCloseFileInstance(inst, h)  # no stop-flag check
    jet.JetEndExternalBackupInstance(inst)  # downgraded to an abort, still success
    assert _misc(str(tmp / "inst" / "a.db")).bkinfoFullPrev.genLow == 0
    stream_backup(inst, str(tmp / "b"))  # the next Begin clears the flag


def test_term_during_backup(env):
    inst, db, _tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    jet.JetCloseTable(db.sesid, db.tableid)
    jet.JetEndSession(db.sesid, 0)
    with expect(C.JET_errBackupInProgress):
        jet.JetTerm2(inst, C.JET_bitTermComplete)
    jet.JetGetAttachInfoInstance(inst)  # still running
    jet.JetTerm(inst)  # abrupt: the backup is aborted, the instance ends
    with expect(C.JET_errNotInitialized):
        jet.JetGetAttachInfoInstance(inst)


def test_term_stop_backup(env):
    inst, db, _tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    jet.JetCloseTable(db.sesid, db.tableid)
    jet.JetEndSession(db.sesid, 0)
    jet.JetTerm2(inst, C.JET_bitTermStopBackup)


def test_corrupt_log_is_read_verify_failure(env):
    inst, _db, tmp = env
    jet.JetBeginExternalBackupInstance(inst, 0)
    names = jet.JetGetLogInfoInstance(inst)
    with open(names[0], "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0xFF]))
    h, _l, _h = jet.JetOpenFileInstance(inst, names[0])
    with expect(C.JET_errLogReadVerifyFailure):  # bk 2683-2948
        jet.JetReadFileInstance(inst, h)
    with expect(C.JET_errNoBackup):
        jet.JetGetLogInfoInstance(inst)


def test_logs_gone_between_incrementals(env):
    inst, db, tmp = env
    stream_backup(inst, str(tmp / "full"))
    for n in range(3):  # three more generations (an aborted backup still rolls the log)
        db.put(500 + n, b"x")
        jet.JetBeginExternalBackupInstance(inst, 0)
        jet.JetGetLogInfoInstance(inst)
        jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    db.put(600, b"y")
    # a truncate-only call deletes the logs the checkpoint no longer needs, including
    # those an incremental backup would have needed
    jet.JetBackupInstance(inst, None)
    from pyese.storage.log import log_format as F

    gens = F.list_archived(str(tmp / "inst"), "edb")
    full_high = _misc(str(tmp / "inst" / "a.db")).bkinfoFullPrev.genHigh
    # (the truncate-only call drains the applier first, so with a current checkpoint every
    # archived log may be gone)
    assert not gens or min(gens) > full_high + 1
    with expect(C.JET_errMissingFileToBackup):  # bk 844-895
        jet.JetBeginExternalBackupInstance(inst, C.JET_bitBackupIncremental)


def test_circular_logging_keeps_the_backups_logs(tmp_path):
    # a full backup is allowed with circular logging; the logs it lists stay on disk
    # until it ends even as the checkpoint moves on
    # 64 KB: ESE's smallest JET_paramLogFileSize (sysparam table); 4x the rows 16 KB logs took
    inst = make_instance(str(tmp_path / "inst"), circular=True, log_kb=64)
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    jet.JetBeginExternalBackupInstance(inst, 0)
    data, _size = _read_all(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(160):
        db.put(n, bytes(4000))
    names = jet.JetGetLogInfoInstance(inst)
    assert len(names) > 3 and all(os.path.exists(n) for n in names)
    for name in names:
        _read_all(inst, name)
    jet.JetEndExternalBackupInstance(inst)


def test_truncation_keeps_logs_of_a_database_not_in_the_backup(tmp_path):
    """bk 649-733: DeleteMac = min(..., bkinfoFullPrev.genHigh) of every attached database the
    full backup did not copy: one never backed up (genHigh 0) keeps every log."""
    inst = make_instance(str(tmp_path / "inst"))
    a = create_db(inst, str(tmp_path / "inst" / "a.db"))
    b = create_db(inst, str(tmp_path / "inst" / "b.db"))
    for n in range(3):
        a.put(n, b"a")
        b.put(n, b"b")
        jet.JetBeginExternalBackupInstance(inst, 0)
        jet.JetGetLogInfoInstance(inst)
        jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    a.put(9, b"a")
    jet.JetBeginExternalBackupInstance(inst, 0)
    _read_all(inst, str(tmp_path / "inst" / "a.db"))  # b.db is not copied
    for name in jet.JetGetLogInfoInstance(inst):
        _read_all(inst, name)
    assert jet.JetGetTruncateLogInfoInstance(inst) == []
    jet.JetTruncateLogInstance(inst)
    jet.JetEndExternalBackupInstance(inst)
    from pyese.storage.log import log_format as F

    assert min(F.list_archived(str(tmp_path / "inst"), "edb")) == 1

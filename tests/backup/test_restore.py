"""File backup (JetBackupInstance) and restore (JetRestoreInstance, JetExternalRestore2):
round trips as ManagedEsent's BackupRestoreTests run them, and ESE's errors.

Sources: ESE ``backup.cxx`` (``bk``), ``_log/logutil.cxx`` (``lu``), ``_log/rstmap.cxx``
(``rst``), ``jetapi.cxx`` (``api``); ManagedEsent ``EsentInteropTests/BackupRestoreTests.cs``.
"""

from __future__ import annotations

import os
import shutil

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C
from pyese.storage.log import log_format as F

from .helpers import close_db, create_db, expect, make_instance, open_db, stream_backup


@pytest.fixture
def env(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(20):
        db.put(n, b"v%d" % n)
    (tmp_path / "bk").mkdir()
    return inst, db, tmp_path


def _term(inst, db):
    close_db(db)
    jet.JetTerm(inst)


def test_round_trip_as_managed_esent(env):
    """BackupRestoreTests.BackupRestoreDatabase: back up, delete everything, restore,
    read back; then a JetInit on the log directory needs no recovery."""
    inst, db, tmp = env
    events = []
    jet.JetBackupInstance(inst, str(tmp / "bk"), 0, lambda *a: events.append(a[1:3]) or 0)
    # bk 1436-1446, 1497-1505: full backup: Begin then Complete, nothing else
    assert events == [(C.JET_snpBackup, C.JET_sntBegin), (C.JET_snpBackup, C.JET_sntComplete)]
    assert sorted(os.listdir(tmp / "bk")) == ["a.db", "a.db.pat", "edb00001.log"]
    _term(inst, db)
    shutil.rmtree(tmp / "inst")
    r = make_instance(str(tmp / "inst"), "r", init=False)
    progress = []
    jet.JetRestoreInstance(r, str(tmp / "bk"), None,
                           lambda s, snp, snt, pv: progress.append((snp, snt, pv)) or 0)
    assert progress[0][1] == C.JET_sntBegin and progress[-1][1] == C.JET_sntComplete
    assert all(p[0] == C.JET_snpRestore and p[2].cunitDone <= p[2].cunitTotal
               for p in progress)
    jet.JetInit(r)
    from pyese.engine.instance.instance import SYSTEM
    from pyese.engine.instance.logservice import storage_of

    rec = storage_of(SYSTEM.find_instance(r)).recovery
    assert rec is not None and rec.records_replayed == 0  # nothing replayed twice
    assert open_db(r, str(tmp / "inst" / "a.db")).rows() == {n: b"v%d" % n for n in range(20)}


def test_restore_rolls_forward_newer_logs_and_to_dest(env):
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"))
    for n in range(20, 30):
        db.put(n, b"after")
    _term(inst, db)
    os.remove(tmp / "inst" / "a.db")
    (tmp / "elsewhere").mkdir()
    r = make_instance(str(tmp / "inst"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp / "bk"), str(tmp / "elsewhere"))
    jet.JetInit(r)
    rows = open_db(r, str(tmp / "elsewhere" / "a.db")).rows()
    assert len(rows) == 30 and rows[29] == b"after"


def test_backup_directory_rules(env):
    inst, _db, tmp = env
    (tmp / "bk" / "junk").write_text("x")
    with expect(C.JET_errBackupDirectoryNotEmpty):
        jet.JetBackupInstance(inst, str(tmp / "bk"))
    with expect(C.JET_errInvalidPath):
        jet.JetBackupInstance(inst, str(tmp / "missing"))
    (tmp / "inc").mkdir()
    (tmp / "inc" / "new").mkdir()
    jet.JetBackupInstance(inst, str(tmp / "full"), C.JET_bitBackupAtomic) if False else None
    os.makedirs(tmp / "f1")
    jet.JetBackupInstance(inst, str(tmp / "f1"))
    with expect(C.JET_errBackupDirectoryNotEmpty):  # bk 1225-1238: atomic layout present
        jet.JetBackupInstance(inst, str(tmp / "inc"), C.JET_bitBackupIncremental)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramCreatePathIfNotExist, 1, None)
    jet.JetBackupInstance(inst, str(tmp / "made" / "here"))
    assert (tmp / "made" / "here" / "a.db.pat").exists()


def test_empty_path_truncates_only(env):
    inst, db, tmp = env
    for _ in range(3):
        jet.JetBeginExternalBackupInstance(inst, 0)
        jet.JetGetLogInfoInstance(inst)
        jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
        db.put(1000 + _, b"x")
    before = F.list_archived(str(tmp / "inst"), "edb")
    misc = jet.JetGetDatabaseFileInfo(str(tmp / "inst" / "a.db"), C.JET_DbInfoMisc)
    jet.JetBackupInstance(inst, "")
    after = F.list_archived(str(tmp / "inst"), "edb")
    assert len(after) < len(before)
    misc2 = jet.JetGetDatabaseFileInfo(str(tmp / "inst" / "a.db"), C.JET_DbInfoMisc)
    assert (misc2.bkinfoFullPrev, misc2.bkinfoCopyPrev) == (misc.bkinfoFullPrev,
                                                           misc.bkinfoCopyPrev)


def test_incremental_backup_calls_no_callback_and_chain_restores(env):
    """full + N incrementals restored == the data at the last incremental."""
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"))
    calls = []
    for round_ in range(3):
        for n in range(5):
            db.put(100 * (round_ + 1) + n, b"inc%d" % round_)
        jet.JetBackupInstance(inst, str(tmp / "bk"), C.JET_bitBackupIncremental,
                              lambda *a: calls.append(a) or 0)
    assert calls == []
    expected = db.rows()
    misc = jet.JetGetDatabaseFileInfo(str(tmp / "inst" / "a.db"), C.JET_DbInfoMisc)
    assert misc.bkinfoIncPrev.genHigh > misc.bkinfoFullPrev.genHigh
    _term(inst, db)
    shutil.rmtree(tmp / "inst")
    r = make_instance(str(tmp / "inst"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp / "bk"))
    jet.JetInit(r)
    assert open_db(r, str(tmp / "inst" / "a.db")).rows() == expected


def test_atomic_backups_keep_one_complete_set(env):
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"), C.JET_bitBackupAtomic)
    assert sorted(os.listdir(tmp / "bk")) == ["new"]
    db.put(77, b"second")
    jet.JetBackupInstance(inst, str(tmp / "bk"), C.JET_bitBackupAtomic)
    assert sorted(os.listdir(tmp / "bk")) == ["new"]
    expected = db.rows()
    _term(inst, db)
    shutil.rmtree(tmp / "inst")
    r = make_instance(str(tmp / "inst"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp / "bk"))  # api 22122-22222: found in new/
    jet.JetInit(r)
    assert open_db(r, str(tmp / "inst" / "a.db")).rows() == expected


def test_status_callback_exception_ends_backup(env):
    inst, _db, tmp = env

    def boom(*_a):
        raise RuntimeError("callback says no")

    with pytest.raises(RuntimeError):
        jet.JetBackupInstance(inst, str(tmp / "bk"), 0, boom)
    shutil.rmtree(tmp / "bk")
    os.mkdir(tmp / "bk")
    jet.JetBackupInstance(inst, str(tmp / "bk"))  # a new backup can start


def _backed_up(env):
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"))
    _term(inst, db)
    return tmp


def test_restore_errors(env):
    tmp = _backed_up(env)
    r = make_instance(str(tmp / "r"), "r")
    with expect(C.JET_errAlreadyInitialized):  # api 22122: instance must not run
        jet.JetRestoreInstance(r, str(tmp / "bk"))
    jet.JetTerm(r)
    r = make_instance(str(tmp / "r2"), "r2", init=False)
    (tmp / "empty").mkdir()
    with expect(C.JET_errFileNotFound):
        jet.JetRestoreInstance(r, str(tmp / "empty"))
    shutil.copytree(tmp / "bk", tmp / "nopat")
    os.remove(tmp / "nopat" / "a.db.pat")
    with expect(C.JET_errPatchFileMissing):  # rst 312-319
        jet.JetRestoreInstance(r, str(tmp / "nopat"))


def test_restore_in_progress_locks_instance(env):
    tmp = _backed_up(env)
    r = make_instance(str(tmp / "inst2"), "r", init=False)
    seen = []

    def cb(*_a):
        for call in (lambda: jet.JetInit(r), lambda: jet.JetBeginSession(r),
                     lambda: jet.JetSetSystemParameter(r, 0, C.JET_paramCircularLog, 1, None)):
            try:
                call()
            except jet.JetError as exc:
                seen.append(exc.err)
        return 0

    jet.JetRestoreInstance(r, str(tmp / "bk"), str(tmp / "inst2"), cb)
    assert set(seen) == {C.JET_errRestoreInProgress}


def test_non_backup_database_and_mismatched_trailer(env):
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"))
    _term(inst, db)
    shutil.copytree(tmp / "bk", tmp / "plain")
    shutil.copy(tmp / "inst" / "a.db", tmp / "plain" / "a.db")
    r = make_instance(str(tmp / "r"), "r", init=False)
    with expect(C.JET_errRestoreOfNonBackupDatabase):  # lu 9-235: bkinfoFullCur.genLow == 0
        jet.JetRestoreInstance(r, str(tmp / "plain"), str(tmp / "r"))
    # another database's trailer on this image: the trailer does not match the header
    shutil.copytree(tmp / "bk", tmp / "mix")
    from pyese.storage.backup.trailer import Trailer, read_trailer

    t = read_trailer(str(tmp / "mix" / "a.db"))
    assert t is not None
    import dataclasses

    bad = dataclasses.replace(t, db_signature=bytes(16))
    with open(tmp / "mix" / "a.db", "r+b") as f:
        f.seek(-t.page_size, os.SEEK_END)
        f.write(Trailer.encode(bad))
    with expect(C.JET_errDatabasePatchFileMismatch):
        jet.JetRestoreInstance(r, str(tmp / "mix"), str(tmp / "r"))


def _two_stream_backups(env):
    inst, db, tmp = env
    a = stream_backup(inst, str(tmp / "s1"))
    db.put(500, b"x")
    b = stream_backup(inst, str(tmp / "s2"))
    _term(inst, db)
    return tmp, a, b


def _wide_backup(tmp):
    """A streaming backup whose set spans several generations, the database image taken
    after the writes (its position lies in the set's last generation)."""
    # 64 KB: ESE's smallest JET_paramLogFileSize (sysparam table)
    inst = make_instance(str(tmp / "w"), "w", log_kb=64)
    db = create_db(inst, str(tmp / "w" / "a.db"))
    os.makedirs(tmp / "ws")
    jet.JetBeginExternalBackupInstance(inst, 0)
    for n in range(24):
        db.put(n, bytes(12000))
    from pyese.engine.instance.instance import SYSTEM
    from pyese.engine.instance.logservice import storage_of

    storage_of(SYSTEM.find_instance(inst)).applier.drain()  # the image holds every put
    from .helpers import _copy

    _copy(inst, str(tmp / "w" / "a.db"), str(tmp / "ws" / "a.db"))
    open(tmp / "ws" / "a.db.pat", "wb").close()
    names, info = jet.JetGetLogInfoInstance2(inst)
    for name in names:
        _copy(inst, name, str(tmp / "ws" / os.path.basename(name)))
    jet.JetEndExternalBackupInstance(inst)
    _term(inst, db)
    assert info.ulGenHigh - info.ulGenLow >= 2
    return info


def test_log_range_errors(env):
    _inst, _db, tmp = env
    b = _wide_backup(tmp)
    r = make_instance(str(tmp / "r"), "r", init=False)
    # a hole in the backed-up logs: refused, never restored short (lu: the genLow..genHigh
    # loop opens every generation; a missing one fails with the open error)
    shutil.copytree(tmp / "ws", tmp / "hole")
    os.remove(tmp / "hole" / f"edb{b.ulGenLow + 1:05X}.log")
    with expect(C.JET_errFileNotFound):
        jet.JetRestoreInstance(r, str(tmp / "hole"), str(tmp / "r"))
    # the database needs logs older than the set's first (lu 9-235)
    shutil.copytree(tmp / "ws", tmp / "late")
    os.remove(tmp / "late" / f"edb{b.ulGenLow:05X}.log")
    with expect(C.JET_errStartingRestoreLogTooHigh):
        jet.JetRestoreInstance(r, str(tmp / "late"), str(tmp / "r"))
    # the set ends before the image's position
    shutil.copytree(tmp / "ws", tmp / "early")
    os.remove(tmp / "early" / f"edb{b.ulGenHigh:05X}.log")
    with expect(C.JET_errEndingRestoreLogTooLow):
        jet.JetRestoreInstance(r, str(tmp / "early"), str(tmp / "r"))
    # none of that touched the set: it restores whole
    jet.JetRestoreInstance(r, str(tmp / "ws"), str(tmp / "r"))
    jet.JetInit(r)
    assert len(open_db(r, str(tmp / "r" / "a.db")).rows()) == 24


def test_foreign_and_broken_logs(env):
    tmp, _a, b = _two_stream_backups(env)
    other = make_instance(str(tmp / "other"), "o")
    odb = create_db(other, str(tmp / "other" / "o.db"))
    for _ in range(2):
        jet.JetBeginExternalBackupInstance(other, 0)
        jet.JetGetLogInfoInstance(other)
        jet.JetEndExternalBackupInstance2(other, C.JET_bitBackupEndAbort)
        odb.put(1, b"o") if _ == 0 else None
    close_db(odb)
    jet.JetTerm(other)
    r = make_instance(str(tmp / "r"), "r", init=False)
    # a log of another stream inside the set -> GivenLogFileHasBadSignature (lu 242-745)
    shutil.copytree(tmp / "s2", tmp / "sig")
    last = max(F.list_archived(str(tmp / "sig"), "edb"))
    shutil.copy(tmp / "other" / f"edb{2:05X}.log", tmp / "sig" / f"edb{last + 1:05X}.log")
    hdr = F.read_file_header(str(tmp / "other" / "edb00002.log"))
    fake = F.LogFileHeader(last + 1, hdr.signature, hdr.created_ns, hdr.prev_created_ns)
    with open(tmp / "sig" / f"edb{last + 1:05X}.log", "r+b") as f:
        f.write(fake.encode())
    with expect(C.JET_errGivenLogFileHasBadSignature):
        jet.JetRestoreInstance(r, str(tmp / "sig"), str(tmp / "r"))
    # same stream, broken chain -> GivenLogFileIsNotContiguous
    mine = F.read_file_header(str(tmp / "sig" / f"edb{last:05X}.log"))
    fake = F.LogFileHeader(last + 1, mine.signature, mine.created_ns + 2, 12345)
    with open(tmp / "sig" / f"edb{last + 1:05X}.log", "r+b") as f:
        f.write(fake.encode())
    with expect(C.JET_errGivenLogFileIsNotContiguous):
        jet.JetRestoreInstance(r, str(tmp / "sig"), str(tmp / "r"))
    # the log directory holds another stream's logs -> ExistingLogFileHasBadSignature
    os.makedirs(tmp / "r", exist_ok=True)
    shutil.copy(tmp / "other" / "edb00001.log", tmp / "r" / "edb00001.log")
    with expect(C.JET_errExistingLogFileHasBadSignature):
        jet.JetRestoreInstance(r, str(tmp / "s2"), str(tmp / "r"))
    # same stream, a later generation that does not chain -> ExistingLogFileIsNotContiguous
    os.remove(tmp / "r" / "edb00001.log")
    mine = F.read_file_header(str(tmp / "s2" / f"edb{b.ulGenHigh:05X}.log"))
    with open(tmp / "r" / f"edb{b.ulGenHigh + 1:05X}.log", "wb") as f:
        f.write(F.LogFileHeader(b.ulGenHigh + 1, mine.signature, 5, 4).encode())
    with expect(C.JET_errExistingLogFileIsNotContiguous):
        jet.JetRestoreInstance(r, str(tmp / "s2"), str(tmp / "r"))
    # nothing was lost: the set is intact and restores once the stray file is gone
    os.remove(tmp / "r" / f"edb{b.ulGenHigh + 1:05X}.log")
    jet.JetRestoreInstance(r, str(tmp / "s2"), str(tmp / "r"))
    jet.JetInit(r)
    assert 500 in open_db(r, str(tmp / "r" / "a.db")).rows()


def test_external_restore(env):
    inst, db, tmp = env
    info = stream_backup(inst, str(tmp / "s"))
    expected = db.rows()
    _term(inst, db)
    os.makedirs(tmp / "target")
    shutil.copy(tmp / "s" / "a.db", tmp / "target" / "a.db")
    m = [jet.JET_RSTMAP(szDatabaseName=str(tmp / "inst" / "a.db"),
                        szNewDatabaseName=str(tmp / "target" / "a.db"))]
    with expect(C.JET_errInvalidParameter):  # api 18810-18900: no JET_LOGINFO
        jet.JetExternalRestore2(str(tmp / "t"), str(tmp / "t"), m, str(tmp / "s"), None)
    with expect(C.JET_errInvalidParameter):  # a target log path without its checkpoint path
        jet.JetExternalRestore2(str(tmp / "t"), str(tmp / "t"), m, str(tmp / "s"), info,
                                None, str(tmp / "x"), None)
    with expect(C.JET_errBadRestoreTargetInstance):
        jet.JetExternalRestore2(str(tmp / "t"), str(tmp / "t"), m, str(tmp / "s"), info,
                                "nobody")
    # API.md: -> None (the C return value is only a warning, conveyed otherwise)
    assert jet.JetExternalRestore2(str(tmp / "t"), str(tmp / "t"), m, str(tmp / "s"),
                                   info) is None
    r = make_instance(str(tmp / "t"), "r")
    assert open_db(r, str(tmp / "target" / "a.db")).rows() == expected


def test_external_restore_target_running(env):
    """A running target instance: ESE (``jetapi.cxx`` ErrIsamExternalRestore, ~18434-18520)
    answers ``JET_wrnTargetInstanceRunning`` and replays the backup's logs only. The
    ``-> None`` shape of API.md carries it as a TargetInstanceRunningWarning."""
    inst, db, tmp = env
    info = stream_backup(inst, str(tmp / "s"))
    expected = db.rows()
    db.put(777, b"after the backup")  # in inst's logs only: not rolled forward
    _term(inst, db)
    running = make_instance(str(tmp / "run"), "running")
    os.makedirs(tmp / "target")
    shutil.copy(tmp / "s" / "a.db", tmp / "target" / "a.db")
    m = [jet.JET_RSTMAP(szDatabaseName=str(tmp / "inst" / "a.db"),
                        szNewDatabaseName=str(tmp / "target" / "a.db"))]
    before = sorted(os.listdir(tmp / "run"))
    with pytest.warns(jet.TargetInstanceRunningWarning) as caught:
        result = jet.JetExternalRestore2(str(tmp / "t"), str(tmp / "t"), m, str(tmp / "s"),
                                         info, "running")
    assert result is None
    assert caught[0].message.err == C.JET_wrnTargetInstanceRunning == 578
    assert sorted(os.listdir(tmp / "run")) == before  # the running instance's files untouched
    jet.JetTerm(running)
    r = make_instance(str(tmp / "t"), "r")
    assert open_db(r, str(tmp / "target" / "a.db")).rows() == expected


def test_external_restore_one_instance_mode(env):
    tmp = _backed_up(env)
    from pyese.engine.instance.instance import SYSTEM

    SYSTEM.reset_for_tests()
    os.chdir(tmp)
    jet.JetInit(None)
    with expect(C.JET_errRunningInOneInstanceMode):
        jet.JetExternalRestore(str(tmp), str(tmp), [jet.JET_RSTMAP(szDatabaseName="a")],
                               str(tmp / "bk"), 0, 0)
    jet.JetTerm(None)


def test_external_restore_subset(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    a = create_db(inst, str(tmp_path / "inst" / "a.db"))
    b = create_db(inst, str(tmp_path / "inst" / "b.db"))
    a.put(1, b"a")
    b.put(2, b"b")
    info = stream_backup(inst, str(tmp_path / "s"))
    close_db(a)
    close_db(b)
    jet.JetTerm(inst)
    os.makedirs(tmp_path / "only")
    shutil.copy(tmp_path / "s" / "b.db", tmp_path / "only" / "b.db")
    m = [jet.JET_RSTMAP(szDatabaseName=str(tmp_path / "inst" / "b.db"),
                        szNewDatabaseName=str(tmp_path / "only" / "b.db"))]
    jet.JetExternalRestore(str(tmp_path / "t"), str(tmp_path / "t"), m, str(tmp_path / "s"),
                           info.ulGenLow, info.ulGenHigh)
    assert os.listdir(tmp_path / "only") == ["b.db"] or "a.db" not in os.listdir(tmp_path / "only")
    r = make_instance(str(tmp_path / "t"), "r")
    assert open_db(r, str(tmp_path / "only" / "b.db")).rows() == {2: b"b"}


def test_replay_follows_detach_and_reattach_inside_the_range(tmp_path):
    """A database detached before the backup's first generation and attached again inside
    its range under the same number, which another database committed under meanwhile:
    replay starts it unattached and follows the ATTACH records, so the other database's
    commits never reach it."""
    inst = make_instance(str(tmp_path / "inst"), log_kb=64)
    a = create_db(inst, str(tmp_path / "inst" / "a.db"))
    a.put(1, b"a1")
    close_db(a)
    s = jet.JetBeginSession(inst)
    jet.JetDetachDatabase(s, str(tmp_path / "inst" / "a.db"))
    b = create_db(inst, str(tmp_path / "inst" / "b.db"))  # takes a's number
    jet.JetBeginExternalBackupInstance(inst, 0)  # an aborted backup rolls the log
    jet.JetGetLogInfoInstance(inst)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    b.put(100, b"b")
    from pyese.engine.instance.instance import SYSTEM
    from pyese.engine.instance.logservice import storage_of

    storage_of(SYSTEM.find_instance(inst)).applier.drain()  # checkpoint in the new generation
    b.put(1, b"not a's")
    close_db(b)
    # detached before the backup begins: ESE refuses a detach while a backup runs
    # (db.cxx ErrIsamDetachDatabase, JET_errBackupInProgress); the checkpoint stays in
    # this generation, so the backup's range still holds b's commit and the detach
    jet.JetDetachDatabase(s, str(tmp_path / "inst" / "b.db"))
    a2 = open_db(inst, str(tmp_path / "inst" / "a.db"))  # a again (idle), the same number
    jet.JetBeginExternalBackupInstance(inst, 0)  # genLow: after a's detach
    os.makedirs(tmp_path / "bk")
    from .helpers import _copy

    for path in jet.JetGetAttachInfoInstance(inst):
        name = os.path.basename(path)
        _copy(inst, path, str(tmp_path / "bk" / name))
        open(tmp_path / "bk" / (name + ".pat"), "wb").close()
    names, info = jet.JetGetLogInfoInstance2(inst)
    for name in names:
        _copy(inst, name, str(tmp_path / "bk" / os.path.basename(name)))
    jet.JetEndExternalBackupInstance(inst)
    assert info.ulGenLow > 1
    a2.put(2, b"a2")
    close_db(a2)
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    os.remove(tmp_path / "inst" / "a.db")
    r = make_instance(str(tmp_path / "inst"), "r", init=False)
    jet.JetRestoreInstance(r, str(tmp_path / "bk"))
    jet.JetInit(r)
    assert open_db(r, str(tmp_path / "inst" / "a.db")).rows() == {1: b"a1", 2: b"a2"}


def test_foreign_files_are_refused_and_nothing_is_lost(env):
    inst, db, tmp = env
    jet.JetBackupInstance(inst, str(tmp / "bk"))
    expected = db.rows()
    _term(inst, db)
    r = make_instance(str(tmp / "r"), "r", init=False)
    # a file named like a log that is none
    shutil.copytree(tmp / "bk", tmp / "junklog")
    last = max(F.list_archived(str(tmp / "junklog"), "edb"))
    (tmp / "junklog" / f"edb{last + 1:05X}.log").write_bytes(os.urandom(4096))
    with expect(C.JET_errLogFileCorrupt):
        jet.JetRestoreInstance(r, str(tmp / "junklog"), str(tmp / "r"))
    # a .pat whose database is no database
    shutil.copytree(tmp / "bk", tmp / "junkdb")
    (tmp / "junkdb" / "a.db").write_bytes(os.urandom(65536))
    with expect(C.JET_errDatabaseCorrupted):
        jet.JetRestoreInstance(r, str(tmp / "junkdb"), str(tmp / "r"))
    assert not (tmp / "r" / "a.db").exists()  # nothing written before the checks passed
    jet.JetRestoreInstance(r, str(tmp / "bk"), str(tmp / "r"))
    jet.JetInit(r)
    assert open_db(r, str(tmp / "r" / "a.db")).rows() == expected

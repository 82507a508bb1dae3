"""JetInit3's JET_RSTINFO: the restore map, the stop position and the status callback, and
the recovery grbits of JetInit2/3.

ESE: jetapi.cxx ErrInitComplete (builds the map, sets the stop and the callback), JetInit2
(adds JET_bitReplayMissingMapEntryDB), _log/rstmap.cxx ErrBuildRstmapForSoftRecovery /
ErrRstmapSoftCheckDBFiles / ErrReplaceRstMapEntryBySignature / ErrReplaceRstMapEntryByName,
_log/logredo.cxx (a database not in the map is skipped without
JET_bitReplayMissingMapEntryDB; ErrGetLgposRedoWithCheck stops at lgposStop with
JET_errRecoveredWithoutUndo), _log/log.cxx FLGRecoveryLgposStopLogRecord.
"""

from __future__ import annotations

import os
import shutil
import struct

import pyese.jet as jet
from pyese.storage.database.dbfile import DatabaseFile

from .helpers import expect


def _crash(name: str, paths: tuple[str, ...], values: tuple[int, ...] = (7,),
           rewind: bool = False) -> list[object]:
    """Databases with a table T(v) holding ``values`` (one commit each), left attached
    by a dirty term; returns the commit ids of the inserts of the first database.

    ``rewind``: put back the first database as it was before its inserts, and drop the
    checkpoint, so that recovery has the inserts to replay (as after a restore)."""
    i = jet.JetCreateInstance(name)
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    ids: list[object] = []
    for n, path in enumerate(paths):
        db = jet.JetCreateDatabase(s, path)
        jet.JetBeginTransaction(s)
        t = jet.JetCreateTable(s, db, "T", 0, 100)
        c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        jet.JetCommitTransaction(s, 0)
        if rewind and n == 0:
            jet.JetIdle(s, jet.JET_bitIdleWaitForAsyncActivity)
            shutil.copy(path, "early.edb")
        for v in values:
            jet.JetBeginTransaction(s)
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, c, struct.pack("<i", v), 0)
            jet.JetUpdate(s, t)
            cid = jet.JetCommitTransaction2(s, 0)
            if n == 0:
                ids.append(cid)
        jet.JetCloseTable(s, t)
    with expect(jet.JET_errDirtyShutdown):
        jet.JetTerm2(i, jet.JET_bitTermDirty)
    if rewind:
        os.replace("early.edb", paths[0])
        os.remove("edb.chk")
    return ids


def _values(inst: object, path: str) -> list[int]:
    s = jet.JetBeginSession(inst)
    jet.JetAttachDatabase(s, path, 0)
    db = jet.JetOpenDatabase(s, path)
    t = jet.JetOpenTable(s, db, "T")
    c = jet.JetGetTableColumnInfo(s, t, "v", jet.JET_ColInfo).columnid
    out = []
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
        while True:
            out.append(struct.unpack("<i", jet.JetRetrieveColumn(s, t, c, 0))[0])
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
    except jet.JetError as exc:
        assert exc.err == jet.JET_errNoCurrentRecord
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, path)
    jet.JetEndSession(s, 0)
    return sorted(out)


def _state(path: str) -> int:
    return jet.JetGetDatabaseFileInfo(path, jet.JET_DbInfoMisc).dbstate


def test_rstmap_replays_a_moved_database_into_its_new_file(parker):
    # matched by the signature of the destination file (rstmap.cxx
    # ErrReplaceRstMapEntryBySignature): the source name may be left out
    _crash("c", ("a.edb",))
    os.makedirs("moved")
    shutil.move("a.edb", os.path.join("moved", "renamed.edb"))
    i = jet.JetCreateInstance("r")
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szNewDatabaseName="moved/renamed.edb")])
    jet.JetInit3(i, info, 0)
    assert _state("moved/renamed.edb") == jet.JET_dbstateCleanShutdown
    assert _values(i, "moved/renamed.edb") == [7]
    assert not os.path.exists("a.edb")
    jet.JetTerm(i)


def test_without_the_map_the_moved_database_is_a_mismatch(parker):
    _crash("c", ("a.edb",))
    shutil.move("a.edb", "renamed.edb")
    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errAttachedDatabaseMismatch):
        jet.JetInit(i)


def test_database_not_in_the_map_is_skipped_by_jetinit3(parker):
    # logredo.cxx: with a map and without JET_bitReplayMissingMapEntryDB a database the
    # map does not name is marked skipped: untouched, and not a mismatch
    _crash("c", ("a.edb", "b.edb"))
    shutil.move("a.edb", "a2.edb")
    i = jet.JetCreateInstance("r")
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szDatabaseName="a.edb",
                                                    szNewDatabaseName="a2.edb")])
    jet.JetInit3(i, info, 0)
    assert _state("a2.edb") == jet.JET_dbstateCleanShutdown
    assert _state("b.edb") == jet.JET_dbstateDirtyShutdown
    assert _values(i, "a2.edb") == [7]
    jet.JetTerm(i)


def test_replay_missing_map_entry_db_replays_it_where_the_log_says(parker):
    _crash("c", ("a.edb", "b.edb"))
    shutil.move("a.edb", "a2.edb")
    i = jet.JetCreateInstance("r")
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szDatabaseName="a.edb",
                                                    szNewDatabaseName="a2.edb")])
    jet.JetInit3(i, info, jet.JET_bitReplayMissingMapEntryDB)
    assert _state("b.edb") == jet.JET_dbstateCleanShutdown
    assert _values(i, "b.edb") == [7]
    jet.JetTerm(i)


def test_rstmap_matches_by_the_tail_of_the_logged_name(parker):
    # ErrReplaceRstMapEntryByName: a destination that does not exist takes the database
    # whose logged path ends with the map's source; the file is not there, so (pyese
    # cannot create a database from its log) the database is deferred: a mismatch
    _crash("c", ("a.edb", "b.edb"))
    i = jet.JetCreateInstance("r")
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szDatabaseName="b.edb",
                                                    szNewDatabaseName="nowhere/b.edb")])
    with expect(jet.JET_errAttachedDatabaseMismatch):
        jet.JetInit3(i, info, jet.JET_bitReplayMissingMapEntryDB)
    i = jet.JetCreateInstance("r2")
    jet.JetInit3(i, info, jet.JET_bitReplayMissingMapEntryDB | jet.JET_bitReplayIgnoreMissingDB)
    assert _values(i, "a.edb") == [7]
    assert _state("b.edb") == jet.JET_dbstateDirtyShutdown  # the map sent it elsewhere
    jet.JetTerm(i)


def test_rstmap_argument_checks(parker):
    # rstmap.cxx ErrBuildRstmapForSoftRecovery
    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errDatabaseInvalidName):
        jet.JetInit3(i, jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szDatabaseName="a.edb")]), 0)
    i = jet.JetCreateInstance("r2")  # the failed JetInit3 freed the instance
    many = [jet.JET_RSTMAP(szNewDatabaseName=f"d{n}.edb") for n in range(15)]
    with expect(jet.JET_errInvalidParameter):
        jet.JetInit3(i, jet.JET_RSTINFO(rgrstmap=many), 0)
    i = jet.JetCreateInstance("r3")
    with expect(jet.JET_errInvalidParameter):
        jet.JetInit3(i, jet.JET_RSTINFO(rgrstmap=["a.edb"]), 0)
    with expect(jet.JET_errInvalidParameter):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=42), 0)
    # fourteen entries (dbidMax * 2) are accepted
    jet.JetInit3(i, jet.JET_RSTINFO(rgrstmap=many[:14]), 0)
    jet.JetTerm(i)


def _lgpos(commit_id: object) -> jet.JET_LGPOS:
    v = commit_id.commitId  # type: ignore[attr-defined]
    return jet.JET_LGPOS(lGeneration=v >> 32, isec=(v >> 16) & 0xFFFF, ib=v & 0xFFFF)


def test_lgpos_stop_ends_replay_with_recovered_without_undo(parker):
    ids = _crash("c", ("a.edb",), values=(1, 2, 3), rewind=True)
    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=_lgpos(ids[1])), 0)
    # redone up to the stop, no undo: the database stays dirty, to go on from there
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    i = jet.JetCreateInstance("r2")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=_lgpos(ids[1])), 0)
    i = jet.JetCreateInstance("r3")
    jet.JetInit(i)  # the rest of the log
    assert _values(i, "a.edb") == [1, 2, 3]
    jet.JetTerm(i)


def test_lgpos_stop_keeps_later_commits_out(parker):
    ids = _crash("c", ("a.edb",), values=(1, 2, 3), rewind=True)
    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=_lgpos(ids[0])), 0)
    # the last record replayed is the first insert's commit: its id is its position
    stop = _lgpos(ids[0])
    db = DatabaseFile.open("a.edb", read_only=True)
    try:
        applied = db.header.applied_lgpos
    finally:
        db.close()
    assert (applied.generation, applied.isec, applied.ib) == (stop.lGeneration, stop.isec,
                                                              stop.ib)


def test_stop_with_zero_sector_and_byte_stops_nothing(parker):
    # log.cxx FLGRecoveryLgposStopLogRecord: isec == 0 && ib == 0 is no stop
    _crash("c", ("a.edb",), values=(1, 2))
    i = jet.JetCreateInstance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=1)), 0)
    assert _values(i, "a.edb") == [1, 2]
    jet.JetTerm(i)


def test_stop_at_the_end_of_a_generation(parker):
    # ManagedEsent's genStop: ib = isec = 0xFFFF stops after generation lGeneration
    ids = _crash("c", ("a.edb",), values=(1, 2), rewind=True)
    gen = _lgpos(ids[-1]).lGeneration
    i = jet.JetCreateInstance("r")
    # every record is in generation gen or before: nothing is past the stop
    jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=gen, isec=0xFFFF,
                                                             ib=0xFFFF)), 0)
    assert _values(i, "a.edb") == [1, 2]
    jet.JetTerm(i)


def test_recovery_without_undo(parker):
    _crash("c", ("a.edb",), values=(1, 2))
    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit2(i, jet.JET_bitRecoveryWithoutUndo)
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    i = jet.JetCreateInstance("r2")
    jet.JetInit(i)
    jet.JetTerm(i)
    # a log that ended with a clean term: nothing needed undo
    i = jet.JetCreateInstance("r3")
    with expect(jet.JET_errRecoveredWithoutUndoDatabasesConsistent):
        jet.JetInit2(i, jet.JET_bitRecoveryWithoutUndo)
    i = jet.JetCreateInstance("r4")
    jet.JetInit(i)
    assert _values(i, "a.edb") == [1, 2]
    jet.JetTerm(i)


def test_status_callback_reports_begin_progress_complete(parker):
    _crash("c", ("a.edb",))
    seen: list[tuple[int, int, object]] = []

    def status(sesid, snp, snt, pv):
        seen.append((snp, snt, pv))
        return -1  # ignored, as ESE ignores the result of a recovery status call

    i = jet.JetCreateInstance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), 0)
    assert {snp for snp, _, _ in seen} == {jet.JET_snpRestore}
    assert seen[0][1] == jet.JET_sntBegin and seen[-1][1] == jet.JET_sntComplete
    done = [pv.cunitDone for _, _, pv in seen]
    assert done == sorted(done) and seen[-1][2].cunitDone == seen[-1][2].cunitTotal == 100
    jet.JetTerm(i)


def test_status_callback_exception_fails_init(parker):
    _crash("c", ("a.edb",))

    def status(sesid, snp, snt, pv):
        raise RuntimeError("no")

    i = jet.JetCreateInstance("r")
    with expect(jet.JET_errCallbackFailed):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), 0)
    i = jet.JetCreateInstance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == [7]
    jet.JetTerm(i)


def test_replay_ignore_lost_logs(tmp_path):
    # a database holding records past the end of the log: JET_errCommittedLogFilesMissing,
    # unless JET_bitReplayIgnoreLostLogs (log.cxx: m_fIgnoreLostLogs) lets recovery go on
    from pyese.storage.log import log_format as F
    from pyese.storage.log.log_writer import LogWriter
    from pyese.storage.log.recovery import RecoveryOptions, recover
    from pyese.storage.ops import OP_PUT, Op

    d = str(tmp_path)
    db = DatabaseFile.create(os.path.join(d, "a.db"))
    sig = bytes(db.header.signature)
    log = LogWriter.open(d)
    log.append(F.REC_ATTACH, F.encode_attach(1, sig, db.path))
    positions = []
    for i in range(4):
        positions.append(log.append(F.REC_COMMIT, F.encode_commit(i, {1: [
            Op(OP_PUT, 7, b"k%d" % i, b"v")]})))
        log.flush()
    db.set_state(jet.JET_dbstateDirtyShutdown, log_signature=log.signature, lgpos=positions[0])
    db.apply([Op(OP_PUT, 7, b"k%d" % i, b"v") for i in range(4)], positions[-1])
    db.close()
    log.close(clean=False)
    path = os.path.join(d, "edb.log")
    with open(path, "r+b") as f:  # the last two commits are lost
        size = os.path.getsize(path)
        f.seek(positions[1].offset)
        f.write(bytes(size - positions[1].offset))
    with expect(jet.JET_errCommittedLogFilesMissing):
        recover(d, d)
    result = recover(d, d, options=RecoveryOptions(ignore_lost_logs=True))
    assert [a.path for a in result.attached] == [os.path.join(d, "a.db")]


def test_log_stream_must_exist(parker):
    # tm.cxx FEnsureLogStreamMustExist: where recovery would start a new log stream,
    # JET_bitLogStreamMustExist makes it JET_errFileNotFound
    i = jet.JetCreateInstance("fresh")
    with expect(jet.JET_errFileNotFound):
        jet.JetInit2(i, jet.JET_bitLogStreamMustExist)
    assert not os.path.exists("edb.log")
    i = jet.JetCreateInstance("first")
    jet.JetInit(i)
    jet.JetTerm(i)
    i = jet.JetCreateInstance("again")
    jet.JetInit2(i, jet.JET_bitLogStreamMustExist)  # a log stream now exists
    jet.JetTerm(i)


def test_init_settings_checks(parker):
    # tm.cxx ErrIsamInit: "cannot delete log files if not doing circular logging", and not
    # with databases kept attached at the end of recovery -> JET_errInvalidSettings
    i = jet.JetCreateInstance("s1")
    jet.JetSetSystemParameter(i, None, jet.JET_paramCleanupMismatchedLogFiles, 1)
    with expect(jet.JET_errInvalidSettings):
        jet.JetInit(i)
    i = jet.JetCreateInstance("s2")
    jet.JetSetSystemParameter(i, None, jet.JET_paramCleanupMismatchedLogFiles, 1)
    jet.JetSetSystemParameter(i, None, jet.JET_paramCircularLog, 1)
    with expect(jet.JET_errInvalidSettings):
        jet.JetInit2(i, jet.JET_bitKeepDbAttachedAtEndOfRecovery)
    i = jet.JetCreateInstance("s3")
    jet.JetSetSystemParameter(i, None, jet.JET_paramCleanupMismatchedLogFiles, 1)
    jet.JetSetSystemParameter(i, None, jet.JET_paramCircularLog, 1)
    jet.JetInit(i)
    jet.JetTerm(i)

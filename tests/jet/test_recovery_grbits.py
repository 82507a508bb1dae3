"""The recovery grbits of JetInit2/JetInit3 that change what soft recovery leaves behind:
JET_bitTruncateLogsAfterRecovery, JET_bitKeepDbAttachedAtEndOfRecovery,
JET_bitExternalRecoveryControl, JET_bitReplayInferCheckpointFromRstmapDbs and
JET_bitReplayIgnoreLogRecordsBeforeMinRequiredLog.

ESE sources (microsoft/Extensible-Storage-Engine, dev/ese/src/ese/):

- tm.cxx ``ErrIsamInit``: ``plog->ErrLGSoftStart( !!(grbit &
  JET_bitKeepDbAttachedAtEndOfRecovery), !!(grbit &
  JET_bitReplayInferCheckpointFromRstmapDbs), ...)``; ``ErrRecoveryControlDefaultCallback``
  calls the user's callback for ``JET_snpRecoveryControl`` only ``if ( grbit &
  JET_bitExternalRecoveryControl || snp != JET_snpRecoveryControl )``, else returns
  ``errDefault`` (``JET_errRecoveredWithoutUndo`` at ``JET_sntBeginUndo`` with
  ``JET_bitRecoveryWithoutUndo``);
- jetapi.cxx ``CAutoRSTINFOW::ErrSet``: JetInit3's ``pfnStatus`` becomes that user callback
  (``new InitCallbackWrapper( prstInfo->pfnStatus )``);
- _log/logredo.cxx ``ErrLGRRedo``: ``ErrLGBeginUndoCallback`` decides undo
  (``JET_errRecoveredWithoutUndo``: skip it; another error: fail); ``if (
  m_fTruncateLogsAfterRecovery ) m_pLogStream->LGTruncateLogsAfterRecovery()`` on both the
  without-undo path and after undo; ``ErrLGRIEndAllSessions( ..., fKeepDbAttached &&
  !m_fLastLRIsShutdown, ... )`` skips the detach (``lrtypRecoveryQuitKeepAttachments``);
  ``ErrLGSoftStart``: without a checkpoint, ``if ( fInferCheckpointFromRstmapDbs )
  LoadCheckpointGenerationFromRstmap( &lgenLow )``, else the lowest generation present;
  ``FLGRICheckRedoConditionForAttachedDb``: the ignore-before-min-required bit skips
  records below the database header's ``le_lGenMinRequired``;
- _log/logstream.cxx ``LGTruncateLogsAfterRecovery``: deletes archived generations from
  the lowest present up to, not including, the current log's;
- _log/rstmap.cxx ``LoadCheckpointGenerationFromRstmap``: the lowest
  ``lGenLastConsistent`` (clean) / ``lGenMinRequired`` (dirty) of the map's databases; a
  missing one gives 0 (the lowest log).
"""

from __future__ import annotations

import os
import signal
import struct
import subprocess
import sys
import textwrap

import pyese.jet as jet
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.log import log_format as F

from .helpers import expect

BIG = 60
"""Rows of 3000 bytes per database: about 180 KB of log, several 64 KB generations (the
smallest JET_paramLogFileSize)."""


def _instance(name: str) -> jet.JET_INSTANCE:
    i = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(i, None, jet.JET_paramLogFileSize, 64, None)
    return i


def _fill(s: object, path: str, values: range) -> None:
    """Create ``path`` with a table T(v long, pad binary) and one commit per value."""
    db = jet.JetCreateDatabase(s, path)
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    pad = jet.JetAddColumn(s, t, "pad", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    for v in values:
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, struct.pack("<i", v), 0)
        jet.JetSetColumn(s, t, pad, bytes([v % 256]) * 3000, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)


def _crash(paths: tuple[str, ...] = ("a.edb",), values: range = range(BIG)) -> None:
    """Databases filled by ``_fill`` and left attached by a dirty term."""
    i = _instance("crash")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    for p in paths:
        _fill(s, p, values)
    with expect(jet.JET_errDirtyShutdown):
        jet.JetTerm2(i, jet.JET_bitTermDirty)


def _values(inst: object, path: str, *, attach: bool = True) -> list[int]:
    s = jet.JetBeginSession(inst)
    if attach:
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
    if attach:
        jet.JetDetachDatabase(s, path)
    jet.JetEndSession(s, 0)
    return sorted(out)


def _archived() -> list[int]:
    return sorted(F.list_archived(".", F.DEFAULT_BASE_NAME))


def _state(path: str) -> int:
    return jet.JetGetDatabaseFileInfo(path, jet.JET_DbInfoMisc).dbstate


# --- JET_bitTruncateLogsAfterRecovery ------------------------------------------------

CHILD = textwrap.dedent("""
    import os, struct, sys, time
    sys.path.insert(0, sys.argv[2])
    os.chdir(sys.argv[1])
    import pyese.jet as jet
    i = jet.JetCreateInstance("child")
    jet.JetSetSystemParameter(i, None, jet.JET_paramLogFileSize, 64, None)
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    db = jet.JetCreateDatabase(s, "a.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    pad = jet.JetAddColumn(s, t, "pad", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCommitTransaction(s, 0)
    for v in range(int(sys.argv[3])):
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, struct.pack("<i", v), 0)
        jet.JetSetColumn(s, t, pad, bytes([v % 256]) * 3000, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)  # durable: acknowledged once it returns
    print("ready", flush=True)
    time.sleep(60)
""")


def _sigkill_child(rows: int) -> None:
    src = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__)))), "src")
    child = subprocess.Popen([sys.executable, "-c", CHILD, os.getcwd(), src, str(rows)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env={**os.environ, "PYESE_PURE": "1"})
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line.strip() == "ready", child.stderr.read() if child.stderr else line
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()
        if child.stderr is not None:
            child.stderr.close()


def test_truncate_logs_after_recovery_of_a_killed_process(parker):
    # logredo.cxx ErrLGRRedo: after undo, LGTruncateLogsAfterRecovery deletes the archived
    # generations below the current log's (logstream.cxx); the checkpoint is past them
    _sigkill_child(BIG)
    before = _archived()
    assert len(before) >= 2, before
    i = _instance("r")
    jet.JetInit2(i, jet.JET_bitTruncateLogsAfterRecovery)
    assert _archived() == []  # only the current generation, edb.log, is left
    assert os.path.exists("edb.log")
    assert _values(i, "a.edb") == list(range(BIG))  # every acknowledged commit
    jet.JetTerm(i)
    # the log stream that is left still starts the instance, and loses nothing
    i = _instance("again")
    jet.JetInit(i)
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_without_the_bit_recovery_keeps_the_logs(parker):
    _sigkill_child(BIG)
    before = _archived()
    i = _instance("r")
    jet.JetInit(i)
    assert set(before) <= set(_archived())
    jet.JetTerm(i)


def test_truncate_after_a_clean_term_deletes_nothing(parker):
    # ErrLGSoftStart runs no redo when the log closed normally at the checkpoint, so
    # ErrLGRRedo's truncation never runs
    i = _instance("c")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    _fill(s, "a.edb", range(BIG))
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)
    before = _archived()
    assert len(before) >= 2
    i = _instance("r")
    jet.JetInit2(i, jet.JET_bitTruncateLogsAfterRecovery)
    assert set(before) <= set(_archived())
    jet.JetTerm(i)


def test_truncate_logs_after_recovery_without_undo(parker):
    # logredo.cxx: on the without-undo path, LGITryCleanupAfterRedoError then
    # LGTruncateLogsAfterRecovery: the generations before the last one replayed go, the
    # databases stay as replayed, and a later JetInit goes on from there
    _crash()
    assert len(_archived()) >= 2
    i = _instance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit2(i, jet.JET_bitRecoveryWithoutUndo | jet.JET_bitTruncateLogsAfterRecovery)
    assert _archived() == []
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_truncate_after_a_stop_keeps_the_generations_after_it(parker):
    # a stop in the middle of the log: the generations after the stop are still needed
    _crash()
    os.remove("edb.chk")  # replay from the first generation (as after a restore)
    gens = _archived()
    stop_gen = gens[1]
    i = _instance("r")
    info = jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=stop_gen, isec=0xFFFF,
                                                   ib=0xFFFF))
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, info, jet.JET_bitTruncateLogsAfterRecovery)
    assert _archived() == [g for g in gens if g >= stop_gen]
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_stop_before_the_checkpoint_truncates_nothing(parker):
    # ErrLGSoftStart: a checkpoint already past the stop ends recovery with
    # JET_errRecoveredWithoutUndo before any redo (and before any truncation)
    _crash()
    gens = _archived()
    from pyese.storage.log.checkpoint import read_checkpoint

    ckpt = read_checkpoint("edb.chk")
    assert ckpt is not None and ckpt.lgpos.generation > 1
    i = _instance("r")
    info = jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=1, isec=0xFFFF, ib=0xFFFF))
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, info, jet.JET_bitTruncateLogsAfterRecovery)
    assert _archived() == gens


def test_stop_position_checks(parker):
    # ErrLGSoftStart: a stop with generation 0 (other than lgposMin), or with
    # JET_paramDeleteOldLogs / JET_paramDeleteOutOfRangeLogs, is JET_errInvalidParameter
    _crash(("a.edb",), range(2))
    i = _instance("r")
    with expect(jet.JET_errInvalidParameter):
        jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(isec=3, ib=4)), 0)
    for param in (jet.JET_paramDeleteOldLogs, jet.JET_paramDeleteOutOfRangeLogs):
        i = _instance("r")
        jet.JetSetSystemParameter(i, None, param, 1, None)
        with expect(jet.JET_errInvalidParameter):
            jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=1, isec=1)), 0)
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown  # nothing was replayed
    # lgposMin is no stop at all
    i = _instance("r")
    jet.JetSetSystemParameter(i, None, jet.JET_paramDeleteOutOfRangeLogs, 1, None)
    jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS()), 0)
    assert _values(i, "a.edb") == [0, 1]
    jet.JetTerm(i)


def test_stop_generation_before_the_checkpoint_with_no_record_stop(parker):
    # FLGRecoveryLgposStop is true for (gen, 0, 0) although it stops no record: a
    # checkpoint past that generation still ends recovery before redo
    _crash()
    from pyese.storage.log.checkpoint import read_checkpoint

    ckpt = read_checkpoint("edb.chk")
    assert ckpt is not None and ckpt.lgpos.generation > 1
    i = _instance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(lgposStop=jet.JET_LGPOS(lGeneration=1)), 0)
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown


# --- JET_bitKeepDbAttachedAtEndOfRecovery ---------------------------------------------


def test_keep_db_attached_at_end_of_recovery(parker):
    _crash(("a.edb", "b.edb"), range(3))
    i = _instance("r")
    jet.JetInit2(i, jet.JET_bitKeepDbAttachedAtEndOfRecovery)
    # the recovered databases are attached: listed, opened without JetAttachDatabase
    [mine] = [x for x in jet.JetGetInstanceInfo() if x.szInstanceName == "r"]
    assert sorted(os.path.basename(f) for f in mine.szDatabaseFileName) == ["a.edb", "b.edb"]
    assert _values(i, "a.edb", attach=False) == [0, 1, 2]
    s = jet.JetBeginSession(i)
    assert jet.JetAttachDatabase(s, "b.edb", 0) == jet.JET_wrnDatabaseAttached
    jet.JetEndSession(s, 0)
    # attached to a running instance: not consistent until JetTerm detaches it
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    jet.JetTerm(i)
    assert _state("a.edb") == jet.JET_dbstateCleanShutdown
    assert _state("b.edb") == jet.JET_dbstateCleanShutdown
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "b.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_without_keep_the_databases_end_detached(parker):
    _crash(("a.edb",), range(3))
    i = _instance("r")
    jet.JetInit(i)
    assert _state("a.edb") == jet.JET_dbstateCleanShutdown
    s = jet.JetBeginSession(i)
    with expect(jet.JET_errDatabaseNotFound):
        jet.JetOpenDatabase(s, "a.edb")
    assert jet.JetAttachDatabase(s, "a.edb", 0) == 0
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


def test_keep_attached_after_a_clean_term_attaches_nothing(parker):
    # ErrLGRIEndAllSessions( fKeepDbAttached && !m_fLastLRIsShutdown ): after a clean
    # shutdown every database was detached and stays so
    i = _instance("c")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    _fill(s, "a.edb", range(2))
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)
    i = _instance("r")
    jet.JetInit2(i, jet.JET_bitKeepDbAttachedAtEndOfRecovery)
    s = jet.JetBeginSession(i)
    assert jet.JetAttachDatabase(s, "a.edb", 0) == 0
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


# --- JET_bitExternalRecoveryControl ---------------------------------------------------


def _recording(answer: object):
    seen: list[tuple[int, int, object]] = []

    def status(sesid, snp, snt, pv):
        seen.append((snp, snt, pv))
        if snp == jet.JET_snpRecoveryControl:
            return answer(snt, pv) if callable(answer) else answer
        return 0

    return status, seen


def _at(snt: int, answer: int):
    """Answer ``answer`` to ``snt``, ``errDefault`` to every other question."""
    return lambda asked, pv: answer if asked == snt else pv.errDefault


def test_external_recovery_control_begin_undo_stops_recovery(parker):
    # the callback answers JET_sntBeginUndo with JET_errRecoveredWithoutUndo: ESE skips
    # undo (logredo.cxx ErrLGRRedo, fSkipUndo) and JetInit fails with that error
    _crash(("a.edb",), range(3))
    status, seen = _recording(_at(jet.JET_sntBeginUndo, jet.JET_errRecoveredWithoutUndo))
    i = _instance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    [(snp, snt, pv)] = [x for x in seen if x[1] == jet.JET_sntBeginUndo]
    assert pv.errDefault == jet.JET_errSuccess  # ESE's own answer: go on to undo
    assert pv.cdbinfomisc == 1 and pv.rgdbinfomisc[0].dbstate == jet.JET_dbstateDirtyShutdown
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_default_answer_goes_on(parker):
    # returning errDefault is ESE's own behaviour: with JET_bitRecoveryWithoutUndo it is
    # JET_errRecoveredWithoutUndo (tm.cxx), without it success
    _crash(("a.edb",), range(3))
    status, seen = _recording(lambda snt, pv: pv.errDefault)
    i = _instance("r")
    with expect(jet.JET_errRecoveredWithoutUndo):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status),
                     jet.JET_bitExternalRecoveryControl | jet.JET_bitRecoveryWithoutUndo)
    assert [pv.errDefault for snp, snt, pv in seen if snt == jet.JET_sntBeginUndo] \
        == [jet.JET_errRecoveredWithoutUndo]
    i = _instance("r2")
    status, seen = _recording(lambda snt, pv: pv.errDefault)
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_error_fails_recovery(parker):
    _crash(("a.edb",), range(3))
    status, _seen = _recording(jet.JET_errDiskIO)
    i = _instance("r")
    with expect(jet.JET_errDiskIO):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    assert _state("a.edb") == jet.JET_dbstateDirtyShutdown
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_asks_begin_undo_then_open_log_for_do(parker):
    # ErrLGRRedo asks JET_sntBeginUndo; ErrLGSoftStart then asks JET_sntOpenLog with
    # JET_OpenLogForDo before the instance runs
    _crash(("a.edb",), range(3))
    status, seen = _recording(None)
    i = _instance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    asked = [(snt, pv) for snp, snt, pv in seen if snp == jet.JET_snpRecoveryControl]
    # redo opens the generation (JET_OpenLogForRedo, logstream.cxx ErrLGTryOpenJetLog),
    # replays the attach (JET_sntAttachedDb, db.cxx), then asks JET_sntBeginUndo
    assert [snt for snt, _pv in asked] == [jet.JET_sntOpenLog, jet.JET_sntAttachedDb,
                                           jet.JET_sntBeginUndo, jet.JET_sntOpenLog]
    redo = asked[0][1]
    assert (redo.eReason, redo.lGenNext, redo.fCurrentLog) == (jet.JET_OpenLogForRedo, 1, True)
    assert redo.errDefault == jet.JET_errSuccess
    assert os.path.basename(redo.wszLogFile) == "edb.log"
    assert os.path.basename(asked[1][1].wszDbPath) == "a.edb"
    assert asked[1][1].errDefault == jet.JET_errSuccess
    open_log = asked[3][1]
    assert open_log.eReason == jet.JET_OpenLogForDo and open_log.fCurrentLog
    assert open_log.errDefault == jet.JET_errSuccess
    assert os.path.basename(open_log.wszLogFile) == "edb.log"
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_after_a_clean_term(parker):
    # a log that closed normally needs no redo: no JET_sntBeginUndo; the JET_sntOpenLog
    # (JET_OpenLogForDo) default with JET_bitRecoveryWithoutUndo is
    # JET_errRecoveredWithoutUndoDatabasesConsistent (tm.cxx), which the callback may
    # overrule to start the instance
    i = _instance("c")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    _fill(s, "a.edb", range(2))
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)
    grbit = jet.JET_bitExternalRecoveryControl | jet.JET_bitRecoveryWithoutUndo
    status, seen = _recording(lambda snt, pv: pv.errDefault)
    i = _instance("r")
    with expect(jet.JET_errRecoveredWithoutUndoDatabasesConsistent):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), grbit)
    assert [(snt, pv.errDefault) for snp, snt, pv in seen if snp == jet.JET_snpRecoveryControl] \
        == [(jet.JET_sntOpenLog, jet.JET_errRecoveredWithoutUndoDatabasesConsistent)]
    assert _state("a.edb") == jet.JET_dbstateCleanShutdown
    status, seen = _recording(jet.JET_errSuccess)
    i = _instance("r2")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), grbit)  # overruled: it runs
    assert _values(i, "a.edb") == [0, 1]
    jet.JetTerm(i)


def test_without_the_bit_the_callback_gets_no_recovery_control(parker):
    # tm.cxx: snp == JET_snpRecoveryControl reaches the user only with the bit
    _crash(("a.edb",), range(3))
    status, seen = _recording(jet.JET_errDiskIO)
    i = _instance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), 0)
    assert {snp for snp, _snt, _pv in seen} == {jet.JET_snpRestore}
    jet.JetTerm(i)
    # and JetInit2 has no callback to hand it to: ESE's defaults stand
    _crash(("b.edb",), range(2))
    i = _instance("r2")
    jet.JetInit2(i, jet.JET_bitExternalRecoveryControl)
    assert _values(i, "b.edb") == [0, 1]
    jet.JetTerm(i)


# --- JET_bitReplayInferCheckpointFromRstmapDbs ----------------------------------------


def _damage(gen: int) -> None:
    """Overwrite a record in the middle of archived generation ``gen``."""
    path = F.list_archived(".", F.DEFAULT_BASE_NAME)[gen]
    with open(path, "r+b") as f:
        f.seek(os.path.getsize(path) // 2)
        f.write(b"\xa5" * 64)


def test_infer_checkpoint_from_rstmap_dbs(parker):
    # without a checkpoint replay starts at the lowest generation present; with the bit,
    # at the generation the map's databases need (rstmap.cxx
    # LoadCheckpointGenerationFromRstmap), so a damaged older generation is never read
    _crash()
    os.remove("edb.chk")
    assert _needed("a.edb") > 1
    _damage(1)
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szNewDatabaseName="a.edb")])
    i = _instance("r")
    with expect(jet.JET_errLogFileCorrupt):
        jet.JetInit3(i, info, 0)
    i = _instance("r2")
    jet.JetInit3(i, info, jet.JET_bitReplayInferCheckpointFromRstmapDbs)
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_infer_checkpoint_needs_every_map_database(parker):
    # a destination that is not there: LoadCheckpointGenerationFromRstmap returns 0, the
    # lowest log (here the damaged one)
    _crash()
    os.remove("edb.chk")
    _damage(1)
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szNewDatabaseName="a.edb"),
                                     jet.JET_RSTMAP(szDatabaseName="gone.edb",
                                                    szNewDatabaseName="gone.edb")])
    i = _instance("r")
    with expect(jet.JET_errLogFileCorrupt):
        jet.JetInit3(i, info, jet.JET_bitReplayInferCheckpointFromRstmapDbs)


def _needed(path: str) -> int:
    """The generation a dirty pyese database needs first: that of the last record applied
    to it (ESE's lGenMinRequired, rstmap.cxx)."""
    db = DatabaseFile.open(path, read_only=True)
    try:
        assert db.header.state == jet.JET_dbstateDirtyShutdown
        return db.header.applied_lgpos.generation
    finally:
        db.close()


def test_infer_checkpoint_takes_the_lowest_generation_of_the_map(parker):
    # b.edb was filled first: it needs an older generation than a.edb, and replay must
    # start there, even though a.edb alone would start later
    _crash(("b.edb", "a.edb"))
    os.remove("edb.chk")
    low, high = _needed("b.edb"), _needed("a.edb")
    assert 1 < low < high
    _damage(low - 1)
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szNewDatabaseName="a.edb"),
                                     jet.JET_RSTMAP(szNewDatabaseName="b.edb")])
    i = _instance("r")
    jet.JetInit3(i, info, jet.JET_bitReplayInferCheckpointFromRstmapDbs)
    assert _values(i, "a.edb") == list(range(BIG))
    assert _values(i, "b.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_infer_checkpoint_with_the_needed_generation_gone(parker):
    # ErrLGSoftStart opens that generation with JET_errMissingPreviousLogFile
    _crash(("b.edb", "a.edb"))
    os.remove("edb.chk")
    low = _needed("b.edb")
    archived = F.list_archived(".", F.DEFAULT_BASE_NAME)
    assert low in archived
    for gen, path in archived.items():
        if gen <= low:
            os.remove(path)
    # a.edb alone would start after it: the lowest generation of the map decides
    assert _needed("a.edb") not in archived or _needed("a.edb") > low
    info = jet.JET_RSTINFO(rgrstmap=[jet.JET_RSTMAP(szNewDatabaseName="a.edb"),
                                     jet.JET_RSTMAP(szNewDatabaseName="b.edb")])
    i = _instance("r")
    with expect(jet.JET_errMissingPreviousLogFile):
        jet.JetInit3(i, info, jet.JET_bitReplayInferCheckpointFromRstmapDbs)


# --- JET_bitReplayIgnoreLogRecordsBeforeMinRequiredLog --------------------------------


def test_ignore_log_records_before_min_required_log(tmp_path):
    # FLGRICheckRedoConditionForAttachedDb: with the bit, a record of a generation below
    # the database's minimum required one is not redone. pyese never redoes a record at
    # or before the database's applied position, which is past that generation: a record
    # that would change the file if it were replayed is left out, bit or not
    from pyese.storage.log.log_writer import LogWriter
    from pyese.storage.log.recovery import recover
    from pyese.storage.ops import OP_PUT, Op

    d = str(tmp_path)
    db = DatabaseFile.create(os.path.join(d, "a.db"))
    sig = bytes(db.header.signature)
    log = LogWriter.open(d)
    log.append(F.REC_ATTACH, F.encode_attach(1, sig, db.path))
    log.append(F.REC_COMMIT, F.encode_commit(1, {1: [Op(OP_PUT, 7, b"k", b"old")]}))
    log.flush()
    log.new_generation()
    later = log.append(F.REC_COMMIT, F.encode_commit(2, {1: [Op(OP_PUT, 7, b"j", b"x")]}))
    log.flush()
    # the database holds everything up to ``later``, and k changed since the first record
    db.set_state(jet.JET_dbstateDirtyShutdown, log_signature=log.signature)
    db.apply([Op(OP_PUT, 7, b"k", b"new"), Op(OP_PUT, 7, b"j", b"x")], later)
    db.close()
    log.close(clean=False)
    recover(d, d)
    db = DatabaseFile.open(os.path.join(d, "a.db"), read_only=True)
    try:
        assert db.snapshot().get(7, b"k") == b"new"
        assert db.header.state == jet.JET_dbstateCleanShutdown
    finally:
        db.close()


def test_ignore_log_records_before_min_required_log_is_accepted(parker):
    _crash(("a.edb",), range(3))
    i = _instance("r")
    jet.JetInit2(i, jet.JET_bitReplayIgnoreLogRecordsBeforeMinRequiredLog)
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


# --- the other recovery-control questions (logstream.cxx, db.cxx, tm.cxx) ---------------


def test_external_recovery_control_open_log_for_redo_each_generation(parker):
    # logstream.cxx ErrLGTryOpenLogFile: ErrLGOpenLogCallback( ..., JET_OpenLogForRedo,
    # lgen, eLogType == eCurrentLog ) before each generation redo opens; errDefault is
    # JET_errSuccess (log.hxx ErrLGOpenLogCallback)
    _crash(("a.edb",), range(BIG))
    os.unlink("edb.chk")  # redo from the first generation
    status, seen = _recording(None)
    i = _instance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    redo = [pv for _snp, snt, pv in seen
            if snt == jet.JET_sntOpenLog and pv.eReason == jet.JET_OpenLogForRedo]
    assert len(redo) >= 3  # several 64 KB generations
    assert [pv.lGenNext for pv in redo] == list(range(1, len(redo) + 1))
    assert [pv.fCurrentLog for pv in redo] == [False] * (len(redo) - 1) + [True]
    assert os.path.basename(redo[0].wszLogFile) == "edb00001.log"
    assert {pv.errDefault for pv in redo} == {jet.JET_errSuccess}
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_external_recovery_control_refusing_a_log_fails_recovery(parker):
    # CallR( ErrLGOpenLogCallback( ... ) ): the callback's error ends recovery with it;
    # the databases stay as far as redo got, and a later recovery goes on
    _crash(("a.edb",), range(BIG))
    os.unlink("edb.chk")

    def refuse_gen_2(snt, pv):
        if snt == jet.JET_sntOpenLog and pv.eReason == jet.JET_OpenLogForRedo \
                and pv.lGenNext == 2:
            return jet.JET_errDiskIO
        return pv.errDefault

    status, seen = _recording(refuse_gen_2)
    i = _instance("r")
    with expect(jet.JET_errDiskIO):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    assert jet.JET_sntBeginUndo not in [snt for _snp, snt, _pv in seen]
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == list(range(BIG))
    jet.JetTerm(i)


def test_external_recovery_control_attached_and_detaching_db(parker):
    # db.cxx: ErrLGDbAttachedCallback once recovery attached a database; ErrLGDbDetachingCallback
    # before it detaches one (JET_RECOVERYCONTROL AttachedDb / DetachingDb .wszDbPath);
    # an error answer fails recovery with it
    i = _instance("crash")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    _fill(s, "a.edb", range(2))
    jet.JetEndSession(s, 0)  # closes its database handles
    s = jet.JetBeginSession(i)
    _fill(s, "b.edb", range(3))
    jet.JetDetachDatabase(s, "a.edb")
    with expect(jet.JET_errDirtyShutdown):
        jet.JetTerm2(i, jet.JET_bitTermDirty)
    os.unlink("edb.chk")  # redo from the first generation, both ATTACH records
    status, seen = _recording(None)
    i = _instance("r")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    dbs = [(snt, os.path.basename(pv.wszDbPath)) for _snp, snt, pv in seen
           if snt in (jet.JET_sntAttachedDb, jet.JET_sntDetachingDb)]
    assert dbs == [(jet.JET_sntAttachedDb, "a.edb"), (jet.JET_sntAttachedDb, "b.edb"),
                   (jet.JET_sntDetachingDb, "a.edb")]
    assert _values(i, "b.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_refusing_an_attachment(parker):
    _crash(("a.edb",), range(3))
    status, _seen = _recording(_at(jet.JET_sntAttachedDb, jet.JET_errDatabaseInUse))
    i = _instance("r")
    with expect(jet.JET_errDatabaseInUse):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), jet.JET_bitExternalRecoveryControl)
    i = _instance("r2")
    jet.JetInit(i)
    assert _values(i, "a.edb") == [0, 1, 2]
    jet.JetTerm(i)


def test_external_recovery_control_missing_log_stream(parker):
    # no checkpoint and no log: ESE asks JET_sntMissingLog (lGenMissing 0, the current log,
    # JET_MissingLogCreateNewLogStream). errDefault: JET_errSuccess, or JET_errFileNotFound
    # with JET_bitLogStreamMustExist (tm.cxx FEnsureLogStreamMustExist). The callback's
    # JET_errFileNotFound / JET_errMissingLogFile becomes JET_errMissingLogFile (log.cxx
    # ErrLGRecoveryControlCallback); success starts a new stream.
    grbit = jet.JET_bitExternalRecoveryControl
    status, seen = _recording(None)
    i = _instance("n1")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), grbit)
    [pv] = [pv for _snp, snt, pv in seen if snt == jet.JET_sntMissingLog]
    assert (pv.lGenMissing, pv.fCurrentLog, pv.eNextAction, pv.errDefault) == \
        (0, True, jet.JET_MissingLogCreateNewLogStream, jet.JET_errSuccess)
    assert os.path.basename(pv.wszLogFile) == "edb.log"
    jet.JetTerm(i)
    for name in os.listdir("."):
        if name.endswith((".log", ".chk", ".jtx", ".jrs")):
            os.unlink(name)
    status, seen = _recording(lambda snt, pv: pv.errDefault)
    i = _instance("n2")
    with expect(jet.JET_errMissingLogFile):
        jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), grbit | jet.JET_bitLogStreamMustExist)
    [pv] = [pv for _snp, snt, pv in seen if snt == jet.JET_sntMissingLog]
    assert pv.errDefault == jet.JET_errFileNotFound
    status, seen = _recording(jet.JET_errSuccess)  # overruled: a new stream
    i = _instance("n3")
    jet.JetInit3(i, jet.JET_RSTINFO(pfnStatus=status), grbit | jet.JET_bitLogStreamMustExist)
    jet.JetTerm(i)
    assert os.path.exists("edb.log")

"""JetInit2 / JetInit3 recovery flags.

JET_bitReplayIgnoreMissingDB: recovery of a log that names a database no longer there
fails with JET_errAttachedDatabaseMismatch (ESE logredo.cxx ErrLGIAttachedDatabaseMismatch)
unless the bit asks recovery to go on with the databases present
(storage.log.recovery; tests/storage/test_recovery.py covers the replay itself).
"""

from __future__ import annotations

import os
import shutil
import struct

import pyese.jet as jet

from .helpers import expect


def _crash_with_two_databases(name: str) -> None:
    i = jet.JetCreateInstance(name)
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    for path in ("a.edb", "b.edb"):
        db = jet.JetCreateDatabase(s, path)
        jet.JetBeginTransaction(s)
        t = jet.JetCreateTable(s, db, "T", 0, 100)
        c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c, struct.pack("<i", 7), 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
        jet.JetCloseTable(s, t)
    # a dirty term: both databases stay attached in the log, for recovery
    with expect(jet.JET_errDirtyShutdown):
        jet.JetTerm2(i, jet.JET_bitTermDirty)


def test_missing_database_needs_replay_ignore_missing_db(parker):
    _crash_with_two_databases("crash")
    os.makedirs("away", exist_ok=True)
    shutil.move("b.edb", os.path.join("away", "b.edb"))
    i = jet.JetCreateInstance("again")
    with expect(jet.JET_errAttachedDatabaseMismatch):
        jet.JetInit(i)
    # a failed JetInit frees the instance (ESE jetapi.cxx): a new one retries
    i = jet.JetCreateInstance("again2")
    jet.JetInit2(i, jet.JET_bitReplayIgnoreMissingDB)
    s = jet.JetBeginSession(i)
    jet.JetAttachDatabase(s, "a.edb", 0)
    db = jet.JetOpenDatabase(s, "a.edb")
    t = jet.JetOpenTable(s, db, "T")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    c = jet.JetGetTableColumnInfo(s, t, "v", jet.JET_ColInfo).columnid
    assert jet.JetRetrieveColumn(s, t, c, 0) == struct.pack("<i", 7)
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


def test_init3_checks_its_arguments(parker):
    i = jet.JetCreateInstance("init3")
    with expect(jet.JET_errInvalidParameter):
        jet.JetInit3(i, "not a JET_RSTINFO", 0)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetInit3(i, None, "x")

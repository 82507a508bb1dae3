"""Every JET function that writes refuses a read-only transaction with
JET_errTransReadOnly (ESE pib.hxx ErrPIBCheckUpdatable, called by each update path)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def env(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "ro.edb")
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    e = jet.JetAddColumn(s, t, "e", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnEscrowUpdate | jet.JET_bitColumnFixed),
        struct.pack("<i", 0))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCreateIndex(s, t, "byV", 0, "+v\0\0")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, k, struct.pack("<i", 1), 0)
    jet.JetUpdate(s, t)
    jet.JetCloseTable(s, t)
    jet.JetCloseTable(s, jet.JetCreateTable(s, db, "Other", 0, 100))
    t = jet.JetOpenTable(s, db, "T")
    return s, db, t, e


def _first(s, t):
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)


WRITES = {
    "PrepareUpdate insert": lambda s, db, t, e: jet.JetPrepareUpdate(s, t, jet.JET_prepInsert),
    "PrepareUpdate replace": lambda s, db, t, e: (
        _first(s, t), jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)),
    "PrepareUpdate replace no lock": lambda s, db, t, e: (
        _first(s, t), jet.JetPrepareUpdate(s, t, jet.JET_prepReplaceNoLock)),
    "PrepareUpdate insert copy": lambda s, db, t, e: (
        _first(s, t), jet.JetPrepareUpdate(s, t, jet.JET_prepInsertCopy)),
    "Delete": lambda s, db, t, e: (_first(s, t), jet.JetDelete(s, t)),
    "EscrowUpdate": lambda s, db, t, e: (
        _first(s, t), jet.JetEscrowUpdate(s, t, e, struct.pack("<i", 1), 0)),
    "GetLock write": lambda s, db, t, e: (
        _first(s, t), jet.JetGetLock(s, t, jet.JET_bitWriteLock)),
    "CreateTable": lambda s, db, t, e: jet.JetCreateTable(s, db, "U", 0, 100),
    "AddColumn": lambda s, db, t, e: jet.JetAddColumn(
        s, t, "z", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
    "CreateIndex": lambda s, db, t, e: jet.JetCreateIndex(s, t, "ik", 0, "-k\0\0"),
    "DeleteColumn": lambda s, db, t, e: jet.JetDeleteColumn(s, t, "e"),
    "DeleteIndex": lambda s, db, t, e: jet.JetDeleteIndex(s, t, "byV"),
    "DeleteTable": lambda s, db, t, e: jet.JetDeleteTable(s, db, "Other"),
    "RenameTable": lambda s, db, t, e: jet.JetRenameTable(s, db, "Other", "Other2"),
    "SetColumnDefaultValue": lambda s, db, t, e: jet.JetSetColumnDefaultValue(
        s, db, "T", "v", struct.pack("<i", 3), 0),
    "ComputeStats": lambda s, db, t, e: jet.JetComputeStats(s, t),
}


@pytest.mark.parametrize("name", sorted(WRITES))
def test_write_in_read_only_transaction(env, name):
    s, db, t, e = env
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    with expect(jet.JET_errTransReadOnly):
        WRITES[name](s, db, t, e)
    jet.JetRollback(s, jet.JET_bitRollbackAll)
    # reads stay allowed, and the same write works in an ordinary transaction
    jet.JetBeginTransaction2(s, jet.JET_bitTransactionReadOnly)
    _first(s, t)
    jet.JetRetrieveColumn(s, t, jet.JetGetTableColumnInfo(s, t, "k").columnid, 0)
    jet.JetRollback(s, 0)

"""A rollback that undoes DDL also updates the session's open cursors (ESE keeps the
table's definition in its FCB, which the rollback of the DDL version restores:
ver.cxx, rollback of operCreateIndex / operAddColumn)."""

from __future__ import annotations

import pyese.jet as jet

from .helpers import expect


def test_rolled_back_index_and_column_vanish_from_open_cursors(inst) -> None:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "r.edb")
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "a", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "T")
    jet.JetBeginTransaction(s)
    jet.JetBeginTransaction(s)
    b = jet.JetAddColumn(s, t, "b", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "ixb", 0, "+b\0\0")
    jet.JetSetCurrentIndex(s, t, "ixb")
    jet.JetRollback(s)  # the inner level: index and column go
    with expect(jet.JET_errIndexNotFound):
        jet.JetSetCurrentIndex(s, t, "ixb")
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errColumnNotFound):
        jet.JetSetColumn(s, t, b, b"\x01\x00\x00\x00")
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    jet.JetCommitTransaction(s)
    assert jet.JetGetCurrentIndex(s, t) == ""

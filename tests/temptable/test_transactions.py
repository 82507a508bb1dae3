"""Temporary tables and transactions.

ESE: sorts are never versioned (``sort.cxx`` SORTICloseRun: "Versioning doesn't occur on
sorts"); the copy that materializes a sort is unversioned (``sortapi.cxx``
ErrIsamSortMaterialize, fDIRNoVersion); the temporary database is created with versioning
off only when ``JET_paramEnableTempTableVersioning`` is off (``sysinit.cxx``
ErrINSTCreateTempDatabase_), so by default a materialized table's updates are undone by a
rollback. Cursors opened inside a rolled back transaction are closed (``tm.cxx``
ErrIsamRollback closes the level's cursors).
"""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .conftest import insert, open_kp, scan

FORCE = jet.JET_bitTTForceMaterialization | jet.JET_bitTTIndexed


def test_sort_inserts_survive_a_rollback(ses):
    t, ids = open_kp(ses, jet.JET_bitTTIndexed)
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 1)
    insert(ses, t, ids, 2)
    jet.JetRollback(ses, 0)
    assert [k for k, _ in scan(ses, t, ids)] == [1, 2]


def test_materialized_changes_are_rolled_back(ses):
    t, ids = open_kp(ses, FORCE)
    insert(ses, t, ids, 1, b"one")
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 2)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], b"changed")
    jet.JetUpdate(ses, t)
    jet.JetRollback(ses, 0)
    assert scan(ses, t, ids) == [(1, b"one")]
    assert jet.JetGetTableInfo(ses, t, jet.JET_TblInfo).cRecord == 1


def test_a_deleted_record_comes_back_and_commits_stay(ses):
    t, ids = open_kp(ses, FORCE)
    insert(ses, t, ids, 1)
    jet.JetBeginTransaction(ses)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetDelete(ses, t)
    jet.JetRollback(ses, 0)
    assert [k for k, _ in scan(ses, t, ids)] == [1]
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 2)
    jet.JetCommitTransaction(ses)
    assert [k for k, _ in scan(ses, t, ids)] == [1, 2]


def test_nested_levels(ses):
    t, ids = open_kp(ses, FORCE)
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 1)
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 2)
    jet.JetCommitTransaction(ses)  # into level 1
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 3)
    jet.JetRollback(ses, 0)  # level 2 only
    assert [k for k, _ in scan(ses, t, ids)] == [1, 2]
    jet.JetRollback(ses, 0)
    assert scan(ses, t, ids) == []


def test_updatable_sort_materialized_inside_a_transaction(ses):
    # the records the sort held are copied unversioned: the rollback keeps them and undoes
    # only what was written to the table afterwards
    t, ids = open_kp(ses, jet.JET_bitTTUpdatable)
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 1)
    jet.JetMove(ses, t, jet.JET_MoveFirst)  # materialized here
    insert(ses, t, ids, 2)
    jet.JetCommitTransaction(ses)
    jet.JetBeginTransaction(ses)
    insert(ses, t, ids, 3)
    jet.JetRollback(ses, 0)
    assert [k for k, _ in scan(ses, t, ids)] == [1, 2]


def test_versioning_off(tmp_path):
    inst = jet.JetCreateInstance("nov")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramEnableTempTableVersioning, 0)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    t, ids = open_kp(s, FORCE)
    jet.JetBeginTransaction(s)
    insert(s, t, ids, 1)
    jet.JetRollback(s, 0)
    assert [k for k, _ in scan(s, t, ids)] == [1]


def test_a_temp_table_opened_in_a_rolled_back_transaction_is_closed(ses):
    jet.JetBeginTransaction(ses)
    t, ids = open_kp(ses, FORCE)
    insert(ses, t, ids, 1)
    s, sids = open_kp(ses, 0)
    jet.JetRollback(ses, 0)
    for handle in (t, s):
        with pytest.raises(jet.InvalidTableIdError):
            jet.JetMove(ses, handle, jet.JET_MoveFirst)


def test_a_temp_table_opened_in_a_committed_transaction_stays(ses):
    jet.JetBeginTransaction(ses)
    t, ids = open_kp(ses, FORCE)
    insert(ses, t, ids, 1)
    jet.JetCommitTransaction(ses)
    assert [k for k, _ in scan(ses, t, ids)] == [1]


def test_materializing_inside_a_transaction_keeps_the_cursor_of_the_outer_level(ses):
    # the cursor was opened at level 0: materializing it at level 1 (ErrIsamSortMaterialize
    # only changes its function table) does not make the level-1 rollback close it
    t, ids = open_kp(ses, jet.JET_bitTTUpdatable)
    insert(ses, t, ids, 1)
    jet.JetBeginTransaction(ses)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    insert(ses, t, ids, 2)
    jet.JetRollback(ses, 0)
    assert [k for k, _ in scan(ses, t, ids)] == [1]

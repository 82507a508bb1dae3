"""Callbacks and local storage: JetRegisterCallback / JetUnregisterCallback for the table
callback types, JetSetLS / JetGetLS, JET_paramRuntimeCallback, FreeCursorLS / FreeTableLS
(ESE callback.cxx, fcb.hxx CBDESC; ME:JetSetGetLs)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


@pytest.fixture
def db(s):
    return jet.JetCreateDatabase(s, "cb.edb")


@pytest.fixture
def t(s, db):
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    v = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    t = jet.JetOpenTable(s, db, "T")
    t.cols = (k, v)  # type: ignore[attr-defined]
    return t


def _insert(s, t, k, v=0):
    kc, vc = t.cols
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, kc, struct.pack("<i", k), 0)
    jet.JetSetColumn(s, t, vc, struct.pack("<i", v), 0)
    return jet.JetUpdate(s, t)


def _count(s, t):
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    except jet.JetError:
        return 0
    n = 1
    while True:
        try:
            jet.JetMove(s, t, jet.JET_MoveNext, 0)
        except jet.JetError:
            return n
        n += 1


def _value(s, t, col):
    return struct.unpack("<i", jet.JetRetrieveColumn(s, t, col, 0))[0]


class Recorder:
    def __init__(self, result=0):
        self.calls = []
        self.result = result

    def __call__(self, sesid, dbid, tableid, cbtyp, arg1, arg2, context, unused):
        self.calls.append((cbtyp, context, int(tableid)))
        return self.result


# -- JetRegisterCallback -------------------------------------------------------------


def test_every_table_callback_type_fires(s, t):
    rec = Recorder()
    types = [jet.JET_cbtypBeforeInsert, jet.JET_cbtypAfterInsert,
             jet.JET_cbtypBeforeReplace, jet.JET_cbtypAfterReplace,
             jet.JET_cbtypBeforeDelete, jet.JET_cbtypAfterDelete]
    handles = [jet.JetRegisterCallback(s, t, typ, rec, f"ctx{typ}") for typ in types]
    assert len(set(handles)) == len(types)
    _insert(s, t, 1)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, t.cols[1], struct.pack("<i", 5), 0)
    jet.JetUpdate(s, t)
    jet.JetDelete(s, t)
    assert [c[0] for c in rec.calls] == types
    assert [c[1] for c in rec.calls] == [f"ctx{typ}" for typ in types]
    assert {c[2] for c in rec.calls} == {int(t)}


def test_a_registration_fires_for_other_cursors_and_sessions(inst, s, db, t):
    # ESE keeps the CBDESC on the table's FCB, not on the cursor.
    rec = Recorder()
    jet.JetRegisterCallback(s, t, jet.JET_cbtypAfterInsert | jet.JET_cbtypAfterDelete, rec)
    s2 = jet.JetBeginSession(inst)
    d2 = jet.JetOpenDatabase(s2, "cb.edb")
    t2 = jet.JetOpenTable(s2, d2, "T")
    t2.cols = t.cols
    _insert(s2, t2, 7)
    jet.JetMove(s2, t2, jet.JET_MoveFirst, 0)
    jet.JetDelete(s2, t2)
    assert [(c[0], c[2]) for c in rec.calls] == [
        (jet.JET_cbtypAfterInsert, int(t2)), (jet.JET_cbtypAfterDelete, int(t2))]


def test_before_insert_callback_error_fails_the_insert(s, t):
    jet.JetRegisterCallback(s, t, jet.JET_cbtypBeforeInsert,
                            Recorder(jet.JET_errKeyDuplicate))
    with expect(jet.JET_errKeyDuplicate):
        _insert(s, t, 1)
    # the update stays prepared, as after any failed JetUpdate, and nothing was written
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    assert _count(s, t) == 0


def test_after_callback_failure_rolls_the_operation_back(s, t):
    def boom(*args):
        raise ValueError("no")

    _insert(s, t, 1, 10)
    h = jet.JetRegisterCallback(s, t, jet.JET_cbtypAfterReplace, boom)
    jet.JetBeginTransaction(s)
    _insert(s, t, 2, 20)  # no insert callback: stays
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, t.cols[1], struct.pack("<i", 99), 0)
    with pytest.raises(jet.JetError) as info:
        jet.JetUpdate(s, t)
    assert info.value.err == jet.JET_errCallbackFailed
    assert isinstance(info.value.__cause__, ValueError)
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    assert _value(s, t, t.cols[1]) == 10  # the replace did not happen ...
    jet.JetCommitTransaction(s, 0)
    assert _count(s, t) == 2  # ... and the rest of the transaction did
    jet.JetUnregisterCallback(s, t, jet.JET_cbtypAfterReplace, h)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, t.cols[1], struct.pack("<i", 99), 0)
    jet.JetUpdate(s, t)
    assert _value(s, t, t.cols[1]) == 99


def test_after_delete_failure_keeps_the_record(s, t):
    _insert(s, t, 1)
    jet.JetRegisterCallback(s, t, jet.JET_cbtypAfterDelete, Recorder(jet.JET_errCallbackFailed))
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    with expect(jet.JET_errCallbackFailed):
        jet.JetDelete(s, t)
    assert _count(s, t) == 1


def test_callback_may_call_back_into_the_api(s, t):
    # A callback runs inside the API with the same session; ESE lets it call JET
    # functions (a BeforeInsert callback can still set columns of the prepared update).
    def fill(sesid, dbid, tableid, cbtyp, a1, a2, ctx, unused):
        jet.JetSetColumn(sesid, tableid, t.cols[1], struct.pack("<i", 42), 0)
        return 0

    jet.JetRegisterCallback(s, t, jet.JET_cbtypBeforeInsert, fill)
    _insert(s, t, 3, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert _value(s, t, t.cols[1]) == 42


def test_unregister_stops_the_callback(s, t):
    rec = Recorder()
    h = jet.JetRegisterCallback(s, t, jet.JET_cbtypAfterInsert, rec)
    _insert(s, t, 1)
    assert jet.JetUnregisterCallback(s, t, jet.JET_cbtypAfterInsert, h) is None
    _insert(s, t, 2)
    assert len(rec.calls) == 1
    # again, or an unknown handle: accepted (ESE's JET_wrnCallbackNotRegistered)
    jet.JetUnregisterCallback(s, t, jet.JET_cbtypAfterInsert, h)
    jet.JetUnregisterCallback(s, t, jet.JET_cbtypAfterInsert, 123456789)


def test_register_errors(s, t):
    with expect(jet.JET_errInvalidTableId):
        jet.JetRegisterCallback(s, 99999, jet.JET_cbtypAfterInsert, Recorder())
    with expect(jet.JET_errInvalidParameter):
        jet.JetRegisterCallback(s, t, jet.JET_cbtypAfterInsert, "not callable")
    for bad in (jet.JET_cbtypNull, jet.JET_cbtypFreeCursorLS, jet.JET_cbtypFinalize,
                jet.JET_cbtypUserDefinedDefaultValue | jet.JET_cbtypAfterInsert):
        with expect(jet.JET_errInvalidParameter):
            jet.JetRegisterCallback(s, t, bad, Recorder())
    with expect(jet.JET_errInvalidTableId):
        jet.JetUnregisterCallback(s, 99999, jet.JET_cbtypAfterInsert, 1)


# -- local storage -------------------------------------------------------------------


def _runtime(calls):
    def cb(sesid, dbid, tableid, cbtyp, arg1, arg2, ctx, unused):
        calls.append((cbtyp, arg1))
        return 0
    return cb


def test_ls_needs_a_runtime_callback(s, t):
    with expect(jet.JET_errLSCallbackNotSpecified):
        jet.JetSetLS(s, t, 8, jet.JET_bitLSCursor)


def test_set_get_and_free_cursor_ls():
    # ME:JetSetGetLs.SetAndGetLs and VerifyRuntimeCallbackIsCalled
    calls = []
    inst = jet.JetCreateInstance("ls")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRecovery, 0, "off")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRuntimeCallback, _runtime(calls))
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "ls.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    jet.JetCloseTable(s, t)
    jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)
    t = jet.JetOpenTable(s, db, "T")
    jet.JetSetLS(s, t, 8, jet.JET_bitLSCursor)
    assert jet.JetGetLS(s, t, jet.JET_bitLSCursor) == 8
    assert jet.JetGetLS(s, t, 0) == 8  # the cursor is the default
    with expect(jet.JET_errLSAlreadySet):
        jet.JetSetLS(s, t, 9, 0)
    jet.JetSetLS(s, t, 5, jet.JET_bitLSTable)
    assert jet.JetGetLS(s, t, jet.JET_bitLSTable) == 5
    t2 = jet.JetOpenTable(s, db, "T")  # table storage is shared by the table's cursors
    assert jet.JetGetLS(s, t2, jet.JET_bitLSTable) == 5
    with expect(jet.JET_errLSNotSet):
        jet.JetGetLS(s, t2, jet.JET_bitLSCursor)
    assert jet.JetGetLS(s, t2, jet.JET_bitLSCursor | jet.JET_bitLSReset) == jet.JET_LSNil
    jet.JetCloseTable(s, t)
    assert calls == [(jet.JET_cbtypFreeCursorLS, 8)]
    jet.JetCloseTable(s, t2)  # nothing set on it
    assert len(calls) == 1
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    assert calls[-1] == (jet.JET_cbtypFreeTableLS, 5)


def test_ls_reset_and_errors():
    calls = []
    inst = jet.JetCreateInstance("ls2")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRuntimeCallback, _runtime(calls))
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "ls2.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    jet.JetCommitTransaction(s, 0)
    jet.JetSetLS(s, t, 77, 0)
    assert jet.JetGetLS(s, t, jet.JET_bitLSReset) == 77  # get and clear
    with expect(jet.JET_errLSNotSet):
        jet.JetGetLS(s, t, 0)
    jet.JetSetLS(s, t, 78, 0)
    jet.JetSetLS(s, t, 0, jet.JET_bitLSReset)  # clear without getting
    with expect(jet.JET_errLSNotSet):
        jet.JetGetLS(s, t, 0)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetLS(s, t, 1, jet.JET_bitLSCursor | jet.JET_bitLSTable)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetGetLS(s, t, 0x100)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetLS(s, t, jet.JET_LSNil, 0)
    with expect(jet.JET_errInvalidTableId):
        jet.JetSetLS(s, 31337, 1, 0)
    jet.JetCloseTable(s, t)
    assert calls == []  # nothing was left on the cursor


def test_runtime_callback_parameter_round_trip():
    def cb(*args):
        return 0

    inst = jet.JetCreateInstance("rt")
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRuntimeCallback, cb)
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramRuntimeCallback) == (cb, None)
    jet.JetSetSystemParameter(inst, None, jet.JET_paramRuntimeCallback, None)  # ME: to null
    assert jet.JetGetSystemParameter(inst, None, jet.JET_paramRuntimeCallback) == (None, None)

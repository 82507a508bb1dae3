"""User-defined default values: JET_bitColumnUserDefinedDefault with a
JET_USERDEFINEDDEFAULT, the callback called with JET_cbtypUserDefinedDefaultValue.

ESE sources: fcreate.cxx ErrFILEIValidateAddColumn (the grbit checks and the
JET_USERDEFINEDDEFAULT size check), ErrFILEIAddColumns (no default value stored: the
callback's name and user data go to the catalog; the name is resolved at creation only
with JET_paramEnablePersistedCallbacks), fldext.cxx ErrIsamRetrieveColumn
(wrnRECUserDefinedDefault -> ErrRECCallback( JET_cbtypUserDefinedDefaultValue, pv,
pcbActual, columnid )), callback.cxx ErrCALLBACKExecute (a persisted callback with
JET_paramEnablePersistedCallbacks off is JET_errCallbackFailed).
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import databases_of
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.schema import sysobjects as S

from .helpers import expect

CALLS: list[tuple] = []
MODE = {"kind": "double"}


def udd_callback(sesid, dbid, tableid, cbtyp, pvArg1, pvArg2, pvContext, ulUnused):
    """The test's user-defined default: twice column "a" (read through the same cursor,
    as ESE callbacks do), or what MODE asks for."""
    CALLS.append((cbtyp, bytes(pvContext or b""), ulUnused))
    kind = MODE["kind"]
    if kind == "null":
        return jet.JET_wrnColumnNull
    if kind == "raise":
        raise RuntimeError("boom")
    if kind == "error":
        return jet.JET_errOutOfMemory
    a_col = jet.JetGetTableColumnInfo(sesid, tableid, "a", jet.JET_ColInfo).columnid
    raw = jet.JetRetrieveColumn(sesid, tableid, a_col, jet.JET_bitRetrieveCopy)
    value = struct.pack("<i", 2 * struct.unpack("<i", raw)[0]) if raw else b"none"
    pvArg1[:] = value
    pvArg2[0] = len(value)
    return 0


NAME = f"{__name__}!udd_callback"


@pytest.fixture(autouse=True)
def _reset():
    CALLS.clear()
    MODE["kind"] = "double"


def _instance(parker, persisted=1, name="udd"):
    i = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(i, 0, jet.JET_paramEnablePersistedCallbacks, persisted, None)
    jet.JetInit(i)
    return i


def _table(s, db, callback=NAME, user_data=b"ctx"):
    tc = jet.JET_TABLECREATE(szTableName="T", rgcolumncreate=[
        jet.JET_COLUMNCREATE(szColumnName="a", coltyp=jet.JET_coltypLong),
        jet.JET_COLUMNCREATE(
            szColumnName="u", coltyp=jet.JET_coltypBinary,
            grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnUserDefinedDefault,
            pvDefault=jet.JET_USERDEFINEDDEFAULT(szCallback=callback, pbUserData=user_data))])
    jet.JetCreateTableColumnIndex(s, db, tc)
    a, u = (c.columnid for c in tc.rgcolumncreate)
    return tc.tableid, a, u


def _insert(s, t, a, value, u=None, u_value=None):
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, a, struct.pack("<i", value), 0)
    if u_value is not None:
        jet.JetSetColumn(s, t, u, u_value, 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)


@pytest.fixture
def env(parker):
    i = _instance(parker)
    s = jet.JetBeginSession(i)
    db = jet.JetCreateDatabase(s, "udd.edb")
    t, a, u = _table(s, db)
    yield i, s, db, t, a, u
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


def test_value_comes_from_the_callback(env):
    i, s, db, t, a, u = env
    _insert(s, t, a, 21)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, u, 0) == struct.pack("<i", 42)
    # ErrRECCallback( ..., JET_cbtypUserDefinedDefaultValue, columnid, pv, pcbActual,
    # columnid ): pvContext is the column's pbUserData, ulUnused the columnid
    assert CALLS == [(jet.JET_cbtypUserDefinedDefaultValue, b"ctx", u.value)]
    assert jet.JetGetTableColumnInfo(s, t, "u", jet.JET_ColInfo).grbit \
        & jet.JET_bitColumnUserDefinedDefault


def test_a_stored_value_wins_and_ignore_default_skips_it(env):
    i, s, db, t, a, u = env
    _insert(s, t, a, 1, u, b"stored")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, u, 0) == b"stored"
    assert CALLS == []
    _insert(s, t, a, 2)
    jet.JetMove(s, t, jet.JET_MoveLast, 0)
    assert jet.JetRetrieveColumn(s, t, u, jet.JET_bitRetrieveIgnoreDefault) is None
    assert CALLS == []


def test_callback_results(env):
    i, s, db, t, a, u = env
    _insert(s, t, a, 5)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    MODE["kind"] = "null"
    assert jet.JetRetrieveColumn(s, t, u, 0) is None
    MODE["kind"] = "error"
    with expect(jet.JET_errOutOfMemory):
        jet.JetRetrieveColumn(s, t, u, 0)
    MODE["kind"] = "raise"
    with expect(jet.JET_errCallbackFailed):
        jet.JetRetrieveColumn(s, t, u, 0)


def test_catalog_row_and_reattach(env):
    i, s, db, t, a, u = env
    _insert(s, t, a, 4)
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "udd.edb")
    jet.JetAttachDatabase(s, "udd.edb", 0)
    db = jet.JetOpenDatabase(s, "udd.edb")
    dbo = databases_of(SYSTEM.find_instance(i)).find_attached("udd.edb")
    snap = dbo.snapshot()
    try:
        rows = [S.decode_row(v, dbo.page_size) for _, v in snap.iterate(S.objidFDPMSO)]
    finally:
        snap.close()
    row = next(r for r in rows if r.sysobj == S.sysobjColumn and r.name == "u")
    # ErrFILEIAddColumns: no default value; the name and the user data are stored
    assert row.get("DefaultValue") is None
    assert row.get("TemplateTable") == NAME  # the Callback column (same column id)
    assert row.get("CallbackData") == b"ctx"
    assert row.get("Flags") & S.ffieldUserDefinedDefault
    assert row.get("Flags") & S.ffieldDefault
    t = jet.JetOpenTable(s, db, "T")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, u, 0) == struct.pack("<i", 8)


def test_column_checks(env):
    i, s, db, t, a, u = env
    udd = jet.JET_USERDEFINEDDEFAULT(szCallback=NAME)
    # fcreate.cxx ErrFILEIValidateAddColumn, in order
    for grbit in (jet.JET_bitColumnFixed, jet.JET_bitColumnNotNULL,
                  jet.JET_bitColumnMaybeNull):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetAddColumn(s, t, "x", jet.JET_COLUMNDEF(
                coltyp=jet.JET_coltypBinary,
                grbit=grbit | jet.JET_bitColumnUserDefinedDefault), udd)
    # neither tagged nor a long value
    with expect(jet.JET_errInvalidGrbit):
        jet.JetAddColumn(s, t, "x", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnUserDefinedDefault), udd)
    # the default must be a JET_USERDEFINEDDEFAULT (ESE: its size)
    with expect(jet.JET_errInvalidParameter):
        jet.JetAddColumn(s, t, "x", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLongBinary, grbit=jet.JET_bitColumnUserDefinedDefault),
            b"plain bytes")
    # a long value column needs no Tagged bit
    jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLongBinary, grbit=jet.JET_bitColumnUserDefinedDefault), udd)
    # resolved at creation with persisted callbacks on
    with expect(jet.JET_errCallbackNotResolved):
        jet.JetAddColumn(s, t, "y", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypLongBinary, grbit=jet.JET_bitColumnUserDefinedDefault),
            jet.JET_USERDEFINEDDEFAULT(szCallback="no_such_module_xyz!f"))


def test_persisted_callbacks_off(parker):
    i = _instance(parker, persisted=0, name="udd-off")
    try:
        s = jet.JetBeginSession(i)
        db = jet.JetCreateDatabase(s, "off.edb")
        # not resolved at creation when persisted callbacks are off
        t, a, u = _table(s, db, callback="no_such_module_xyz!f")
        _insert(s, t, a, 1)
        jet.JetMove(s, t, jet.JET_MoveFirst, 0)
        # callback.cxx ErrCALLBACKExecute: fPermanent and the parameter off
        with expect(jet.JET_errCallbackFailed):
            jet.JetRetrieveColumn(s, t, u, 0)
        jet.JetEndSession(s, 0)
    finally:
        jet.JetTerm(i)

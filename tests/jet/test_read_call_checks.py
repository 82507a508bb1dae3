"""The read calls' one-test argument checks and the gate's session-as-context-manager give
what the full checks give: the same error codes in the same order, the same results.

``JetMove``, ``JetMakeKey``, ``JetSeek``, ``JetGotoBookmark`` and ``JetRetrieveColumn``
take an int grbit / bytes value with one test and fall to ``jet._args`` otherwise;
``JetRetrieveColumns`` checks a list it read before against the list's plan (each item
the very object planned) instead of an isinstance pass, and checks any other list in full
before it writes an item: a bad list is ``JET_errInvalidParameter`` before the gate's
errors (``JET_errInvalidSesid``) and the tableid's (``JET_errInvalidTableId``), as
before. The gate (``engine.instance.gate.session_call``) hands back the session itself as
the ``with`` block's context manager: leaving the block, by return or by error, frees
the session for any thread.
"""

from __future__ import annotations

import threading

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.session import Session

from .helpers import expect, run_in_thread
from .test_navigation import L, T


@pytest.fixture
def t(inst: jet.JET_INSTANCE) -> T:
    tab = T(inst)
    for i in range(5):
        tab.insert(i, a=10 * i, b=i)
    return tab


def _rcs(t: T) -> list[jet.JET_RETRIEVECOLUMN]:
    return [jet.JET_RETRIEVECOLUMN(columnid=c, itagSequence=1) for c in (t.cid, t.ca, t.cb)]


def test_move_arguments_of_the_wrong_type(t: T) -> None:
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetMove(t.s, t.t, jet.JET_MoveNext, True)  # a bool is not a grbit
    with expect(jet.JET_errInvalidGrbit):  # the grbit is checked before cRow
        jet.JetMove(t.s, t.t, 1.0, 2)
    for crow in (True, 1.0, "1", None):
        with expect(jet.JET_errInvalidParameter):
            jet.JetMove(t.s, t.t, crow)
    assert t.id() == 0  # none of them moved the cursor
    # an int subclass and the signed spelling of JET_MoveFirst take the full checks
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    jet.JetMove(t.s, t.t, -0x80000000)
    assert t.id() == 0
    jet.JetMove(t.s, t.t, 2, jet.JET_bitMoveKeyNE)
    assert t.id() == 2
    with expect(jet.JET_errInvalidSesid):
        jet.JetMove(0x7FFFFFFF, t.t, jet.JET_MoveNext)
    with expect(jet.JET_errInvalidTableId):
        jet.JetMove(t.s, 0x7FFFFFFF, jet.JET_MoveNext)


def test_makekey_seek_and_bookmark_arguments(t: T) -> None:
    jet.JetMakeKey(t.s, t.t, bytearray(L(3)), jet.JET_bitNewKey)  # bytes-like: copied
    jet.JetSeek(t.s, t.t, jet.JET_bitSeekEQ)
    assert t.id() == 3
    with expect(jet.JET_errInvalidParameter):
        jet.JetMakeKey(t.s, t.t, "3", jet.JET_bitNewKey)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetMakeKey(t.s, t.t, L(3), True)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSeek(t.s, t.t, 1 << 32)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSeek(t.s, t.t, float(jet.JET_bitSeekEQ))
    bm = jet.JetGetBookmark(t.s, t.t)
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    jet.JetGotoBookmark(t.s, t.t, memoryview(bm))
    assert t.id() == 3
    with expect(jet.JET_errInvalidParameter):
        jet.JetGotoBookmark(t.s, t.t, bm.hex())
    with expect(jet.JET_errInvalidBookmark):
        jet.JetGotoBookmark(t.s, t.t, None)  # no bookmark: an empty one


def test_retrieve_column_arguments(t: T) -> None:
    jet.JetMove(t.s, t.t, jet.JET_MoveLast)
    assert jet.JetRetrieveColumn(t.s, t.t, t.ca) == L(40)
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumn(t.s, t.t, True if t.ca == 1 else bool(t.ca))
    with expect(jet.JET_errInvalidGrbit):  # the grbit first
        jet.JetRetrieveColumn(t.s, t.t, float(t.ca), True)
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumn(t.s, t.t, float(t.ca))
    with expect(jet.JET_errColumnNotFound):
        jet.JetRetrieveColumn(t.s, t.t, 0xFFF0)
    with expect(jet.JET_errInvalidSesid):
        jet.JetRetrieveColumn(0x7FFFFFFF, t.t, t.ca)


def test_retrieve_columns_checks_the_list_before_the_gate(t: T) -> None:
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    for planned in (False, True):
        rcs = _rcs(t)
        if planned:
            jet.JetRetrieveColumns(t.s, t.t, rcs)
        bad = [*rcs[:2], {"columnid": t.cb}]
        with expect(jet.JET_errInvalidParameter):
            jet.JetRetrieveColumns(0x7FFFFFFF, t.t, bad)
        with expect(jet.JET_errInvalidParameter):
            jet.JetRetrieveColumns(t.s, 0x7FFFFFFF, bad)
        with expect(jet.JET_errInvalidSesid):
            jet.JetRetrieveColumns(0x7FFFFFFF, t.t, rcs)
        with expect(jet.JET_errInvalidTableId):
            jet.JetRetrieveColumns(t.s, 0x7FFFFFFF, rcs)


def test_a_planned_list_with_an_item_replaced(t: T) -> None:
    jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
    rcs = _rcs(t)
    jet.JetRetrieveColumns(t.s, t.t, rcs)
    jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    before = [(rc.pvData, rc.err) for rc in rcs]
    rcs[2] = "not a JET_RETRIEVECOLUMN"  # type: ignore[call-overload]
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumns(t.s, t.t, rcs)
    # nothing written: the list is checked before any item is filled
    assert [(rc.pvData, rc.err) for rc in rcs[:2]] == before[:2]
    rcs[2] = jet.JET_RETRIEVECOLUMN(columnid=t.cb, itagSequence=1, cbData=0)
    jet.JetRetrieveColumns(t.s, t.t, rcs)
    assert [rc.pvData for rc in rcs] == [L(1), L(10), b""]
    assert rcs[2].cbActual == 4 and rcs[2].err == jet.JET_wrnBufferTruncated
    # a tuple is checked and read as ever (a copy: never planned under its own id)
    got = tuple(_rcs(t))
    jet.JetRetrieveColumns(t.s, t.t, got)
    assert [rc.pvData for rc in got] == [L(1), L(10), L(1)]
    with expect(jet.JET_errInvalidParameter):
        jet.JetRetrieveColumns(t.s, t.t, (*got, 5))


def test_the_gate_hands_back_the_session_and_frees_it_on_leaving(t: T) -> None:
    with session_call(t.s) as session:
        assert isinstance(session, Session) and session.in_api == 1
        # inside: another thread is refused at once (ESE jetapi.cxx APICALL_SESID::FEnter)
        got = run_in_thread(lambda: jet.JetMove(t.s, t.t, jet.JET_MoveFirst))
        assert isinstance(got, jet.JetError)
        assert got.err == jet.JET_errSessionSharingViolation
    assert session.in_api == 0 and session.api_thread == 0
    # an error inside the block leaves the gate too
    with pytest.raises(ZeroDivisionError), session_call(t.s):
        1 // 0  # noqa: B018
    assert session.in_api == 0
    # a JET error of the call itself also leaves it: another thread gets in at once
    with expect(jet.JET_errNoCurrentRecord):
        jet.JetMove(t.s, t.t, jet.JET_MoveLast)
        jet.JetMove(t.s, t.t, jet.JET_MoveNext)
    done = threading.Event()

    def other() -> None:
        jet.JetMove(t.s, t.t, jet.JET_MoveFirst)
        done.set()

    assert run_in_thread(other) is None and done.is_set()

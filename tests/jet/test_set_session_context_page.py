"""Every return code on ESE's ``JetSetSessionContext`` reference page, provoked for real.

The page lists: JET_errSuccess, JET_errClientRequestToStopJetService,
JET_errInstanceUnavailable, JET_errInvalidParameter, JET_errNotInitialized,
JET_errRestoreInProgress, JET_errSessionContextAlreadySet,
JET_errSessionSharingViolation, JET_errTermInProgress.
"""

from __future__ import annotations

import threading

import pytest

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM

from .helpers import WAIT, expect, start_thread


def test_success(inst):
    sesid = jet.JetBeginSession(inst)
    assert jet.JetSetSessionContext(sesid, 0xC0FFEE) is None


def test_client_request_to_stop_jet_service(inst):
    sesid = jet.JetBeginSession(inst)
    jet.JetStopServiceInstance(inst)
    with expect(jet.JET_errClientRequestToStopJetService):  # ESE: jetapi.cxx ~4199
        jet.JetSetSessionContext(sesid, 1)


@pytest.mark.parametrize("fatal, code", [(-1022, -1090), (-529, -1092)])
def test_instance_unavailable(inst, fatal, code):
    sesid = jet.JetBeginSession(inst)
    SYSTEM.find_instance(inst).set_unavailable(fatal)
    with expect(code):  # ESE: daedef.hxx ~5412
        jet.JetSetSessionContext(sesid, 1)


@pytest.mark.parametrize("bad", [0, -1, 0xFFFFFFFFFFFFFFFF])
def test_invalid_parameter(inst, bad):
    sesid = jet.JetBeginSession(inst)
    with expect(jet.JET_errInvalidParameter):  # ESE: pib.cxx ~946
        jet.JetSetSessionContext(sesid, bad)


def test_not_initialized(inst):
    sesid = jet.JetBeginSession(inst)
    engine = SYSTEM.find_session(sesid)
    jet.JetTerm(inst)
    # A session handle outliving every instance: the gate's first check (jetapi.cxx ~4189)
    SYSTEM.sessions[engine.id] = engine
    engine.ended = False
    with expect(jet.JET_errNotInitialized):
        jet.JetSetSessionContext(sesid, 1)


def test_restore_in_progress_is_unreachable_for_a_session():
    """The page lists JET_errRestoreInProgress, but ESE's session entry never checks restore
    (jetapi.cxx APICALL_SESID::FEnter): a restore needs an uninitialised instance, and an
    uninitialised instance has no sessions. What a caller meets instead is pinned here:
    the instance-level calls that would give it a session refuse with RestoreInProgress."""
    inst = jet.JetCreateInstance("r")
    SYSTEM.find_instance(inst).begin_restore()
    with expect(jet.JET_errRestoreInProgress):
        jet.JetBeginSession(inst)


def test_session_context_already_set(inst):
    sesid = jet.JetBeginSession(inst)
    jet.JetSetSessionContext(sesid, 5)
    with expect(jet.JET_errSessionContextAlreadySet):  # ESE: pib.hxx ~1328
        jet.JetSetSessionContext(sesid, 6)


def test_session_sharing_violation(parker, inst):
    sesid = jet.JetBeginSession(inst)
    parker.arm()
    t, _ = start_thread(lambda: jet.JetBeginTransaction(sesid))
    assert parker.entered.wait(WAIT)
    with expect(jet.JET_errSessionSharingViolation):  # ESE: jetapi.cxx ~4230
        jet.JetSetSessionContext(sesid, 1)
    parker.release.set()
    t.join(WAIT)


def test_term_in_progress(parker):
    # Two instances, so the process-wide check (step 1) passes and the instance's own
    # m_fTermInProgress (step 4) answers.
    a = jet.JetCreateInstance("a")
    b = jet.JetCreateInstance("b")
    # two instances may not share a system or log path (ESE: jetapi.cxx ~4903)
    jet.JetSetSystemParameter(b, None, jet.JET_paramSystemPath, 0, "b")
    jet.JetSetSystemParameter(b, None, jet.JET_paramLogFilePath, 0, "b")
    jet.JetSetSystemParameter(b, None, jet.JET_paramCreatePathIfNotExist, 1)
    jet.JetInit(a)
    jet.JetInit(b)
    busy = jet.JetBeginSession(a)
    victim = jet.JetBeginSession(a)
    parker.arm()
    t1, _ = start_thread(lambda: jet.JetBeginTransaction(busy))
    assert parker.entered.wait(WAIT)
    engine_a = SYSTEM.find_instance(a)
    t2, box = start_thread(lambda: jet.JetTerm2(a, jet.JET_bitTermDirty))
    poll = threading.Event()
    for _ in range(100000):
        if engine_a.term_in_progress:
            break
        poll.wait(0.0001)
    with expect(jet.JET_errTermInProgress):  # ESE: jetapi.cxx ~4213 (step 4)
        jet.JetSetSessionContext(victim, 1)
    parker.release.set()
    t1.join(WAIT)
    t2.join(WAIT)
    assert isinstance(box[0], jet.DirtyShutdownError)

"""Sessions, the gate, session contexts and transactions, with real threads.

Scenario numbers refer to shared/ese/core-semantics.md §8; every return code of the
``JetSetSessionContext`` reference page is provoked here.
"""

from __future__ import annotations

import threading

import pytest

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM

from .helpers import WAIT, expect, run_in_thread, start_thread


@pytest.fixture
def sesid(inst):
    return jet.JetBeginSession(inst)


def err_of(result: object) -> int | None:
    return result.err if isinstance(result, jet.JetError) else None


class TestSessionHandles:
    @pytest.mark.parametrize(
        "bad", [0, 0xFFFFFFFFFFFFFFFF, jet.JET_sesidNil, 77, -5, "x", None, 1.5]
    )
    def test_bad_handles_are_invalid_sesid(self, inst, bad):
        # ESE: jetapi.cxx ~5272 (handle validated before the gate)
        with expect(jet.JET_errInvalidSesid):
            jet.JetBeginTransaction(bad)

    def test_ended_session_handle_stays_invalid(self, inst, sesid):
        jet.JetEndSession(sesid)
        with expect(jet.JET_errInvalidSesid):
            jet.JetEndSession(sesid)
        newer = jet.JetBeginSession(inst)
        assert newer != sesid  # handles are never reused

    def test_out_of_sessions(self):
        # ESE: pib.cxx ErrPIBBeginSession ~698; pyese counts user sessions only
        i = jet.JetCreateInstance("small")
        jet.JetSetSystemParameter(i, None, jet.JET_paramMaxSessions, 2)
        jet.JetInit(i)
        a = jet.JetBeginSession(i)
        jet.JetBeginSession(i)
        with expect(jet.JET_errOutOfSessions):
            jet.JetBeginSession(i)
        with expect(jet.JET_errOutOfSessions):
            jet.JetDupSession(a)
        jet.JetEndSession(a)
        jet.JetBeginSession(i)

    def test_session_info(self, sesid):
        info = jet.JetGetSessionInfo(sesid)
        assert (info.ulTrxLevel, info.ulFlags, info.ulProcid) == (0, 0, 1)
        jet.JetBeginTransaction(sesid)
        info = jet.JetGetSessionInfo(sesid)
        assert info.ulTrxLevel == 1 and info.ulTrxBegin0 > 0
        assert info.ulTrxContext == threading.get_ident()
        with expect(jet.JET_errInvalidParameter):  # ESE: tm.cxx ~197, only JET_SessionInfo
            jet.JetGetSessionInfo(sesid, 1)

    def test_procids_are_the_smallest_free(self, inst, sesid):
        b = jet.JetBeginSession(inst)
        c = jet.JetBeginSession(inst)
        jet.JetEndSession(b)
        d = jet.JetBeginSession(inst)
        assert jet.JetGetSessionInfo(d).ulProcid == 2  # ESE: pib.cxx, smallest free procid
        assert jet.JetGetSessionInfo(c).ulProcid == 3

    def test_transaction_level_session_parameter(self, sesid):
        # scenario 32; ME: SessionTests.VerifyWindows10GetTransactionLevel
        assert jet.JetGetSessionParameter(sesid, jet.JET_sesparamTransactionLevel) == 0
        jet.JetBeginTransaction(sesid)
        assert jet.JetGetSessionParameter(sesid, jet.JET_sesparamTransactionLevel) == 1
        jet.JetCommitTransaction(sesid)
        assert jet.JetGetSessionParameter(sesid, jet.JET_sesparamTransactionLevel) == 0
        # ESE tm.cxx ErrIsamGetSessionParameter: "default: ... JET_errInvalidSesparamId"
        with expect(jet.JET_errInvalidSesparamId):
            jet.JetGetSessionParameter(sesid, 1)


class TestGate:
    def test_second_thread_inside_the_api_is_a_sharing_violation(self, parker, sesid):
        # scenario 14; ESE: jetapi.cxx ~4230 -- the second caller fails at once
        parker.arm()
        t, box = start_thread(lambda: jet.JetBeginTransaction(sesid))
        assert parker.entered.wait(WAIT)
        for call in (
            lambda: jet.JetGetSessionInfo(sesid),
            lambda: jet.JetRollback(sesid),
            lambda: jet.JetSetSessionContext(sesid, 3),
            lambda: jet.JetEndSession(sesid),
        ):
            assert err_of(run_in_thread(call)) == jet.JET_errSessionSharingViolation
        parker.release.set()
        t.join(WAIT)
        assert box == [None]
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1

    def test_other_sessions_are_not_blocked(self, parker, inst, sesid):
        other = jet.JetBeginSession(inst)
        parker.arm()
        t, _ = start_thread(lambda: jet.JetBeginTransaction(sesid))
        assert parker.entered.wait(WAIT)
        jet.JetBeginTransaction(other)
        jet.JetCommitTransaction(other)
        parker.release.set()
        t.join(WAIT)

    def test_term_waits_for_calls_inside_the_api(self, parker, inst, sesid):
        # ESE: jetapi.cxx ErrTermComplete ~20912 -- term waits until no session is inside
        # the API, then (sysinit.cxx ~597) finds the parked call's new transaction open.
        other = jet.JetBeginSession(inst)
        parker.arm()
        t1, box1 = start_thread(lambda: jet.JetBeginTransaction(sesid))
        assert parker.entered.wait(WAIT)
        engine_inst = SYSTEM.find_instance(inst)
        t2, box2 = start_thread(lambda: jet.JetTerm(inst))
        # Wait for the terminating thread to announce the term (an observable state,
        # polled with a bound; no sleep decides the order).
        poll = threading.Event()
        for _ in range(100000):
            if engine_inst.term_in_progress:
                break
            poll.wait(0.0001)
        assert engine_inst.term_in_progress
        # gate step 1: every instance is terminating
        with expect(jet.JET_errTermInProgress):
            jet.JetBeginTransaction(other)
        assert t2.is_alive()  # still waiting for the parked call to leave the API
        parker.release.set()
        t1.join(WAIT)
        t2.join(WAIT)
        assert box1 == [None]
        assert err_of(box2[0]) == jet.JET_errTooManyActiveUsers
        assert engine_inst.state == "initialised"  # the instance keeps running
        # the transaction belongs to the (finished) parked thread: only a dirty term ends it
        with expect(jet.JET_errDirtyShutdown):
            jet.JetTerm2(inst, jet.JET_bitTermDirty)
        assert engine_inst.state == "terminated"

    def test_not_initialized_when_no_instance_left(self, inst, sesid):
        # gate step 1 with no instance at all
        engine = SYSTEM.find_session(sesid)
        jet.JetTerm(inst)
        SYSTEM.sessions[engine.id] = engine  # a handle kept alive past its instance
        engine.ended = False
        with expect(jet.JET_errNotInitialized):
            jet.JetBeginTransaction(sesid)

    def test_stop_service_checked_before_unavailable(self, inst, sesid):
        # ESE gate order: stop-service (2) before instance-unavailable (3)
        e = SYSTEM.find_instance(inst)
        jet.JetStopServiceInstance(inst)
        e.set_unavailable(jet.JET_errDiskIO)
        with expect(jet.JET_errClientRequestToStopJetService):
            jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errInstanceUnavailable):  # exempt from stop, not from fatal
            jet.JetRollback(sesid)

    def test_grbit_type_errors(self, sesid):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetBeginTransaction2(sesid, "readonly")  # type: ignore[arg-type]
        with expect(jet.JET_errInvalidGrbit):
            jet.JetCommitTransaction(sesid, 1 << 40)


class TestSessionContext:
    def test_invalid_values(self, sesid):
        # scenario 10; ESE: pib.cxx ~946
        for bad in (0, -1, 0xFFFFFFFFFFFFFFFF):
            with expect(jet.JET_errInvalidParameter):
                jet.JetSetSessionContext(sesid, bad)
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSessionContext(sesid, "ctx")  # type: ignore[arg-type]
        jet.JetSetSessionContext(sesid, 1)  # a failed call changed nothing

    def test_already_set(self, sesid):
        # scenario 11; ESE: pib.hxx ~1328 -- even the same value from the same thread
        jet.JetSetSessionContext(sesid, 42)
        with expect(jet.JET_errSessionContextAlreadySet):
            jet.JetSetSessionContext(sesid, 42)
        r = run_in_thread(lambda: jet.JetSetSessionContext(sesid, 43))
        assert err_of(r) == jet.JET_errSessionContextAlreadySet

    def test_reset_by_the_wrong_thread_or_unset(self, sesid):
        # scenario 12; ESE: pib.hxx ~1353
        with expect(jet.JET_errSessionContextNotSetByThisThread):
            jet.JetResetSessionContext(sesid)
        jet.JetSetSessionContext(sesid, 42)
        r = run_in_thread(lambda: jet.JetResetSessionContext(sesid))
        assert err_of(r) == jet.JET_errSessionContextNotSetByThisThread
        jet.JetResetSessionContext(sesid)
        jet.JetSetSessionContext(sesid, 43)

    def test_race_exactly_one_wins(self, sesid):
        n = 16
        barrier = threading.Barrier(n)
        results: list[object] = [None] * n

        def racer(k: int) -> None:
            barrier.wait()
            try:
                jet.JetSetSessionContext(sesid, 1000 + k)
                results[k] = "won"
            except jet.JetError as exc:
                results[k] = exc.err

        threads = [threading.Thread(target=racer, args=(k,)) for k in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(WAIT)
        assert results.count("won") == 1
        losers = [r for r in results if r != "won"]
        # losers either lost the compare-and-swap or met the winner inside the gate
        assert set(losers) <= {
            jet.JET_errSessionContextAlreadySet,
            jet.JET_errSessionSharingViolation,
        }

    def test_end_session_with_context_is_session_in_use(self, sesid):
        # scenario 13; ESE: tm.cxx ~105
        jet.JetSetSessionContext(sesid, 5)
        with expect(jet.JET_errSessionInUse):
            jet.JetEndSession(sesid)
        jet.JetResetSessionContext(sesid)  # still usable
        jet.JetEndSession(sesid)

    def test_context_is_not_blocked_by_a_transaction_level(self, sesid):
        jet.JetBeginTransaction(sesid)
        jet.JetSetSessionContext(sesid, 5)  # ESE does not look at the level
        jet.JetResetSessionContext(sesid)
        jet.JetCommitTransaction(sesid)


class TestTransactionContext:
    def test_thread_model_binds_to_the_beginning_thread(self, sesid):
        # scenario 8; ESE: dir.cxx ~1874, ~1932, ~2228
        jet.JetBeginTransaction(sesid)
        for call in (
            lambda: jet.JetCommitTransaction(sesid),
            lambda: jet.JetRollback(sesid),
            lambda: jet.JetBeginTransaction(sesid),
        ):
            assert err_of(run_in_thread(call)) == jet.JET_errSessionSharingViolation
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1
        jet.JetCommitTransaction(sesid)

    def test_context_model_migrates(self, sesid):
        # scenario 9; ME: InitTermTests.VerifyJetSetSessionContextAllowsThreadMigration
        jet.JetSetSessionContext(sesid, 0x1234)
        jet.JetBeginTransaction(sesid)
        jet.JetResetSessionContext(sesid)

        def finish() -> None:
            jet.JetSetSessionContext(sesid, 0x1234)
            jet.JetBeginTransaction(sesid)
            jet.JetCommitTransaction(sesid)
            jet.JetCommitTransaction(sesid)
            jet.JetResetSessionContext(sesid)

        assert run_in_thread(finish) is None
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 0

    def test_other_context_value_cannot_commit(self, sesid):
        jet.JetSetSessionContext(sesid, 1)
        jet.JetBeginTransaction(sesid)
        jet.JetResetSessionContext(sesid)

        def other() -> object:
            jet.JetSetSessionContext(sesid, 2)
            try:
                jet.JetCommitTransaction(sesid)
            finally:
                jet.JetResetSessionContext(sesid)

        assert err_of(run_in_thread(other)) == jet.JET_errSessionSharingViolation

    def test_original_thread_without_context_cannot_commit(self, sesid):
        jet.JetSetSessionContext(sesid, 1)
        jet.JetBeginTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        with expect(jet.JET_errSessionSharingViolation):
            jet.JetCommitTransaction(sesid)
        jet.JetSetSessionContext(sesid, 1)
        jet.JetCommitTransaction(sesid)
        jet.JetResetSessionContext(sesid)

    def test_context_set_after_begin_does_not_move_the_transaction(self, sesid):
        jet.JetBeginTransaction(sesid)  # thread model
        jet.JetSetSessionContext(sesid, 9)
        jet.JetResetSessionContext(sesid)

        def other() -> object:
            jet.JetSetSessionContext(sesid, 9)
            try:
                jet.JetCommitTransaction(sesid)
            finally:
                jet.JetResetSessionContext(sesid)

        assert err_of(run_in_thread(other)) == jet.JET_errSessionSharingViolation
        jet.JetCommitTransaction(sesid)

    def test_end_session_rolls_back_from_any_thread_with_context_model(self, sesid):
        jet.JetSetSessionContext(sesid, 3)
        jet.JetBeginTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        assert run_in_thread(lambda: jet.JetEndSession(sesid)) is None
        with expect(jet.JET_errInvalidSesid):
            jet.JetGetSessionInfo(sesid)

    def test_end_session_from_another_thread_with_thread_model(self, sesid):
        # ESE: tm.cxx ErrIsamEndSession -- the rollback's context check fails; session survives
        jet.JetBeginTransaction(sesid)
        r = run_in_thread(lambda: jet.JetEndSession(sesid))
        assert err_of(r) == jet.JET_errSessionSharingViolation
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1
        jet.JetSetSessionContext(sesid, 4)  # the context was cleared again
        jet.JetResetSessionContext(sesid)
        jet.JetEndSession(sesid)  # the beginning thread may end it


class TestTransactions:
    def test_levels_up_to_seven(self, sesid):
        # scenario 1; ESE: tm.cxx ~1717, daeconst.hxx levelUserMost = 7
        for _ in range(7):
            jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errTransTooDeep):
            jet.JetBeginTransaction(sesid)
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 7

    def test_not_in_transaction(self, sesid):
        # scenario 2; ESE: tm.cxx ~1834, ~1898
        with expect(jet.JET_errNotInTransaction):
            jet.JetCommitTransaction(sesid)
        with expect(jet.JET_errNotInTransaction):
            jet.JetRollback(sesid)

    def test_wait_bits_work_at_level_zero(self, sesid):
        # scenario 3; ESE: tm.cxx ~1804
        jet.JetCommitTransaction(sesid, jet.JET_bitWaitLastLevel0Commit)
        jet.JetCommitTransaction(sesid, jet.JET_bitWaitAllLevel0Commit)
        jet.JetCommitTransaction(sesid, jet.JET_bitForceNewLog)

    def test_wait_bits_must_be_alone(self, sesid):
        # scenario 4; ESE: tm.cxx ~1788
        jet.JetBeginTransaction(sesid)
        for g in (
            jet.JET_bitWaitAllLevel0Commit | jet.JET_bitCommitLazyFlush,
            jet.JET_bitWaitLastLevel0Commit | jet.JET_bitCommitLazyFlush,
            jet.JET_bitForceNewLog | jet.JET_bitWaitAllLevel0Commit,
            0x4,  # not a commit bit
        ):
            with expect(jet.JET_errInvalidGrbit):
                jet.JetCommitTransaction(sesid, g)
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1

    def test_rollback_one_level_or_all(self, sesid):
        # scenario 5; ESE: tm.cxx ~2019
        for _ in range(3):
            jet.JetBeginTransaction(sesid)
        jet.JetRollback(sesid)
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 2
        jet.JetBeginTransaction(sesid)
        jet.JetRollback(sesid, jet.JET_bitRollbackAll)
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 0
        jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errInvalidGrbit):
            jet.JetRollback(sesid, 0x2)

    def test_durable_commit_with_cmsec_is_invalid(self, sesid):
        # scenario 34; ESE: dir.cxx ~1920
        jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errInvalidParameter):
            jet.JetCommitTransaction2(sesid, 0, 5)
        assert jet.JetCommitTransaction2(sesid, jet.JET_bitCommitLazyFlush, 5) is None

    def test_read_only_begin_flag_and_ignored_bits(self, sesid):
        # ESE: tm.cxx ~1719, unknown begin bits are dropped, not rejected
        jet.JetBeginTransaction2(sesid, jet.JET_bitTransactionReadOnly | 0x40)
        jet.JetCommitTransaction(sesid)
        jet.JetBeginTransaction3(sesid, 123456789, 0)
        jet.JetRollback(sesid)

    def test_snapshot_ids_grow(self, inst, sesid):
        other = jet.JetBeginSession(inst)
        jet.JetBeginTransaction(sesid)
        jet.JetBeginTransaction(other)
        a = jet.JetGetSessionInfo(sesid).ulTrxBegin0
        b = jet.JetGetSessionInfo(other).ulTrxBegin0
        assert b == a + 4  # ESE: pib.hxx PIBSetTrxBegin0, read-write begins add 4

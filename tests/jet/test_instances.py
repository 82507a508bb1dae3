"""Instances, run modes, termination, stop-service and system parameters.

Scenario numbers refer to shared/ese/core-semantics.md §8.
"""

from __future__ import annotations

import os

import pytest

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM

from .helpers import expect


def started(name: str = "i") -> jet.JET_INSTANCE:
    inst = jet.JetCreateInstance(name)
    jet.JetInit(inst)
    return inst


class TestRunModes:
    def test_create_puts_process_in_multi_instance_mode(self):
        jet.JetCreateInstance("a")
        # ESE: jetapi.cxx ~21389, JetInit(NULL) in multi-instance mode
        with expect(jet.JET_errRunningInMultiInstanceMode):
            jet.JetInit(None)

    def test_implicit_instance_forbids_create(self):
        jet.JetInit(None)
        # ESE: jetapi.cxx ~21926
        with expect(jet.JET_errRunningInOneInstanceMode):
            jet.JetCreateInstance("a")
        with expect(jet.JET_errRunningInOneInstanceMode):
            jet.JetEnableMultiInstance()

    def test_second_implicit_init_is_already_initialized(self):
        jet.JetInit(None)
        with expect(jet.JET_errAlreadyInitialized):  # ESE: jetapi.cxx ~21395
            jet.JetInit(None)

    def test_one_instance_mode_ignores_the_handle(self):
        jet.JetInit(None)
        sesid = jet.JetBeginSession(12345)
        jet.JetEndSession(sesid)
        jet.JetTerm(None)
        assert SYSTEM.mode == "none"

    def test_mode_resets_when_last_instance_is_freed(self):
        inst = started()
        jet.JetTerm(inst)
        jet.JetInit(None)  # one-instance mode is possible again
        jet.JetTerm(None)

    def test_enable_multi_instance_sets_global_params(self):
        n = jet.JetEnableMultiInstance([(jet.JET_paramMaxInstances, 2, None)])
        assert n == 1
        jet.JetCreateInstance("a")
        jet.JetCreateInstance("b")
        with expect(jet.JET_errTooManyInstances):
            jet.JetCreateInstance("c")


class TestCreateInstance:
    def test_duplicate_names(self):
        # scenario 29; ESE: jetapi.cxx ErrNewInst ~3526
        jet.JetCreateInstance("a")
        with expect(jet.JET_errInstanceNameInUse):
            jet.JetCreateInstance("a")

    def test_two_unnamed_instances_collide(self):
        jet.JetCreateInstance(None)
        with expect(jet.JET_errInstanceNameInUse):
            jet.JetCreateInstance2(None, "display", 0)

    def test_too_many_instances(self):
        jet.JetSetSystemParameter(None, None, jet.JET_paramMaxInstances, 1)
        jet.JetCreateInstance("a")
        with expect(jet.JET_errTooManyInstances):
            jet.JetCreateInstance("b")

    def test_max_instances_locked_once_a_mode_is_set(self):
        jet.JetCreateInstance("a")
        with expect(jet.JET_errAlreadyInitialized):
            jet.JetSetSystemParameter(None, None, jet.JET_paramMaxInstances, 4)

    def test_handles_are_distinct(self):
        a, b = jet.JetCreateInstance("a"), jet.JetCreateInstance("b")
        assert a != b
        assert "JET_INSTANCE" in repr(a)


class TestInitTerm:
    def test_uninitialised_instance_refuses_sessions_and_terms_quietly(self):
        # scenario 27; ESE: jetapi.cxx ~4441 and ~20868
        inst = jet.JetCreateInstance("a")
        with expect(jet.JET_errNotInitialized):
            jet.JetBeginSession(inst)
        jet.JetTerm(inst)
        with expect(jet.JET_errNotInitialized):  # the handle is gone now
            jet.JetTerm(inst)

    def test_init_twice_keeps_running(self):
        # scenario 28
        inst = started()
        with expect(jet.JET_errAlreadyInitialized):
            jet.JetInit(inst)
        sesid = jet.JetBeginSession(inst)
        jet.JetEndSession(sesid)

    def test_init_and_term_twice(self):
        # ME: InitTermTests.InitAndTermOneInstanceTwice (a new instance each time here,
        # since term frees it as ESE does)
        for _ in range(2):
            inst = started("x")
            jet.JetTerm(inst)

    def test_term_with_open_transaction_is_too_many_active_users(self):
        # scenario 26. Settled from ESE's source (issue 17 item 8 said ESE terminates and
        # rolls back on Abrupt; it does not): tm.cxx ErrIsamTerm maps JET_bitTermAbrupt to
        # termtypeNoCleanUp (JET_bitTermDirty to termtypeError, else termtypeCleanUp) and
        # rolls nothing back; sysinit.cxx INST::ErrINSTTerm then returns
        # JET_errTooManyActiveUsers "if ( ( termtype == termtypeCleanUp || termtype ==
        # termtypeNoCleanUp ) && TrxOldest( this ) != trxMax )", before its no-return
        # point, so the instance keeps running. Only JET_bitTermDirty terminates.
        inst = started()
        sesid = jet.JetBeginSession(inst)
        jet.JetBeginTransaction(sesid)
        for grbit in (jet.JET_bitTermAbrupt, jet.JET_bitTermComplete, 0):
            with expect(jet.JET_errTooManyActiveUsers):
                jet.JetTerm2(inst, grbit)
        # the instance keeps running
        jet.JetCommitTransaction(sesid)
        jet.JetTerm2(inst, jet.JET_bitTermComplete)
        with expect(jet.JET_errInvalidSesid):
            jet.JetBeginTransaction(sesid)

    def test_term_dirty_terminates_and_reports_dirty_shutdown(self):
        inst = started()
        sesid = jet.JetBeginSession(inst)
        jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errDirtyShutdown):  # ESE: tm.cxx ~1193
            jet.JetTerm2(inst, jet.JET_bitTermDirty)
        assert not SYSTEM.instances

    def test_open_sessions_do_not_block_term(self):
        # ME: InitTermTests.TestJetDupSession terminates with two sessions open
        inst = started()
        s1 = jet.JetBeginSession(inst)
        s2 = jet.JetDupSession(s1)
        assert s1 != s2
        jet.JetTerm(inst)
        for s in (s1, s2):
            with expect(jet.JET_errInvalidSesid):
                jet.JetGetSessionInfo(s)

    def test_calls_after_term(self):
        inst = started()
        sesid = jet.JetBeginSession(inst)
        jet.JetTerm(inst)
        with expect(jet.JET_errNotInitialized):
            jet.JetBeginSession(inst)
        with expect(jet.JET_errInvalidSesid):
            jet.JetBeginTransaction(sesid)
        with expect(jet.JET_errNotInitialized):
            jet.JetStopServiceInstance(inst)

    def test_failed_init_frees_the_instance(self):
        from pyese.engine.instance.instance import InstanceServices

        def broken(instance, services, grbit):
            raise jet.JetError.from_code(jet.JET_errDiskIO, "simulated")

        InstanceServices.on_start.append(broken)
        inst = jet.JetCreateInstance("a")
        with expect(jet.JET_errDiskIO):
            jet.JetInit(inst)
        InstanceServices.on_start.remove(broken)
        # ESE: jetapi.cxx ~21506 -- the instance is gone; a new one must be created
        with expect(jet.JET_errNotInitialized):
            jet.JetInit(inst)
        started("a")

    def test_instance_info_lists_running_instances(self):
        a = started("a")
        jet.JetCreateInstance("b")  # not initialised: not listed
        infos = jet.JetGetInstanceInfo()
        assert [(i.hInstanceId, i.szInstanceName) for i in infos] == [(a, "a")]
        assert infos[0].cDatabases == 0


class TestStopService:
    def test_stop_service_blocks_all_but_the_exemptions(self):
        # scenario 24; ESE: jetapi.cxx ~4199 + fIgnoreStopService call sites;
        # ME: InitTermTests.TestJetStopServiceInstanceStopsSubsequentOperations
        inst = started()
        sesid = jet.JetBeginSession(inst)
        other = jet.JetBeginSession(inst)
        jet.JetSetSessionContext(other, 7)
        jet.JetBeginTransaction(sesid)
        jet.JetStopServiceInstance(inst)
        stopped = jet.JET_errClientRequestToStopJetService
        with expect(stopped):
            jet.JetBeginSession(inst)
        with expect(stopped):
            jet.JetBeginTransaction(sesid)
        with expect(stopped):
            jet.JetCommitTransaction(sesid)
        with expect(stopped):
            jet.JetSetSessionContext(sesid, 9)
        with expect(stopped):
            jet.JetDupSession(sesid)
        # exempt:
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1
        jet.JetRollback(sesid)
        jet.JetResetSessionContext(other)
        jet.JetEndSession(sesid)
        jet.JetEndSession(other)
        # a parameter ESE lets a running instance change (sysparamtable: no "after init" lock)
        jet.JetSetSystemParameter(inst, None, jet.JET_paramDbExtensionSize, 512)
        assert jet.JetGetSystemParameter(inst, None, jet.JET_paramBaseName) == (0, "edb")
        jet.JetTerm(inst)

    def test_stop_service_instance2_pause_and_resume(self):
        # scenario 25; ME: InitTermTests.TestJetStopServiceInstance2StopsSubsequentOperations
        inst = started()
        jet.JetStopServiceInstance2(inst, jet.JET_bitStopServiceQuiesceCaches)
        jet.JetEndSession(jet.JetBeginSession(inst))
        jet.JetStopServiceInstance2(inst, jet.JET_bitStopServiceBackgroundUserTasks)
        jet.JetStopServiceInstance2(inst, jet.JET_bitStopServiceResume)
        jet.JetStopServiceInstance2(inst, jet.JET_bitStopServiceAll)
        with expect(jet.JET_errClientRequestToStopJetService):
            jet.JetStopServiceInstance2(inst, jet.JET_bitStopServiceResume)
        with expect(jet.JET_errClientRequestToStopJetService):
            jet.JetBeginSession(inst)
        jet.JetTerm(inst)

    def test_stop_service_instance2_unknown_bits(self):
        inst = started()
        with expect(jet.JET_errInvalidGrbit):
            jet.JetStopServiceInstance2(inst, 0x100)

    def test_jet_stop_service_needs_one_instance_mode(self):
        jet.JetCreateInstance("a")
        with expect(jet.JET_errRunningInMultiInstanceMode):
            jet.JetStopService()

    def test_jet_stop_service_in_one_instance_mode(self):
        jet.JetInit(None)
        jet.JetStopService()
        with expect(jet.JET_errClientRequestToStopJetService):
            jet.JetBeginSession(None)
        jet.JetTerm(None)


class TestSystemParameters:
    def test_defaults_are_eses(self):
        # ESE: sysparamtable.g.cxx (core-semantics §1.9)
        inst = jet.JetCreateInstance("a")
        get = lambda p: jet.JetGetSystemParameter(inst, None, p)  # noqa: E731
        assert get(jet.JET_paramMaxSessions) == (16, None)
        assert get(jet.JET_paramMaxVerPages) == (64, None)
        assert get(jet.JET_paramLogFileSize) == (5120, None)
        assert get(jet.JET_paramCircularLog) == (0, None)
        assert get(jet.JET_paramBaseName) == (0, "edb")
        assert get(jet.JET_paramRecovery) == (0, "on")

    def test_set_and_get_round_trip(self, tmp_path):
        inst = jet.JetCreateInstance("a")
        jet.JetSetSystemParameter(inst, None, jet.JET_paramSystemPath, 0, str(tmp_path))
        jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 3)
        jet.JetSetSystemParameter(inst, None, jet.JET_paramCircularLog, 1)
        jet.JetSetSystemParameter(inst, None, jet.JET_paramNoInformationEvent, 1)
        # ESE keeps a folder parameter as a full path with its separator
        # (ME:SetGetSystemParameterTests.SystemPathParameter)
        assert jet.JetGetSystemParameter(inst, None, jet.JET_paramSystemPath) == (
            0, os.path.join(str(tmp_path), ""))
        assert jet.JetGetSystemParameter(inst, None, jet.JET_paramMaxSessions) == (3, None)
        assert jet.JetGetSystemParameter(inst, None, jet.JET_paramCircularLog) == (1, None)

    def test_global_defaults_are_copied_into_new_instances(self):
        jet.JetSetSystemParameter(None, None, jet.JET_paramMaxSessions, 5)
        inst = jet.JetCreateInstance("a")
        assert jet.JetGetSystemParameter(inst, None, jet.JET_paramMaxSessions) == (5, None)

    def test_unknown_and_bad_values(self):
        inst = jet.JetCreateInstance("a")
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(inst, None, 99999, 1)
        with expect(jet.JET_errInvalidParameter):
            jet.JetGetSystemParameter(inst, None, 99999)
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(inst, None, jet.JET_paramBaseName, 0, "toolong")
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(inst, None, jet.JET_paramRecovery, 0, "maybe")
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, -1)
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(inst, None, "JET_paramMaxSessions", 1)  # type: ignore[arg-type]

    def test_init_locks_parameters(self):
        # ESE: jetapi.cxx ~5464 ("may not write after instance init")
        inst = started()
        for pid, l, sz in (
            (jet.JET_paramMaxSessions, 4, None),
            (jet.JET_paramMaxVerPages, 128, None),
            (jet.JET_paramLogFilePath, 0, "x"),
            (jet.JET_paramBaseName, 0, "abc"),
            (jet.JET_paramCircularLog, 1, None),
        ):
            with expect(jet.JET_errAlreadyInitialized):
                jet.JetSetSystemParameter(inst, None, pid, l, sz)
        jet.JetSetSystemParameter(inst, None, jet.JET_paramDbExtensionSize, 512)

    def test_parameters_via_session_handle(self):
        inst = started()
        sesid = jet.JetBeginSession(inst)
        assert jet.JetGetSystemParameter(None, sesid, jet.JET_paramMaxSessions) == (16, None)


class TestRestoreAndFatalStates:
    """States that restore and fatal I/O reach, driven through the engine's own seams."""

    def test_restore_in_progress(self):
        inst = jet.JetCreateInstance("a")
        engine_inst = SYSTEM.find_instance(inst)
        engine_inst.begin_restore()
        assert engine_inst.state == "restore in progress"
        # ESE: jetapi.cxx ~4397-4510 (core-semantics §1.7)
        with expect(jet.JET_errRestoreInProgress):
            jet.JetBeginSession(inst)
        with expect(jet.JET_errRestoreInProgress):
            jet.JetSetSystemParameter(inst, None, jet.JET_paramMaxSessions, 2)
        with expect(jet.JET_errRestoreInProgress):
            jet.JetGetSystemParameter(inst, None, jet.JET_paramMaxSessions)
        with expect(jet.JET_errRestoreInProgress):
            jet.JetTerm(inst)
        with expect(jet.JET_errRestoreInProgress):
            jet.JetInit(inst)
        engine_inst.end_restore()
        jet.JetInit(inst)
        assert engine_inst.state == "initialised"

    @pytest.mark.parametrize(
        "fatal, code",
        [
            (-1022, -1090),  # JET_errDiskIO -> JET_errInstanceUnavailable
            (-529, -1092),  # JET_errLogDiskFull -> ...DueToFatalLogDiskFull
        ],
    )
    def test_unavailable_instance(self, fatal, code):
        inst = started()
        sesid = jet.JetBeginSession(inst)
        jet.JetBeginTransaction(sesid)
        engine_inst = SYSTEM.find_instance(inst)
        engine_inst.set_unavailable(fatal)
        engine_inst.set_unavailable(jet.JET_errOutOfMemory)  # the first error is kept
        assert engine_inst.state == "unavailable"
        # ESE: daedef.hxx ~5412; no session call is exempt (core-semantics §1.6)
        for call in (
            lambda: jet.JetBeginSession(inst),
            lambda: jet.JetRollback(sesid),
            lambda: jet.JetEndSession(sesid),
            lambda: jet.JetGetSessionInfo(sesid),
            lambda: jet.JetResetSessionContext(sesid),
        ):
            with expect(code):
                call()
        with pytest.raises(jet.FatalError):
            jet.JetCommitTransaction(sesid)
        # JetTerm still works ("error" mode: no TooManyActiveUsers check)
        jet.JetTerm(inst)
        assert engine_inst.state == "terminated"

    def test_states_through_the_lifecycle(self):
        inst = jet.JetCreateInstance("a")
        e = SYSTEM.find_instance(inst)
        assert e.state == "created"
        jet.JetInit(inst)
        assert e.state == "initialised"
        jet.JetStopServiceInstance(inst)
        assert e.state == "stop-service requested"
        jet.JetTerm(inst)
        assert e.state == "terminated"

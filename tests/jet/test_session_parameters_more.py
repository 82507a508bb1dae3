"""The three session parameters that came last: the operation context, the cache priority
and the IO priority (ESE tm.cxx ErrIsamSetSessionParameter / ErrIsamGetSessionParameter,
pib.hxx PIB::ErrSetOperationContext / ErrSetUserIoPriority, pib.cxx
PIB::ErrSetCachePriority)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


def test_operation_context_round_trips(s):
    ctx = jet.JetGetSessionParameter(s, jet.JET_sesparamOperationContext)
    assert ctx == jet.JET_OPERATIONCONTEXT()  # zeros before a set
    want = jet.JET_OPERATIONCONTEXT(ulUserID=0xDEADBEEF, nOperationID=1, nOperationType=2,
                                    nClientType=3, fFlags=4)
    jet.JetSetSessionParameter(s, jet.JET_sesparamOperationContext, want)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamOperationContext) == want
    # ErrSetOperationContext copies ESE's 8 bytes: little-endian DWORD, then four bytes
    jet.JetSetSessionParameter(s, jet.JET_sesparamOperationContext,
                               bytes([1, 0, 0, 0, 5, 6, 7, 8]))
    got = jet.JetGetSessionParameter(s, jet.JET_sesparamOperationContext)
    assert (got.ulUserID, got.nOperationID, got.nOperationType, got.nClientType,
            got.fFlags) == (1, 5, 6, 7, 8)


def test_operation_context_checks(s):
    # "if ( cbCtx != sizeof( JET_OPERATIONCONTEXT ) ) return JET_errInvalidBufferSize"
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetSetSessionParameter(s, jet.JET_sesparamOperationContext, b"1234567")
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamOperationContext,
                                   jet.JET_OPERATIONCONTEXT(nOperationID=256))
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamOperationContext, 7)


def test_cache_priority_defaults_to_the_instance_and_is_checked(inst, s):
    # PctCachePriorityPib: an unassigned session takes JET_paramCachePriority (100)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCachePriority) == 100
    jet.JetSetSessionParameter(s, jet.JET_sesparamCachePriority, 1000)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCachePriority) == 1000
    jet.JetSetSessionParameter(s, jet.JET_sesparamCachePriority, 0)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCachePriority) == 0
    # FIsCachePriorityValid: 0..1000
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamCachePriority, 1001)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCachePriority) == 0
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamCachePriority, "high")
    other = jet.JetBeginSession(inst)
    assert jet.JetGetSessionParameter(other, jet.JET_sesparamCachePriority) == 100


def test_io_priority_bits(s):
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamIOPriority) == 0
    ok = (jet.JET_IOPriorityLow | jet.JET_IOPriorityMarkAsMaintenance | 0x05000000 | 0x40)
    jet.JetSetSessionParameter(s, jet.JET_sesparamIOPriority, ok)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamIOPriority) == ok
    # ErrSetUserIoPriority: any other bit is JET_errInvalidGrbit, and nothing changes
    for bad in (jet.JET_IOPriorityLowForCheckpoint, jet.JET_IOPriorityLowForScavenge,
                0x80000000):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetSetSessionParameter(s, jet.JET_sesparamIOPriority, bad)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamIOPriority) == ok

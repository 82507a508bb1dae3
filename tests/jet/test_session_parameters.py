"""JetSetSessionParameter / JetGetSessionParameter, as ESE's tm.cxx
ErrIsamSetSessionParameter / ErrIsamGetSessionParameter dispatch them."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def s(inst):
    return jet.JetBeginSession(inst)


def test_commit_default_takes_any_grbit_and_lazy_flush_works(s):
    # ErrIsamSetSessionParameter: "ppib->grbitCommitDefault = *(JET_GRBIT *)pvParam"
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCommitDefault) == 0
    jet.JetSetSessionParameter(s, jet.JET_sesparamCommitDefault, jet.JET_bitCommitLazyFlush)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCommitDefault) \
        == jet.JET_bitCommitLazyFlush
    jet.JetSetSessionParameter(s, jet.JET_sesparamCommitDefault, 0x40)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCommitDefault) == 0x40
    # a commit with the default in force still works
    db = jet.JetCreateDatabase(s, "sp.edb")
    jet.JetBeginTransaction(s)
    jet.JetCreateTable(s, db, "T", 0, 100)
    jet.JetCommitTransaction(s, 0)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamCommitDefault, "lazy")
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetSetSessionParameter(s, jet.JET_sesparamCommitDefault, 1 << 40)


def test_transaction_level_is_read_only(s):
    # "case JET_sesparamTransactionLevel: return ErrERRCheck( JET_errFeatureNotAvailable )"
    with expect(jet.JET_errFeatureNotAvailable):
        jet.JetSetSessionParameter(s, jet.JET_sesparamTransactionLevel, 1)
    jet.JetBeginTransaction(s)
    jet.JetBeginTransaction(s)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamTransactionLevel) == 2
    jet.JetRollback(s, jet.JET_bitRollbackAll)


def test_unknown_ids(s):
    # the default branch of both switches: JET_errInvalidSesparamId
    for pid in (0, 1, jet.JET_paramCacheSizeMax, jet.JET_sesparamMaxValueInvalid, 0x7FFFFFFF):
        with expect(jet.JET_errInvalidSesparamId):
            jet.JetGetSessionParameter(s, pid)
        with expect(jet.JET_errInvalidSesparamId):
            jet.JetSetSessionParameter(s, pid, 0)


@pytest.mark.parametrize(("pid", "value", "default"), [
    (jet.JET_sesparamCorrelationID, 1234, 0),
    (jet.JET_sesparamIOSessTraceFlags, 0x5, 0),
    (jet.JET_sesparamCommitContextContainsCustomerData, 1, 0),
    (jet.JET_sesparamClientComponentDesc, "component", ""),
    (jet.JET_sesparamClientActionDesc, "action", ""),
    (jet.JET_sesparamClientActionContextDesc, "context", ""),
    (jet.JET_sesparamClientActivityId, bytes(range(16)), bytes(16)),
    (jet.JET_sesparamCommitGenericContext, b"generic", b""),
])
def test_values_kept_per_session(inst, s, pid, value, default):
    assert jet.JetGetSessionParameter(s, pid) == default
    jet.JetSetSessionParameter(s, pid, value)
    assert jet.JetGetSessionParameter(s, pid) == value
    other = jet.JetBeginSession(inst)
    assert jet.JetGetSessionParameter(other, pid) == default


def test_need_pre_commit_callback_is_a_flag(s):
    # SetFCommitContextNeedPreCommitCallback( *(DWORD *)pvParam ): read back as a BOOL
    jet.JetSetSessionParameter(s, jet.JET_sesparamCommitContextNeedPreCommitCallback, 7)
    assert jet.JetGetSessionParameter(s, jet.JET_sesparamCommitContextNeedPreCommitCallback) \
        == 1


def test_wrong_values(s):
    with expect(jet.JET_errInvalidBufferSize):
        jet.JetSetSessionParameter(s, jet.JET_sesparamClientActivityId, b"short")
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamClientComponentDesc, 5)
    with expect(jet.JET_errInvalidParameter):
        jet.JetSetSessionParameter(s, jet.JET_sesparamCorrelationID, b"1234")


def test_bad_session(s):
    with expect(jet.JET_errInvalidSesid):
        jet.JetSetSessionParameter(999999, jet.JET_sesparamCommitDefault, 0)

"""Property: after any sequence of transactions (durable and lazy commits, rollbacks, one or
two databases) and a crash (JetTerm2 dirty, then the log cut at any byte after the last
durable commit), recovery yields exactly a committed prefix that holds every durable commit.

Also: a log disk that fills up makes the instance unavailable (-1092) and loses nothing
committed durably before.
"""

from __future__ import annotations

import errno
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese import jet
from pyese.engine.instance import logservice
from pyese.engine.instance.database import database_of
from pyese.engine.instance.instance import SYSTEM
from pyese.storage.faults import FaultInjector
from pyese.storage.log.log_format import read_file_header

OBJ = 4
KEYS = [b"k%d" % i for i in range(5)]


def start(root, name):
    inst = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(root))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(root))
    jet.JetInit(inst)
    sesid = jet.JetBeginSession(inst)
    session = SYSTEM.find_session(sesid)
    dbs = []
    for name_ in ("a.db", "b.db"):
        path = str(root / name_)
        if os.path.exists(path):
            jet.JetAttachDatabase(sesid, path)
            dbid = jet.JetOpenDatabase(sesid, path)
        else:
            dbid = jet.JetCreateDatabase(sesid, path)
        dbs.append(database_of(session, dbid))
    return inst, sesid, session, session.instance.services.parts["version_store"], dbs


def read_all(vs, session, dbs):
    return tuple(tuple(vs.cursor(session, db, OBJ)) for db in dbs)


write = st.tuples(
    st.integers(0, 1), st.sampled_from(KEYS), st.one_of(st.none(), st.binary(max_size=4))
)
trx = st.tuples(
    st.lists(write, min_size=1, max_size=4), st.sampled_from(["durable", "lazy", "rollback"])
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(trx, max_size=12), st.floats(0, 1))
def test_recovery_gives_a_committed_prefix(tmp_path_factory, transactions, cut):
    try:
        _run(tmp_path_factory.mktemp("p"), transactions, cut)
    finally:
        SYSTEM.reset_for_tests()


def _run(root, transactions, cut):
    inst, sesid, session, vs, dbs = start(root, "w")
    model: list[dict[bytes, bytes]] = [{}, {}]
    states = [read_all(vs, session, dbs)]
    log = session.instance.services.parts["storage"].log
    applier = session.instance.services.parts["storage"].applier
    last_durable = 0
    durable_flushed = log.flushed_lgpos  # attaches are durable
    for writes, how in transactions:
        jet.JetBeginTransaction(sesid)
        for dbi, key, value in writes:
            if value is None:
                vs.delete(session, dbs[dbi], OBJ, key)
            else:
                vs.put(session, dbs[dbi], OBJ, key, value)
        if how == "rollback":
            jet.JetRollback(sesid)
            continue
        jet.JetCommitTransaction(sesid, jet.JET_bitCommitLazyFlush if how == "lazy" else 0)
        for dbi, key, value in writes:
            if value is None:
                model[dbi].pop(key, None)
            else:
                model[dbi][key] = value
        states.append(tuple(tuple(sorted(m.items())) for m in model))
        assert states[-1] == read_all(vs, session, dbs)
        if how == "durable":
            last_durable = len(states) - 1
            durable_flushed = log.flushed_lgpos
    current = os.path.join(str(root), "edb.log")
    generation = log.appended_lgpos.generation
    with pytest.raises(jet.DirtyShutdownError):
        jet.JetTerm2(inst, jet.JET_bitTermDirty)
    # The crash: the current log file loses any tail no completed flush vouched for. Bytes
    # at or before the flush of the last durable call, or already applied to a database
    # (WAL: applied implies flushed), must stay.
    size = os.path.getsize(current)
    low = read_file_header(current).size
    for lg in (durable_flushed, applier.applied_lgpos):
        if lg.generation == generation:
            low = max(low, lg.offset)
    keep = low + int((size - low) * cut)
    with open(current, "r+b") as f:  # torn: the preallocated file keeps its size
        f.seek(keep)
        f.write(bytes(size - keep))
    inst, sesid, session, vs, dbs = start(root, "r")
    got = read_all(vs, session, dbs)
    assert got in states[last_durable:]
    for db in dbs:
        assert db.file.check() == []
    jet.JetTerm(inst)


def test_log_disk_full_makes_instance_unavailable(tmp_path):
    faults = FaultInjector()
    logservice.TEST_FAULTS = faults
    try:
        inst, sesid, session, vs, dbs = start(tmp_path, "full")
    finally:
        logservice.TEST_FAULTS = None
    for i in range(5):
        vs.put(session, dbs[0], OBJ, b"%d" % i, b"v")
    faults.arm("log.write", lambda: OSError(errno.ENOSPC, "No space left on device"), times=-1)
    jet.JetBeginTransaction(sesid)
    vs.put(session, dbs[0], OBJ, b"lost", b"v")
    vs.put(session, dbs[1], OBJ, b"lost", b"v")
    with pytest.raises(jet.JetError) as e:
        jet.JetCommitTransaction(sesid)
    assert e.value.err == jet.JET_errLogDiskFull  # ESE: logwrite.cxx, disk full on the log
    with pytest.raises(jet.JetError) as e:
        jet.JetBeginTransaction(sesid)
    assert e.value.err == jet.JET_errInstanceUnavailableDueToFatalLogDiskFull
    jet.JetTerm(inst)  # unavailable: terminates dirty
    faults.disarm()
    inst, sesid, session, vs, dbs = start(tmp_path, "after")
    assert [k for k, _ in vs.cursor(session, dbs[0], OBJ)] == [b"%d" % i for i in range(5)]
    assert vs.get(session, dbs[1], OBJ, b"lost") is None
    jet.JetTerm(inst)

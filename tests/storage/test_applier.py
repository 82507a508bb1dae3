"""The applier: WAL rule, batching, checkpoint, failures, detach, circular logging."""

from __future__ import annotations

import errno
import os
import time

import pytest
from crash_child import create_db, db_items

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.faults import FaultInjector
from pyese.storage.lgpos import LGPOS
from pyese.storage.log.applier import Applier
from pyese.storage.log.checkpoint import AttachInfo, checkpoint_path, read_checkpoint
from pyese.storage.log.log_writer import LogWriter
from pyese.storage.ops import OP_DELETE, OP_PUT, Op

OBJ = 7


def put(i):
    return Op(OP_PUT, OBJ, b"k%04d" % i, b"v%d" % i)


@pytest.fixture
def env(tmp_path):
    made = {}

    def make(*, faults=None, **kw):
        log = LogWriter.open(str(tmp_path / "log"), file_size_kb=kw.pop("file_size_kb", 5120),
                             circular=kw.pop("circular", False))
        chk = checkpoint_path(str(tmp_path), "edb")
        applier = Applier(log, chk, **kw)
        db = create_db(str(tmp_path / "a.db"))
        if faults is not None:
            db._faults = faults.hit
        db.set_state(C.JET_dbstateDirtyShutdown, log_signature=log.signature)
        made.update(log=log, applier=applier, db=db, chk=chk)
        return log, applier, db

    yield make
    if made:
        made["applier"].close(drain=False)
        made["log"].close(clean=False)
        made["db"].close()


def contents(db):
    snap = db.snapshot()
    try:
        return dict(snap.iterate(OBJ))
    finally:
        snap.close()


def test_wal_rule_nothing_applied_before_its_log_record_is_durable(env):
    log, applier, db = env(force_flush=False, start=False)
    applier.attach(1, db.path, db)
    lg1 = applier.commit(1, {1: [put(1)]})
    log.flush(lg1)
    lg2 = applier.commit(2, {1: [put(2)]})
    assert log.flushed_lgpos < lg2
    applier.start()  # both are queued: a broken rule would apply both in the first batch
    assert applier.wait_applied(lg1, timeout=10)
    assert contents(db) == {b"k0001": b"v1"}
    assert applier.applied_lgpos == lg1
    assert db.header.applied_lgpos == lg1
    log.flush()  # the flush listener wakes the applier
    assert applier.wait_applied(lg2, timeout=10)
    assert contents(db) == {b"k0001": b"v1", b"k0002": b"v2"}


def test_force_flush_applies_lazy_commits(env):
    log, applier, db = env()
    applier.attach(1, db.path, db)
    lg = applier.commit(1, {1: [put(1)]})  # lazy: nobody flushes
    assert applier.wait_applied(lg, timeout=10)
    assert log.flushed_lgpos >= lg
    assert contents(db) == {b"k0001": b"v1"}


def _until(predicate, seconds=30.0):
    end = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < end, "timed out"
        time.sleep(0.002)


def test_flush_delay_the_applier_flushes_lazy_commits_itself_later(env):
    log, applier, db = env(flush_delay=0.02)
    applier.attach(1, db.path, db)
    lg = applier.commit(1, {1: [put(1)]})  # lazy: nobody flushes
    _until(lambda: applier.applied_lgpos >= lg)  # no waiter: nothing made it urgent
    assert log.flushed_lgpos >= lg
    assert contents(db) == {b"k0001": b"v1"}


def test_flush_delay_a_committers_flush_wakes_the_waiting_applier(env):
    # The applier leaves the flush to the committer (for an hour here); the committer's
    # flush must wake it (the flush listener), not the end of the delay.
    log, applier, db = env(flush_delay=3600.0)
    applier.attach(1, db.path, db)
    for i in range(3):
        lg = applier.commit(i, {1: [put(i)]})
        flushes = log.flush_count
        log.flush(lg)
        assert log.flush_count == flushes + 1  # the committer's own flush, not the applier's
        _until(lambda lg=lg: applier.applied_lgpos >= lg)
    assert len(contents(db)) == 3


def test_checkpoint_syncs_the_databases_applied_without_sync(env):
    log, applier, db = env()
    synced = []
    flush = db.flush
    db.flush = lambda: (synced.append(db.header.applied_lgpos), flush())[1]
    applier.attach(1, db.path, db)
    lg = applier.commit(1, {1: [put(1)]})
    log.flush(lg)
    assert applier.wait_applied(lg, timeout=30)
    assert applier.drain() == lg
    ckpt = read_checkpoint(checkpoint_path(os.path.dirname(db.path), "edb"))
    assert ckpt.lgpos == lg
    assert synced and synced[-1] >= lg  # synced up to the checkpoint before it was written


def test_many_records_batch_into_one_apply(env):
    log, applier, db = env(start=False)
    seen = []
    applier._on_applied = seen.append
    applier.attach(1, db.path, db)
    positions = [applier.commit(i, {1: [put(i)]}) for i in range(200)]
    positions.append(applier.commit(200, {1: [Op(OP_DELETE, OBJ, b"k0000")]}))
    log.flush()
    applier.start()
    assert applier.drain() == positions[-1]
    assert applier.batches == 1
    assert seen == [positions[-1]]
    got = contents(db)
    assert len(got) == 199 and b"k0000" not in got


def test_durable_commits_coalesce_into_one_apply_while_nobody_waits(env):
    # A lone durable committer pays the log fsync only: the applier holds durable records
    # for up to apply_delay so that later commits join one LMDB write (and fsync).
    log, applier, db = env(apply_delay=3600.0)
    applier.attach(1, db.path, db)
    positions = []
    for i in range(5):
        positions.append(applier.commit(i, {1: [put(i)]}))
        log.flush(positions[-1])  # each commit durable on its own, as JetCommitTransaction
    assert applier.batches == 0 and contents(db) == {}  # held back, not applied one by one
    assert applier.wait_applied(positions[-1], timeout=60)  # a waiter makes it urgent
    assert applier.batches == 1
    assert len(contents(db)) == 5


def test_drain_does_not_wait_out_the_apply_delay(env):
    log, applier, db = env(apply_delay=3600.0)
    applier.attach(1, db.path, db)
    lg = applier.commit(1, {1: [put(1)]})
    log.flush(lg)
    assert applier.drain() == lg
    assert contents(db) == {b"k0001": b"v1"}


def test_checkpoint_follows_applied_and_lists_attachments(env):
    log, applier, db = env()
    ckpt = read_checkpoint(checkpoint_path(os.path.dirname(db.path), "edb"))
    assert ckpt is not None and ckpt.lgpos == log.start_lgpos and ckpt.attached == ()
    applier.attach(1, db.path, db)
    lg = applier.commit(1, {1: [put(1)]})
    applier.drain()
    ckpt = read_checkpoint(checkpoint_path(os.path.dirname(db.path), "edb"))
    assert ckpt.lgpos == lg and ckpt.log_signature == log.signature
    assert ckpt.attached == (AttachInfo(1, db.path, db.header.signature),)
    det = applier.detach(1)
    assert applier.applied_lgpos == det
    applier.drain()
    assert read_checkpoint(checkpoint_path(os.path.dirname(db.path), "edb")).attached == ()


def test_db_apply_failure_surfaces_and_sticks(env):
    faults = FaultInjector()
    log, applier, db = env(faults=faults)
    applier.attach(1, db.path, db)
    applier.drain()
    faults.arm("apply.before_commit", lambda: OSError(errno.ENOSPC, "No space left on device"))
    applier.commit(1, {1: [put(1)]})
    with pytest.raises(JetError) as ei:
        applier.drain()
    assert ei.value.err == C.JET_errDiskFull
    assert applier.failed is ei.value
    with pytest.raises(JetError) as again:
        applier.commit(2, {1: [put(2)]})
    assert again.value is ei.value
    assert contents(db) == {}


def test_applier_fault_point_eio_is_disk_io(env):
    faults = FaultInjector()
    log, applier, db = env(faults=faults)
    applier._faults = faults
    applier.attach(1, db.path, db)
    faults.arm("applier.apply", lambda: OSError(errno.EIO, "I/O error"))
    applier.commit(1, {1: [put(1)]})
    with pytest.raises(JetError) as ei:
        applier.drain()
    assert ei.value.err == C.JET_errDiskIO


def test_commit_to_unattached_database_fails_the_applier(env):
    log, applier, db = env()
    applier.commit(1, {5: [put(1)]})
    with pytest.raises(JetError) as ei:
        applier.drain()
    assert ei.value.err == C.JET_errInvalidParameter


def test_circular_logging_deletes_generations_behind_the_checkpoint(env, tmp_path):
    log, applier, db = env(circular=True, file_size_kb=1, checkpoint_bytes=1)
    applier.attach(1, db.path, db)
    for i in range(40):
        log.flush(applier.commit(i, {1: [Op(OP_PUT, OBJ, b"k%04d" % i, b"x" * 200)]}))
    applier.drain()
    names = sorted(os.listdir(tmp_path / "log"))
    ckpt = read_checkpoint(checkpoint_path(str(tmp_path), "edb"))
    assert log.appended_lgpos.generation > 5
    # ESE: log.cxx, circular logging drops the logs the checkpoint no longer needs
    assert all(n == "edb.log" or int(n[3:8], 16) >= ckpt.lgpos.generation for n in names)
    assert len(contents(db)) == 40


def test_db_items_helper_reads_closed_file(tmp_path):
    db = create_db(str(tmp_path / "x.db"))
    db.apply([put(1)], LGPOS(1, 70))
    db.close()
    assert db_items(str(tmp_path / "x.db")) == {b"k0001": b"v1"}

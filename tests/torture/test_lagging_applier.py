"""A lagging applier throttles lazy committers; it never fails them (issue 12).

A batched bulk load (1,000 inserts per lazy commit, default JET_paramMaxVerPages) failed
now and then with JET_errVersionStoreOutOfMemory: lazy commits ran ahead of the applier,
and the next transaction's file snapshot, opened before those commits reached the file,
kept all their versions for its whole life (its reads need them), so waiting for the
applier freed nothing. Now a commit waits (bounded) while the versions of commits not yet
in the files pass a quarter of the version store, and a write that hits the limit waits
for the applier and cleanup as long as they free something. The applier is held with
the ``applier.apply`` fault seam to make the lag certain.

When space cannot be freed (one transaction larger than the version store), the error
says what to do: commit in smaller transactions or raise JET_paramMaxVerPages.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Iterator

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.logservice import storage_of
from pyese.storage.faults import FaultInjector

BATCH = 250
MAX_VER_PAGES = 16
"""A quarter of the default (64), with batches a quarter of the reported 1,000 inserts:
the same proportions, four times faster."""
COLS: list[int] = []


@pytest.fixture
def loader(faults: FaultInjector) -> Iterator[tuple[jet.JET_SESID, jet.JET_TABLEID]]:
    inst = jet.JetCreateInstance("bulk")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramMaxVerPages, MAX_VER_PAGES)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "bulk.edb")
    t = jet.JetCreateTable(s, db, "T")
    COLS[:] = [
        jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        jet.JetAddColumn(s, t, "Name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1252)),
    ]
    jet.JetCreateIndex(s, t, "Primary", jet.JET_bitIndexPrimary, "+Id\0\0")
    jet.JetCreateIndex(s, t, "ByName", 0, "+Name\0\0")
    yield s, t
    faults.disarm()
    try:
        jet.JetRollback(s)
    except jet.JetError:
        pass
    jet.JetEndSession(s)
    jet.JetTerm2(inst, jet.JET_bitTermAbrupt)


def insert_batch(s: jet.JET_SESID, t: jet.JET_TABLEID, first: int, n: int = BATCH) -> None:
    jet.JetBeginTransaction(s)
    for i in range(first, first + n):
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, COLS[0], struct.pack("<i", i))
        jet.JetSetColumn(s, t, COLS[1], b"name-%08d-padding-padding-padding" % i)
        jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush)


def count(s: jet.JET_SESID, t: jet.JET_TABLEID) -> int:
    n = 0
    jet.JetMove(s, t, jet.JET_MoveFirst)
    while True:
        n += 1
        try:
            jet.JetMove(s, t, jet.JET_MoveNext)
        except jet.JetError as exc:
            assert exc.err == jet.JET_errNoCurrentRecord
            return n


def test_lazy_bulk_load_waits_for_a_held_applier(
        loader: tuple[jet.JET_SESID, jet.JET_TABLEID], faults: FaultInjector) -> None:
    """The applier is held until a commit waits for it: the load then completes (before
    the fix a later batch failed with JET_errVersionStoreOutOfMemory, however long the
    applier was held past it)."""
    s, t = loader
    with session_call(s) as session:
        vs = storage_of(session.instance).vs
    batches = 12  # 1.3 times the version store
    applier = threading.Event()
    faults.hold("applier.apply", applier)
    loaded = [0]
    done = threading.Event()
    at_release: list[int] = []

    def release() -> None:
        # until a committer waits for the applier (or the load ends without waiting)
        while vs.throttled == 0 and not done.wait(0.01):
            pass
        at_release.append(loaded[0])
        applier.set()

    releaser = threading.Thread(target=release)
    releaser.start()
    try:
        for b in range(batches):
            insert_batch(s, t, b * BATCH)
            loaded[0] += 1
    finally:
        done.set()
        releaser.join()
        applier.set()
    # the committer was held back while the applier was: not failed, not run ahead
    assert vs.throttled >= 1
    assert at_release[0] < batches
    assert count(s, t) == batches * BATCH


def test_one_transaction_larger_than_the_version_store_says_what_to_do(
        loader: tuple[jet.JET_SESID, jet.JET_TABLEID]) -> None:
    s, t = loader
    with pytest.raises(jet.JetError) as info:
        insert_batch(s, t, 0, 20 * BATCH)
    assert info.value.err == jet.JET_errVersionStoreOutOfMemory
    text = str(info.value)
    assert "smaller transactions" in text and "JET_paramMaxVerPages" in text
    assert f"now {MAX_VER_PAGES})" in text  # its current value
    jet.JetRollback(s)
    insert_batch(s, t, 0)  # the instance goes on
    assert count(s, t) == BATCH

"""Streaming backups racing concurrent writers: the restored data is exactly a committed
prefix (every commit acknowledged before JetGetLogInfo, none after it returned, no hole
in any writer's sequence), and with the newer logs rolled forward, every commit."""

from __future__ import annotations

import os
import shutil
import struct
import threading

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C

from .helpers import _copy, close_db, create_db, make_instance, open_db

WRITERS = 4


def _writer(inst, path, wid, stop, counts, lock):
    s = jet.JetBeginSession(inst)
    d = jet.JetOpenDatabase(s, path)
    t = jet.JetOpenTable(s, d, "t")
    k = jet.JetGetTableColumnInfo(s, t, "k", C.JET_ColInfo).columnid
    v = jet.JetGetTableColumnInfo(s, t, "v", C.JET_ColInfo).columnid
    seq = 0
    while not stop.is_set():
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, C.JET_prepInsert)
        jet.JetSetColumn(s, t, k, struct.pack("<i", wid * 1_000_000 + seq))
        jet.JetSetColumn(s, t, v, os.urandom(200))
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
        seq += 1
        with lock:
            counts[wid] = seq
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)


@pytest.mark.parametrize("zero", [False, True], ids=["plain", "zero-deleted"])
def test_streaming_backup_with_writers_restores_a_committed_prefix(tmp_path, zero):
    """``zero``: with JET_paramZeroDatabaseDuringBackup the image's free pages (which the
    writers reuse while it streams) are sent as zeros; the restore is the same."""
    inst = make_instance(str(tmp_path / "inst"), log_kb=64, init=False)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramZeroDatabaseDuringBackup, int(zero), None)
    jet.JetInit(inst)
    path = str(tmp_path / "inst" / "a.db")
    db = create_db(inst, path)
    for n in range(300):
        db.put(-1 - n, os.urandom(300))
    close_db(db)
    stop = threading.Event()
    counts = [0] * WRITERS
    lock = threading.Lock()
    threads = [threading.Thread(target=_writer, args=(inst, path, w, stop, counts, lock))
               for w in range(WRITERS)]
    for th in threads:
        th.start()
    try:
        while min(counts) < 20:
            threading.Event().wait(0.01)
        dest = tmp_path / "bk"
        dest.mkdir()
        jet.JetBeginExternalBackupInstance(inst, 0)
        _copy(inst, path, str(dest / "a.db"))
        open(dest / "a.db.pat", "wb").close()
        with lock:
            before = list(counts)
        names, info = jet.JetGetLogInfoInstance2(inst)
        with lock:
            after = list(counts)
        for name in names:
            _copy(inst, name, str(dest / os.path.basename(name)))
        jet.JetTruncateLogInstance(inst)
        jet.JetEndExternalBackupInstance(inst)
        while min(counts) < after[0] + 20 or min(counts) < max(after) + 5:
            threading.Event().wait(0.01)
    finally:
        stop.set()
        for th in threads:
            th.join(30)
    final = list(counts)
    jet.JetTerm(inst)

    # 1. the backup alone (no newer logs): a committed prefix at the backup's end
    r = make_instance(str(tmp_path / "r1"), "r1", init=False)
    jet.JetRestoreInstance(r, str(tmp_path / "bk"), str(tmp_path / "r1"))
    jet.JetInit(r)
    rows = open_db(r, str(tmp_path / "r1" / "a.db")).rows()
    for w in range(WRITERS):
        seqs = sorted(key - w * 1_000_000 for key in rows if key >= 0 and key // 1_000_000 == w)
        n = len(seqs)
        assert seqs == list(range(n)), f"writer {w}: a hole in its commits"
        # every commit acknowledged before GetLogInfo is in; at most the one commit each
        # writer had in flight when GetLogInfo returned may be in too, nothing later
        assert before[w] <= n <= after[w] + 1, (w, before[w], n, after[w])
    assert sum(1 for key in rows if key < 0) == 300

    # 2. with the instance's newer logs rolled forward: every commit comes back
    os.remove(path)
    r2 = make_instance(str(tmp_path / "inst"), "r2", init=False)
    jet.JetRestoreInstance(r2, str(tmp_path / "bk"))
    jet.JetInit(r2)
    rows = open_db(r2, path).rows()
    for w in range(WRITERS):
        n = sum(1 for key in rows if key >= 0 and key // 1_000_000 == w)
        assert n == final[w]
    shutil.rmtree(tmp_path / "r1")

"""Child process of test_group_commit: THREADS sessions commit durable 1-row transactions
until killed.

Usage: group_commit_child.py ROOT THREADS. Each thread inserts rows keyed ``b"%02d%08d" %
(thread, n)`` into table ``t`` of ``ROOT/g.db``, one row per durable JetCommitTransaction, and
prints ``thread n`` once the commit returned (the acknowledgement).
"""

from __future__ import annotations

import os
import sys
import threading

from pyese import jet


def main() -> None:
    root, nthreads = sys.argv[1], int(sys.argv[2])
    inst = jet.JetCreateInstance("group")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 64, None)  # rollovers too
    jet.JetInit(inst)
    first = jet.JetBeginSession(inst)
    path = os.path.join(root, "g.db")
    db = jet.JetCreateDatabase(first, path)
    t = jet.JetCreateTable(first, db, "t")
    jet.JetAddColumn(first, t, "k", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetAddColumn(first, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary))
    jet.JetCreateIndex(first, t, "primary", jet.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCloseTable(first, t)
    out_lock = threading.Lock()
    sys.stdout.write("ready\n")
    sys.stdout.flush()

    def body(i: int) -> None:
        s = jet.JetBeginSession(inst)
        d = jet.JetOpenDatabase(s, path)
        tab = jet.JetOpenTable(s, d, "t")
        ck = jet.JetGetTableColumnInfo(s, tab, "k").columnid
        cv = jet.JetGetTableColumnInfo(s, tab, "v").columnid
        n = 0
        while True:
            jet.JetBeginTransaction(s)
            jet.JetPrepareUpdate(s, tab, jet.JET_prepInsert)
            jet.JetSetColumn(s, tab, ck, b"%02d%08d" % (i, n))
            jet.JetSetColumn(s, tab, cv, b"v" * (n % 200))
            jet.JetUpdate(s, tab)
            jet.JetCommitTransaction(s)  # durable: returns once the record is on disk
            with out_lock:
                sys.stdout.write(f"{i} {n}\n")
                sys.stdout.flush()
            n += 1

    threads = [threading.Thread(target=body, args=(i,), daemon=True) for i in range(nthreads)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()


if __name__ == "__main__":
    main()

"""Streaming backup of a large database while 4 threads keep committing.

Measures, in one run:

1. backup throughput: a full streaming backup (JetBeginExternalBackupInstance, JetOpenFile /
   JetReadFile of the database into a file, JetGetLogInfo and the logs, JetTruncateLog,
   JetEndExternalBackup) as bytes per second, against ``cp`` of the same files (the
   database file and the log files) into another directory; ratio pyese / cp;
2. the writers' durable commit rate during the backup against their rate without it;
3. restore time (JetRestoreInstance of that backup into a fresh directory) against the
   backup time.

    .venv/bin/python bench/bench_backup.py [--size-mib 200] [--writers 4] [--dir DIR]

The database is filled with 32 KiB long values under circular logging (so its logs do not
double the disk use), then the instance restarts without it for the measurements.
"""

from __future__ import annotations

import argparse
import os
import shutil
import struct
import subprocess
import tempfile
import threading
import time

import pyese.jet as jet
from pyese.jethdr import constants as C

VALUE = 32 * 1024


def instance(path: str, name: str, *, circular: bool = False, init: bool = True):
    inst = jet.JetCreateInstance(name)
    base = path.rstrip("/") + "/"
    for pid in (C.JET_paramLogFilePath, C.JET_paramSystemPath, C.JET_paramTempPath):
        jet.JetSetSystemParameter(inst, 0, pid, 0, base)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramCircularLog, 1 if circular else 0, None)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramMaxVerPages, 65536, None)
    if init:
        jet.JetInit(inst)
    return inst


def build(root: str, size: int) -> str:
    db = os.path.join(root, "big.db")
    inst = instance(root, "build", circular=True)
    s = jet.JetBeginSession(inst)
    dbid = jet.JetCreateDatabase(s, db)
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, dbid, "t")
    k = jet.JetAddColumn(s, t, "k", jet.JET_COLUMNDEF(coltyp=C.JET_coltypLong))
    v = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=C.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "pk", C.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCommitTransaction(s, 0)
    n = 0
    blob = os.urandom(VALUE)
    while os.path.getsize(db) < size:
        jet.JetBeginTransaction(s)
        for _ in range(64):
            jet.JetPrepareUpdate(s, t, C.JET_prepInsert)
            jet.JetSetColumn(s, t, k, struct.pack("<i", n))
            jet.JetSetColumn(s, t, v, blob[n % 97:] + blob[:n % 97])
            jet.JetUpdate(s, t)
            n += 1
        jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    jet.JetEndSession(s, 0)
    jet.JetTerm2(inst, C.JET_bitTermComplete)
    return db


class Writers:
    """``count`` threads committing small rows durably until stopped."""

    def __init__(self, inst, db: str, count: int, first_key: int) -> None:
        self.stop = threading.Event()
        self.commits = [0] * count
        self.threads = [threading.Thread(target=self._run, args=(inst, db, i, first_key))
                        for i in range(count)]

    def _run(self, inst, db: str, i: int, first: int) -> None:
        s = jet.JetBeginSession(inst)
        d = jet.JetOpenDatabase(s, db)
        t = jet.JetOpenTable(s, d, "t")
        k = jet.JetGetTableColumnInfo(s, t, "k", C.JET_ColInfo).columnid
        v = jet.JetGetTableColumnInfo(s, t, "v", C.JET_ColInfo).columnid
        key = first + i * 10_000_000
        while not self.stop.is_set():
            jet.JetBeginTransaction(s)
            jet.JetPrepareUpdate(s, t, C.JET_prepInsert)
            jet.JetSetColumn(s, t, k, struct.pack("<i", key))
            jet.JetSetColumn(s, t, v, b"w" * 100)
            jet.JetUpdate(s, t)
            jet.JetCommitTransaction(s, 0)
            key += 1
            self.commits[i] += 1
        jet.JetCloseTable(s, t)
        jet.JetEndSession(s, 0)

    def start(self) -> None:
        for th in self.threads:
            th.start()

    def total(self) -> int:
        return sum(self.commits)

    def finish(self) -> None:
        self.stop.set()
        for th in self.threads:
            th.join()


def copy_via_api(inst, src: str, dest: str) -> int:
    h, low, high = jet.JetOpenFileInstance(inst, src)
    n = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while data := jet.JetReadFileInstance(inst, h):
            os.write(fd, data)
            n += len(data)
        os.fsync(fd)
    finally:
        os.close(fd)
    jet.JetCloseFileInstance(inst, h)
    return n


def streaming_backup(inst, db: str, dest: str) -> int:
    os.makedirs(dest)
    jet.JetBeginExternalBackupInstance(inst, 0)
    total = copy_via_api(inst, db, os.path.join(dest, os.path.basename(db)))
    open(os.path.join(dest, os.path.basename(db) + ".pat"), "wb").close()
    for name in jet.JetGetLogInfoInstance(inst):
        total += copy_via_api(inst, name, os.path.join(dest, os.path.basename(name)))
    jet.JetTruncateLogInstance(inst)
    jet.JetEndExternalBackupInstance(inst)
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=200)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--baseline-seconds", type=float, default=5.0)
    ap.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="bench_backup_", dir=args.dir)
    try:
        src = os.path.join(root, "inst")
        os.makedirs(src)
        t0 = time.perf_counter()
        db = build(src, args.size_mib << 20)
        print(f"database: {os.path.getsize(db) / 2**20:,.0f} MiB built in "
              f"{time.perf_counter() - t0:.0f} s")
        inst = instance(src, "bench")
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, db)

        # writers alone
        w = Writers(inst, db, args.writers, 100_000_000)
        w.start()
        time.sleep(0.5)
        c0, t0 = w.total(), time.perf_counter()
        time.sleep(args.baseline_seconds)
        rate_alone = (w.total() - c0) / (time.perf_counter() - t0)
        w.finish()

        # cp of the same files (database + logs), fsynced, as the reference, while the
        # writers commit too (cp's copy is not consistent: it is the speed reference)
        cp_dest = os.path.join(root, "cp")
        os.makedirs(cp_dest)
        files = [db] + [os.path.join(src, n) for n in os.listdir(src) if n.endswith(".log")]
        w = Writers(inst, db, args.writers, 300_000_000)
        w.start()
        time.sleep(0.5)
        c0, t0 = w.total(), time.perf_counter()
        subprocess.run(["cp", *files, cp_dest], check=True)
        subprocess.run(["sync", "-f", cp_dest], check=False)
        cp_time = time.perf_counter() - t0
        rate_cp = (w.total() - c0) / cp_time
        w.finish()
        cp_bytes = sum(os.path.getsize(f) for f in files)

        # the streaming backup, while the writers commit
        w = Writers(inst, db, args.writers, 200_000_000)
        w.start()
        time.sleep(0.5)
        c0, t0 = w.total(), time.perf_counter()
        nbytes = streaming_backup(inst, db, os.path.join(root, "bk"))
        bk_time = time.perf_counter() - t0
        rate_during = (w.total() - c0) / bk_time
        w.finish()
        jet.JetEndSession(s, 0)
        jet.JetTerm(inst)

        # restore into a fresh directory
        r = instance(os.path.join(root, "restored"), "restore", init=False)
        t0 = time.perf_counter()
        jet.JetRestoreInstance(r, os.path.join(root, "bk"), os.path.join(root, "restored"))
        rs_time = time.perf_counter() - t0

        bk_tp = nbytes / bk_time
        cp_tp = cp_bytes / cp_time
        print(f"streaming backup: {nbytes / 2**20:,.0f} MiB in {bk_time:.2f} s = "
              f"{bk_tp / 2**20:,.0f} MiB/s   cp: {cp_bytes / 2**20:,.0f} MiB in {cp_time:.2f} s"
              f" = {cp_tp / 2**20:,.0f} MiB/s   ratio {bk_tp / cp_tp:.2f}")
        print(f"{args.writers} writers, durable commits/s: alone {rate_alone:,.0f}, during the "
              f"backup {rate_during:,.0f}   ratio {rate_during / rate_alone:.2f}   (during cp: "
              f"{rate_cp:,.0f}, ratio {rate_cp / rate_alone:.2f})")
        print(f"restore: {rs_time:.2f} s against the backup's {bk_time:.2f} s   ratio "
              f"{rs_time / bk_time:.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

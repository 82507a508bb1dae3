"""Streaming backup of a large database while 4 threads keep committing.

Measures, in one run:

1. backup throughput: a full streaming backup (JetBeginExternalBackupInstance, JetOpenFile /
   JetReadFile of the database into a file, JetGetLogInfo and the logs, JetTruncateLog,
   JetEndExternalBackup) as bytes per second, against ``cp`` of the same files (the
   database file and the log files) into another directory; ratio pyese / cp;
   ``JetBackupInstance`` (the engine copies, with ``copy_file_range``) the same way;
2. the writers' durable commit rate during the backup against their rate without it
   (and during ``cp``, for scale);
3. the same client loop without the engine (``pread`` / ``write`` of the same files, fsync):
   the ceiling of any client that receives the bytes, as ``JetReadFile``'s caller does;
4. the engine's side alone: the same JetReadFile stream of the database with the bytes
   dropped, to split what the engine costs from what writing the copy costs;
5. restore time (JetRestoreInstance of that backup into a fresh directory) against the
   backup time.

    .venv/bin/python bench/bench_backup.py [--size-mib 200] [--writers 4] [--dir DIR]

The database is filled with 32 KiB long values under circular logging (so its logs do not
double the disk use), then the instance restarts without it for the measurements.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import struct
import subprocess
import tempfile
import threading
import time

from _results import emit

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


def plain_copy(files: list[str], dest: str) -> int:
    """The client loop of ``copy_via_api`` without the engine: ``pread`` the same files in
    the same 4 MiB chunks, ``write`` each chunk to a destination file, fsync. What any
    client that receives the bytes in user space pays (``cp`` copies in the kernel)."""
    total = 0
    for src in files:
        sfd = os.open(src, os.O_RDONLY)
        fd = os.open(os.path.join(dest, os.path.basename(src)),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            pos = 0
            while data := os.pread(sfd, 4 << 20, pos):
                os.write(fd, data)
                pos += len(data)
            os.fsync(fd)
            total += pos
        finally:
            os.close(fd)
            os.close(sfd)
    return total


def read_only_stream(inst, db: str) -> int:
    """The engine's side alone: stream the database through JetReadFileInstance and drop
    the bytes (no destination), then abort the backup. Separates what the engine costs
    (snapshot, pread, the API calls) from what writing the copy to disk costs."""
    jet.JetBeginExternalBackupInstance(inst, 0)
    h, _low, _high = jet.JetOpenFileInstance(inst, db)
    n = 0
    while data := jet.JetReadFileInstance(inst, h):
        n += len(data)
    jet.JetCloseFileInstance(inst, h)
    jet.JetEndExternalBackupInstance2(inst, C.JET_bitBackupEndAbort)
    return n


def measured(inst, db: str, writers: int, key: int, work) -> tuple[float, float, object]:
    """Run ``work()`` while ``writers`` threads commit: (seconds, their commits/s, result)."""
    w = Writers(inst, db, writers, key)
    w.start()
    time.sleep(0.5)
    c0, t0 = w.total(), time.perf_counter()
    result = work()
    took = time.perf_counter() - t0
    rate = (w.total() - c0) / took
    w.finish()
    return took, rate, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size-mib", type=int, default=200)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each copy (medians)")
    ap.add_argument("--baseline-seconds", type=float, default=5.0)
    ap.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args()
    root = tempfile.mkdtemp(prefix="bench_backup_", dir=args.dir)
    med = statistics.median
    try:
        src = os.path.join(root, "inst")
        os.makedirs(src)
        t0 = time.perf_counter()
        db = build(src, args.size_mib << 20)
        print(f"database: {os.path.getsize(db) / 2**20:,.0f} MiB built in "
              f"{time.perf_counter() - t0:.0f} s; {args.writers} writers; medians of "
              f"{args.rounds} rounds")
        inst = instance(src, "bench")
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, db)
        _t, rate_alone, _r = measured(inst, db, args.writers, 100_000_000,
                                      lambda: time.sleep(args.baseline_seconds))
        key = 200_000_000
        cp_t, cp_r, bk_t, bk_r, fb_t, fb_r, ro_t, ro_r = [], [], [], [], [], [], [], []
        pc_t, pc_r = [], []
        cp_bytes = nbytes = fb_bytes = ro_bytes = pc_bytes = 0
        for rnd in range(args.rounds):
            # cp of the same files (database + logs), fsynced: the speed reference (its
            # copy is not consistent while writers commit)
            files = [db] + [os.path.join(src, n) for n in os.listdir(src) if n.endswith(".log")]
            cp_dest = os.path.join(root, f"cp{rnd}")
            os.makedirs(cp_dest)

            def cp(files=files, cp_dest=cp_dest) -> int:
                subprocess.run(["cp", *files, cp_dest], check=True)
                subprocess.run(["sync", "-f", cp_dest], check=False)
                return sum(os.path.getsize(f) for f in files)

            t, r, cp_bytes = measured(inst, db, args.writers, key, cp)
            cp_t.append(t)
            cp_r.append(r)
            shutil.rmtree(cp_dest)
            key += 50_000_000  # 4 writers x 10M apart; stays under 2**31 for 20 rounds
            os.makedirs(cp_dest)
            t, r, pc_bytes = measured(inst, db, args.writers, key,
                                      lambda files=files, d=cp_dest: plain_copy(files, d))
            pc_t.append(t)
            pc_r.append(r)
            shutil.rmtree(cp_dest)
            key += 50_000_000  # 4 writers x 10M apart; stays under 2**31 for 20 rounds
            dest = os.path.join(root, f"bk{rnd}")
            t, r, nbytes = measured(inst, db, args.writers, key,
                                    lambda dest=dest: streaming_backup(inst, db, dest))
            bk_t.append(t)
            bk_r.append(r)
            key += 50_000_000  # 4 writers x 10M apart; stays under 2**31 for 20 rounds
            fdest = os.path.join(root, f"fb{rnd}")
            os.makedirs(fdest)
            t, r, _ = measured(inst, db, args.writers, key,
                               lambda fdest=fdest: jet.JetBackupInstance(inst, fdest))
            fb_t.append(t)
            fb_r.append(r)
            fb_bytes = sum(os.path.getsize(os.path.join(fdest, n)) for n in os.listdir(fdest))
            shutil.rmtree(fdest)
            key += 50_000_000  # 4 writers x 10M apart; stays under 2**31 for 20 rounds
            t, r, ro_bytes = measured(inst, db, args.writers, key,
                                      lambda: read_only_stream(inst, db))
            ro_t.append(t)
            ro_r.append(r)
            key += 50_000_000  # 4 writers x 10M apart; stays under 2**31 for 20 rounds
            if rnd + 1 < args.rounds:
                shutil.rmtree(dest)
        jet.JetEndSession(s, 0)
        jet.JetTerm(inst)

        last = os.path.join(root, f"bk{args.rounds - 1}")
        r = instance(os.path.join(root, "restored"), "restore", init=False)
        t0 = time.perf_counter()
        jet.JetRestoreInstance(r, last, os.path.join(root, "restored"))
        rs_time = time.perf_counter() - t0

        cp_tp = cp_bytes / med(cp_t)
        bk_tp = nbytes / med(bk_t)
        fb_tp = fb_bytes / med(fb_t)
        emit("backup_stream_bytes", bk_tp, cp=cp_tp)
        emit("backup_instance_bytes", fb_tp, cp=cp_tp)
        print(f"cp + sync:          {cp_bytes / 2**20:,.0f} MiB in {med(cp_t):.2f} s = "
              f"{cp_tp / 2**20:,.0f} MiB/s; writers {med(cp_r):,.0f}/s")
        pc_tp = pc_bytes / med(pc_t)
        print(f"pread/write copy:   {pc_bytes / 2**20:,.0f} MiB in {med(pc_t):.2f} s = "
              f"{pc_tp / 2**20:,.0f} MiB/s   ratio to cp {pc_tp / cp_tp:.2f} (the same "
              f"client loop without the engine); writers {med(pc_r):,.0f}/s")
        print(f"streaming backup:   {nbytes / 2**20:,.0f} MiB in {med(bk_t):.2f} s = "
              f"{bk_tp / 2**20:,.0f} MiB/s   ratio to cp {bk_tp / cp_tp:.2f}, to the "
              f"pread/write copy {bk_tp / pc_tp:.2f}")
        ro_tp = ro_bytes / med(ro_t)
        print(f"engine side alone:  {ro_bytes / 2**20:,.0f} MiB in {med(ro_t):.2f} s = "
              f"{ro_tp / 2**20:,.0f} MiB/s   (JetReadFile of the database, bytes dropped: "
              f"the rest of the backup's time is writing and fsyncing the copy)")
        print(f"JetBackupInstance:  {fb_bytes / 2**20:,.0f} MiB in {med(fb_t):.2f} s = "
              f"{fb_tp / 2**20:,.0f} MiB/s   ratio to cp {fb_tp / cp_tp:.2f}")
        print(f"writers' durable commits/s: alone {rate_alone:,.0f}; during the streaming "
              f"backup {med(bk_r):,.0f} (ratio {med(bk_r) / rate_alone:.2f}); during "
              f"JetBackupInstance {med(fb_r):,.0f} ({med(fb_r) / rate_alone:.2f}); during cp "
              f"{med(cp_r):,.0f} ({med(cp_r) / rate_alone:.2f}); during the engine side "
              f"alone {med(ro_r):,.0f} ({med(ro_r) / rate_alone:.2f}); streaming backup "
              f"against cp {med(bk_r) / med(cp_r):.2f}")
        print(f"restore: {rs_time:.2f} s against the streaming backup's {med(bk_t):.2f} s   "
              f"ratio {rs_time / med(bk_t):.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

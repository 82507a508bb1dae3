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
    .venv/bin/python bench/bench_backup.py --issue      # issue 16's run: 1 GiB, 4 writers

The database is filled with 32 KiB long values under circular logging (so its logs do not
double the disk use), then the instance restarts without it for the measurements.

The writers' rate "alone" is measured right before each copy, for ``--baseline-seconds``,
and each copy's ratio is its rate against that one: on a shared machine the rate drifts
by a factor of two within minutes, so a single baseline taken at the start says more
about the drift than about the backup. Medians of the per-round ratios are printed.
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
        key = first + i * 1_000_000  # a writer makes far fewer commits per measurement
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


FLUSH_EVERY = 64 << 20
"""The clients below ``fdatasync`` their copy every 64 MiB, as the engine's own
``JetBackupInstance`` does (``storage/backup/copy.py`` WRITE_BEHIND): a copy left dirty
until one final fsync makes every durable commit on the same disk wait behind it."""


def copy_via_api(inst, src: str, dest: str) -> int:
    h, low, high = jet.JetOpenFileInstance(inst, src)
    n = since = 0
    fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        while data := jet.JetReadFileInstance(inst, h):
            os.write(fd, data)
            n += len(data)
            since += len(data)
            if since >= FLUSH_EVERY:
                os.fdatasync(fd)
                since = 0
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
    the same 4 MiB chunks, ``write`` each chunk to a destination file, flush as
    ``copy_via_api`` does. What any
    client that receives the bytes in user space pays (``cp`` copies in the kernel)."""
    total = 0
    for src in files:
        sfd = os.open(src, os.O_RDONLY)
        fd = os.open(os.path.join(dest, os.path.basename(src)),
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            pos = since = 0
            while data := os.pread(sfd, 4 << 20, pos):
                os.write(fd, data)
                pos += len(data)
                since += len(data)
                if since >= FLUSH_EVERY:
                    os.fdatasync(fd)
                    since = 0
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


def paired(inst, db: str, writers: int, key: int, work, baseline: float
           ) -> tuple[float, float, float, object]:
    """The writers alone for ``baseline`` seconds, then ``work`` while they commit:
    (seconds of work, their rate during it, the ratio to their rate just before, result).
    Uses keys ``[key, key + 10M)`` (writers 1M apart)."""
    _t, alone, _r = measured(inst, db, writers, key, lambda: time.sleep(baseline))
    took, rate, result = measured(inst, db, writers, key + 5_000_000, work)
    return took, rate, rate / alone if alone else 0.0, result


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
    ap.add_argument("--issue", action="store_true",
                    help="issue 16's run: a 1 GiB database (--size-mib 1024)")
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of each copy (medians)")
    ap.add_argument("--baseline-seconds", type=float, default=3.0,
                    help="writers alone before each copy")
    ap.add_argument("--dir", default=None, help="work directory (default: a temporary one)")
    args = ap.parse_args()
    if args.issue:
        args.size_mib = 1024
    root = tempfile.mkdtemp(prefix="bench_backup_", dir=args.dir)
    med = statistics.median
    try:
        src = os.path.join(root, "inst")
        os.makedirs(src)
        t0 = time.perf_counter()
        db = build(src, args.size_mib << 20)
        print(f"database: {os.path.getsize(db) / 2**20:,.0f} MiB built in "
              f"{time.perf_counter() - t0:.0f} s; {args.writers} writers; medians of "
              f"{args.rounds} rounds; writers alone {args.baseline_seconds:.0f} s before "
              f"each copy")
        inst = instance(src, "bench")
        s = jet.JetBeginSession(inst)
        jet.JetAttachDatabase(s, db)
        keys = iter(range(100_000_000, 2**31 - 10_000_000, 10_000_000))
        times: dict[str, list[float]] = {}
        rates: dict[str, list[float]] = {}
        ratios: dict[str, list[float]] = {}
        sizes: dict[str, int] = {}

        def run(name: str, work) -> None:
            took, rate, ratio, nbytes = paired(inst, db, args.writers, next(keys), work,
                                               args.baseline_seconds)
            times.setdefault(name, []).append(took)
            rates.setdefault(name, []).append(rate)
            ratios.setdefault(name, []).append(ratio)
            sizes[name] = int(nbytes)  # type: ignore[call-overload]

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

            run("cp", cp)
            shutil.rmtree(cp_dest)
            os.makedirs(cp_dest)
            run("pc", lambda files=files, d=cp_dest: plain_copy(files, d))
            shutil.rmtree(cp_dest)
            dest = os.path.join(root, f"bk{rnd}")
            run("bk", lambda dest=dest: streaming_backup(inst, db, dest))
            fdest = os.path.join(root, f"fb{rnd}")
            os.makedirs(fdest)

            def file_backup(fdest=fdest) -> int:
                jet.JetBackupInstance(inst, fdest)
                return sum(os.path.getsize(os.path.join(fdest, n)) for n in os.listdir(fdest))

            run("fb", file_backup)
            shutil.rmtree(fdest)
            run("ro", lambda: read_only_stream(inst, db))
            if rnd + 1 < args.rounds:
                shutil.rmtree(dest)
        jet.JetEndSession(s, 0)
        jet.JetTerm(inst)

        last = os.path.join(root, f"bk{args.rounds - 1}")
        r = instance(os.path.join(root, "restored"), "restore", init=False)
        t0 = time.perf_counter()
        jet.JetRestoreInstance(r, last, os.path.join(root, "restored"))
        rs_time = time.perf_counter() - t0

        def tp(name: str) -> float:
            return sizes[name] / med(times[name])

        def w(name: str) -> str:
            return (f"writers {med(rates[name]):,.0f}/s, {med(ratios[name]):.2f} of their rate "
                    f"alone (rounds: {', '.join(f'{x:.2f}' for x in ratios[name])})")

        cp_tp = tp("cp")
        emit("backup_stream_bytes", tp("bk"), cp=cp_tp)
        emit("backup_instance_bytes", tp("fb"), cp=cp_tp)
        print(f"cp + sync:          {sizes['cp'] / 2**20:,.0f} MiB in {med(times['cp']):.2f} s = "
              f"{cp_tp / 2**20:,.0f} MiB/s; {w('cp')}")
        print(f"pread/write copy:   {tp('pc') / 2**20:,.0f} MiB/s   ratio to cp "
              f"{tp('pc') / cp_tp:.2f} (the client loop without the engine); {w('pc')}")
        print(f"streaming backup:   {sizes['bk'] / 2**20:,.0f} MiB in {med(times['bk']):.2f} s = "
              f"{tp('bk') / 2**20:,.0f} MiB/s   ratio to cp {tp('bk') / cp_tp:.2f}, to the "
              f"pread/write copy {tp('bk') / tp('pc'):.2f}; {w('bk')}")
        print(f"engine side alone:  {tp('ro') / 2**20:,.0f} MiB/s (JetReadFile of the "
              f"database, bytes dropped); {w('ro')}")
        print(f"JetBackupInstance:  {sizes['fb'] / 2**20:,.0f} MiB in {med(times['fb']):.2f} s = "
              f"{tp('fb') / 2**20:,.0f} MiB/s   ratio to cp {tp('fb') / cp_tp:.2f}; {w('fb')}")
        print(f"restore: {rs_time:.2f} s against the streaming backup's "
              f"{med(times['bk']):.2f} s   ratio {rs_time / med(times['bk']):.2f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()

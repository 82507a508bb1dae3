"""Command-line pieces for pyese's own files: ``backup``, ``restore``, and ``info`` on a
pyese database file, a backup copy of one, a log file or a checkpoint.

``pyese backup INSTANCE_DIR DEST`` runs recovery on the instance directory (its logs and
checkpoint), attaches its pyese database files (or the ``--database`` ones) and makes a
``JetBackupInstance`` backup into ``DEST`` (full, ``--incremental``, ``--atomic``).
``pyese restore SRC INSTANCE_DIR`` restores with ``JetRestoreInstance``: databases into
INSTANCE_DIR (or their original paths with ``--original-paths``), logs replayed, including
newer logs already in INSTANCE_DIR. Both show progress on stderr when it is a terminal.
Errors print one line and exit 1 (``cli.main``).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

from pyese.jethdr import constants as C

STATE_NAMES = {
    C.JET_dbstateJustCreated: "JustCreated",
    C.JET_dbstateDirtyShutdown: "DirtyShutdown",
    C.JET_dbstateCleanShutdown: "CleanShutdown",
    C.JET_dbstateBeingConverted: "BeingConverted",
    C.JET_dbstateForceDetach: "ForceDetach",
    C.JET_dbstateIncrementalReseedInProgress: "IncrementalReseedInProgress",
    C.JET_dbstateDirtyAndPatchedShutdown: "DirtyAndPatchedShutdown",
    C.JET_dbstateRevertInProgress: "RevertInProgress",
}


class _Progress:
    """Progress lines on stderr, only when it is a terminal."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, name: str, done: int, total: int) -> None:
        now = time.monotonic()
        if not self.tty or (now - self.last < 0.2 and done < total):
            return
        self.last = now
        pct = 100 * done // total if total else 100
        sys.stderr.write(f"\r{name}: {done / 2**20:,.1f} / {total / 2**20:,.1f} MiB ({pct}%)  ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()


# ------------------------------------------------------------------------------ info


def _lg(lg: Any) -> str:
    return f"{lg.generation:X}:{lg.offset}"


def _bk(b: Any) -> str:
    if not b.is_set:
        return "none"
    return f"generations {b.gen_low:X}-{b.gen_high:X}, mark {_lg(b.mark)}"


def describe(path: str) -> dict[str, Any] | None:
    """What a pyese file is and its header, or None when it is no pyese file."""
    try:
        with open(path, "rb") as f:
            head = f.read(8)
    except OSError:
        return None
    if head == b"PYESELOG":
        from pyese.storage.log import log_format as F

        lh = F.read_file_header(path)
        return {"file": path, "kind": "pyese log file", "generation": lh.generation,
                "log signature": lh.signature.hex(), "created (ns)": lh.created_ns,
                "previous generation created (ns)": lh.prev_created_ns}
    if head == b"PYESECHK":
        from pyese.storage.log.checkpoint import read_checkpoint

        ck = read_checkpoint(path)
        assert ck is not None
        return {"file": path, "kind": "pyese checkpoint", "checkpoint": _lg(ck.lgpos),
                "log signature": ck.log_signature.hex(),
                "attached": [f"{a.dbnum}: {a.path}" for a in ck.attached]}
    from pyese.storage.database.dbheader import check_image

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        check_image(fd)
    except Exception:  # noqa: BLE001 - not ours: the genuine reader takes it
        return None
    finally:
        os.close(fd)
    from pyese.storage.backup.bkinfo import read_fields
    from pyese.storage.backup.trailer import read_trailer
    from pyese.storage.database.dbfile import DatabaseFile

    dbf = DatabaseFile.open(path, read_only=True)
    try:
        h = dbf.header
        fields = read_fields(dbf)
    finally:
        dbf.close()
    trailer = read_trailer(path)
    out: dict[str, Any] = {
        "file": path,
        "kind": ("pyese database file, a backup copy (restore it before use)"
                 if trailer is not None else "pyese database file (an LMDB environment)"),
        "format": f"{h.format_version[0]}.{h.format_version[1]}",
        "page size": h.page_size,
        "state": f"{h.state} ({STATE_NAMES.get(h.state, '?')})",
        "signature": h.signature.hex(),
        "log signature": h.log_signature.hex() if h.log_signature else "none",
        "applied": _lg(h.applied_lgpos),
        "attach": _lg(h.attach_lgpos),
        "consistent": _lg(h.consistent_lgpos),
        "detach": _lg(h.detach_lgpos),
        "bkinfoFullPrev": _bk(fields.full_prev),
        "bkinfoIncPrev": _bk(fields.inc_prev),
        "bkinfoCopyPrev": _bk(fields.copy_prev),
        "bkinfoDiffPrev": _bk(fields.diff_prev),
        "bkinfoFullCur": _bk(trailer.full_cur) if trailer is not None else "none",
    }
    if trailer is not None:
        out["backup image"] = (f"{trailer.image_size} bytes, consistent at "
                               f"{_lg(trailer.applied)}, from {trailer.path}")
    return out


def info(path: str, as_json: bool) -> int | None:
    """``pyese info`` for pyese's own files; None when the file is not one of them."""
    d = describe(path)
    if d is None:
        return None
    if as_json:
        print(json.dumps(d, indent=1))
        return 0
    width = max(len(k) for k in d)
    for k, v in d.items():
        if isinstance(v, list):
            v = ", ".join(v) or "none"
        print(f"{k:>{width}}: {v}")
    return 0


# ------------------------------------------------------------------------------ backup


def _instance(instance_dir: str, name: str) -> Any:
    from pyese import jet

    inst = jet.JetCreateInstance(name)
    base = os.path.abspath(instance_dir) + "/"
    jet.JetSetSystemParameter(inst, 0, C.JET_paramLogFilePath, 0, base)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramSystemPath, 0, base)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramTempPath, 0, base)
    return inst


def _database_files(instance_dir: str) -> list[str]:
    from pyese.storage.database.dbheader import check_image

    out = []
    for name in sorted(os.listdir(instance_dir)):
        path = os.path.join(instance_dir, name)
        if not os.path.isfile(path) or name.endswith(("-lock", ".log", ".chk", ".tmp")):
            continue
        try:
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            check_image(fd)
            out.append(os.path.abspath(path))
        except Exception:  # noqa: BLE001 - not a pyese database file
            pass
        finally:
            os.close(fd)
    return out


def _in_use(path: str) -> bool:
    """Does another opener hold the database file (``DatabaseFile``'s lock)?"""
    from pyese.storage import portable

    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        portable.lock_exclusive(fd)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _cmd_backup(args: argparse.Namespace) -> int:
    from pyese import jet
    from pyese.engine.backup.filebackup import backup_instance
    from pyese.engine.instance.instance import SYSTEM

    if not os.path.isdir(args.instance_dir):
        print(f"pyese: {args.instance_dir} is not a directory", file=sys.stderr)
        return 1
    dbs = [os.path.abspath(d) for d in args.database] if args.database \
        else _database_files(args.instance_dir)
    busy = [d for d in dbs if _in_use(d)]
    if busy:
        print(f"pyese: {busy[0]} is open in a running instance: back it up from that process "
              "(JetBackupInstance or the streaming backup calls)", file=sys.stderr)
        return 1
    os.makedirs(args.dest, exist_ok=True)
    inst = _instance(args.instance_dir, "pyese-backup")
    jet.JetInit(inst)
    try:
        sesid = jet.JetBeginSession(inst)
        for path in dbs:
            jet.JetAttachDatabase(sesid, path)
        grbit = (C.JET_bitBackupIncremental if args.incremental else 0) \
            | (C.JET_bitBackupAtomic if args.atomic else 0)
        started = time.monotonic()
        sizes: dict[str, int] = {}

        progress = _Progress()

        def report(name: str, done: int, total: int) -> None:
            sizes[name] = total
            progress(name, done, total)

        backup_instance(SYSTEM.find_instance(inst), args.dest, grbit, None, progress=report)
        took = time.monotonic() - started
        total = sum(sizes.values())
        print(f"backed up {len(dbs)} database(s) and {sum(1 for n in sizes if n.endswith('.log'))}"
              f" log file(s), {total / 2**20:,.1f} MiB in {took:.1f} s, into {args.dest}")
        jet.JetEndSession(sesid, 0)
    finally:
        jet.JetTerm(inst)
    return 0


def _cmd_restore(args: argparse.Namespace) -> int:
    from pyese import jet

    os.makedirs(args.instance_dir, exist_ok=True)
    inst = _instance(args.instance_dir, "pyese-restore")
    progress = _Progress()

    def pfn(_s: object, snp: int, snt: int, pv: Any) -> int:
        if pv is not None:
            progress("restore", pv.cunitDone, pv.cunitTotal)
        return 0

    started = time.monotonic()
    dest = None if args.original_paths else os.path.abspath(args.instance_dir)
    try:
        jet.JetRestoreInstance(inst, args.src, dest, pfn)
    finally:
        jet.JetTerm(inst)
    print(f"restored {args.src} into {args.instance_dir} in {time.monotonic() - started:.1f} s")
    return 0


def add_subcommands(sub: Any) -> None:
    """Register ``backup`` and ``restore`` on the main parser's subparsers."""
    p = sub.add_parser("backup", help="back up a pyese instance directory",
                       description="Recover the instance directory, attach its pyese "
                                   "databases and back them up with their logs "
                                   "(JetBackupInstance). Logs no longer needed are "
                                   "truncated, as ESE does after a full backup.")
    p.add_argument("instance_dir", metavar="INSTANCE_DIR")
    p.add_argument("dest", metavar="DEST")
    p.add_argument("--incremental", action="store_true", help="logs only (after a full backup)")
    p.add_argument("--atomic", action="store_true",
                   help="keep the previous backup until the new one is complete (new/old)")
    p.add_argument("--database", action="append", metavar="FILE",
                   help="back up this database (repeatable; default: every pyese database "
                        "file in INSTANCE_DIR)")
    p.set_defaults(func=_cmd_backup)

    p = sub.add_parser("restore", help="restore a backup into an instance directory",
                       description="Restore a backup made by 'pyese backup' or JetBackup "
                                   "(JetRestoreInstance): databases written, the backup's "
                                   "logs and any newer logs of INSTANCE_DIR replayed.")
    p.add_argument("src", metavar="SRC")
    p.add_argument("instance_dir", metavar="INSTANCE_DIR")
    p.add_argument("--original-paths", action="store_true",
                   help="put the databases back where they were backed up from")
    p.set_defaults(func=_cmd_restore)

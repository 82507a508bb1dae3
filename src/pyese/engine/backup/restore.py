"""Restore: a backup set back into database files, then redo of its logs and of any newer
logs left in the log directory (ESE hard recovery: ``_log/logutil.cxx`` ErrLGRestore,
``_log/rstmap.cxx``, ``api`` 22122-22222, 18434-18900).

Order of work, each step safe to repeat (a restore killed at any point can run again from
the start and gives the same result; the backup set is never modified):

1. the instance is locked for the restore (``JET_errAlreadyInitialized`` if it runs,
   ``JET_errRestoreInProgress`` while another restore holds it);
2. the logs are found in the backup directory, else in its ``new``, else its ``old``
   (the atomic layout); none -> ``JET_errFileNotFound``;
3. the backup set is checked (``storage.backup.logchain``: -1811 for a hole, -555, -556);
4. the databases: the ``*.pat`` files of that directory (none -> ``JET_errPatchFileMissing``),
   or the ``JET_RSTMAP`` of an external restore; each must be a backup copy
   (``JET_errRestoreOfNonBackupDatabase``; an unreadable one ``JET_errDatabaseCorrupted``)
   whose trailer agrees with its header (``JET_errDatabasePatchFileMismatch``) and whose
   logs the set holds (``JET_errStartingRestoreLogTooHigh``, ``JET_errEndingRestoreLogTooLow``);
5. the log directory's own logs must continue the set (-610, -611, -565);
6. each image is written to its destination without its trailer (temporary file, fsync,
   rename); the set's logs missing from the log directory are copied in;
7. redo (``storage.backup.replay``) from the set's ``genLow`` to the end of the newest log
   that chains; the databases end CleanShutdown and detached;
8. a checkpoint at the end of the log with nothing attached, so the next JetInit replays
   nothing twice.

Status callback: ``JET_snpRestore`` with ``JET_sntBegin``, ``JET_sntProgress`` per log
generation, ``JET_sntComplete`` (``cunitDone <= cunitTotal`` always); a negative value
returned by it stops the restore with that error.
"""

from __future__ import annotations

import glob
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pyese.engine.instance import logservice
from pyese.engine.instance.instance import Instance
from pyese.engine.instance.logservice import resolve_path
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.backup.copy import copy_file, fsync_dir, write_durably
from pyese.storage.backup.logchain import (
    LogSet,
    check_backup_set,
    generation_range,
    rollforward_logs,
)
from pyese.storage.backup.replay import Target, replay
from pyese.storage.backup.trailer import Trailer, read_trailer
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.faults import NO_FAULTS, FaultInjector
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import Checkpoint, checkpoint_path, write_checkpoint

PATCH_EXT = ".pat"


@dataclass(frozen=True)
class RestoreItem:
    """One database to restore: the backup copy and where it goes."""

    source: str
    dest: str


@dataclass(frozen=True)
class RestorePaths:
    log_path: str
    system_path: str
    base_name: str


def find_backup_logs(backup_dir: str, base: str) -> str:
    """The directory holding the backup's logs: ``backup_dir``, ``new``, then ``old``."""
    for d in (backup_dir, os.path.join(backup_dir, "new"), os.path.join(backup_dir, "old")):
        if generation_range(d, base) is not None:
            return d
    raise_error(C.JET_errFileNotFound, f"no log files in {backup_dir} (nor new/old)")


def patch_items(set_dir: str, dest_dir: str | None) -> list[RestoreItem]:
    """The databases of a file backup: one per ``*.pat`` (ESE ``rst`` 312-319)."""
    pats = sorted(glob.glob(os.path.join(glob.escape(set_dir), "*" + PATCH_EXT)))
    if not pats:
        raise_error(C.JET_errPatchFileMissing, f"no {PATCH_EXT} file in {set_dir}")
    items = []
    for pat in pats:
        src = pat[: -len(PATCH_EXT)]
        if dest_dir is not None:
            dest = os.path.join(os.path.abspath(dest_dir), os.path.basename(src))
        else:
            t = read_trailer(src)
            dest = t.path if t is not None else src
        items.append(RestoreItem(src, dest))
    return items


def check_database(path: str, logs: LogSet) -> Trailer:
    """The per-database checks of ESE's ErrLGCheckDBFiles (``lu`` 9-235), in its order."""
    try:
        f = DatabaseFile.open(path, read_only=True)
    except JetError as exc:
        if exc.err in (C.JET_errFileNotFound, C.JET_errInvalidPath):
            raise
        raise JetError.from_code(C.JET_errDatabaseCorrupted, f"{path}: {exc}") from exc
    try:
        header = f.header
    finally:
        f.close()
    trailer = read_trailer(path)
    if trailer is None:
        raise_error(C.JET_errRestoreOfNonBackupDatabase, f"{path} is not a backup copy")
    if (trailer.db_signature != bytes(header.signature)
            or header.log_signature is None
            or trailer.log_signature != bytes(header.log_signature)):
        raise_error(C.JET_errDatabasePatchFileMismatch, f"{path}: trailer and header disagree")
    if trailer.log_signature != logs.signature:
        raise_error(C.JET_errGivenLogFileHasBadSignature,
                    f"{path} was backed up from another log stream")
    if trailer.full_cur.gen_low < logs.low:
        raise_error(C.JET_errStartingRestoreLogTooHigh,
                    f"{path} needs generation {trailer.full_cur.gen_low:X}, the set starts "
                    f"at {logs.low:X}")
    if max(trailer.applied.generation, trailer.full_cur.mark.generation) > logs.high:
        raise_error(C.JET_errEndingRestoreLogTooLow,
                    f"{path} needs generation {trailer.applied.generation:X}, the set ends "
                    f"at {logs.high:X}")
    return trailer


StatusFn = Callable[[int, int, int, int], Any]
"""``status(snp, snt, cunitDone, cunitTotal) -> int``: the jet layer turns it into a
``JET_PFNSTATUS`` call with a ``JET_SNPROG`` and hands back its result."""


def _notify(status: StatusFn | None, snt: int, done: int, total: int) -> None:
    if status is None:
        return
    rc = status(C.JET_snpRestore, snt, min(done, total), total)
    if isinstance(rc, int) and rc < 0:
        raise_error(rc, "stopped by the status callback")


def default_faults() -> FaultInjector:
    """The fault injector tests installed (``logservice.TEST_FAULTS``), else none."""
    return logservice.TEST_FAULTS if logservice.TEST_FAULTS is not None else NO_FAULTS


def run_restore(instance: Instance, paths: RestorePaths, set_dir: str,
                items: list[RestoreItem], *, low: int | None = None,
                high: int | None = None, pfn: StatusFn | None = None,
                rollforward: bool = True, faults: FaultInjector | None = None,
                progress: Callable[[str, int, int], Any] | None = None) -> None:
    """Steps 3-8 of the module docstring, the instance already locked for the restore."""
    if faults is None:
        faults = default_faults()
    rng = generation_range(set_dir, paths.base_name)
    if rng is None:
        raise_error(C.JET_errFileNotFound, f"no log files in {set_dir}")
    lo = low or rng[0]
    hi = high or rng[1]
    logs = check_backup_set(set_dir, paths.base_name, lo, hi)
    trailers = [check_database(item.source, logs) for item in items]
    for d in (paths.log_path, paths.system_path):
        os.makedirs(d, exist_ok=True)
    same_dir = os.path.abspath(set_dir) == os.path.abspath(paths.log_path)
    later = rollforward_logs(paths.log_path, paths.base_name, logs) \
        if rollforward and not same_dir else []
    total = (hi - lo + 1) + len(later) + 2
    _notify(pfn, C.JET_sntBegin, 0, total)
    for item, trailer in zip(items, trailers, strict=True):
        _place_image(item, trailer, faults, progress)
    if not same_dir:
        current = os.path.join(paths.log_path, F.current_log_name(paths.base_name))
        current_gen = F.read_file_header(current).generation \
            if os.path.exists(current) else None
        for gen in range(lo, hi + 1):
            dest = os.path.join(paths.log_path, F.archived_log_name(paths.base_name, gen))
            if gen != current_gen and not os.path.exists(dest):
                copy_file(logs.files[gen], dest, faults=faults)
        if current_gen is None:
            # a log stream ends with its current file: the set's last generation becomes
            # <base>.log (the next JetInit archives it and starts the next generation)
            last = os.path.join(paths.log_path, F.archived_log_name(paths.base_name, hi))
            os.replace(last, current)
            fsync_dir(paths.log_path)
    _notify(pfn, C.JET_sntProgress, 1, total)
    targets = []
    try:
        for item, trailer in zip(items, trailers, strict=True):
            db = DatabaseFile.open(item.dest)
            # attached before the set's first generation: its number held all along
            known = db.header.attach_lgpos.generation < lo
            targets.append(Target(db, trailer.db_signature, trailer.dbnum if known else None,
                                  db.header.applied_lgpos))
        end = replay(paths.log_path, paths.base_name, logs.signature, lo, targets,
                     progress=lambda g: _notify(pfn, C.JET_sntProgress,
                                                1 + g - lo, total))
    finally:
        for t in targets:
            t.db.close()
    write_checkpoint(checkpoint_path(paths.system_path, paths.base_name),
                     Checkpoint(end, logs.signature, ()), faults=faults)
    _notify(pfn, C.JET_sntComplete, total, total)


def _place_image(item: RestoreItem, trailer: Trailer, faults: FaultInjector,
                 progress: Callable[[str, int, int], Any] | None) -> None:
    """Write the image (without padding and trailer) to its destination, durably."""
    if os.path.dirname(item.dest) and not os.path.isdir(os.path.dirname(item.dest)):
        raise_error(C.JET_errInvalidPath, f"no directory for {item.dest}")
    size = trailer.image_size
    name = os.path.basename(item.dest)

    def fill(fd: int) -> None:
        with open(item.source, "rb") as f:
            sfd = f.fileno()
            pos = 0
            copy_range = getattr(os, "copy_file_range", None)
            while pos < size:
                faults.hit("backup.write")
                n = 0
                if copy_range is not None:
                    n = copy_range(sfd, fd, min(8 << 20, size - pos), pos, pos)
                if n <= 0:
                    data = os.pread(sfd, min(8 << 20, size - pos), pos)
                    if not data:
                        raise OSError(5, f"{item.source} is shorter than its image")
                    n = os.pwrite(fd, data, pos)
                pos += n
                if progress is not None:
                    progress(name, pos, size)

    write_durably(item.dest, fill, faults=faults)
    try:
        os.unlink(item.dest + "-lock")
    except FileNotFoundError:
        pass


def instance_paths(instance: Instance) -> RestorePaths:
    p = instance.params
    return RestorePaths(resolve_path(p.log_file_path), resolve_path(p.system_path),
                        p.base_name)


def restore_instance(instance: Instance, backup_dir: str, dest_dir: str | None,
                     pfn: StatusFn | None = None, *,
                     faults: FaultInjector | None = None,
                     progress: Callable[[str, int, int], Any] | None = None) -> None:
    """JetRestoreInstance (see the module docstring)."""
    instance.begin_restore()
    try:
        if not os.path.isdir(backup_dir):
            raise_error(C.JET_errFileNotFound, f"{backup_dir} is not a directory")
        paths = instance_paths(instance)
        set_dir = find_backup_logs(backup_dir, paths.base_name)
        items = patch_items(set_dir, dest_dir)
        run_restore(instance, paths, set_dir, items, pfn=pfn, faults=faults,
                    progress=progress)
    finally:
        instance.end_restore()

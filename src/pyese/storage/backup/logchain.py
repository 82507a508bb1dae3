"""Generation-chain checks of a backup's logs and of the logs a restore rolls forward.

The rules are ESE's restore-log check (``_log/logutil.cxx``, the loop over
``genLow..genHigh`` of the restore path, then the loop over the log directory):

Backup set, ``genLow..genHigh`` in order:

- a generation that cannot be opened fails the restore with the open error: a hole in the
  set -> ``JET_errFileNotFound`` (ESE opens each file with ``ErrLGRSTOpenLogFile``);
- another ``signLog`` than the previous one -> ``JET_errGivenLogFileHasBadSignature``;
- a previous-generation time that is not the previous file's creation time ->
  ``JET_errGivenLogFileIsNotContiguous``.

Log directory (the roll-forward candidates):

- a log of another stream -> ``JET_errExistingLogFileHasBadSignature``;
- a generation of the set's range whose header differs from the set's, or a later
  generation that does not chain to the one before -> ``JET_errExistingLogFileIsNotContiguous``;
- a missing generation after ``genHigh`` before the last one present ->
  ``JET_errMissingCurrentLogFiles`` (ESE: the generation is missing and ``gen > genHigh``).

Nothing here modifies a file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.log import log_format as F


@dataclass(frozen=True)
class LogSet:
    """A checked chain of generations: ``files[gen]`` is the path of each."""

    signature: bytes
    low: int
    high: int
    files: dict[int, str]
    headers: dict[int, F.LogFileHeader]


def generation_range(path: str, base: str) -> tuple[int, int] | None:
    """Lowest and highest archived generation in ``path`` (ESE ErrLGGetGenerationRange)."""
    gens = F.list_archived(path, base)
    if not gens:
        return None
    return min(gens), max(gens)


def check_backup_set(path: str, base: str, low: int, high: int) -> LogSet:
    """Check the archived generations ``low..high`` of a backup directory (see the module
    docstring for the errors, in ESE's order)."""
    files = F.list_archived(path, base)
    headers: dict[int, F.LogFileHeader] = {}
    prev: F.LogFileHeader | None = None
    for gen in range(low, high + 1):
        name = F.archived_log_name(base, gen)
        file = files.get(gen)
        if file is None:
            raise_error(C.JET_errFileNotFound, f"backup log {name} is missing from {path}")
        hdr = F.read_file_header(file)
        if hdr.generation != gen:
            raise_error(C.JET_errGivenLogFileIsNotContiguous,
                        f"{name} holds generation {hdr.generation:X}")
        if prev is not None:
            if hdr.signature != prev.signature:
                raise_error(C.JET_errGivenLogFileHasBadSignature,
                            f"{name} belongs to another log stream")
            if hdr.prev_created_ns != prev.created_ns:
                raise_error(C.JET_errGivenLogFileIsNotContiguous,
                            f"{name} does not follow generation {gen - 1:X}")
        headers[gen] = hdr
        prev = hdr
    assert prev is not None
    return LogSet(prev.signature, low, high, {g: files[g] for g in headers}, headers)


def rollforward_logs(log_dir: str, base: str, backup: LogSet) -> list[tuple[int, str]]:
    """The logs of ``log_dir`` that continue ``backup`` (generation, path), ending with the
    current ``<base>.log`` if it chains; errors as in the module docstring."""
    files = F.list_archived(log_dir, base)
    current = os.path.join(log_dir, F.current_log_name(base))
    entries: dict[int, tuple[str, F.LogFileHeader]] = {}
    for gen, path in files.items():
        entries[gen] = (path, F.read_file_header(path))
    if os.path.exists(current):
        hdr = F.read_file_header(current)
        if hdr.generation in entries:
            raise_error(C.JET_errExistingLogFileIsNotContiguous,
                        f"{F.current_log_name(base)} repeats generation {hdr.generation:X}")
        entries[hdr.generation] = (current, hdr)
    for gen in sorted(entries):
        path, hdr = entries[gen]
        if hdr.signature != backup.signature:
            raise_error(C.JET_errExistingLogFileHasBadSignature,
                        f"{os.path.basename(path)} in {log_dir} belongs to another log stream")
        mine = backup.headers.get(gen)
        if mine is not None and (mine.created_ns != hdr.created_ns
                                 or mine.prev_created_ns != hdr.prev_created_ns):
            raise_error(C.JET_errExistingLogFileIsNotContiguous,
                        f"{os.path.basename(path)} in {log_dir} differs from the backup's")
    later = sorted(g for g in entries if g > backup.high)
    out: list[tuple[int, str]] = []
    prev = backup.headers[backup.high]
    expect = backup.high + 1
    for gen in later:
        path, hdr = entries[gen]
        if gen != expect:
            raise_error(C.JET_errMissingCurrentLogFiles,
                        f"{F.archived_log_name(base, expect)} is missing from {log_dir}")
        if hdr.prev_created_ns != prev.created_ns or hdr.generation != gen:
            raise_error(C.JET_errExistingLogFileIsNotContiguous,
                        f"{os.path.basename(path)} does not follow generation {gen - 1:X}")
        out.append((gen, path))
        prev = hdr
        expect += 1
    return out


def verify_log(path: str) -> None:
    """Check a whole archived log before it is streamed: a damaged header or record ->
    ``JET_errLogReadVerifyFailure`` (ESE verifies log checksums as a backup reads them).
    The records end at the file's end or where the zero-filled, preallocated rest begins."""
    try:
        with open(path, "rb") as f:
            data = f.read()
        hdr = F.LogFileHeader.decode(data, os.path.basename(path))
    except OSError as exc:
        raise_error(C.JET_errLogReadVerifyFailure, f"{path}: {exc}")
    except Exception as exc:  # noqa: BLE001 - any header problem is a verify failure
        raise_error(C.JET_errLogReadVerifyFailure, f"{path}: {exc}")
    pos, size = hdr.size, len(data)
    while pos < size:
        bad = pos + F.RECORD_HEADER_SIZE > size
        if not bad:
            crc, length, _t = F.RECORD_HEADER.unpack_from(data, pos)
            end = pos + F.RECORD_HEADER_SIZE + length
            bad = end > size or not F.record_crc_ok(data, pos, length, crc)
        if bad:
            if data.count(0, pos) == size - pos:
                return  # the unused rest of a preallocated file
            raise_error(C.JET_errLogReadVerifyFailure, f"{path}: bad record at {pos}")
        pos = end

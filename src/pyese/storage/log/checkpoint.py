"""The checkpoint file ``<system_path>/<base>.chk``: where recovery starts.

The checkpoint says: every change logged before ``lgpos`` is durable in the database files
that were attached then, and ``attached`` lists them (ESE keeps the attachments in the
checkpoint too: ``CHECKPOINT.rgbAttach``). Recovery replays the log from ``lgpos``.

Layout (little-endian)::

    off size field
      0   8  magic              b"PYESECHK"
      8   2  version            1
     10   2  attachment count   n
     12   4  generation         checkpoint LGPOS
     16   8  offset             checkpoint LGPOS
     24  16  log signature      the log stream this checkpoint belongs to
     40      n attachments:     <IH16s dbnum, path length, database signature; then the
                                UTF-8 path
      -   4  CRC                zlib.crc32 of everything before it

Writing is atomic: a temporary file ``<base>.chk.tmp`` is written and fsynced, renamed over
the checkpoint, and the directory fsynced. A crash leaves the old or the new checkpoint,
never a mix. A checkpoint that fails its checks -> ``JET_errCheckpointCorrupt`` (-533).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.faults import NO_FAULTS, FaultInjector, jet_error_from_os
from pyese.storage.lgpos import LGPOS
from pyese.storage.portable import fsync_dir

MAGIC = b"PYESECHK"
VERSION = 1
_HEAD = struct.Struct("<8sHHIQ16s")
_ATTACH = struct.Struct("<IH16s")
_CRC = struct.Struct("<I")
CHK_EXT = ".chk"


@dataclass(frozen=True)
class AttachInfo:
    """One attached database: its number in the log, file path and signature."""

    dbnum: int
    path: str
    signature: bytes


@dataclass(frozen=True)
class Checkpoint:
    """Recovery starts at ``lgpos`` with ``attached`` attached."""

    lgpos: LGPOS
    log_signature: bytes
    attached: tuple[AttachInfo, ...] = ()

    def encode(self) -> bytes:
        parts = [_HEAD.pack(MAGIC, VERSION, len(self.attached), self.lgpos.generation,
                            self.lgpos.offset, self.log_signature)]
        for a in self.attached:
            raw = os.fsencode(a.path)
            parts.append(_ATTACH.pack(a.dbnum, len(raw), a.signature))
            parts.append(raw)
        body = b"".join(parts)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, data: bytes) -> Checkpoint:
        """Parse; JET_errCheckpointCorrupt for anything malformed."""
        if len(data) < _HEAD.size + _CRC.size or data[:8] != MAGIC:
            raise_error(C.JET_errCheckpointCorrupt, "not a checkpoint file")
        (crc,) = _CRC.unpack_from(data, len(data) - _CRC.size)
        if zlib.crc32(data[:-_CRC.size]) != crc:
            raise_error(C.JET_errCheckpointCorrupt, "checkpoint checksum mismatch")
        _m, version, n, gen, off, sig = _HEAD.unpack_from(data)
        if version != VERSION:
            raise_error(C.JET_errCheckpointCorrupt, f"checkpoint version {version}")
        pos = _HEAD.size
        attached = []
        try:
            for _ in range(n):
                dbnum, plen, dbsig = _ATTACH.unpack_from(data, pos)
                pos += _ATTACH.size
                path = os.fsdecode(data[pos:pos + plen])
                pos += plen
                attached.append(AttachInfo(dbnum, path, dbsig))
        except struct.error:
            raise_error(C.JET_errCheckpointCorrupt, "checkpoint attachments truncated")
        if pos != len(data) - _CRC.size:
            raise_error(C.JET_errCheckpointCorrupt, "checkpoint length mismatch")
        return cls(LGPOS(gen, off), sig, tuple(attached))


def checkpoint_path(system_path: str, base_name: str) -> str:
    """``<system_path>/<base>.chk`` (ESE: log.cxx)."""
    return os.path.join(system_path, base_name + CHK_EXT)


def read_checkpoint(path: str) -> Checkpoint | None:
    """The checkpoint at ``path``, or None if there is no file.
    Raises JET_errCheckpointCorrupt for a damaged file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None
    return Checkpoint.decode(data)


def write_checkpoint(path: str, ckpt: Checkpoint, *, faults: FaultInjector = NO_FAULTS) -> None:
    """Replace the checkpoint at ``path`` atomically and durably.
    Raises JET_errDiskFull / JET_errDiskIO on I/O failure (the old checkpoint stays)."""
    tmp = path + ".tmp"
    data = ckpt.encode()
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            faults.hit("checkpoint.write")
            view = memoryview(data)
            while view:
                written = os.write(fd, view)  # its own statement: a compiler once ran
                view = view[written:]  # the write of view[os.write(...):] twice
            faults.hit("checkpoint.fsync")
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        fsync_dir(os.path.dirname(path) or ".")
    except OSError as exc:
        raise jet_error_from_os(exc, log=False, detail="checkpoint write") from exc

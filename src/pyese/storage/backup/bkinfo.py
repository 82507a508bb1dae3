"""The backup fields of a database header: ESE's ``BKINFO`` and the four "previous backup"
slots of ``DBFILEHDR`` (``bkinfoFullPrev``, ``bkinfoIncPrev``, ``bkinfoCopyPrev``,
``bkinfoDiffPrev``; ``jethdr.w`` JET_BKINFO and JET_DBINFOMISC4).

A pyese header record has no room for them, so they are a second record (key ``b"bkinfo"``)
of the same ``header`` LMDB database; a database that was never backed up has none (every
field zero). ``bkinfoFullCur`` is not stored here: it belongs to a backup *copy* only and
lives in the copy's trailer (``trailer``).

Layout (little-endian): magic ``b"PYBK"``, version u16, count u16 (4), then per slot
``<QQQII`` mark generation, mark offset, mark time (FILETIME), genLow, genHigh; then the
CRC32 of everything before.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.lgpos import LGPOS, LGPOS_MIN

META_KEY = b"bkinfo"
_MAGIC = b"PYBK"
_HEAD = struct.Struct("<4sHH")
_SLOT = struct.Struct("<QQQII")
_CRC = struct.Struct("<I")
SLOTS = ("full_prev", "inc_prev", "copy_prev", "diff_prev")


@dataclass(frozen=True)
class BkInfo:
    """ESE's BKINFO: the log position and time that identify a backup, and its log range."""

    mark: LGPOS = LGPOS_MIN
    mark_time: int = 0
    """FILETIME (100 ns ticks since 1601) of the mark; 0 = none."""
    gen_low: int = 0
    gen_high: int = 0

    @property
    def is_set(self) -> bool:
        return self.gen_low != 0 or self.mark != LGPOS_MIN


@dataclass(frozen=True)
class BackupFields:
    """The last successful backup of each kind (ESE ``bk`` 3999-4128)."""

    full_prev: BkInfo = field(default_factory=BkInfo)
    inc_prev: BkInfo = field(default_factory=BkInfo)
    copy_prev: BkInfo = field(default_factory=BkInfo)
    diff_prev: BkInfo = field(default_factory=BkInfo)

    def encode(self) -> bytes:
        parts = [_HEAD.pack(_MAGIC, 1, len(SLOTS))]
        for name in SLOTS:
            b: BkInfo = getattr(self, name)
            parts.append(_SLOT.pack(b.mark.generation, b.mark.offset, b.mark_time,
                                    b.gen_low, b.gen_high))
        body = b"".join(parts)
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, raw: bytes | None) -> BackupFields:
        """Parse; None gives empty fields. JET_errDatabaseCorrupted when damaged."""
        if raw is None:
            return cls()
        size = _HEAD.size + len(SLOTS) * _SLOT.size + _CRC.size
        if len(raw) != size or raw[:4] != _MAGIC:
            raise_error(C.JET_errDatabaseCorrupted, "backup fields record malformed")
        if zlib.crc32(raw[:-_CRC.size]) != _CRC.unpack_from(raw, size - _CRC.size)[0]:
            raise_error(C.JET_errDatabaseCorrupted, "backup fields checksum mismatch")
        slots = {}
        for i, name in enumerate(SLOTS):
            g, o, t, lo, hi = _SLOT.unpack_from(raw, _HEAD.size + i * _SLOT.size)
            slots[name] = BkInfo(LGPOS(g, o), t, lo, hi)
        return cls(**slots)


def read_fields(db: object) -> BackupFields:
    """The backup fields of an open ``DatabaseFile`` (empty if never backed up)."""
    return BackupFields.decode(db.read_meta(META_KEY))  # type: ignore[attr-defined]


def write_fields(db: object, fields: BackupFields) -> None:
    """Store the backup fields durably in an open, writable ``DatabaseFile``."""
    db.write_meta(META_KEY, fields.encode())  # type: ignore[attr-defined]


def record_backup(fields: BackupFields, info: BkInfo, *, logs_only: bool,
                  truncated: bool) -> BackupFields:
    """The fields after a successful backup (ESE ``bk`` 3999-4128, 4222-4277).

    database + logs, truncated -> ``full_prev`` (and ``inc_prev``/``diff_prev`` cleared);
    database + logs, not truncated -> ``copy_prev``; logs only, truncated -> ``inc_prev``;
    logs only, not truncated -> ``diff_prev``. A slot only moves forward: an ``info``
    whose mark is older than the slot's is ignored.
    """
    if logs_only:
        slot = "inc_prev" if truncated else "diff_prev"
    else:
        slot = "full_prev" if truncated else "copy_prev"
    cur: BkInfo = getattr(fields, slot)
    if cur.is_set and info.mark < cur.mark:
        return fields
    new = {name: getattr(fields, name) for name in SLOTS}
    new[slot] = info
    if slot == "full_prev":
        new["inc_prev"] = BkInfo()
        new["diff_prev"] = BkInfo()
    return BackupFields(**new)

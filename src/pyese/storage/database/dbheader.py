"""The database header of a pyese database file, and the byte check that runs before LMDB.

A pyese database file is one LMDB environment (``subdir=False``). Its header, ESE's
``DBFILEHDR`` reduced to what pyese needs, is one record (key ``b"dbhdr"``) in the named
LMDB database ``b"header"``, so that a header update and the tree changes it describes
commit in one LMDB transaction.

Header record layout (little-endian, 156 bytes)::

    offset size field
         0    8 magic            b"PYESEDB\\0"
         8    2 format major     FORMAT_VERSION[0]; another major -> JET_errInvalidDatabaseVersion
        10    2 format minor
        12    4 page size        ESE's JET_paramDatabasePageSize at creation (recorded, not used)
        16    4 state            JET_dbstate* (1 JustCreated .. 8 RevertInProgress)
        20    8 creation time    FILETIME (100 ns ticks since 1601-01-01 UTC)
        28   16 signature        random, made at creation (ESE: signDb)
        44    1 has log sig      0 or 1
        45   16 log signature    the log sequence the positions below belong to (ESE: signLog)
        61   16 applied lgpos    generation u64, offset u64: last log record applied to the trees
        77   16 attach lgpos     where the log attached the database (state -> DirtyShutdown)
        93   16 consistent lgpos where the database was last made consistent (-> CleanShutdown)
       109   16 detach lgpos     same moment as consistent, kept apart as ESE keeps lgposDetach
       125   27 reserved         zero
       152    4 crc32            of bytes 0..151

The pre-open check. LMDB initialises an empty file it opens read-write and trusts whatever
meta page it finds; mapping pages past the end of a truncated file faults the process
(SIGBUS). So ``check_image`` reads the two LMDB meta pages with ``os.pread`` and checks, in
this order: not empty; not a genuine ESE database (``ulMagic`` 0x89ABCDEF at offset 4);
LMDB's magic 0xBEEFC0DE and data version 1 in both meta pages (64-bit layout: page header
16 bytes, ``mm_magic`` at 16, ``mm_version`` at 20, page size in ``mm_dbs[FREE].md_pad`` at
40, the roots at 80 and 128, ``mm_last_pg`` at 136, ``mm_txnid`` at 144); and the file holds
every page the newer meta page uses. Only then may LMDB open the file.

Errors, chosen as ESE's ``ErrDBReadHeaderCheckConsistency`` (db.cxx) chooses them: a header
that is not a database header -> ``JET_errDatabaseCorrupted`` (-1206, "Non database file or
corrupted db"); a database header of a format this code does not read (a genuine ``.edb``, or
a pyese header of another major version) -> ``JET_errInvalidDatabaseVersion`` (-1209).
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.lgpos import LGPOS, LGPOS_MIN

MAGIC = b"PYESEDB\x00"
FORMAT_VERSION = (1, 0)
HEADER_DB = b"header"
HEADER_KEY = b"dbhdr"
SIGNATURE_SIZE = 16

_LAYOUT = struct.Struct("<8sHHIIQ16sB16s" + "QQ" * 4 + "27x")
_CRC = struct.Struct("<I")
HEADER_SIZE = _LAYOUT.size + _CRC.size

PAGE_SIZES = (2048, 4096, 8192, 16384, 32768)
"""The page sizes ESE accepts for JET_paramDatabasePageSize."""

DB_STATES = range(C.JET_dbstateJustCreated, C.JET_dbstateRevertInProgress + 1)

ESE_MAGIC = 0x89ABCDEF
"""ESE's ulDAEMagic, at offset 4 of a genuine .edb header page."""

# LMDB 0.9 data file, 64-bit build (see the module docstring).
LMDB_MAGIC = 0xBEEFC0DE
LMDB_DATA_VERSION = 1
_P_META = 0x08
_P_INVALID = 0xFFFFFFFFFFFFFFFF
_OFF_FLAGS = 10
_OFF_MAGIC = 16
_OFF_VERSION = 20
_OFF_PSIZE = 40
_OFF_FREE_ROOT = 80
_OFF_MAIN_ROOT = 128
_OFF_LAST_PG = 136
_OFF_TXNID = 144
_META_MIN = 152
_MIN_PSIZE = 512
_MAX_PSIZE = 65536


@dataclass(frozen=True)
class DatabaseHeader:
    """A pyese database header (the fields of ESE's DBFILEHDR that pyese keeps)."""

    signature: bytes
    creation_time: int
    state: int
    page_size: int
    format_version: tuple[int, int]
    applied_lgpos: LGPOS
    log_signature: bytes | None
    attach_lgpos: LGPOS = LGPOS_MIN
    consistent_lgpos: LGPOS = LGPOS_MIN
    detach_lgpos: LGPOS = LGPOS_MIN

    def encode(self) -> bytes:
        """The header record's bytes (layout in the module docstring)."""
        body = _LAYOUT.pack(
            MAGIC,
            self.format_version[0],
            self.format_version[1],
            self.page_size,
            self.state,
            self.creation_time,
            self.signature,
            1 if self.log_signature is not None else 0,
            self.log_signature or bytes(SIGNATURE_SIZE),
            *_lgpos_fields(self.applied_lgpos),
            *_lgpos_fields(self.attach_lgpos),
            *_lgpos_fields(self.consistent_lgpos),
            *_lgpos_fields(self.detach_lgpos),
        )
        return body + _CRC.pack(zlib.crc32(body))

    @classmethod
    def decode(cls, raw: bytes | None) -> DatabaseHeader:
        """Parse a header record.

        Raises JET_errDatabaseCorrupted when the record is missing, short, has another magic
        or a bad checksum; JET_errInvalidDatabaseVersion for another format major version.
        """
        if raw is None:
            raise_error(C.JET_errDatabaseCorrupted, "no pyese database header")
        if len(raw) != HEADER_SIZE:
            raise_error(C.JET_errDatabaseCorrupted, f"database header is {len(raw)} bytes")
        body = raw[: _LAYOUT.size]
        if raw[:8] != MAGIC:
            raise_error(C.JET_errDatabaseCorrupted, "not a pyese database header")
        if _CRC.unpack_from(raw, _LAYOUT.size)[0] != zlib.crc32(body):
            raise_error(C.JET_errDatabaseCorrupted, "database header checksum mismatch")
        f = _LAYOUT.unpack(body)
        if f[1] != FORMAT_VERSION[0]:
            raise_error(C.JET_errInvalidDatabaseVersion, f"pyese database format {f[1]}.{f[2]}")
        return cls(
            signature=f[6],
            creation_time=f[5],
            state=f[4],
            page_size=f[3],
            format_version=(f[1], f[2]),
            applied_lgpos=LGPOS(f[9], f[10]),
            log_signature=f[8] if f[7] else None,
            attach_lgpos=LGPOS(f[11], f[12]),
            consistent_lgpos=LGPOS(f[13], f[14]),
            detach_lgpos=LGPOS(f[15], f[16]),
        )

    def problems(self) -> list[str]:
        """Inconsistencies in the header's fields ([] when consistent)."""
        found = []
        if len(self.signature) != SIGNATURE_SIZE:
            found.append(f"header: signature is {len(self.signature)} bytes")
        if self.state not in DB_STATES:
            found.append(f"header: state {self.state} is no JET_dbstate")
        if self.page_size not in PAGE_SIZES:
            found.append(f"header: page size {self.page_size}")
        if self.log_signature is not None and len(self.log_signature) != SIGNATURE_SIZE:
            found.append("header: log signature length")
        if self.consistent_lgpos != self.detach_lgpos:
            found.append("header: consistent and detach positions differ")
        return found


def _lgpos_fields(lgpos: LGPOS) -> tuple[int, int]:
    return lgpos.generation, lgpos.offset


def check_image(fd: int) -> None:
    """Check that the file open at ``fd`` looks like a whole pyese (LMDB) database file.

    Reads only; never writes. Raises JET_errInvalidDatabaseVersion for a genuine ESE
    database, JET_errDatabaseCorrupted for anything else that is not a complete LMDB file
    (empty, zero-filled, random, truncated, foreign).
    """
    size = os.fstat(fd).st_size
    if size == 0:
        raise_error(C.JET_errDatabaseCorrupted, "empty file")
    head = os.pread(fd, _META_MIN, 0)
    if len(head) >= 8 and struct.unpack_from("<I", head, 4)[0] == ESE_MAGIC:
        raise_error(
            C.JET_errInvalidDatabaseVersion,
            "a genuine ESE database (.edb); pyese.storage.edb reads those",
        )
    meta0 = _meta(head, "meta page 0")
    psize = meta0["psize"]
    if not (_MIN_PSIZE <= psize <= _MAX_PSIZE and psize & (psize - 1) == 0):
        raise_error(C.JET_errDatabaseCorrupted, f"LMDB page size {psize}")
    meta1 = _meta(os.pread(fd, _META_MIN, psize), "meta page 1")
    newest = meta0 if meta0["txnid"] >= meta1["txnid"] else meta1
    last = newest["last_pg"]
    if (last + 1) * psize > size:
        raise_error(
            C.JET_errDatabaseCorrupted,
            f"truncated: {size} bytes, the database uses {(last + 1) * psize}",
        )
    for root in ("free_root", "main_root"):
        if newest[root] != _P_INVALID and not 2 <= newest[root] <= last:
            raise_error(C.JET_errDatabaseCorrupted, f"LMDB {root} page {newest[root]}")


def _meta(page: bytes, what: str) -> dict[str, int]:
    if len(page) < _META_MIN:
        raise_error(C.JET_errDatabaseCorrupted, f"{what}: file too short")
    if struct.unpack_from("<I", page, _OFF_MAGIC)[0] != LMDB_MAGIC:
        raise_error(C.JET_errDatabaseCorrupted, f"{what}: not a pyese database file")
    if struct.unpack_from("<I", page, _OFF_VERSION)[0] != LMDB_DATA_VERSION:
        raise_error(C.JET_errInvalidDatabaseVersion, f"{what}: LMDB data version")
    if not struct.unpack_from("<H", page, _OFF_FLAGS)[0] & _P_META:
        raise_error(C.JET_errDatabaseCorrupted, f"{what}: not a meta page")
    return {
        "psize": struct.unpack_from("<I", page, _OFF_PSIZE)[0],
        "free_root": struct.unpack_from("<Q", page, _OFF_FREE_ROOT)[0],
        "main_root": struct.unpack_from("<Q", page, _OFF_MAIN_ROOT)[0],
        "last_pg": struct.unpack_from("<Q", page, _OFF_LAST_PG)[0],
        "txnid": struct.unpack_from("<Q", page, _OFF_TXNID)[0],
    }

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
40, the roots at 80 and 128, ``mm_last_pg`` at 136, ``mm_txnid`` at 144); the roots inside the
file; and every page the newer meta page counts (up to ``mm_last_pg``) either inside the file
or on LMDB's free list (a page allocated and freed in one write transaction is never written,
so a healthy file may end early; see ``_check_unwritten_tail``). Only then may LMDB open the
file.

Errors, chosen as ESE's ``ErrDBReadHeaderCheckConsistency`` (db.cxx) chooses them: a header
that is not a database header -> ``JET_errDatabaseCorrupted`` (-1206, "Non database file or
corrupted db"); a database header of a format this code does not read (a genuine ``.edb``, or
a pyese header of another major version) -> ``JET_errInvalidDatabaseVersion`` (-1209).
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Iterator
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
_NUM_METAS = 2
_PAGE_HDR = 16
_NODE_HDR = 8
_OFF_LOWER = 12
_P_BRANCH = 0x01
_P_LEAF = 0x02
_F_BIGDATA = 0x01
_F_SUBDATA = 0x02
_MDB_DB_SIZE = 48
_MDB_DB_ROOT = 40
_MAX_DEPTH = 32
_MAX_UNWRITTEN = 1 << 24
"""More pages past the end than this is no unwritten tail: a truncated or hostile file."""
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
    in_file = size // psize
    if in_file < _NUM_METAS:
        raise_error(C.JET_errDatabaseCorrupted, f"truncated: {size} bytes")
    for root in ("free_root", "main_root"):
        if newest[root] != _P_INVALID and not _NUM_METAS <= newest[root] <= last:
            raise_error(C.JET_errDatabaseCorrupted, f"LMDB {root} page {newest[root]}")
        if newest[root] != _P_INVALID and newest[root] >= in_file:
            raise_error(C.JET_errDatabaseCorrupted,
                        f"truncated: {size} bytes, the {root} page is {newest[root]}")
    if last >= in_file:
        _check_unwritten_tail(fd, psize, in_file, last, newest["free_root"],
                              newest["main_root"], size)


def _check_unwritten_tail(fd: int, psize: int, in_file: int, last: int, free_root: int,
                          main_root: int, size: int) -> None:
    """Pages ``in_file``..``last`` lie past the end of the file: accept only if every one of
    them is on LMDB's free list (raise JET_errDatabaseCorrupted otherwise).

    LMDB counts in ``mm_last_pg`` every page a write transaction allocated, but writes only
    the pages still in use at commit: a page allocated and freed again in the same
    transaction goes on the free list unwritten, so a healthy file may end before its last
    page. LMDB never reads a free page (it writes one before reusing it), so such a tail is
    harmless; a tail holding any page in use is a truncated file (reading it would fault):
    the named databases' roots (read from the main tree) must lie inside the file too.
    The free list is LMDB's FREE_DBI tree: keys are transaction ids, values ID lists
    (``count, pgno...``, 64-bit), big ones in overflow pages; every page of that tree must
    itself be inside the file.
    """
    missing = last - in_file + 1
    if missing > _MAX_UNWRITTEN:
        raise_error(C.JET_errDatabaseCorrupted,
                    f"truncated: {size} bytes, the database uses {(last + 1) * psize}")
    free: set[int] = set()
    if free_root != _P_INVALID:
        for idl in _free_lists(fd, psize, in_file, free_root):
            free.update(p for p in idl if p >= in_file)
    if main_root != _P_INVALID:
        for sub in _named_roots(fd, psize, in_file, main_root):
            if sub >= in_file:
                raise_error(C.JET_errDatabaseCorrupted,
                            f"truncated: {size} bytes, a named database's root is page {sub}")
    gone = next((p for p in range(in_file, last + 1) if p not in free), None)
    if gone is not None:
        raise_error(C.JET_errDatabaseCorrupted,
                    f"truncated: {size} bytes, page {gone} is in use "
                    f"(the database uses {(last + 1) * psize})")


def _read_page(fd: int, psize: int, in_file: int, pgno: int, count: int = 1) -> bytes:
    if not _NUM_METAS <= pgno or pgno + count > in_file:
        raise_error(C.JET_errDatabaseCorrupted, f"LMDB free list names page {pgno}")
    data = os.pread(fd, psize * count, pgno * psize)
    if len(data) != psize * count:
        raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: short read")
    return data


def _leaf_nodes(fd: int, psize: int, in_file: int, root: int) -> Iterator[tuple[int, bytes]]:
    """(node flags, data) of every leaf node of the LMDB tree rooted at ``root``, reading
    pages with ``pread``; a big value is read from its overflow pages. Every page visited
    must lie inside the file (``in_file`` pages), or JET_errDatabaseCorrupted."""
    stack = [(root, 0)]
    seen: set[int] = set()
    while stack:
        pgno, depth = stack.pop()
        if pgno in seen or depth > _MAX_DEPTH or len(seen) > in_file:
            raise_error(C.JET_errDatabaseCorrupted, f"LMDB tree loops at page {pgno}")
        seen.add(pgno)
        page = _read_page(fd, psize, in_file, pgno)
        flags, lower = struct.unpack_from("<HH", page, _OFF_FLAGS)
        nkeys = (lower - _PAGE_HDR) // 2
        if lower < _PAGE_HDR or _PAGE_HDR + 2 * nkeys > psize:
            raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: bad lower bound")
        if not flags & (_P_BRANCH | _P_LEAF):
            raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: not a tree page")
        for k in range(nkeys):
            (off,) = struct.unpack_from("<H", page, _PAGE_HDR + 2 * k)
            if off + _NODE_HDR > psize:
                raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: bad node")
            lo, hi, nflags, ksize = struct.unpack_from("<HHHH", page, off)
            if flags & _P_BRANCH:
                stack.append((lo | hi << 16 | nflags << 32, depth + 1))
                continue
            dsize = lo | hi << 16
            dstart = off + _NODE_HDR + ksize
            if nflags & _F_BIGDATA:
                if dstart + 8 > psize:
                    raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: bad node")
                (ovpg,) = struct.unpack_from("<Q", page, dstart)
                first = _read_page(fd, psize, in_file, ovpg)
                (npages,) = struct.unpack_from("<I", first, _OFF_LOWER)
                if npages < 1 or dsize > npages * psize:
                    raise_error(C.JET_errDatabaseCorrupted, f"LMDB overflow page {ovpg}")
                data = _read_page(fd, psize, in_file, ovpg, npages)[_PAGE_HDR:_PAGE_HDR + dsize]
            else:
                data = page[dstart:dstart + dsize]
            if len(data) != dsize:
                raise_error(C.JET_errDatabaseCorrupted, f"LMDB page {pgno}: bad node")
            yield nflags, data


def _free_lists(fd: int, psize: int, in_file: int, root: int) -> list[list[int]]:
    """Every ID list of the free-list tree rooted at ``root`` (page numbers)."""
    out: list[list[int]] = []
    for _flags, data in _leaf_nodes(fd, psize, in_file, root):
        ids = struct.unpack(f"<{len(data) // 8}Q", data[:len(data) // 8 * 8])
        if len(data) % 8 or not ids or ids[0] != len(ids) - 1:
            raise_error(C.JET_errDatabaseCorrupted, "LMDB free list: bad ID list")
        out.append(list(ids[1:]))
    return out


def _named_roots(fd: int, psize: int, in_file: int, root: int) -> list[int]:
    """Root pages of the named databases (``header``, ``trees``) listed in the main tree."""
    roots = []
    for flags, data in _leaf_nodes(fd, psize, in_file, root):
        if flags & _F_SUBDATA:
            if len(data) != _MDB_DB_SIZE:
                raise_error(C.JET_errDatabaseCorrupted, "LMDB named database record")
            (sub,) = struct.unpack_from("<Q", data, _MDB_DB_ROOT)
            if sub != _P_INVALID:
                roots.append(sub)
    return roots


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

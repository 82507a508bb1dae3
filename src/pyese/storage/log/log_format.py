"""The write-ahead log's byte format: file names, file header, records, payloads.

The same layout is described in prose in ``docs/log_format.md``; change both together.

Files (ESE: ``inc/daeconst.hxx``, ``_log/log.cxx``)::

    <log_path>/<base>.log           the current generation ("edb.log")
    <log_path>/<base>XXXXX.log      archived generation XXXXX (5 upper-case hex digits;
                                    8 digits above 0xFFFFF), e.g. "edb00001.log"
    <log_path>/<base>tmp.log        the next generation while it is being created
    <system_path>/<base>.chk        the checkpoint (see checkpoint.py)

File header: a fixed part (``FILE_HEADER_SIZE`` = 64 bytes, little-endian), then, in format 2
when databases are attached, the attachment block::

    off size field
      0   8  magic            b"PYESELOG"
      8   2  version          FORMAT_VERSION (2; format 1 files are still read)
     10   2  header size      64 + the attachment block's size: the first record's offset
     12   4  generation       this file's generation (1, 2, ...)
     16  16  log signature    random per log stream; every generation of a stream shares it
     32   8  created (ns)     creation time of this generation, time.time_ns()
     40   8  prev created     "created" of generation - 1 (0 for the stream's first file):
                              the chain that proves two files are adjacent (ESE: tmPrevGen)
     48   8  prev end         size of generation - 1's file when it was closed (0: unknown,
                              format 1): an archived file cut short or grown is detected
     56   4  preallocated     KiB the file was created with (0: not preallocated, format 1):
                              a file shorter than this was cut short (ESE's log files are
                              fixed-size for the same reason)
     60   4  header CRC       zlib.crc32 of bytes 0..59
     64      attachments      (only when header size > 64) ``<H`` count; per database
                              ``<IH16s`` dbnum, path length, database signature, then the
                              UTF-8 path; then ``<I`` zlib.crc32 of the block

The attachments are the databases attached when the generation began (after every record of
the generations before it), as ESE's ``LGFILEHDR`` carries its attach info (``rgbAttach``):
recovery can start at any generation, with or without the checkpoint (circular logging
deletes the generations that held the ATTACH records).

Records follow the header back to back until the end of the file::

    off size field
      0   4  CRC              zlib.crc32 of bytes 4..8 of this header, then the payload
      4   4  payload length
      8   1  record type      REC_*
      9   n  payload

A record's log position (LGPOS) is (generation, offset of the byte just *after* it): the
position a reader resumes from, the value ``LogWriter.append`` returns, and the value a
database records as applied. A checkpoint is always such a boundary.

Damage. In an archived generation any bad record is corruption (archived files were
fsynced whole). In the last generation only the final flush can be torn: a flush writes
its records and a FLUSH record naming where the flush began, then fsyncs; the next flush
starts only after that fsync. So an intact FLUSH record *after* a damaged record, naming a
start beyond it, proves the damaged record was durable: corruption. Otherwise the damage
is a torn tail and the log ends before it (see ``log_reader``).

Payloads (little-endian):

- ``REC_INIT``  ``<Q`` time_ns: a writer started this generation sequence (after recovery).
- ``REC_TERM``  empty: the writer shut down cleanly; nothing follows in this stream.
- ``REC_ATTACH`` ``<I16sH`` dbnum, database signature, path length; then the UTF-8 path.
- ``REC_DETACH`` ``<I`` dbnum.
- ``REC_COMMIT`` ``<QH`` trx id, database count; per database ``<HI`` dbnum, op count; per
  op ``<BIHI`` kind, objid, key length, value length (``NO_VALUE`` for ``None``), then the
  key bytes and the value bytes.
- ``REC_FLUSH`` ``<QQ`` generation, offset: the position where the flush that wrote this
  record began (format 2; readers skip it: it carries no change).
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.lgpos import LGPOS
from pyese.storage.log.checkpoint import AttachInfo
from pyese.storage.ops import Op

MAGIC = b"PYESELOG"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
FILE_HEADER = struct.Struct("<8sHHI16sQQQII")
FILE_HEADER_SIZE = FILE_HEADER.size
assert FILE_HEADER_SIZE == 64
RECORD_HEADER = struct.Struct("<IIB")
RECORD_HEADER_SIZE = RECORD_HEADER.size
_LEN_TYPE = struct.Struct("<IB")

REC_INIT = 1
REC_TERM = 2
REC_ATTACH = 3
REC_DETACH = 4
REC_COMMIT = 5
REC_FLUSH = 6
REC_NAMES = {REC_INIT: "INIT", REC_TERM: "TERM", REC_ATTACH: "ATTACH", REC_DETACH: "DETACH",
             REC_COMMIT: "COMMIT", REC_FLUSH: "FLUSH"}
MAX_HEADER_SIZE = 0xFFFF

MAX_PAYLOAD = 0x7FFF_FFFF
NO_VALUE = 0xFFFF_FFFF
SIGNATURE_SIZE = 16
LOG_EXT = ".log"
DEFAULT_BASE_NAME = "edb"
DEFAULT_LOG_FILE_SIZE_KB = 5120
"""JET_paramLogFileSize default, in KiB (ESE: sysparamtable)."""


# --- file names -------------------------------------------------------------------------

def current_log_name(base: str) -> str:
    """``edb.log``."""
    return f"{base}{LOG_EXT}"


def archived_log_name(base: str, generation: int) -> str:
    """``edb00001.log``: 5 hex digits, 8 above 0xFFFFF (ESE: log.cxx, LGSzLogIdAppend)."""
    digits = 5 if generation <= 0xFFFFF else 8
    return f"{base}{generation:0{digits}X}{LOG_EXT}"


def temp_log_name(base: str) -> str:
    """``edbtmp.log``: the next generation while it is created (ESE pre-creates it too)."""
    return f"{base}tmp{LOG_EXT}"


def parse_archived_name(base: str, name: str) -> int | None:
    """The generation of an archived log file name, or None if ``name`` is not one."""
    m = re.fullmatch(re.escape(base) + r"([0-9A-Fa-f]{5}|[0-9A-Fa-f]{8})" + re.escape(LOG_EXT),
                     name)
    if m is None:
        return None
    gen = int(m.group(1), 16)
    if (len(m.group(1)) == 8) != (gen > 0xFFFFF):
        return None
    return gen


def list_archived(log_path: str, base: str) -> dict[int, str]:
    """Archived generations present in ``log_path``: generation -> full path."""
    found: dict[int, str] = {}
    try:
        names = os.listdir(log_path)
    except FileNotFoundError:
        return found
    for name in names:
        gen = parse_archived_name(base, name)
        if gen is not None and gen > 0:
            found[gen] = os.path.join(log_path, name)
    return found


# --- file header ------------------------------------------------------------------------

_ATTACH_COUNT = struct.Struct("<H")
_HDR_ATTACH = struct.Struct("<IH16s")
_BLOCK_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class LogFileHeader:
    """The header of one generation's file (layout in the module docstring)."""

    generation: int
    signature: bytes
    created_ns: int
    prev_created_ns: int
    prev_end: int = 0
    """Size of generation - 1's file when it was closed; 0 when unknown (format 1)."""
    attached: tuple[AttachInfo, ...] = ()
    """Databases attached when this generation began."""
    version: int = FORMAT_VERSION
    prealloc_kb: int = 0
    """KiB the file was preallocated to (zero-filled); 0 when not (format 1)."""

    @property
    def size(self) -> int:
        """Bytes of the header: the offset of the generation's first record."""
        return header_size(self.attached)

    def encode(self) -> bytes:
        size = self.size
        if size > MAX_HEADER_SIZE:
            raise_error(C.JET_errTooManyAttachedDatabases,
                        "the attachments do not fit in a log file header")
        body = FILE_HEADER.pack(MAGIC, FORMAT_VERSION, size, self.generation,
                                self.signature, self.created_ns, self.prev_created_ns,
                                self.prev_end, self.prealloc_kb, 0)
        fixed = body[:-4] + struct.pack("<I", zlib.crc32(body[:-4]))
        if not self.attached:
            return fixed
        parts = [_ATTACH_COUNT.pack(len(self.attached))]
        for a in self.attached:
            raw = os.fsencode(a.path)
            parts.append(_HDR_ATTACH.pack(a.dbnum, len(raw), a.signature))
            parts.append(raw)
        block = b"".join(parts)
        return fixed + block + _BLOCK_CRC.pack(zlib.crc32(block))

    @classmethod
    def decode(cls, data: bytes, where: str = "log file") -> LogFileHeader:
        """Parse a header (``data`` holds at least ``size`` bytes for the attachments).
        Raises JET_errLogFileCorrupt for a short, foreign or damaged header,
        JET_errBadLogVersion for a format version this code does not read."""
        if len(data) < FILE_HEADER_SIZE:
            raise_error(C.JET_errLogFileCorrupt, f"{where}: header truncated")
        (magic, version, hsize, gen, sig, created, prev, prev_end, prealloc,
         crc) = FILE_HEADER.unpack_from(data)
        if magic != MAGIC:
            raise_error(C.JET_errLogFileCorrupt, f"{where}: not a pyese log file")
        if zlib.crc32(data[:FILE_HEADER_SIZE - 4]) != crc:
            raise_error(C.JET_errLogFileCorrupt, f"{where}: header checksum mismatch")
        if version not in READABLE_VERSIONS:
            raise_error(C.JET_errBadLogVersion, f"{where}: log format version {version}")
        if version == 1:
            if hsize != FILE_HEADER_SIZE:
                raise_error(C.JET_errBadLogVersion, f"{where}: format 1 header size {hsize}")
            return cls(gen, sig, created, prev, 0, (), 1)
        if hsize < FILE_HEADER_SIZE:
            raise_error(C.JET_errLogFileCorrupt, f"{where}: header size {hsize}")
        attached = _decode_attachments(data[FILE_HEADER_SIZE:hsize], where) \
            if hsize > FILE_HEADER_SIZE else ()
        return cls(gen, sig, created, prev, prev_end, attached, version, prealloc)


def header_size(attached: Sequence[AttachInfo]) -> int:
    """Size of a format-2 header carrying ``attached``."""
    if not attached:
        return FILE_HEADER_SIZE
    return (FILE_HEADER_SIZE + _ATTACH_COUNT.size + _BLOCK_CRC.size
            + sum(_HDR_ATTACH.size + len(os.fsencode(a.path)) for a in attached))


def _decode_attachments(block: bytes, where: str) -> tuple[AttachInfo, ...]:
    bad = f"{where}: header attachments damaged"
    if len(block) < _ATTACH_COUNT.size + _BLOCK_CRC.size:
        raise_error(C.JET_errLogFileCorrupt, bad)
    body, (crc,) = block[:-_BLOCK_CRC.size], _BLOCK_CRC.unpack_from(block, len(block) - 4)
    if zlib.crc32(body) != crc:
        raise_error(C.JET_errLogFileCorrupt, bad)
    (n,) = _ATTACH_COUNT.unpack_from(body)
    pos = _ATTACH_COUNT.size
    out = []
    try:
        for _ in range(n):
            dbnum, plen, dbsig = _HDR_ATTACH.unpack_from(body, pos)
            pos += _HDR_ATTACH.size
            raw = body[pos:pos + plen]
            pos += plen
            if len(raw) != plen:
                raise_error(C.JET_errLogFileCorrupt, bad)
            out.append(AttachInfo(dbnum, os.fsdecode(raw), dbsig))
    except struct.error:
        raise_error(C.JET_errLogFileCorrupt, bad)
    if pos != len(body):
        raise_error(C.JET_errLogFileCorrupt, bad)
    return tuple(out)


def read_file_header(path: str) -> LogFileHeader:
    """Read and check the header of the log file at ``path`` (errors as ``decode``)."""
    with open(path, "rb") as f:
        data = f.read(FILE_HEADER_SIZE)
        if len(data) == FILE_HEADER_SIZE:
            hsize = struct.unpack_from("<H", data, 10)[0]
            if hsize > FILE_HEADER_SIZE:
                data += f.read(hsize - FILE_HEADER_SIZE)
    return LogFileHeader.decode(data, os.path.basename(path))


# --- records ----------------------------------------------------------------------------

_CRC = struct.Struct("<I")


def record_header(rectype: int, payload: bytes) -> bytes:
    """The 9 bytes that precede ``payload`` in its record: CRC (of length, type and
    payload), length, type. The writer appends header and payload to its buffer one after
    the other, so a record is never copied into a bytes object of its own."""
    lt = _LEN_TYPE.pack(len(payload), rectype)
    return _CRC.pack(zlib.crc32(payload, zlib.crc32(lt))) + lt


def encode_record(rectype: int, payload: bytes) -> bytes:
    """One record's bytes: header (CRC, length, type) and payload."""
    return record_header(rectype, payload) + payload


def record_crc_ok(buf: bytes | memoryview, pos: int, length: int, crc: int) -> bool:
    """Whether the record at ``pos`` (header included) with ``length`` payload bytes has
    checksum ``crc``."""
    start = pos + 4
    return zlib.crc32(buf[start:start + 5 + length]) == crc


# --- payloads ---------------------------------------------------------------------------

_ATTACH = struct.Struct("<I16sH")
_DETACH = struct.Struct("<I")
_INIT = struct.Struct("<Q")
_COMMIT = struct.Struct("<QH")
_COMMIT_DB = struct.Struct("<HI")
_OP = struct.Struct("<BIHI")


def encode_init(time_ns: int) -> bytes:
    return _INIT.pack(time_ns)


def decode_init(payload: bytes) -> int:
    return _unpack(_INIT, payload, "INIT")[0]


def encode_attach(dbnum: int, signature: bytes, path: str) -> bytes:
    raw = os.fsencode(path)
    if len(signature) != SIGNATURE_SIZE:
        raise_error(C.JET_errInvalidParameter, "database signature must be 16 bytes")
    return _ATTACH.pack(dbnum, signature, len(raw)) + raw


def decode_attach(payload: bytes) -> tuple[int, bytes, str]:
    """(dbnum, signature, path)."""
    dbnum, sig, n = _unpack(_ATTACH, payload, "ATTACH")
    raw = payload[_ATTACH.size:_ATTACH.size + n]
    if len(raw) != n or len(payload) != _ATTACH.size + n:
        raise_error(C.JET_errLogFileCorrupt, "ATTACH record: bad path length")
    return dbnum, sig, os.fsdecode(raw)


_FLUSH = struct.Struct("<QQ")
FLUSH_RECORD_SIZE = RECORD_HEADER_SIZE + _FLUSH.size
FLUSH_SIGNATURE = _LEN_TYPE.pack(_FLUSH.size, REC_FLUSH)
"""Bytes 4..8 of every FLUSH record (length and type): what a reader looks for after damage."""


_FLUSH_LT_CRC = zlib.crc32(FLUSH_SIGNATURE)


def encode_flush(start: LGPOS) -> bytes:
    return _FLUSH.pack(start.generation, start.offset)


def flush_record(start: LGPOS) -> bytes:
    """The whole FLUSH record naming ``start`` (``encode_record(REC_FLUSH,
    encode_flush(start))``, built with the length-and-type CRC precomputed: every flush
    that writes records appends one)."""
    payload = _FLUSH.pack(start.generation, start.offset)
    return _CRC.pack(zlib.crc32(payload, _FLUSH_LT_CRC)) + FLUSH_SIGNATURE + payload


def decode_flush(payload: bytes) -> LGPOS:
    gen, off = _unpack(_FLUSH, payload, "FLUSH")
    return LGPOS(gen, off)


def encode_detach(dbnum: int) -> bytes:
    return _DETACH.pack(dbnum)


def decode_detach(payload: bytes) -> int:
    return _unpack(_DETACH, payload, "DETACH")[0]


def encode_commit(trxid: int, ops_by_dbnum: Mapping[int, Sequence[Op]]) -> bytes:
    """A committed transaction's redo: every op, grouped by database number."""
    parts: list[bytes] = [_COMMIT.pack(trxid, len(ops_by_dbnum))]
    append = parts.append
    pack_op = _OP.pack
    for dbnum, ops in ops_by_dbnum.items():
        append(_COMMIT_DB.pack(dbnum, len(ops)))
        for kind, objid, key, value in ops:
            if value is None:
                append(pack_op(kind, objid, len(key), NO_VALUE))
                append(key)
            else:
                append(pack_op(kind, objid, len(key), len(value)))
                append(key)
                append(value)
    return b"".join(parts)


def commit_record(trxid: int, ops_by_dbnum: Mapping[int, Sequence[Op]]) -> tuple[bytes, int]:
    """The whole COMMIT record (``encode_record(REC_COMMIT, encode_commit(...))``) and the
    number of ops it carries: the committer's one encoding step."""
    payload = encode_commit(trxid, ops_by_dbnum)
    nops = 0
    for ops in ops_by_dbnum.values():
        nops += len(ops)
    lt = _LEN_TYPE.pack(len(payload), REC_COMMIT)
    return _CRC.pack(zlib.crc32(payload, zlib.crc32(lt))) + lt + payload, nops


def decode_commit(payload: bytes) -> tuple[int, dict[int, list[Op]]]:
    """(trx id, ops by dbnum). Raises JET_errLogFileCorrupt if the payload is malformed
    (it passed its CRC, so this means a writer bug or a foreign file)."""
    try:
        trxid, ndb = _COMMIT.unpack_from(payload, 0)
        pos = _COMMIT.size
        out: dict[int, list[Op]] = {}
        unpack_op = _OP.unpack_from
        opsize = _OP.size
        for _ in range(ndb):
            dbnum, nops = _COMMIT_DB.unpack_from(payload, pos)
            pos += _COMMIT_DB.size
            ops: list[Op] = []
            for _ in range(nops):
                kind, objid, klen, vlen = unpack_op(payload, pos)
                pos += opsize
                key = payload[pos:pos + klen]
                pos += klen
                if vlen == NO_VALUE:
                    value = None
                else:
                    value = payload[pos:pos + vlen]
                    pos += vlen
                ops.append(Op(kind, objid, key, value))
            out[dbnum] = ops
    except struct.error:
        raise_error(C.JET_errLogFileCorrupt, "COMMIT record truncated")
    if pos != len(payload):
        raise_error(C.JET_errLogFileCorrupt, "COMMIT record has trailing bytes")
    return trxid, out


def _unpack(st: struct.Struct, payload: bytes, what: str) -> tuple:
    if len(payload) < st.size:
        raise_error(C.JET_errLogFileCorrupt, f"{what} record truncated")
    return st.unpack_from(payload, 0)


def iter_ops(ops_by_dbnum: Mapping[int, Iterable[Op]]) -> Iterable[tuple[int, Op]]:
    """(dbnum, op) pairs in record order."""
    for dbnum, ops in ops_by_dbnum.items():
        for op in ops:
            yield dbnum, op

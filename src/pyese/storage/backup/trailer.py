"""The trailer page of a database image in a backup: what makes a copy a *backup copy*.

ESE streams a database as its two header pages (with ``bkinfoFullCur`` written into them),
its pages, and one trailing page carrying the same backup information (the former patch
file header, ``backup.cxx`` ~2327-2383). A pyese database file is an LMDB environment that
cannot be edited while it is streamed, so the backup information rides only in the
trailer: the image is padded to a whole number of database pages and the trailer page
follows. LMDB ignores bytes past its last page, so the copy still opens as a database; the
trailer marks it as a backup copy (``JetAttachDatabase`` refuses it with
``JET_errSoftRecoveryOnBackupDatabase``) until a restore strips it.

Trailer layout (little-endian), at the start of the last ``page_size`` bytes, zero-padded::

    off size field
      0    8  magic            b"PYESEBKT"
      8    2  version          1
     10    2  path length n
     12    4  page size        the database's page size (the trailer's own size)
     16   16  signDb           the database's signature
     32   16  signLog          the log stream the backup belongs to
     48    8  mark generation  lgposMark: the log position when the backup began
     56    8  mark offset
     64    8  mark time        FILETIME
     72    4  genLow           the oldest log generation the backup needs (ESE CopyMic)
     76    4  genHigh          0 in a streamed copy (ESE writes 0 there too)
     80    8  image size       bytes of LMDB image before the padding
     88    8  applied gen      the snapshot's applied LGPOS: replay starts after it
     96    8  applied offset
    104    4  dbnum            the database's number in the log at the snapshot
    108    n  path             the database's path when it was backed up (UTF-8)
   108+n   4  CRC32            of bytes 0 .. 108+n
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.backup.bkinfo import BkInfo
from pyese.storage.database.dbheader import PAGE_SIZES
from pyese.storage.lgpos import LGPOS

MAGIC = b"PYESEBKT"
_FIXED = struct.Struct("<8sHHI16s16sQQQIIQQQI")
_CRC = struct.Struct("<I")


@dataclass(frozen=True)
class Trailer:
    """The backup information of one database image."""

    page_size: int
    db_signature: bytes
    log_signature: bytes
    full_cur: BkInfo
    image_size: int
    applied: LGPOS
    dbnum: int
    path: str

    def encode(self) -> bytes:
        """The whole trailer page (``page_size`` bytes)."""
        raw = os.fsencode(self.path)
        body = _FIXED.pack(MAGIC, 1, len(raw), self.page_size, self.db_signature,
                           self.log_signature, self.full_cur.mark.generation,
                           self.full_cur.mark.offset, self.full_cur.mark_time,
                           self.full_cur.gen_low, self.full_cur.gen_high, self.image_size,
                           self.applied.generation, self.applied.offset, self.dbnum) + raw
        data = body + _CRC.pack(zlib.crc32(body))
        if len(data) > self.page_size:
            raise_error(C.JET_errInvalidPath, "database path too long for a backup trailer")
        return data + bytes(self.page_size - len(data))

    @classmethod
    def decode(cls, page: bytes) -> Trailer | None:
        """Parse a trailer page; None if it is not one (no magic, bad checksum)."""
        if len(page) < _FIXED.size + _CRC.size or page[:8] != MAGIC:
            return None
        f = _FIXED.unpack_from(page)
        n = f[2]
        end = _FIXED.size + n
        if end + _CRC.size > len(page):
            return None
        if zlib.crc32(page[:end]) != _CRC.unpack_from(page, end)[0]:
            return None
        return cls(page_size=f[3], db_signature=f[4], log_signature=f[5],
                   full_cur=BkInfo(LGPOS(f[6], f[7]), f[8], f[9], f[10]), image_size=f[11],
                   applied=LGPOS(f[12], f[13]), dbnum=f[14],
                   path=os.fsdecode(page[_FIXED.size:end]))


def padded(image_size: int, page_size: int) -> int:
    """The image size rounded up to whole database pages."""
    return -(-image_size // page_size) * page_size


def read_trailer(path: str) -> Trailer | None:
    """The trailer of the file at ``path`` if it is a backup copy, else None. Only reads."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            for ps in PAGE_SIZES:
                if size < 2 * ps or size % ps:
                    continue
                f.seek(size - ps)
                t = Trailer.decode(f.read(ps))
                if t is not None and t.page_size == ps:
                    return t
    except OSError:
        return None
    return None

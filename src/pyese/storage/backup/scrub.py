"""Zeroing deleted data in a streamed database image (``JET_paramZeroDatabaseDuringBackup``).

What ESE does (``backup.cxx`` BACKUP_CONTEXT::ErrBKIReadPages): with the parameter set,
each run of pages a streaming backup reads is handed to a SCRUBDB, which zeroes deleted
records and unused pages *of the source database* through the buffer cache; the pages
already copied into the caller's buffer are the ones read before the scrub. It refuses the
parameter while the instance is recovering (``JET_errInvalidParameter``).

What it means on pyese's storage, where a database file is an LMDB environment: deleted
data survives in two places of the file:

1. **free pages**: LMDB copies a page on write and puts the old page on its free list,
   with its old content; a deleted record's page (and a deleted long value's overflow
   pages) stay there until reused;
2. **the gap inside a branch or leaf page** between its node pointers and its nodes
   (``[mp_lower, mp_upper)``): deleting a node moves the others up and leaves the stale
   bytes in the gap.

pyese cannot rewrite the source file under LMDB's writer, so it scrubs the *image it
streams*: pages on the snapshot's free list are sent as zeros, and the gap of every branch
and leaf page is zeroed. Nothing the snapshot can reach changes, so the copy is the same
database. The free list is read from the snapshot's own free-DB tree (stable while the
snapshot is pinned). A page is treated as a branch or leaf page only when its header says
so *and* names its own page number (LMDB writes it in every page it writes); pages after
the head of an overflow run (the value's bytes, no header) are skipped.

Not scrubbed: the bytes after a long value's end in the last page of its overflow run
(LMDB zeroes that tail when it writes the run) and sub-pages of duplicate-sorted trees.

LMDB layout used here (``mdb.c``, 64-bit build): a page starts with ``mp_pgno`` (8 bytes),
``mp_pad`` (2), ``mp_flags`` (2), then ``mp_lower``/``mp_upper`` (2 + 2) or, on an overflow
page, ``mp_pages`` (4): 16 bytes. A node is ``mn_lo``, ``mn_hi``, ``mn_flags``,
``mn_ksize`` (2 bytes each) then the key and the data; a branch node's child page number
is ``lo | hi << 16 | flags << 32``; a leaf node's data size is ``lo | hi << 16``. The meta
page holds the free DB's root at byte 80 and the last page number at 136.
"""

from __future__ import annotations

from collections.abc import Callable

PAGEHDRSZ = 16
P_BRANCH = 0x01
P_LEAF = 0x02
P_OVERFLOW = 0x04
P_DIRTY = 0x10
F_BIGDATA = 0x01
P_INVALID = (1 << 64) - 1
_FREE_ROOT = 80
_TXNID = 144


def _u16(b: bytes | bytearray | memoryview, off: int) -> int:
    return int.from_bytes(b[off:off + 2], "little")


def _u64(b: bytes | bytearray | memoryview, off: int) -> int:
    return int.from_bytes(b[off:off + 8], "little")


def snapshot_meta(metas: bytes, psize: int) -> bytes:
    """The newer of the two meta pages (the snapshot's: ``pin_image`` reads them under
    the writer lock, so nothing committed after the snapshot)."""
    m0, m1 = metas[:psize], metas[psize:2 * psize]
    return m0 if _u64(m0, _TXNID) >= _u64(m1, _TXNID) else m1


def free_pages(meta: bytes, psize: int, read_pages: Callable[[int, int], bytes]) -> set[int]:
    """Every page number on the free list of the snapshot whose meta page is ``meta``
    (the values of LMDB's free DB: per transaction, a count then page numbers).
    ``read_pages(pgno, count)`` returns ``count`` pages of the image from ``pgno``."""
    root = _u64(meta, _FREE_ROOT)
    out: set[int] = set()
    if root == P_INVALID:
        return out
    todo = [root]
    seen: set[int] = set()
    while todo:
        pgno = todo.pop()
        if pgno in seen:  # a damaged tree must not loop
            continue
        seen.add(pgno)
        page = read_pages(pgno, 1)
        flags = _u16(page, 10)
        lower = _u16(page, 12)
        for i in range((lower - PAGEHDRSZ) // 2):
            node = _u16(page, PAGEHDRSZ + 2 * i)
            lo, hi, nflags, ksize = (_u16(page, node + 2 * j) for j in range(4))
            if flags & P_BRANCH:
                todo.append(lo | hi << 16 | nflags << 32)
                continue
            size = lo | hi << 16
            data_off = node + 8 + ksize
            if nflags & F_BIGDATA:
                ov = _u64(page, data_off)
                head = read_pages(ov, 1)
                npages = int.from_bytes(head[12:16], "little")
                data = read_pages(ov, npages)[PAGEHDRSZ:PAGEHDRSZ + size]
            else:
                data = page[data_off:data_off + size]
            count = _u64(data, 0)
            out.update(_u64(data, 8 * (k + 1)) for k in range(min(count, len(data) // 8 - 1)))
    return out


class Scrubber:
    """Zeroes deleted data in consecutive runs of whole pages of one image.

    Feed it the pages in order (``scrub(buf, first_pgno)``, ``buf`` a writable buffer of
    whole pages); it remembers an overflow run that spans two calls. Not thread-safe: the
    image stream's lock guards it.
    """

    def __init__(self, psize: int, free: set[int]) -> None:
        self.psize = psize
        self.free = free
        self._skip_to = 0  # pages before this are inside an overflow run
        self.zeroed_pages = 0
        self.zeroed_gap_bytes = 0

    def scrub(self, buf: bytearray | memoryview, first_pgno: int) -> None:
        psize = self.psize
        view = memoryview(buf)
        zero_page = bytes(psize)
        for i in range(len(view) // psize):
            pgno = first_pgno + i
            off = i * psize
            if pgno in self.free:
                view[off:off + psize] = zero_page
                self.zeroed_pages += 1
                continue
            if pgno < self._skip_to:
                continue
            if _u64(view, off) != pgno:
                continue  # no header of its own: never touched
            flags = _u16(view, off + 10) & ~P_DIRTY
            if flags == P_OVERFLOW:
                self._skip_to = pgno + max(1, int.from_bytes(view[off + 12:off + 16], "little"))
                continue
            if flags not in (P_BRANCH, P_LEAF):
                continue  # meta, LEAF2 (keys packed past mp_lower) and anything unknown
            lower, upper = _u16(view, off + 12), _u16(view, off + 14)
            if PAGEHDRSZ <= lower <= upper <= psize and not (lower - PAGEHDRSZ) % 2:
                view[off + lower:off + upper] = zero_page[:upper - lower]
                self.zeroed_gap_bytes += upper - lower

"""ESE's page checksums: the legacy XOR checksum and the XOR-ECC ("new format") checksum.

ESE: ``dev/ese/src/os/checksum.cxx`` (``ChecksumOldFormatSlowly``), ``checksum_amd64.cxx``
(``ChecksumNewFormatSlowly``) and ``dev/ese/src/ese/_osu/checksumu.cxx``
(``ComputePageChecksum``, ``LongChecksumFromPage``, ``CbBlockSize``).

Old format (database header pages, and database pages without ``fPageNewChecksumFormat``)::

    xor = 0x89abcdef ^ (XOR of every little-endian DWORD of the page except DWORD 0)

A database page stores it as the 64-bit ``(pgno << 32) | xor``; a header page stores only the
32-bit ``xor`` in its first DWORD.

New format (``fPageNewChecksumFormat`` = 0x2000 in ``PGHDR.fFlags``): per block of ``cb``
bytes (the whole page for pages <= 8 KiB; for 16 KiB pages four 4 KiB blocks, for 32 KiB
pages four 8 KiB blocks), a 64-bit XECHECKSUM::

    high DWORD = ECC: a Hamming code over the parities of the block's 16-byte chunks
                 (chunk k contributes idxp(k) = (~k & 0x1ff) << 23 | k << 7 when its
                 parity is odd), plus parity bits of the four DWORD-lane XORs
    low DWORD  = (p0 ^ p1 ^ p2 ^ p3) ^ pgno, the lanes' XOR (the whole block XOR)

The block that holds the page header ("header block") is summed with its first 8 bytes (the
checksum itself) taken as zero. Large pages keep the checksums of blocks 1..3 in
``PGHDR2.rgChecksum[0..2]`` (offsets 40, 48, 56), inside the header block.

The arithmetic is done on Python big integers (one ``int.from_bytes`` per block, folds and
popcounts), which keeps a 4 KiB page at a few tens of microseconds.
"""

from __future__ import annotations

import struct
from functools import lru_cache

CHECKSUM_SEED = 0x89ABCDEF
"""ESE's ``ulChecksumMagicNumber``: the seed of the XOR checksum."""

F_PAGE_NEW_CHECKSUM_FORMAT = 0x2000
"""``CPAGE::fPageNewChecksumFormat``."""

_M32 = 0xFFFFFFFF
_M64 = 0xFFFFFFFFFFFFFFFF
_U64 = struct.Struct("<Q")


def is_small_page(cb_page: int) -> bool:
    """``FIsSmallPage``: pages of 8 KiB or less use the small page format."""
    return cb_page <= 8192


def _fold(x: int, bits: int, to_bits: int) -> int:
    """XOR the ``to_bits``-wide lanes of an integer ``bits`` wide (both powers of two)."""
    while bits > to_bits:
        bits >>= 1
        x = (x >> bits) ^ (x & ((1 << bits) - 1))
    return x


def checksum_old_format(block: bytes) -> int:
    """ESE ``ChecksumOldFormat``: seeded XOR of every DWORD of ``block`` except the first."""
    cb = len(block)
    x = _fold(int.from_bytes(block, "little"), cb * 8, 32)
    return (x ^ int.from_bytes(block[:4], "little") ^ CHECKSUM_SEED) & _M32


@lru_cache(maxsize=8)
def _chunk_masks(cb: int) -> tuple[int, tuple[int, ...]]:
    """Masks selecting bit 128*k of a block for every chunk k, and for chunks with bit j set."""
    nchunks = cb // 16
    every = 0
    by_bit = [0] * max(1, (nchunks - 1).bit_length())
    for k in range(nchunks):
        bit = 1 << (128 * k)
        every |= bit
        for j in range(len(by_bit)):
            if (k >> j) & 1:
                by_bit[j] |= bit
    return every, tuple(by_bit)


def _parity(x: int) -> int:
    return x.bit_count() & 1


def checksum_new_format(block: bytes, pgno: int, header_block: bool = True) -> int:
    """ESE ``ChecksumNewFormat``: the 64-bit XOR-ECC checksum of one block (1-8 KiB)."""
    cb = len(block)
    x = int.from_bytes(block, "little")
    if header_block:
        x &= ~_M64  # the stored checksum does not checksum itself
    lanes = _fold(x, cb * 8, 128)
    p0 = lanes & _M32
    p1 = (lanes >> 32) & _M32
    p2 = (lanes >> 64) & _M32
    p3 = (lanes >> 96) & _M32

    # bit 128*k of y is the parity of the 16-byte chunk k
    y = x
    for shift in (64, 32, 16, 8, 4, 2, 1):
        y ^= y >> shift
    every, by_bit = _chunk_masks(cb)
    total = _parity(y & every)
    p = 0
    for j, mask in enumerate(by_bit):
        a = _parity(y & mask)
        p |= a << (7 + j)
        p |= (total ^ a) << (23 + j)
    if _parity(p0 ^ p1):
        p |= 0x00400000
    if _parity(p2 ^ p3):
        p |= 0x00000040
    r0 = p0 ^ p2
    r1 = p1 ^ p3
    if _parity(r0):
        p |= 0x00200000
    if _parity(r1):
        p |= 0x00000020
    r2 = r0 ^ r1

    low = 0
    for i in range(32):
        if (r2 >> i) & 1:
            low ^= i
    high = low ^ (0xFFFF if _parity(r2) else 0)
    r = (high << 16) | low

    mask = ((cb << 19) - 1) & _M32
    ecc = (p & 0xFFE0FFE0 & mask) | (r & 0x001F001F)
    return (ecc << 32) | ((r2 ^ pgno) & _M32)


def block_size(cb_page: int) -> int:
    """ESE ``CbBlockSize``: checksum block size (large pages are split in 4 blocks)."""
    if is_small_page(cb_page):
        return cb_page
    return 4096 if cb_page <= 16384 else 8192


def page_checksums(page: bytes, pgno: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(stored, computed) checksums of a database page, as ESE's ``ChecksumPage`` pairs them.

    The page verifies when both tuples are equal.
    """
    cb = len(page)
    flags = int.from_bytes(page[36:40], "little")
    stored0 = _U64.unpack_from(page, 0)[0]
    if not flags & F_PAGE_NEW_CHECKSUM_FORMAT:
        return (stored0,), (((pgno << 32) | checksum_old_format(page)) & _M64,)
    if is_small_page(cb):
        return (stored0,), (checksum_new_format(page, pgno, True),)
    blk = block_size(cb)
    computed = [checksum_new_format(page[:blk], pgno, True)]
    for ib in range(blk, cb, blk):
        computed.append(checksum_new_format(page[ib : ib + blk], pgno, False))
    stored = [stored0] + [_U64.unpack_from(page, 40 + 8 * i)[0] for i in range(len(computed) - 1)]
    return tuple(stored), tuple(computed)


def header_checksum(page: bytes) -> tuple[int, int]:
    """(stored, computed) 32-bit checksum of a database header page (old format)."""
    return int.from_bytes(page[:4], "little"), checksum_old_format(page)


# ---------------------------------------------------------------- ECC correction

IBIT_NEW_CHECKSUM_FORMAT_FLAG = 9 * 32 + 13
"""``IbitNewChecksumFormatFlag``: the bit of ``fPageNewChecksumFormat`` in ``PGHDR.fFlags``;
a correction may never flip it (it decides which checksum applies)."""

_IBIT_MAX = 0xFFFFFFFF
_IB_PGHDR2_RG_CHECKSUM = 40
"""``offsetof(PGHDR2, rgChecksum)``: the stored checksums of blocks 1..3 of a large page."""


def _try_fix_block(cb: int, ibit_forbidden: int, expected: int, actual: int) -> int | None:
    """ESE ``FTryFixBlock``: the bit (within the block) whose flip explains the mismatch of
    one block's XECHECKSUM, or None when it is not a correctable single-bit error.

    ``FECCErrorIsCorrectable``: the ECC halves of expected ^ actual must be complementary over
    the block's bit-address width and the XOR halves must differ in exactly one bit;
    ``IbitCorrupted``: the bit address is the low 16 bits of the ECC difference.
    """
    ecc = ((actual >> 32) ^ (expected >> 32)) & _M32
    mask = ((cb << 3) - 1) & _M32
    if ((ecc >> 16) ^ ecc) & mask != mask:
        return None
    if ((actual ^ expected) & _M32).bit_count() != 1:
        return None
    ibit = ecc & 0xFFFF
    if ecc == 0 or ibit // 8 >= cb:
        ibit = _IBIT_MAX
    if ibit == ibit_forbidden or ibit >= 8 * cb:
        return None
    return ibit


def fix_page(page: bytearray, pgno: int) -> int | None:
    """ESE ``ChecksumAndPossiblyFixPage`` with fCorrectError: correct single-bit errors.

    For a page in the new checksum format whose stored and computed checksums differ, find
    per block the one flipped bit the ECC points at (``TryFixPage``: a block with an
    uncorrectable difference makes the whole page uncorrectable; a bit flipped inside the
    header block's copies of the other blocks' checksums corrects that stored checksum too)
    and flip it back in ``page`` (the caller's in-memory copy). Returns the bit offset of
    the first correction within the page, or None when nothing was corrected (no error, the
    old checksum format, or an error the ECC cannot correct). The caller verifies the
    checksums again.
    """
    cb = len(page)
    if not int.from_bytes(page[36:40], "little") & F_PAGE_NEW_CHECKSUM_FORMAT:
        return None
    stored, computed = page_checksums(bytes(page), pgno)
    if stored == computed:
        return None
    expected = list(stored)
    blk = cb if is_small_page(cb) else block_size(cb)
    flips: list[int] = []
    first: int | None = None
    for iblk in range(len(computed)):
        if expected[iblk] == computed[iblk]:
            continue
        forbidden = IBIT_NEW_CHECKSUM_FORMAT_FLAG if iblk == 0 else _IBIT_MAX
        ibit = _try_fix_block(blk, forbidden, expected[iblk], computed[iblk])
        if ibit is None:
            return None
        ibit += 8 * blk * iblk
        flips.append(ibit)
        if first is None:
            first = ibit
            start = 8 * _IB_PGHDR2_RG_CHECKSUM
            if not is_small_page(cb) and iblk == 0 and start <= ibit < start + 64 * 3:
                k, b = divmod(ibit - start, 64)
                expected[1 + k] ^= 1 << b
    for ibit in flips:
        page[ibit >> 3] ^= 1 << (ibit & 7)
    return first

"""Decompressing column values ESE compressed (``JET_bitSetCompressed`` / compressed columns).

ESE: ``dev/ese/src/ese/compression.cxx`` (``CDataCompressor::ErrDecompress`` and the
``ErrDecompress*_`` functions). The first byte of a compressed value holds the scheme in its
top 5 bits (``bHeader >> 3``); the low 3 bits are scheme-specific::

    1 COMPRESS_7BITASCII    low bits = (bits used in the last byte) - 1; 7-bit units follow,
                            packed little-endian: unit i is bits 7i..7i+6 of bytes 1..
    2 COMPRESS_7BITUNICODE  same units, each widened to a UTF-16LE code unit (unit, 0)
    3 COMPRESS_XPRESS       then a little-endian WORD = uncompressed size, then MS-XCA
                            "Plain LZ77" data (XpressDecode; not the Huffman variant)
    4 COMPRESS_SCRUB        scrubbed data: no value (ESE returns wrnRECCompressionScrubDetected
                            and 0 bytes; we return b"")
    5 COMPRESS_XPRESS9      not supported: ESE's public build compiles it out
    6 COMPRESS_XPRESS10     not supported: ditto (and needs Corsica hardware or its software
                            fallback, neither public)

Anything else, including 0 (COMPRESS_NONE), is ``JET_errDecompressionFailed`` in ESE's switch,
and so here; so are truncated or inconsistent inputs.
"""

from __future__ import annotations

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

COMPRESS_NONE = 0x0
COMPRESS_7BITASCII = 0x1
COMPRESS_7BITUNICODE = 0x2
COMPRESS_XPRESS = 0x3
COMPRESS_SCRUB = 0x4
COMPRESS_XPRESS9 = 0x5
COMPRESS_XPRESS10 = 0x6

_NAMES = {
    COMPRESS_NONE: "COMPRESS_NONE", COMPRESS_7BITASCII: "COMPRESS_7BITASCII",
    COMPRESS_7BITUNICODE: "COMPRESS_7BITUNICODE", COMPRESS_XPRESS: "COMPRESS_XPRESS",
    COMPRESS_SCRUB: "COMPRESS_SCRUB", COMPRESS_XPRESS9: "COMPRESS_XPRESS9",
    COMPRESS_XPRESS10: "COMPRESS_XPRESS10",
}


def compression_scheme(data: bytes) -> int:
    """The scheme identifier of a compressed value (``data[0] >> 3``)."""
    if not data:
        raise_error(C.JET_errDecompressionFailed, "empty compressed value")
    return data[0] >> 3


def _fail(detail: str) -> None:
    raise_error(C.JET_errDecompressionFailed, detail)


def _seven_bit_units(data: bytes) -> list[int]:
    if len(data) < 2:
        _fail("7-bit value shorter than 2 bytes")
    cbit_final = (data[0] & 0x7) + 1
    cbit_total = (len(data) - 2) * 8 + cbit_final
    if cbit_total % 7:
        _fail(f"7-bit value of {cbit_total} bits is not a whole number of units")
    v = int.from_bytes(data[1:], "little")
    return [(v >> (7 * i)) & 0x7F for i in range(cbit_total // 7)]


def _xpress_plain_lz77(src: bytes, size: int) -> bytes:
    """MS-XCA 2.4 Plain LZ77 decoding, stopping at ``size`` output bytes."""
    out = bytearray()
    n = len(src)
    pos = 0
    flags = 0
    flag_count = 0
    half_byte_pos = -1
    while len(out) < size:
        if flag_count == 0:
            if pos + 4 > n:
                _fail("XPRESS stream ends inside a flag word")
            flags = int.from_bytes(src[pos : pos + 4], "little")
            pos += 4
            flag_count = 32
        flag_count -= 1
        if not (flags >> flag_count) & 1:
            if pos >= n:
                _fail("XPRESS stream ends before the expected size")
            out.append(src[pos])
            pos += 1
            continue
        if pos + 2 > n:
            _fail("XPRESS stream ends inside a match")
        match = int.from_bytes(src[pos : pos + 2], "little")
        pos += 2
        length = match & 7
        offset = (match >> 3) + 1
        if length == 7:
            if half_byte_pos < 0:
                if pos >= n:
                    _fail("XPRESS stream ends inside a match length")
                length = src[pos] & 0xF
                half_byte_pos = pos
                pos += 1
            else:
                length = src[half_byte_pos] >> 4
                half_byte_pos = -1
            if length == 15:
                if pos >= n:
                    _fail("XPRESS stream ends inside a match length")
                length = src[pos]
                pos += 1
                if length == 255:
                    if pos + 2 > n:
                        _fail("XPRESS stream ends inside a match length")
                    length = int.from_bytes(src[pos : pos + 2], "little")
                    pos += 2
                    if length == 0:
                        if pos + 4 > n:
                            _fail("XPRESS stream ends inside a match length")
                        length = int.from_bytes(src[pos : pos + 4], "little")
                        pos += 4
                    if length < 15 + 7:
                        _fail("XPRESS match length underflow")
                    length -= 15 + 7
                length += 15
            length += 7
        length += 3
        if offset > len(out):
            _fail(f"XPRESS match offset {offset} before the start of the output")
        length = min(length, size - len(out))
        start = len(out) - offset
        if offset >= length:
            out += out[start : start + length]
        else:
            for i in range(length):
                out.append(out[start + i])
    return bytes(out)


def decompress(data: bytes) -> bytes:
    """The uncompressed bytes of a value ESE stored compressed.

    Raises ``JET_errDecompressionFailed`` for unknown or unsupported schemes (XPRESS9,
    XPRESS10, COMPRESS_NONE) and for malformed data. A scrubbed value gives ``b""``.
    """
    scheme = compression_scheme(data)
    if scheme == COMPRESS_7BITASCII:
        return bytes(_seven_bit_units(data))
    if scheme == COMPRESS_7BITUNICODE:
        out = bytearray()
        for unit in _seven_bit_units(data):
            out += bytes((unit, 0))
        return bytes(out)
    if scheme == COMPRESS_XPRESS:
        if len(data) < 3:
            _fail("XPRESS value shorter than its 3-byte header")
        size = int.from_bytes(data[1:3], "little")
        return _xpress_plain_lz77(data[3:], size)
    if scheme == COMPRESS_SCRUB:
        return b""
    _fail(f"{_NAMES.get(scheme, f'scheme {scheme}')} is not supported")
    raise AssertionError  # unreachable: _fail raises

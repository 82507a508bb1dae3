"""Column decompression (ESE compression.cxx) against values Windows wrote."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import compression_scheme, decompress
from pyese.storage.edb.compression import (
    COMPRESS_7BITASCII,
    COMPRESS_7BITUNICODE,
    COMPRESS_XPRESS,
    COMPRESS_XPRESS9,
    COMPRESS_XPRESS10,
)


def test_genuine_compressed_values(expected: dict) -> None:
    # captured from binary.edb, multi.edb, text.edb (values read by dissect.esedb)
    schemes = set()
    for case in expected["compressed"]:
        data = bytes.fromhex(case["input"])
        out = decompress(data)
        schemes.add(compression_scheme(data))
        assert len(out) == case["length"]
        assert hashlib.sha256(out).hexdigest() == case["sha256"]
        assert out.startswith(bytes.fromhex(case["head"]))
    assert {COMPRESS_7BITASCII, COMPRESS_XPRESS} <= schemes


def test_genuine_values_match_dissect(edb_dir: Path) -> None:
    comp = pytest.importorskip("dissect.esedb.compression")
    esedb = pytest.importorskip("dissect.esedb")
    orig = comp.decompress
    seen: list[tuple[bytes, bytes]] = []

    def spy(b: bytes) -> bytes:
        out = orig(b)
        seen.append((bytes(b), bytes(out)))
        return out

    comp.decompress = spy
    try:
        for name in ("binary", "multi", "text"):
            with open(edb_dir / f"{name}.edb", "rb") as fh:
                for rec in esedb.EseDB(fh).table(name).records():
                    rec.as_dict()
    finally:
        comp.decompress = orig
    assert len(seen) >= 10
    for data, out in seen:
        assert decompress(data) == out


def _pack7(units: list[int], scheme: int) -> bytes:
    """Pack 7-bit units the way ESE's ErrCompress7Bit*_ lays them out."""
    v = 0
    for i, u in enumerate(units):
        v |= u << (7 * i)
    nbits = 7 * len(units)
    nbytes = (nbits + 7) // 8
    cbit_final = nbits - 8 * (nbytes - 1)
    return bytes([(scheme << 3) | (cbit_final - 1)]) + v.to_bytes(nbytes, "little")


@given(st.lists(st.integers(0, 127), min_size=1, max_size=300))
def test_seven_bit_ascii_roundtrip(units: list[int]) -> None:
    data = _pack7(units, COMPRESS_7BITASCII)
    if ((len(data) - 2) * 8 + (data[0] & 7) + 1) % 7:
        return  # not a length ESE's compressor can produce
    assert decompress(data) == bytes(units)


def test_seven_bit_unicode_widens() -> None:
    data = _pack7(list(b"Tiny c ASCII"), COMPRESS_7BITUNICODE)
    assert decompress(data) == "Tiny c ASCII".encode("utf-16-le")


def test_xpress_known_stream() -> None:
    # MS-XCA 2.4 example: "abcdefghijklmnopqrstuvwxyz" (all literals)
    text = b"abcdefghijklmnopqrstuvwxyz"
    stream = (0).to_bytes(4, "little") + text
    header = bytes([COMPRESS_XPRESS << 3]) + len(text).to_bytes(2, "little")
    assert decompress(header + stream) == text
    # MS-XCA 2.4 example: "abc" * 100 = 3 literals then one match (offset 3, length 297)
    out = b"abc" * 100
    stream = bytes.fromhex("ffffff1f616263") + bytes.fromhex("17000f ff2601")
    data = bytes([COMPRESS_XPRESS << 3]) + len(out).to_bytes(2, "little") + stream
    assert decompress(data) == out


@pytest.mark.parametrize(
    "data",
    [
        b"",
        bytes([0x00, 1, 2]),  # COMPRESS_NONE: ESE's switch default
        bytes([COMPRESS_XPRESS9 << 3]) + b"\0" * 10,
        bytes([COMPRESS_XPRESS10 << 3]) + b"\0" * 20,
        bytes([7 << 3, 0]),
        bytes([COMPRESS_7BITASCII << 3]),  # too short
        bytes([COMPRESS_XPRESS << 3, 10]),  # header cut
        bytes([COMPRESS_XPRESS << 3, 10, 0]) + b"\xff\xff\xff\xff" + b"\x00\x01",  # bad offset
        bytes([COMPRESS_XPRESS << 3, 50, 0]) + b"\0\0\0\0abc",  # ends early
    ],
)
def test_unsupported_or_malformed_is_decompression_failed(data: bytes) -> None:
    # ESE: compression.cxx CDataCompressor::ErrDecompress default -> JET_errDecompressionFailed
    with pytest.raises(JetError) as ei:
        decompress(data)
    assert ei.value.err == C.JET_errDecompressionFailed


def test_scrubbed_value_is_empty() -> None:
    # ESE: compression.cxx ErrDecompressScrub_ -> wrnRECCompressionScrubDetected, 0 bytes
    assert decompress(bytes([4 << 3]) + b"\x01" * 8) == b""


@given(st.binary(min_size=0, max_size=200))
def test_fuzz_decompress_only_jet_errors(data: bytes) -> None:
    try:
        decompress(data)
    except JetError:
        pass

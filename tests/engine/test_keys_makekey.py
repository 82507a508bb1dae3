"""JetMakeKey state machine (ESE fldnorm.cxx ErrIsamMakeKey / ErrFLDNormalizeSegment)."""

from __future__ import annotations

import struct

import pytest

from pyese.engine.records.keys import KeyBuilder, make_key
from pyese.engine.schema.schema import ColumnDef, IndexDef, IndexSegment
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

LONG = ColumnDef(1, "l", C.JET_coltypLong)
SHORT = ColumnDef(2, "s", C.JET_coltypShort)
TEXT = ColumnDef(129, "t", C.JET_coltypText, cp=1252)
UTEXT = ColumnDef(130, "u", C.JET_coltypText, cp=1200)
BIN = ColumnDef(128, "b", C.JET_coltypBinary)
FTEXT = ColumnDef(3, "ft", C.JET_coltypText, cbMax=6, cp=1252, grbit=C.JET_bitColumnFixed)


def ix(*cols: ColumnDef, grbit: int = 0, desc: bool = False, **kw) -> IndexDef:
    return IndexDef("ix", tuple(IndexSegment(c, desc) for c in cols), grbit=grbit, **kw)


def err_of(fn, *args) -> int:
    with pytest.raises(JetError) as exc:
        fn(*args)
    return exc.value.err


def test_key_not_made_and_key_is_made() -> None:
    b = KeyBuilder()
    kdef = ix(LONG)
    assert err_of(b.add, kdef, struct.pack("<i", 1), 0) == C.JET_errKeyNotMade
    assert err_of(lambda: b.key) == C.JET_errKeyNotMade
    b.add(kdef, struct.pack("<i", 1), C.JET_bitNewKey)
    assert b.key.hex() == "7f80000001" and not b.is_limit
    assert err_of(b.add, kdef, struct.pack("<i", 2), 0) == C.JET_errKeyIsMade
    b.reset()
    assert err_of(b.add, kdef, struct.pack("<i", 2), 0) == C.JET_errKeyNotMade


def test_segments_in_order_and_equal_to_record_key() -> None:
    kdef = ix(LONG, TEXT, SHORT)
    b = KeyBuilder()
    b.add(kdef, struct.pack("<i", 3), C.JET_bitNewKey)
    b.add(kdef, b"abc", 0)
    b.add(kdef, None, 0)
    assert b.key == make_key(kdef, [struct.pack("<i", 3), b"abc", None])[0]
    assert b.columns == 3


def test_zero_length_grbit() -> None:
    b = KeyBuilder()
    b.add(ix(TEXT), b"", C.JET_bitNewKey | C.JET_bitKeyDataZeroLength)
    assert b.key == b"\x40"
    b.add(ix(TEXT), b"", C.JET_bitNewKey)
    assert b.key == b"\x00"
    flags = C.JET_bitNewKey | C.JET_bitKeyDataZeroLength
    assert err_of(b.add, ix(LONG), b"", flags) == C.JET_errInvalidBufferSize


def test_fixed_size_checks_and_text_padding() -> None:
    b = KeyBuilder()
    assert err_of(b.add, ix(LONG), b"\x01\x02\x03", C.JET_bitNewKey) == C.JET_errInvalidBufferSize
    b.add(ix(FTEXT), b"ab", C.JET_bitNewKey)
    assert b.key == b"\x7fAB    \x00"
    assert err_of(b.add, ix(FTEXT), b"abcdefg", C.JET_bitNewKey) == C.JET_errInvalidBufferSize


def test_str_limit_fills_to_cbkeymost_plus_one() -> None:
    # isam-semantics §8 item 37: FLDITrySetPartialColumnLimitOnBinaryColumn with no delimiter
    b = KeyBuilder()
    b.add(ix(TEXT), b"abc", C.JET_bitNewKey | C.JET_bitStrLimit)
    assert b.key == b"\x7fABC\x00" + b"\xff" * 251 and len(b.key) == 256 and b.is_limit
    assert err_of(b.add, ix(TEXT), b"x", 0) == C.JET_errKeyIsMade


def test_binary_str_limit_and_partial_limits() -> None:
    b = KeyBuilder()
    b.add(ix(BIN), b"abc", C.JET_bitNewKey | C.JET_bitStrLimit)
    assert b.key == b"\x7fabc" + b"\xff" * 7  # FF from the padding through one past the chunk
    b.add(ix(BIN), b"abc", C.JET_bitNewKey | C.JET_bitPartialColumnStartLimit)
    assert b.key == b"\x7fabc"
    b.add(ix(TEXT), b"abc", C.JET_bitNewKey | C.JET_bitPartialColumnStartLimit)
    assert b.key == b"\x7fABC"
    b.add(ix(TEXT), b"abc", C.JET_bitNewKey | C.JET_bitSubStrLimit)
    assert b.key == b"\x7fABC" + b"\xff" * 252 and len(b.key) == 256
    b.add(ix(UTEXT), "ab".encode("utf-16-le"), C.JET_bitNewKey | C.JET_bitPartialColumnStartLimit)
    assert b.key == bytes.fromhex("7f0e020e09")


def test_full_column_limits() -> None:
    b = KeyBuilder()
    b.add(ix(LONG), struct.pack("<i", 1), C.JET_bitNewKey | C.JET_bitFullColumnStartLimit)
    assert b.key.hex() == "7f80000001" and b.is_limit
    b.add(ix(LONG), struct.pack("<i", 1), C.JET_bitNewKey | C.JET_bitFullColumnEndLimit)
    assert b.key == bytes.fromhex("7f80000001") + b"\xff" * 251


def test_limit_grbit_errors() -> None:
    b = KeyBuilder()
    both = C.JET_bitNewKey | C.JET_bitFullColumnStartLimit | C.JET_bitFullColumnEndLimit
    assert err_of(b.add, ix(LONG), struct.pack("<i", 1), both) == C.JET_errInvalidGrbit
    partial = C.JET_bitNewKey | C.JET_bitPartialColumnEndLimit
    assert err_of(b.add, ix(LONG), struct.pack("<i", 1), partial) == C.JET_errInvalidGrbit
    assert not b.is_prepared  # NewKey reset the key before the error


def test_normalized_key() -> None:
    b = KeyBuilder()
    b.add(None, b"\x00\x00\x00\x01", C.JET_bitNormalizedKey)
    assert b.key == b"\x00\x00\x00\x01" and not b.is_limit
    b.add(ix(LONG), b"\x7f" * 256, C.JET_bitNormalizedKey)
    assert b.is_limit and len(b.key) == 256
    assert err_of(b.add, ix(LONG), b"\x7f" * 257, C.JET_bitNormalizedKey) == (
        C.JET_errInvalidParameter
    )
    b.add(ix(LONG, cbKeyMost=1000), b"\x7f" * 600, C.JET_bitNormalizedKey)
    assert len(b.key) == 600 and not b.is_limit
    assert err_of(b.add, None, b"x", C.JET_bitNewKey) == C.JET_errNoCurrentIndex


def test_descending_limit() -> None:
    b = KeyBuilder()
    b.add(ix(TEXT, desc=True), b"ab", C.JET_bitNewKey | C.JET_bitPartialColumnStartLimit)
    assert b.key == bytes((0x80, 0xBE, 0xBD))


def test_too_big_key_ignores_later_segments_and_limits() -> None:
    kdef = ix(TEXT, LONG)
    b = KeyBuilder()
    b.add(kdef, b"q" * 400, C.JET_bitNewKey)
    b.add(kdef, struct.pack("<i", 1), C.JET_bitFullColumnEndLimit)
    assert len(b.key) == 255 and not b.is_limit


def test_tuple_key_too_small() -> None:
    kdef = ix(TEXT, grbit=C.JET_bitIndexTuples)
    b = KeyBuilder()
    assert err_of(b.add, kdef, b"ab", C.JET_bitNewKey) == C.JET_errIndexTuplesKeyTooSmall
    assert err_of(b.add, kdef, None, C.JET_bitNewKey) == C.JET_errIndexTuplesKeyTooSmall
    b.add(kdef, b"abcdefghijklmn", C.JET_bitNewKey)
    assert b.key == b"\x7fABCDEFGHIJ\x00"  # cut to chLengthMax 10

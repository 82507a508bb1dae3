"""Segment normalization and record keys (ESE fldnorm.cxx, normu.cxx); genuine ESE oracles."""

from __future__ import annotations

import struct
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyese.engine.records.keys import (
    FALL_BACK_TO_RECORD,
    column_from_key,
    make_key,
    normalize_ascii,
    normalize_binary,
    retrieve_key,
)
from pyese.engine.schema.schema import ColumnDef, IndexDef, IndexSegment
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError


def col(coltyp: int, cid: int, cp: int = 0, cbMax: int = 0, grbit: int = 0) -> ColumnDef:
    return ColumnDef(cid, f"c{cid}", coltyp, cbMax=cbMax, cp=cp, grbit=grbit)


def ix(*cols: ColumnDef | tuple[ColumnDef, bool], grbit: int = 0, **kw) -> IndexDef:
    segs = tuple(
        IndexSegment(c[0], c[1]) if isinstance(c, tuple) else IndexSegment(c) for c in cols
    )
    return IndexDef("ix", segs, grbit=grbit, **kw)


def key1(c: ColumnDef, value: bytes | None, desc: bool = False, **kw) -> bytes:
    return make_key(ix((c, desc), **kw), [value])[0]


LONG = col(C.JET_coltypLong, 1)
BIN = col(C.JET_coltypBinary, 128)
TEXT = col(C.JET_coltypText, 129, cp=1252)
UTEXT = col(C.JET_coltypText, 130, cp=1200)


# --- isam-semantics.md §2 / §8 items 35-36 -------------------------------------------


def test_long_ascending_descending_null() -> None:
    # ESE: fldnorm.cxx FLDNormalizeFixedSegment, FLDNormalizeNullSegment; descending XOR
    assert key1(LONG, struct.pack("<i", 1)).hex() == "7f80000001"
    assert key1(LONG, struct.pack("<i", -1)).hex() == "7f7fffffff"
    assert key1(LONG, struct.pack("<i", 1), desc=True).hex() == "807ffffffe"
    assert key1(LONG, None) == b"\x00"
    assert key1(LONG, None, desc=True) == b"\xff"
    assert key1(LONG, None, grbit=C.JET_bitIndexSortNullsHigh) == b"\xc0"
    # DisallowNull takes precedence over SortNullsHigh (fcreate.cxx)
    both = C.JET_bitIndexSortNullsHigh | C.JET_bitIndexDisallowNull
    assert key1(LONG, None, grbit=both) == b"\x00"


def test_binary_text_zero_length() -> None:
    assert key1(BIN, b"abc").hex() == "7f61626300000000" + "0003"
    assert key1(BIN, b"12345678").hex() == "7f" + b"12345678".hex() + "08"
    assert key1(TEXT, b"abc").hex() == "7f41424300"
    assert key1(TEXT, b"") == b"\x40"
    assert key1(BIN, b"") == b"\x40"
    assert key1(TEXT, b"", desc=True) == b"\xbf"


def test_double_one() -> None:
    assert key1(col(C.JET_coltypIEEEDouble, 2), struct.pack("<d", 1.0)).hex() == (
        "7fbff0000000000000"
    )


def test_guid_orders() -> None:
    g = uuid.UUID("3f360af1-6766-46dc-9af2-0dacf295c2a1").bytes_le
    gc = col(C.JET_coltypGUID, 3)
    assert key1(gc, g).hex() == "7f0dacf295c2a19af2dc466667f10a363f"
    dotnet = key1(gc, g, grbit=C.JET_bitIndexDotNetGuid)
    assert dotnet == b"\x7f" + bytes(g[i] for i in (3, 2, 1, 0, 5, 4, 7, 6, *range(8, 16)))


# --- genuine keys from Windows ESE (testdata index.edb, one index per type) ----------

GENUINE_FIXED = [
    (C.JET_coltypBit, b"\x00", "7f00"),
    (C.JET_coltypUnsignedByte, bytes([213]), "7fd5"),
    (C.JET_coltypShort, struct.pack("<h", -1337), "7f7ac7"),
    (C.JET_coltypLong, struct.pack("<i", -13371337), "7f7f33f837"),
    (C.JET_coltypCurrency, struct.pack("<q", 1337133713371337), "7f8004c01db400b0c9"),
    (C.JET_coltypIEEESingle, struct.pack("<f", 1.0), "7fbf800000"),
    (C.JET_coltypIEEEDouble, struct.pack("<d", 13371337.13371337), "7fc16980f924476143"),
    (C.JET_coltypDateTime, struct.pack("<q", 4675210852477960192), "7fc0e1af8000000000"),
    (C.JET_coltypUnsignedLong, struct.pack("<I", 13371337), "7f00cc07c9"),
    (C.JET_coltypLongLong, struct.pack("<q", -13371337), "7f7fffffffff33f837"),
    (C.JET_coltypUnsignedShort, struct.pack("<H", 1337), "7f0539"),
]


@pytest.mark.parametrize(("coltyp", "value", "expected"), GENUINE_FIXED)
def test_genuine_fixed(coltyp: int, value: bytes, expected: str) -> None:
    assert key1(col(coltyp, 5), value).hex() == expected


def test_genuine_binary_and_ascii() -> None:
    assert key1(BIN, b"test binary data").hex() == "7f746573742062696e09617279206461746108"
    assert key1(TEXT, b"Simple ASCII text").hex() == "7f53494d504c45204153434949205445585400"


def test_genuine_long_binary_truncated_mid_chunk() -> None:
    # 254 bytes of key space = 28 chunks + 2 raw bytes, no length byte (FLDNormalizeBinarySegment)
    value = b"test long binary data " + b"a" * 1000
    key, truncated = make_key(ix(col(C.JET_coltypLongBinary, 256)), [value])
    expected = b"\x7ftest lon\x09g binary\x09 data aa\x09" + (b"a" * 8 + b"\x09") * 25 + b"aa"
    assert key == expected and len(key) == 255 and truncated


def test_genuine_long_ascii_truncated() -> None:
    value = b"Long ASCII text " + b"a" * 1000
    key, truncated = make_key(ix(col(C.JET_coltypLongText, 257, cp=1252)), [value])
    assert key == b"\x7fLONG ASCII TEXT " + b"A" * 238 and truncated


GENUINE_UNICODE = bytes.fromhex(
    "7f0e910e320e510e7e0e480e2107020e9f0e700e320e0a0e7c0e1a0e2107020e990e210ea60e990702"
    "b040b686010202020202020202020202020202020202020202023f3f01010100"
)


def test_genuine_unicode_ascii_part() -> None:
    # Windows weights for "Simple Unicode text " are reproduced exactly; the emoji is not
    key = key1(UTEXT, "Simple Unicode text \U0001f98a".encode("utf-16-le"))
    assert key[:41] == GENUINE_UNICODE[:41]
    assert key1(UTEXT, "Simple Unicode text".encode("utf-16-le")) == (
        GENUINE_UNICODE[:39] + b"\x01\x01\x01\x01\x00"
    )


def test_genuine_long_unicode_primary_weights() -> None:
    value = ("Long Unicode text \U0001f98a " + "a" * 1000).encode("utf-16-le")
    key, truncated = make_key(ix(col(C.JET_coltypLongText, 258, cp=1200)), [value])
    genuine_prefix = bytes.fromhex(
        "7f0e480e7c0e700e2507020e9f0e700e320e0a0e7c0e1a0e2107020e990e210ea60e990702"
    )
    assert key[:37] == genuine_prefix and truncated and len(key) == 255
    # Windows weighs the emoji with 4 bytes too, so the 127-character legacy source cut
    # (fldnorm.cxx) leaves exactly 254 bytes of primary weights, like the genuine key
    assert key[41:] == b"\x07\x02" + b"\x0e\x02" * 106


# --- ASCII quirks (normu.cxx ErrUtilNormText) ----------------------------------------


def test_ascii_stops_at_nul_and_uppercases_only_a_to_z() -> None:
    assert normalize_ascii(b"ab\x00cd", 10) == (b"AB\x00", False)
    assert normalize_ascii(b"\xe9z{", 10) == (b"\xe9Z{\x00", False)


def test_ascii_truncation_broken_toupper() -> None:
    # the last kept byte is source - 0x20 unconditionally, no terminator
    assert normalize_ascii(b"abcA", 4) == (b"ABC!", True)
    assert normalize_ascii(b"ab\x10", 3) == (b"AB\xf0", True)
    assert normalize_ascii(b"abc\x00", 4) == (b"ABC\x00", False)
    assert normalize_ascii(b"abc", 0) == (b"", False)


def test_ascii_key_truncation_at_255() -> None:
    key, truncated = make_key(ix(TEXT), [b"a" * 255])
    assert key == b"\x7f" + b"A" * 254 and truncated
    key, truncated = make_key(ix(TEXT), [b"a" * 253])
    assert key == b"\x7f" + b"A" * 253 + b"\x00" and not truncated


def test_var_seg_mac_caps_silently() -> None:
    kdef = ix(TEXT, LONG, cbVarSegMac=5)
    key, truncated = make_key(kdef, [b"abcdefgh", struct.pack("<i", 1)])
    # cbVarSegMac includes the header: 7F + 3 bytes + broken-toupper byte, not truncation
    assert key == b"\x7fABCD" + bytes.fromhex("7f80000001") and not truncated
    bkey, btrunc = make_key(ix(BIN, cbVarSegMac=12), [b"0123456789"])
    assert bkey == b"\x7f01234567\x0989" and not btrunc


def test_disallow_truncation() -> None:
    kdef = ix(TEXT, grbit=C.JET_bitIndexDisallowTruncation)
    with pytest.raises(JetError) as exc:
        make_key(kdef, [b"x" * 300])
    assert exc.value.err == C.JET_errKeyTruncated
    assert make_key(kdef, [b"x" * 10])[1] is False


def test_later_segments_after_full_key_add_nothing() -> None:
    key, truncated = make_key(ix(TEXT, LONG), [b"y" * 300, struct.pack("<i", 7)])
    assert len(key) == 255 and truncated


def test_legacy_unicode_source_cut() -> None:
    # cbKeyMost 255: the source is cut to 255 bytes = 127 characters before mapping
    # (fldnorm.cxx ErrFLDNormalizeTextSegment / ErrRECIIRetrieveKey cbDataMost)
    value = ("\u0301" * 200 + "a").encode("utf-16-le")
    legacy = make_key(ix(UTEXT), [value])[0]
    assert legacy == b"\x7f\x01\x01\x01\x01\x00"
    big = make_key(ix(UTEXT, cbKeyMost=1000), [value])[0]
    assert big[:3] == b"\x7f\x0e\x02"


def test_fixed_binary_segment() -> None:
    fb = col(C.JET_coltypBinary, 7, cbMax=4, grbit=C.JET_bitColumnFixed)
    assert key1(fb, b"ab\x00\x00").hex() == "7f61620000"
    seg, truncated, _ = normalize_binary(b"abcd", 3, 255, 256, True)
    assert seg == b"\x7fab" and truncated


# --- order properties ----------------------------------------------------------------

INT_TYPES = [
    (C.JET_coltypShort, "<h", st.integers(-(2**15), 2**15 - 1)),
    (C.JET_coltypLong, "<i", st.integers(-(2**31), 2**31 - 1)),
    (C.JET_coltypLongLong, "<q", st.integers(-(2**63), 2**63 - 1)),
    (C.JET_coltypCurrency, "<q", st.integers(-(2**63), 2**63 - 1)),
    (C.JET_coltypUnsignedByte, "<B", st.integers(0, 255)),
    (C.JET_coltypUnsignedShort, "<H", st.integers(0, 2**16 - 1)),
    (C.JET_coltypUnsignedLong, "<I", st.integers(0, 2**32 - 1)),
    (C.JET_coltypUnsignedLongLong, "<Q", st.integers(0, 2**64 - 1)),
    (C.JET_coltypIEEESingle, "<f", st.floats(allow_nan=False, width=32)),
    (C.JET_coltypIEEEDouble, "<d", st.floats(allow_nan=False)),
    (C.JET_coltypDateTime, "<d", st.floats(allow_nan=False)),
]


def _cmp(a: object, b: object) -> int:
    return (a > b) - (a < b)  # type: ignore[operator]


@pytest.mark.parametrize(("coltyp", "fmt", "strategy"), INT_TYPES)
def test_fixed_key_order_matches_value_order(coltyp: int, fmt: str, strategy) -> None:
    c = col(coltyp, 9)

    @given(strategy, strategy, st.booleans(), st.booleans())
    def check(a, b, desc: bool, nulls_high: bool) -> None:
        grbit = C.JET_bitIndexSortNullsHigh if nulls_high else 0
        ka = key1(c, struct.pack(fmt, a), desc, grbit=grbit)
        kb = key1(c, struct.pack(fmt, b), desc, grbit=grbit)
        kn = key1(c, None, desc, grbit=grbit)
        sign = -1 if desc else 1
        if a != b:
            assert _cmp(ka, kb) == sign * _cmp(a, b)
        # nulls sort first, or last with SortNullsHigh (mirrored when descending)
        assert _cmp(kn, ka) == (1 if nulls_high else -1) * sign
        value = column_from_key(ix((c, desc), grbit=grbit), ka, 9)
        assert value == struct.pack(fmt, a)

    check()


@given(st.binary(max_size=200), st.binary(max_size=200))
def test_binary_order_is_bytewise(a: bytes, b: bytes) -> None:
    ka, kb = key1(BIN, a), key1(BIN, b)
    if a and b:
        assert _cmp(ka, kb) == _cmp(a, b)
    assert (ka == kb) == (a == b)


_ascii = st.binary(max_size=100).map(lambda b: bytes(x for x in b if x))


@given(_ascii, _ascii)
def test_ascii_order_is_case_insensitive_bytewise(a: bytes, b: bytes) -> None:
    def up(x: bytes) -> bytes:
        return bytes(c - 32 if 97 <= c <= 122 else c for c in x)

    ka, kb = key1(TEXT, a), key1(TEXT, b)
    if a and b:
        assert _cmp(ka, kb) == _cmp(up(a), up(b))


def test_case_insensitive_collision() -> None:
    assert key1(TEXT, b"abc") == key1(TEXT, b"ABC")
    assert key1(UTEXT, "abc".encode("utf-16-le")) == key1(UTEXT, "ABC".encode("utf-16-le"))


# --- RetrieveFromIndex ----------------------------------------------------------------


def test_column_from_key_rules() -> None:
    kdef = ix(LONG, TEXT, col(C.JET_coltypShort, 2))
    key = make_key(kdef, [struct.pack("<i", 5), b"abc", struct.pack("<h", -3)])[0]
    assert column_from_key(kdef, key, 1) == struct.pack("<i", 5)
    assert column_from_key(kdef, key, 2) == struct.pack("<h", -3)  # skips the ASCII segment
    assert column_from_key(kdef, key, 129) is FALL_BACK_TO_RECORD
    with pytest.raises(JetError) as exc:
        column_from_key(kdef, key, 77)
    assert exc.value.err == C.JET_errColumnNotFound
    ukdef = ix(UTEXT, LONG)
    ukey = make_key(ukdef, [b"a\x00", struct.pack("<i", 5)])[0]
    assert column_from_key(ukdef, ukey, 1) is FALL_BACK_TO_RECORD
    nkey = make_key(kdef, [None, b"x", None])[0]
    assert column_from_key(kdef, nkey, 1) is None and column_from_key(kdef, nkey, 2) is None


def test_column_from_key_binary_and_truncation() -> None:
    kdef = ix(BIN, LONG)
    key = make_key(kdef, [b"0123456789", struct.pack("<i", -9)])[0]
    assert column_from_key(kdef, key, 128) == b"0123456789"
    assert column_from_key(kdef, key, 1) == struct.pack("<i", -9)
    full = make_key(kdef, [b"z" * 300, struct.pack("<i", 1)])[0]
    assert column_from_key(kdef, full, 128) is FALL_BACK_TO_RECORD
    assert column_from_key(ix(BIN, cbVarSegMac=20), b"\x7f", 128) is FALL_BACK_TO_RECORD


def test_column_from_key_descending_guid_reads_null() -> None:
    # ESE compares the GUID header with the ascending data prefix even when descending
    # (fldnorm.cxx RECIRetrieveColumnFromKey), so a descending GUID comes back NULL.
    gc = col(C.JET_coltypGUID, 3)
    g = uuid.uuid4().bytes_le
    assert column_from_key(ix(gc), key1(gc, g), 3) == g
    assert column_from_key(ix((gc, True)), key1(gc, g, True), 3) is None


def test_tuple_column_cannot_be_retrieved_from_index() -> None:
    kdef = ix(TEXT, grbit=C.JET_bitIndexTuples)
    with pytest.raises(JetError) as exc:
        column_from_key(kdef, b"\x7fABC\x00", 129)
    assert exc.value.err == C.JET_errIndexTuplesCannotRetrieveFromIndex


def test_retrieve_key_null_warnings() -> None:
    kdef = ix(LONG, TEXT)
    assert retrieve_key(kdef, [None, None]).nulls == "null-key"
    assert retrieve_key(kdef, [None, b"a"]).nulls == "null-first-seg"
    assert retrieve_key(kdef, [struct.pack("<i", 1), None]).nulls == "null-seg"
    assert retrieve_key(kdef, [struct.pack("<i", 1), b""]).nulls is None

"""Typed values: ESE bytes <-> Python for every coltyp (pyese.values)."""

from __future__ import annotations

import datetime as dt
import math
import struct
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.values import (
    datetime_to_ole,
    filetime_to_datetime,
    from_python,
    ole_to_datetime,
    to_python,
)

INTS = {
    C.JET_coltypUnsignedByte: (0, 255),
    C.JET_coltypShort: (-(2**15), 2**15 - 1),
    C.JET_coltypLong: (-(2**31), 2**31 - 1),
    C.JET_coltypLongLong: (-(2**63), 2**63 - 1),
    C.JET_coltypCurrency: (-(2**63), 2**63 - 1),
    C.JET_coltypUnsignedShort: (0, 2**16 - 1),
    C.JET_coltypUnsignedLong: (0, 2**32 - 1),
    C.JET_coltypUnsignedLongLong: (0, 2**64 - 1),
}


@pytest.mark.parametrize("coltyp", sorted(INTS))
def test_integers_round_trip_at_their_limits(coltyp: int) -> None:
    lo, hi = INTS[coltyp]
    for v in (lo, hi, 0 if lo <= 0 else lo):
        raw = from_python(coltyp, v)
        assert to_python(coltyp, raw) == v
    with pytest.raises(JetError) as ei:
        from_python(coltyp, hi + 1)
    assert ei.value.err == C.JET_errInvalidParameter


def test_little_endian_layout_and_currency_units() -> None:
    assert from_python(C.JET_coltypLong, 1) == b"\x01\x00\x00\x00"
    # Currency: int64 in 1/10000 units (12.5 is stored as 125000)
    assert to_python(C.JET_coltypCurrency, struct.pack("<q", 125000)) == 125000


def test_bit_is_any_nonzero_and_written_as_ff() -> None:
    assert to_python(C.JET_coltypBit, b"\x01") is True
    assert to_python(C.JET_coltypBit, b"\x00") is False
    assert from_python(C.JET_coltypBit, True) == b"\xff"  # ESE writes 0xFF (fldmod.cxx)


def test_guid_uses_windows_byte_order() -> None:
    u = uuid.UUID("3f360af1-6766-46dc-9af2-0dacf295c2a1")
    raw = from_python(C.JET_coltypGUID, u)
    assert raw[:4] == bytes.fromhex("f10a363f")  # Data1 little-endian
    assert to_python(C.JET_coltypGUID, raw) == u


@pytest.mark.parametrize(
    "ole, expected",
    [
        (0.0, dt.datetime(1899, 12, 30)),
        (36220.0, dt.datetime(1999, 3, 1)),
        (2.25, dt.datetime(1900, 1, 1, 6)),
        # negative dates: the fraction is the time of day (VariantTimeToSystemTime)
        (-1.25, dt.datetime(1899, 12, 29, 6)),
        (-1.75, dt.datetime(1899, 12, 29, 18)),
    ],
)
def test_ole_dates(ole: float, expected: dt.datetime) -> None:
    assert ole_to_datetime(ole) == expected
    assert datetime_to_ole(expected) == ole
    assert to_python(C.JET_coltypDateTime, struct.pack("<d", ole)) == expected


def test_out_of_range_dates_stay_floats() -> None:
    assert ole_to_datetime(1e12) == 1e12
    assert math.isnan(ole_to_datetime(float("nan")))


@given(st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9000, 1, 1)))
def test_datetime_round_trip_to_the_millisecond(d: dt.datetime) -> None:
    d = d.replace(microsecond=d.microsecond // 1000 * 1000)
    back = ole_to_datetime(datetime_to_ole(d))
    assert isinstance(back, dt.datetime)
    assert abs(back - d) <= dt.timedelta(milliseconds=1)


def test_filetime() -> None:
    assert filetime_to_datetime(0) == dt.datetime(1601, 1, 1)
    assert filetime_to_datetime(116444736000000000) == dt.datetime(1970, 1, 1)
    assert filetime_to_datetime(-1) == -1


def test_text_by_code_page() -> None:
    assert to_python(C.JET_coltypText, "é🦊".encode("utf-16-le"), 1200) == "é🦊"
    assert to_python(C.JET_coltypLongText, b"\xe9", 1252) == "é"
    assert from_python(C.JET_coltypText, "é", 1252) == b"\xe9"
    # tolerant by default, strict on request
    assert to_python(C.JET_coltypText, b"\x00\xd8", 1200) == "\ufffd"
    with pytest.raises(JetError):
        to_python(C.JET_coltypText, b"\x00\xd8", 1200, strict=True)
    # a fixed Unicode column of odd cbMax ends with half of ESE's " \0" padding
    assert to_python(C.JET_coltypText, b"a\x00 ", 1200) == "a "


@given(st.floats(allow_nan=False, width=32))
def test_ieee_single_round_trip(f: float) -> None:
    assert to_python(C.JET_coltypIEEESingle, from_python(C.JET_coltypIEEESingle, f)) == f


def test_bad_input_raises_jet_errors() -> None:
    with pytest.raises(JetError) as ei:
        to_python(C.JET_coltypLong, b"\x00")
    assert ei.value.err == C.JET_errInvalidBufferSize
    with pytest.raises(JetError) as ei:
        to_python(99, b"")
    assert ei.value.err == C.JET_errInvalidColumnType
    with pytest.raises(JetError) as ei:
        from_python(C.JET_coltypLong, "12")
    assert ei.value.err == C.JET_errInvalidParameter
    assert to_python(C.JET_coltypLong, None) is None
    assert from_python(C.JET_coltypBinary, None) is None
    assert to_python(C.JET_coltypBinary, b"\x01") == b"\x01"

"""Typed column values: ESE's stored bytes <-> Python objects, for every ``JET_coltyp``.

ESE stores every value little-endian in the record (``rec.cxx``; ``jethdr.w`` coltyp docs):

=====================  ==============  ================================================
coltyp                 bytes           Python
=====================  ==============  ================================================
Bit                    1               ``bool`` (0 = False, anything else True; ESE
                                       writes 0x00 / 0xFF)
UnsignedByte           1               ``int`` 0..255
Short / Long /         2 / 4 / 8       ``int``, signed
LongLong
UnsignedShort /        2 / 4 / 8       ``int``, unsigned
UnsignedLong /
UnsignedLongLong
Currency               8               ``int``: the signed int64 ESE stores, in units of
                                       1/10000 (12.5 is 125000). Kept an int so that no
                                       precision is lost; divide by 10000 to display.
IEEESingle / Double    4 / 8           ``float``
DateTime               8               ``datetime.datetime`` (naive): the OLE Automation
                                       date double ESE stores (days since 1899-12-30, the
                                       fraction the time of day, its absolute value for
                                       negative dates, as ``VariantTimeToSystemTime``).
                                       ESE keeps no time zone; Windows callers store UTC
                                       or local time. A double outside datetime's range
                                       (years 1..9999, NaN) is returned as the float.
GUID                   16              ``uuid.UUID``; Windows ``GUID`` byte order
                                       (Data1..Data3 little-endian) = ``UUID(bytes_le=)``
Text / LongText        any             ``str`` by code page: 1200 UTF-16LE, 1252 and
                                       others through Python's codec (cp 20127 = ASCII).
                                       Decoding replaces undecodable bytes (U+FFFD)
                                       instead of failing: a dump must not stop on one
                                       bad string; ``strict=True`` raises instead.
                                       A trailing NUL code unit is kept (ESE keeps it);
                                       an odd last byte of UTF-16 (a fixed column of odd
                                       cbMax: ESE pads with " \0" cut at cbMax,
                                       RECTextColumnPadding) is the low byte of that
                                       space and decodes as one (as dissect.esedb does).
Binary / LongBinary    any             ``bytes``
=====================  ==============  ================================================

FILETIME (100 ns ticks since 1601-01-01 UTC) is commonly stored in LongLong columns
(ntds.dit, SRUDB). Nothing in the catalog says so, so it is never detected
automatically: :func:`filetime_to_datetime` converts on request (``pyese dump
--filetime COLUMN``).
"""

from __future__ import annotations

import datetime as _dt
import math
import struct
import uuid
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

OLE_EPOCH = _dt.datetime(1899, 12, 30)
FILETIME_EPOCH = _dt.datetime(1601, 1, 1)
CURRENCY_SCALE = 10000
"""ESE's Currency is an int64 count of 1/10000 units (OLE ``CY``)."""

CP_UNICODE = 1200
CP_ASCII = 1252

_FIXED_FORMATS: dict[int, struct.Struct] = {
    C.JET_coltypUnsignedByte: struct.Struct("<B"),
    C.JET_coltypShort: struct.Struct("<h"),
    C.JET_coltypLong: struct.Struct("<i"),
    C.JET_coltypCurrency: struct.Struct("<q"),
    C.JET_coltypIEEESingle: struct.Struct("<f"),
    C.JET_coltypIEEEDouble: struct.Struct("<d"),
    C.JET_coltypDateTime: struct.Struct("<d"),
    C.JET_coltypUnsignedLong: struct.Struct("<I"),
    C.JET_coltypLongLong: struct.Struct("<q"),
    C.JET_coltypUnsignedShort: struct.Struct("<H"),
    C.JET_coltypUnsignedLongLong: struct.Struct("<Q"),
}

COLTYP_NAMES: dict[int, str] = {
    C.JET_coltypBit: "Bit",
    C.JET_coltypUnsignedByte: "UnsignedByte",
    C.JET_coltypShort: "Short",
    C.JET_coltypLong: "Long",
    C.JET_coltypCurrency: "Currency",
    C.JET_coltypIEEESingle: "IEEESingle",
    C.JET_coltypIEEEDouble: "IEEEDouble",
    C.JET_coltypDateTime: "DateTime",
    C.JET_coltypBinary: "Binary",
    C.JET_coltypText: "Text",
    C.JET_coltypLongBinary: "LongBinary",
    C.JET_coltypLongText: "LongText",
    C.JET_coltypSLV: "SLV",
    C.JET_coltypUnsignedLong: "UnsignedLong",
    C.JET_coltypLongLong: "LongLong",
    C.JET_coltypGUID: "GUID",
    C.JET_coltypUnsignedShort: "UnsignedShort",
    C.JET_coltypUnsignedLongLong: "UnsignedLongLong",
}


def coltyp_name(coltyp: int) -> str:
    """ESE's name of a column type (``JET_coltypLong`` -> ``"Long"``)."""
    return COLTYP_NAMES.get(coltyp, f"coltyp{coltyp}")


def codec_of(cp: int) -> str:
    """Python codec of an ESE code page (1200 UTF-16LE, else ``cp<N>``; 0 = 1252)."""
    if cp == CP_UNICODE:
        return "utf-16-le"
    if cp in (0, CP_ASCII):
        return "cp1252"
    if cp == 20127:
        return "ascii"
    return f"cp{cp}"


# ---------------------------------------------------------------- dates


def ole_to_datetime(value: float) -> _dt.datetime | float:
    """OLE Automation date -> naive datetime (ms precision), or ``value`` if out of range.

    The integer part counts days from 1899-12-30; the fraction is the time of day taken
    as its absolute value, so -1.25 is 1899-12-29 06:00 (``VariantTimeToSystemTime``).
    """
    if not math.isfinite(value):
        return value
    days = math.trunc(value)
    frac = abs(value - days)
    try:
        ms = round(frac * 86_400_000)
        return OLE_EPOCH + _dt.timedelta(days, 0, 0, ms)  # (days, s, us, ms): positional is faster
    except OverflowError:
        return value


def datetime_to_ole(value: _dt.datetime) -> float:
    """Inverse of :func:`ole_to_datetime` (an aware datetime is converted to UTC first)."""
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC).replace(tzinfo=None)
    delta = value - OLE_EPOCH
    day = _dt.timedelta(days=1)
    days = delta // day
    frac = (delta - days * day) / day
    if days >= 0:
        return days + frac
    # negative dates: the day is negative, the time of day is subtracted (-1.25 = day -1, 06:00)
    return days - frac


def filetime_to_datetime(ticks: int) -> _dt.datetime | int:
    """FILETIME (100 ns ticks since 1601-01-01 UTC) -> naive UTC datetime, or ``ticks``."""
    if ticks < 0:
        return ticks
    try:
        return FILETIME_EPOCH + _dt.timedelta(microseconds=ticks // 10)
    except OverflowError:
        return ticks


# ---------------------------------------------------------------- bytes -> Python


def to_python(coltyp: int, data: bytes | None, cp: int = 0, *, strict: bool = False) -> Any:
    """The Python value of stored bytes ``data`` of a column of type ``coltyp``.

    None stays None. Raises ``JET_errInvalidColumnType`` for an unknown coltyp,
    ``JET_errInvalidBufferSize`` when a fixed-size value has the wrong length, and with
    ``strict`` ``JET_errInvalidParameter`` for text that does not decode.
    """
    if data is None:
        return None
    if coltyp == C.JET_coltypBit:
        if len(data) != 1:
            raise_error(C.JET_errInvalidBufferSize, f"Bit value of {len(data)} bytes")
        return data[0] != 0
    fmt = _FIXED_FORMATS.get(coltyp)
    if fmt is not None:
        if len(data) != fmt.size:
            raise_error(
                C.JET_errInvalidBufferSize,
                f"{coltyp_name(coltyp)} value of {len(data)} bytes (expected {fmt.size})",
            )
        v = fmt.unpack(data)[0]
        return ole_to_datetime(v) if coltyp == C.JET_coltypDateTime else v
    if coltyp == C.JET_coltypGUID:
        if len(data) != 16:
            raise_error(C.JET_errInvalidBufferSize, f"GUID value of {len(data)} bytes")
        return uuid.UUID(bytes_le=bytes(data))
    if coltyp in (C.JET_coltypText, C.JET_coltypLongText):
        codec = codec_of(cp)
        if cp == CP_UNICODE and len(data) % 2:
            data = bytes(data) + b"\x00"  # ESE's " \0" padding cut at an odd cbMax
        try:
            return bytes(data).decode(codec, "strict" if strict else "replace")
        except UnicodeDecodeError as exc:
            raise_error(C.JET_errInvalidParameter, f"text does not decode as cp {cp}: {exc}")
        except LookupError:
            raise_error(C.JET_errInvalidCodePage, f"code page {cp}")
    if coltyp in (C.JET_coltypBinary, C.JET_coltypLongBinary, C.JET_coltypSLV):
        return bytes(data)
    raise_error(C.JET_errInvalidColumnType, f"coltyp {coltyp}")


# ---------------------------------------------------------------- Python -> bytes


def from_python(coltyp: int, value: Any, cp: int = 0) -> bytes | None:
    """ESE's stored bytes for a Python value (the inverse of :func:`to_python`).

    Accepts bool/int for Bit, int for integers and Currency, float/int for IEEE types,
    datetime or an OLE float for DateTime, UUID or its string for GUID, str for text
    (encoded by code page, strict), bytes-like for binary. None is NULL. Raises
    ``JET_errInvalidParameter`` for a value of the wrong kind or out of range,
    ``JET_errInvalidColumnType`` for an unknown coltyp.
    """
    if value is None:
        return None
    try:
        if coltyp == C.JET_coltypBit:
            return b"\xff" if value else b"\x00"
        if coltyp == C.JET_coltypDateTime:
            if isinstance(value, _dt.datetime):
                value = datetime_to_ole(value)
            return struct.pack("<d", float(value))
        fmt = _FIXED_FORMATS.get(coltyp)
        if fmt is not None:
            if fmt.format[-1] in "fd":
                return fmt.pack(float(value))
            if isinstance(value, float | str | bytes | bool):
                raise TypeError(f"an int is required, not {type(value).__name__}")
            return fmt.pack(int(value))
        if coltyp == C.JET_coltypGUID:
            u = value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
            return u.bytes_le
        if coltyp in (C.JET_coltypText, C.JET_coltypLongText):
            if not isinstance(value, str):
                raise TypeError(f"a str is required, not {type(value).__name__}")
            return value.encode(codec_of(cp))
        if coltyp in (C.JET_coltypBinary, C.JET_coltypLongBinary, C.JET_coltypSLV):
            if isinstance(value, str):
                raise TypeError("bytes are required, not str")
            return bytes(value)
    except (struct.error, TypeError, ValueError, OverflowError, UnicodeEncodeError) as exc:
        raise_error(C.JET_errInvalidParameter, f"{coltyp_name(coltyp)}: {exc}")
    raise_error(C.JET_errInvalidColumnType, f"coltyp {coltyp}")

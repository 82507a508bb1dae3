"""Python values <-> column bytes, with the Pythonic layer's type checks.

:mod:`pyese.values` converts; this module first checks that a value has a Python type
the column takes, so that a wrong value is a ``TypeError`` naming the column and the
type it expects (not ESE's bare ``JET_errInvalidParameter``), and a value out of the
column's range an ``OverflowError`` naming the column.
"""

from __future__ import annotations

import datetime as _dt
import struct
import uuid
from collections.abc import Callable
from typing import Any

from pyese import values as V
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

_INTS = frozenset({C.JET_coltypUnsignedByte, C.JET_coltypShort, C.JET_coltypLong,
                   C.JET_coltypLongLong, C.JET_coltypUnsignedShort, C.JET_coltypUnsignedLong,
                   C.JET_coltypUnsignedLongLong, C.JET_coltypCurrency})
_FLOATS = frozenset({C.JET_coltypIEEESingle, C.JET_coltypIEEEDouble})
_TEXT = frozenset({C.JET_coltypText, C.JET_coltypLongText})
_BINARY = frozenset({C.JET_coltypBinary, C.JET_coltypLongBinary, C.JET_coltypSLV})

EXPECTED: dict[int, str] = {
    C.JET_coltypBit: "bool",
    C.JET_coltypIEEESingle: "float",
    C.JET_coltypIEEEDouble: "float",
    C.JET_coltypDateTime: "datetime.datetime",
    C.JET_coltypGUID: "uuid.UUID",
    C.JET_coltypText: "str",
    C.JET_coltypLongText: "str",
    C.JET_coltypBinary: "bytes",
    C.JET_coltypLongBinary: "bytes",
}


def expected_type(coltyp: int) -> str:
    """The Python type a column of ``coltyp`` takes, as the error messages name it."""
    return EXPECTED.get(coltyp, "int")


def _accepts(coltyp: int, value: object) -> bool:
    if coltyp in _INTS:
        return isinstance(value, int) and not isinstance(value, bool)
    if coltyp == C.JET_coltypBit:
        return isinstance(value, bool | int)
    if coltyp in _FLOATS:
        return isinstance(value, float | int) and not isinstance(value, bool)
    if coltyp in _TEXT:
        return isinstance(value, str)
    if coltyp in _BINARY:
        return isinstance(value, bytes | bytearray | memoryview)
    if coltyp == C.JET_coltypDateTime:
        return isinstance(value, _dt.datetime)
    if coltyp == C.JET_coltypGUID:
        return isinstance(value, uuid.UUID)
    return False


def encode_value(column: str, coltyp: int, value: Any, cp: int) -> bytes | None:
    """The stored bytes of ``value`` for ``column`` (None is NULL).

    ``TypeError`` names the column and the expected type when ``value`` has another type;
    ``OverflowError`` / ``ValueError`` when it does not fit the column (a 300 in an
    UnsignedByte, text the code page cannot encode).
    """
    if value is None:
        return None
    if not _accepts(coltyp, value):
        raise TypeError(f"column {column!r} ({V.coltyp_name(coltyp)}) expects "
                        f"{expected_type(coltyp)}, not {type(value).__name__}: {value!r:.60}")
    if coltyp in _TEXT and cp == V.CP_UNICODE:
        return value.encode("utf-16-le", "surrogatepass")  # type: ignore[no-any-return]
    try:
        return V.from_python(coltyp, value, cp)
    except JetError as exc:
        if coltyp in _INTS:
            raise OverflowError(f"column {column!r} ({V.coltyp_name(coltyp)}): {value!r} is "
                                f"out of range") from None
        raise ValueError(f"column {column!r} ({V.coltyp_name(coltyp)}): {exc}") from None


def decode_value(coltyp: int, data: bytes | None, cp: int) -> Any:
    """The Python value of stored bytes (None for NULL)."""
    if data is None:
        return None
    if coltyp in _TEXT and cp == V.CP_UNICODE:
        if len(data) % 2:
            data = bytes(data) + b"\x00"
        return bytes(data).decode("utf-16-le", "surrogatepass")
    return V.to_python(coltyp, data, cp)


# ---------------------------------------------------------------- per-column converters
#
# ``encode_value`` / ``decode_value`` decide by coltyp on every call. A table's columns
# never change type, so the layer builds one converter per column once (when it loads the
# table's catalog) and calls it directly. Each converter handles the common Python type
# inline (an ``int`` for an integer column, a ``str`` for Unicode text, ``bytes`` for
# binary) and hands anything else to the general functions above, which check it and
# raise the same errors: the fast path changes the speed, never the result.

Encoder = Callable[[Any], "bytes | None"]
Decoder = Callable[["bytes | None"], Any]


def encoder(column: str, coltyp: int, cp: int) -> Encoder:
    """A function ``value -> stored bytes`` for one column (None is NULL); errors as
    :func:`encode_value`."""

    def general(value: Any) -> bytes | None:
        return encode_value(column, coltyp, value, cp)

    fmt = V._FIXED_FORMATS.get(coltyp)
    if coltyp in _INTS and fmt is not None:
        pack = fmt.pack

        def enc_int(value: Any) -> bytes | None:
            if type(value) is int:
                try:
                    return pack(value)
                except struct.error:
                    pass  # out of range: the general path names the column
            return general(value)

        return enc_int
    if coltyp in _TEXT and cp == V.CP_UNICODE:

        def enc_text(value: Any) -> bytes | None:
            if type(value) is str:
                return value.encode("utf-16-le", "surrogatepass")
            return general(value)

        return enc_text
    if coltyp in _BINARY:

        def enc_bytes(value: Any) -> bytes | None:
            if type(value) is bytes:
                return value
            return general(value)

        return enc_bytes
    if coltyp == C.JET_coltypIEEEDouble:
        pack_d = struct.Struct("<d").pack

        def enc_double(value: Any) -> bytes | None:
            if type(value) is float:
                return pack_d(value)
            return general(value)

        return enc_double
    return general


_OLE_EPOCH = V.OLE_EPOCH
_TIMEDELTA = _dt.timedelta


def ole_datetime(value: float) -> _dt.datetime | float:
    """:func:`pyese.values.ole_to_datetime`, the same result for every float (``nan``
    and the infinities returned as they are, a date out of ``datetime``'s range too), in
    fewer steps: ``int`` truncates as ``math.trunc`` does and raises for exactly the
    values ``math.isfinite`` rejects."""
    try:
        days = int(value)
    except (ValueError, OverflowError):  # nan, +-inf
        return value
    try:
        return _OLE_EPOCH + _TIMEDELTA(days, 0, 0, round(abs(value - days) * 86_400_000))
    except OverflowError:
        return value


def decoder(coltyp: int, cp: int) -> Decoder:
    """A function ``stored bytes -> value`` for one column (None stays None); the same
    results as :func:`decode_value`."""

    def general(data: bytes | None) -> Any:
        return decode_value(coltyp, data, cp)

    fmt = V._FIXED_FORMATS.get(coltyp)
    if fmt is not None and coltyp != C.JET_coltypDateTime:
        unpack = fmt.unpack
        size = fmt.size

        def dec_fixed(data: bytes | None) -> Any:
            if data is not None and len(data) == size:
                return unpack(data)[0]
            return general(data)  # None, or a wrong size: the general path's error

        return dec_fixed
    if fmt is not None:
        unpack_d = fmt.unpack

        def dec_datetime(data: bytes | None) -> Any:
            if data is not None and len(data) == 8:
                return ole_datetime(unpack_d(data)[0])
            return general(data)  # None, or a wrong size: the general path's error

        return dec_datetime
    if coltyp in _TEXT and cp == V.CP_UNICODE:

        def dec_text(data: bytes | None) -> Any:
            if type(data) is bytes and not len(data) & 1:
                return data.decode("utf-16-le", "surrogatepass")
            return general(data)

        return dec_text
    if coltyp in _BINARY:

        def dec_bytes(data: bytes | None) -> Any:
            if type(data) is bytes:
                return data
            return general(data)

        return dec_bytes
    return general


def returns_input(coltyp: int, cp: int) -> type | None:
    """The Python type whose values a column stores and reads back unchanged (an ``int``
    in an integer column, a ``str`` in Unicode text, ``bytes`` in binary), so the layer
    may return the value given instead of decoding what it encoded; None for the others
    (a float in IEEESingle loses precision, a datetime keeps milliseconds)."""
    if coltyp in _INTS:
        return int
    if coltyp in _TEXT and cp == V.CP_UNICODE:
        return str
    if coltyp in _BINARY:
        return bytes
    if coltyp == C.JET_coltypIEEEDouble:
        return float
    return None


# ---------------------------------------------------------------- whole records at once

_STRUCT_CODES: dict[int, str] = {coltyp: fmt.format[-1]
                                 for coltyp, fmt in V._FIXED_FORMATS.items()}
_STRUCT_CODES[C.JET_coltypBit] = "?"  # any non-zero byte is True, as to_python reads it


class LayerValues:
    """How ``pyese.jet.PyeseRetrieveValues`` types values for the layer (an
    ``engine.genuine.rowdecode.ValueTyping``, given duck-typed: the layer does not import
    the engine): per column its converter :func:`decoder` (so every value is exactly what
    the layer makes of the stored bytes: Unicode text with ``surrogatepass``, an odd
    length padded), and for the fixed types ``struct`` reads directly (integers, floats,
    Currency, Bit, DateTime) their ``struct`` code, which :func:`decoder` unpacks with
    too (a DateTime then through :func:`ole_datetime`)."""

    def convert(self, col: Any) -> Callable[[bytes], Any]:
        """bytes -> the layer's value of column ``col`` (its ``coltyp`` and ``cp``)."""
        return decoder(int(col.coltyp), int(col.cp))

    def fixed_code(self, col: Any) -> tuple[str, Callable[[Any], Any] | None] | None:
        """``(struct code, conversion)`` of a fixed column of a type ``struct`` reads."""
        coltyp = int(col.coltyp)
        code = _STRUCT_CODES.get(coltyp)
        if code is None:
            return None
        return code, (ole_datetime if coltyp == C.JET_coltypDateTime else None)


LAYER_VALUES = LayerValues()

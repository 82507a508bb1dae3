"""Python values <-> column bytes, with the Pythonic layer's type checks.

:mod:`pyese.values` converts; this module first checks that a value has a Python type
the column takes, so that a wrong value is a ``TypeError`` naming the column and the
type it expects (not ESE's bare ``JET_errInvalidParameter``), and a value out of the
column's range an ``OverflowError`` naming the column.
"""

from __future__ import annotations

import datetime as _dt
import uuid
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

"""``pyese.values``' Python values for the engine's whole-record decoder.

``engine.genuine.rowdecode.RowDecoder`` decodes a record's columns in one pass; the engine
knows ESE's bytes, not Python's value types, so the typing comes from this layer:
:class:`PythonValues` gives, per column, the conversion ``pyese.values.to_python`` makes,
and for fixed columns whose bytes ``struct`` reads directly (integers, floats, Bit,
DateTime) the ``struct`` code, so that the fixed area becomes Python values in one call.
The values are exactly ``to_python``'s (``tests/engine/test_rowdecode.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyese.engine.schema.schema import ColumnDef
from pyese.jethdr import constants as C
from pyese.values import CP_UNICODE, codec_of, ole_to_datetime, to_python

STRUCT_CODES: dict[int, str] = {
    C.JET_coltypBit: "?",
    C.JET_coltypUnsignedByte: "B",
    C.JET_coltypShort: "h",
    C.JET_coltypLong: "i",
    C.JET_coltypCurrency: "q",
    C.JET_coltypIEEESingle: "f",
    C.JET_coltypIEEEDouble: "d",
    C.JET_coltypDateTime: "d",
    C.JET_coltypUnsignedLong: "I",
    C.JET_coltypLongLong: "q",
    C.JET_coltypUnsignedShort: "H",
    C.JET_coltypUnsignedLongLong: "Q",
}
"""Column types whose bytes ``struct`` turns into ``to_python``'s value (a Bit: any non-zero
byte is True; a DateTime then goes through ``ole_to_datetime``)."""


def text_decoder(cp: int) -> Callable[[bytes], str]:
    """bytes -> str as ``to_python`` decodes text of code page ``cp`` (invalid bytes
    replaced; an unknown code page raises ``JET_errInvalidCodePage`` per value)."""
    codec = codec_of(cp)
    try:
        "".encode(codec)
    except LookupError:
        return lambda b: to_python(C.JET_coltypText, b, cp)
    if cp == CP_UNICODE:
        def utf16(b: bytes) -> str:
            if len(b) % 2:
                b = b + b"\x00"  # ESE's " \0" padding cut at an odd cbMax
            return b.decode("utf-16-le", "replace")
        return utf16
    return lambda b: b.decode(codec, "replace")


class PythonValues:
    """A ``rowdecode.ValueTyping``: the values of ``pyese.values.to_python``."""

    def convert(self, col: ColumnDef) -> Callable[[bytes], Any]:
        t = col.coltyp
        if t in (C.JET_coltypText, C.JET_coltypLongText):
            return text_decoder(col.cp)
        if t in (C.JET_coltypBinary, C.JET_coltypLongBinary):
            return bytes
        cp = col.cp
        return lambda b: to_python(t, b, cp)

    def fixed_code(self, col: ColumnDef) -> tuple[str, Callable[[Any], Any] | None] | None:
        code = STRUCT_CODES.get(col.coltyp)
        if code is None:
            return None
        return code, (ole_to_datetime if col.coltyp == C.JET_coltypDateTime else None)


PYTHON_VALUES = PythonValues()

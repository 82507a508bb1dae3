"""One function per projection that turns a ``PyeseRetrieveRows`` row into a dict.

``Table.range`` reads rows a page at a time as tuples of stored bytes (bookmark first,
then one item per column: ``bytes``, None for NULL, a list of ``bytes`` for a
multi-valued column). Decoding them value by value through the per-column converters of
:mod:`pyese._codec` costs a Python call per value, which on a wide genuine table is
most of the layer's time. A projection's columns and their types are fixed for the
whole range, so :func:`row_decoder` writes, once per projection, a function whose body
decodes every column in line:

- a NULL is None without any call;
- a fixed-size value (integers, floats, Currency, DateTime) is a ``struct`` unpack (a C
  call) in line, without a length test: ``Struct.unpack`` raises ``struct.error`` for
  any other size, and then the whole row is decoded again value by value by the
  converters, which raise their own error; DateTime then goes through
  :func:`pyese._codec.ole_datetime`; a Bit of one byte is a byte test;
- Unicode text of an even length is ``bytes.decode`` in line, binary ``bytes`` is
  returned as it is;
- anything else (a wrong size, an odd-length text, other types, each value of a
  multi-valued column) goes to the column's converter (``ColMeta.dec``).

The in-line paths test exactly what the converters' own fast paths test and the
fallback is the converter itself, so the results (and the errors) are the same as
decoding value by value: only the speed differs. The generated source holds column
names only as ``repr`` literals and refers to everything else through its namespace.

:func:`row_decoder` also reads rows without a bookmark (a temporary table's pages), and
:func:`row_encoder` is the other way round for one shape of row (the same names in the
same order): a mapping's values -> the list of stored bytes, one per column of the
table, that ``PyeseInsertValues`` takes, the encoders' fast paths in line (an ``int``
in range packed, a ``str`` encoded, ``bytes`` as they are) and the column's converter
(``ColMeta.enc``, the same results and ``TypeError`` / ``OverflowError``) for the rest.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pyese import values as V
from pyese._codec import _BINARY, _INTS, _TEXT, Decoder, Encoder, ole_datetime
from pyese.jethdr import constants as C

RowDecoder = Callable[[Sequence[Any]], dict[str, Any]]


def _expression(i: int, coltyp: int, cp: int, multi: bool, ns: dict[str, Any]) -> str:
    """The expression decoding local ``v{i}`` (not None) of one column."""
    v, d = f"v{i}", f"d{i}"
    if multi:
        return f"[{d}(r) for r in {v}]"
    fmt = V._FIXED_FORMATS.get(coltyp)
    if fmt is not None:
        ns[f"u{i}"] = fmt.unpack
        got = f"u{i}({v})[0]"
        return f"ole({got})" if coltyp == C.JET_coltypDateTime else got
    if coltyp == C.JET_coltypBit:
        return f"({v}[0] != 0 if len({v}) == 1 else {d}({v}))"
    if coltyp in _TEXT and cp == V.CP_UNICODE:
        return (f"({v}.decode('utf-16-le', 'surrogatepass') "
                f"if type({v}) is bytes and not len({v}) & 1 else {d}({v}))")
    if coltyp in _BINARY:
        return f"({v} if type({v}) is bytes else {d}({v}))"
    return f"{d}({v})"


def _slow_decoder(columns: Sequence[tuple[str, int, int, bool, Decoder]],
                  skip: int) -> RowDecoder:
    """The same decoding value by value through the converters (their errors)."""
    plan = [(name, multi, dec) for name, _coltyp, _cp, multi, dec in columns]

    def decode(row: Sequence[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for (name, multi, dec), v in zip(plan, row[skip:], strict=True):
            out[name] = None if v is None else [dec(r) for r in v] if multi else dec(v)
        return out
    return decode


def row_decoder(columns: Sequence[tuple[str, int, int, bool, Decoder]],
                bookmark: bool = True) -> RowDecoder:
    """A function ``row -> {name: value}`` for rows of ``(bookmark, value, ...)`` (or of
    ``(value, ...)`` when ``bookmark`` is False) whose values are the ``columns`` given as
    ``(name, coltyp, cp, multi-valued, converter)``, in that order. A row of another
    length raises ``ValueError``."""
    ns: dict[str, Any] = {"ole": ole_datetime, "bytes": bytes, "len": len,
                          "type": type}
    items = []
    for i, (name, coltyp, cp, multi, dec) in enumerate(columns):
        ns[f"d{i}"] = dec
        items.append(f"        {str(name)!r}: None if v{i} is None else "
                     f"{_expression(i, coltyp, cp, multi, ns)},")
    targets = "".join(f", v{i}" for i in range(len(columns)))
    ns["struct_error"] = struct.error
    ns["slow"] = _slow_decoder(columns, 1 if bookmark else 0)
    unpack = f"_bookmark{targets}," if bookmark else targets[2:] + ","
    src = ("def decode(row):\n"
           f"    {unpack} = row\n"
           "    try:\n"
           "        return {\n" + "\n".join(items) + "\n        }\n"
           "    except struct_error:\n"
           "        return slow(row)  # a fixed-size value of another size\n")
    exec(compile(src, "<pyese row decoder>", "exec"), ns)  # noqa: S102 - source built above
    fn: RowDecoder = ns["decode"]
    return fn


PageDecoder = Callable[[Sequence[Sequence[Any]]], list[dict[str, Any]]]


def page_decoder(columns: Sequence[tuple[str, int, int, bool, Decoder]],
                 bookmark: bool = True) -> PageDecoder:
    """:func:`row_decoder` for a whole page of rows at once (one call per page, not per
    row): ``rows -> [{name: value}, ...]``, the same values and errors; a page holding a
    fixed-size value of another size is decoded row by row by :func:`row_decoder`."""
    one = row_decoder(columns, bookmark)
    if not columns:
        return lambda rows: [one(row) for row in rows]
    ns: dict[str, Any] = {"ole": ole_datetime, "bytes": bytes, "len": len,
                          "type": type, "struct_error": struct.error, "one": one}
    items = []
    for i, (name, coltyp, cp, multi, dec) in enumerate(columns):
        ns[f"d{i}"] = dec
        items.append(f"{str(name)!r}: None if v{i} is None else "
                     f"{_expression(i, coltyp, cp, multi, ns)}")
    targets = ", ".join(f"v{i}" for i in range(len(columns)))
    unpack = f"_bookmark, {targets}" if bookmark else f"{targets},"
    src = ("def decode_page(rows):\n"
           "    try:\n"
           f"        return [{{{', '.join(items)}}} for ({unpack}) in rows]\n"
           "    except struct_error:\n"
           "        return [one(row) for row in rows]  # a fixed-size value of another size\n")
    exec(compile(src, "<pyese page decoder>", "exec"), ns)  # noqa: S102 - source built above
    fn: PageDecoder = ns["decode_page"]
    return fn


# ---------------------------------------------------------------- the other way round

RowEncoder = Callable[[Mapping[str, Any]], list["bytes | None"]]

_INT_RANGES = {"b": (-(1 << 7), 1 << 7), "B": (0, 1 << 8), "h": (-(1 << 15), 1 << 15),
               "H": (0, 1 << 16), "i": (-(1 << 31), 1 << 31), "I": (0, 1 << 32),
               "q": (-(1 << 63), 1 << 63), "Q": (0, 1 << 64)}


def _encode_expression(i: int, coltyp: int, cp: int, ns: dict[str, Any]) -> str:
    """The expression encoding local ``v{i}`` of one column: the converter's own fast
    path in line (an ``int`` in range of an integer column, a ``str`` for Unicode text,
    ``bytes`` for binary), the converter ``e{i}`` for anything else (None included)."""
    v, e = f"v{i}", f"e{i}"
    fmt = V._FIXED_FORMATS.get(coltyp)
    if fmt is not None and coltyp in _INTS:
        lo, hi = _INT_RANGES[fmt.format[-1]]
        ns[f"p{i}"] = fmt.pack
        return f"(p{i}({v}) if type({v}) is int and {lo} <= {v} < {hi} else {e}({v}))"
    if coltyp in _TEXT and cp == V.CP_UNICODE:
        return (f"({v}.encode('utf-16-le', 'surrogatepass') if type({v}) is str "
                f"else {e}({v}))")
    if coltyp in _BINARY:
        return f"({v} if type({v}) is bytes else {e}({v}))"
    return f"{e}({v})"


def row_encoder(columns: Sequence[tuple[int, int, int, Encoder]], width: int
                ) -> RowEncoder:
    """A function ``row -> [stored bytes or None] * width`` for rows (mappings) whose
    values come in the order of ``columns``, each given as ``(position in the result,
    coltyp, cp, converter)``; positions no column names are None. The converters' fast
    paths run in line and everything else goes to the converter itself, so the results
    and the errors (``TypeError`` naming the column...) are the converters'. The caller
    makes sure the row has exactly these names in this order."""
    ns: dict[str, Any] = {"type": type, "str": str, "bytes": bytes, "int": int}
    slots = ["None"] * width
    lines = []
    for i, (pos, coltyp, cp, enc) in enumerate(columns):  # in the row's order: its errors
        ns[f"e{i}"] = enc
        lines.append(f"    v{i} = {_encode_expression(i, coltyp, cp, ns)}\n")
        slots[pos] = f"v{i}"
    targets = ", ".join(f"v{i}" for i in range(len(columns)))
    src = ("def encode(row):\n"
           f"    {targets}, = row.values()\n" + "".join(lines) +
           f"    return [{', '.join(slots)}]\n")
    exec(compile(src, "<pyese row encoder>", "exec"), ns)  # noqa: S102 - source built above
    fn: RowEncoder = ns["encode"]
    return fn

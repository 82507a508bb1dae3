"""Bulk rows to sort records and back, at the speed a sort needs.

The bulk paths of a temporary table (:func:`pyese.engine.temp.insert_rows` and
:func:`~pyese.engine.temp.read_rows`, what the Pythonic layer uses) turn each row of
column values into a record image and its normalized key, and each record back into
values. Doing that through ``RecordImage`` (one ``set`` per value, then ``to_bytes``) and
``keys.retrieve_key`` costs about ten times the sort itself. This module builds, once per
(table, column list), two small functions specialised to that list:

- ``encode(rows, keys, datas)`` appends the key and the record image of each row (or
  ``encode_joined(rows, recs)`` key + record image, a sort's record), and
  stops at the first row it cannot take, returning it: a NULL value, a fixed value of the
  wrong size, a variable value longer than its ``cbMax``, or a row of the wrong length.
  The caller builds that row the ordinary way (``RecordImage``, ``retrieve_key``: same
  bytes, same errors and warnings) and calls ``encode`` again for the rest.
- ``decode(data)`` returns the requested values of a record whose header is the one a
  record with every fixed and variable column set has and whose requested values are not
  NULL, else None (the caller then reads the record with ``RecordLayout.retrieve``).

What the fast encoder produces is exactly what ``RecordImage`` produces for the same
values set in any order (``fldmod.cxx`` ErrRECISetIFixedColumn / ErrRECISetVarColumn): the
fixed area up to the last fixed column set, columns not set filled with ``chRECFill`` and
their NULL bit set, whole new bitmap bytes ``0xff``; one end offset per variable column up
to the last one set, a column not set being a NULL offset. The key is ESE's normalized key
(``keys.py``'s own per-type functions, ``SegmentSpec.fixed_norm``) when every key column
is fixed-size; a key with a text or binary column goes through ``retrieve_key`` per row.
Tagged, long-value and Bit columns, and tables with a NotNULL column left out of the
list, get no fast encoder (``build_encoder`` returns None). Both functions are checked
against the ordinary path by ``tests/temptable/test_rowcodec.py``.

The functions are generated Python source compiled once (as ``dataclasses`` and
``namedtuple`` do): a loop with one local per column is what makes them fast.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pyese.engine.records.keys import KeyNormalizer, invert
from pyese.engine.records.record import (
    CH_REC_FILL,
    VAR_NULL_BIT,
    VAR_OFFSET_MASK,
    RecordLayout,
)
from pyese.engine.schema.schema import TAGGED_FIRST, VAR_FIRST
from pyese.jethdr import constants as C

Decoder = Callable[[bytes], "tuple[bytes, ...] | None"]

_HDR = struct.Struct("<BBH")


_INT_KEYS = {
    C.JET_coltypShort: (2, True), C.JET_coltypLong: (4, True),
    C.JET_coltypLongLong: (8, True), C.JET_coltypCurrency: (8, True),
    C.JET_coltypUnsignedShort: (2, False), C.JET_coltypUnsignedLong: (4, False),
    C.JET_coltypUnsignedLongLong: (8, False), C.JET_coltypUnsignedByte: (1, False),
}
"""Integer types whose key segment the encoder computes with one unpack and one pack (the
same bytes as ``keys.py``'s FLDNormalizeFixedSegment: big-endian, sign bit flipped)."""
_STRUCT_CHAR = {1: "B", 2: "H", 4: "I", 8: "Q"}


def build_encoder(layout: RecordLayout, columnids: Sequence[int], kn: KeyNormalizer | None,
                  key_cids: Sequence[int], record_most: int) -> RowEncoder | None:
    """The fast encoder for rows of ``columnids`` (see the module docstring), or None."""
    cids = [c & 0xFFFF for c in columnids]
    if not cids or len(set(cids)) != len(cids):
        return None
    for c in cids:
        col = layout.columns.get(c)
        if col is None or c >= TAGGED_FIRST or col.coltyp == C.JET_coltypBit:
            return None
    for col in layout.columns.values():
        if col.grbit & C.JET_bitColumnNotNULL and col.columnid & 0xFFFF not in cids:
            return None
    key_expr = _key_expression(layout, cids, kn, key_cids) if kn is not None else "b''"
    if key_expr is None:
        return None
    names = [f"v{i}" for i in range(len(cids))]
    env: dict[str, Any] = {"_rec_most": record_most, **_KEY_ENV}
    checks: list[str] = []  # every column gets a len() check: len(None) is the NULL test
    # one struct.pack for the header, the fixed area, the bitmap and the variable offsets
    fixed = sorted(c for c in cids if c < VAR_FIRST)
    flast = fixed[-1] if fixed else 0
    fmt = ["<BBH"]
    args: list[str] = []
    fill = 0
    for fid in range(1, flast + 1):
        size = layout.fixed_sizes[fid]
        if fid in cids:
            if fill:
                fmt.append(f"{fill}s")
                args.append(repr(bytes((CH_REC_FILL,)) * fill))
                fill = 0
            n = names[cids.index(fid)]
            checks.append(f"len({n}) != {size}")
            fmt.append(f"{size}s")
            args.append(n)
        else:
            fill += size
    bitmap = bytearray(b"\xff" * ((flast + 7) >> 3))
    for fid in fixed:
        bitmap[(fid - 1) >> 3] &= ~(1 << ((fid - 1) & 7)) & 0xFF
    if bitmap:
        fmt.append(f"{len(bitmap)}s")
        args.append(repr(bytes(bitmap)))
    ib_end_fixed = (layout.fixed_offsets[flast + 1] if flast else 4) + len(bitmap)
    var = sorted(c for c in cids if VAR_FIRST <= c < TAGGED_FIRST)
    vlast = var[-1] if var else VAR_FIRST - 1
    head = [str(flast), str(vlast), str(ib_end_fixed)]
    ends: list[str] = []
    vparts: list[str] = []
    for fid in var:
        n = names[cids.index(fid)]
        checks.append(f"len({n}) > {layout.columns[fid].cbMax or 255}")
        vparts.append(n)
        ends.append(f"e{fid} = {' + '.join(f'len({v})' for v in vparts)}")
    for fid in range(VAR_FIRST, vlast + 1):
        fmt.append("H")
        args.append(f"e{fid}" if fid in cids else f"{_last_end(fid, cids)} | {VAR_NULL_BIT}")
    env["_pack"] = struct.Struct("".join(fmt)).pack
    packed = "_pack(" + ", ".join(head + args) + ")"
    too_big = layout.fixed_offsets[flast + 1] + 257 * len(var) > record_most

    def variant(header: list[str], refuse: str, take: list[str], end: list[str]) -> list[str]:
        """One encoder: ``refuse`` is what it does with a row it cannot take."""
        lines = [*header,
                 "    for row in rows:",
                 "        try:",
                 f"            {', '.join(names)}, = row",
                 f"            if {' or '.join(checks)}:",
                 f"                {refuse}",
                 "        except (TypeError, ValueError):  # a NULL (len(None)), another length",
                 f"            {refuse}"]
        lines += [f"        {line}" for line in ends]
        lines.append("        data = " + " + ".join([packed, *vparts]))
        if too_big:
            lines += ["        if len(data) > _rec_most:", f"            {refuse}"]
        return lines + [f"        {line}" for line in take] + end

    source = [
        *variant(["def encode(rows, keys, datas):", "    add_key = keys.append",
                  "    add_data = datas.append"], "return row",
                 [f"add_key({key_expr})", "add_data(data)"], ["    return None"]),
        *variant(["def encode_joined(rows, recs):", "    add = recs.append"], "return row",
                 [f"add({key_expr} + data)"], ["    return None"]),
        *variant(["def encode_each(rows):"], "yield None, row; continue",
                 [f"yield {key_expr}, data"], []),
    ]
    exec("\n".join(source), env)  # noqa: S102 -- generated from the layout above only
    return RowEncoder(env["encode"], env["encode_joined"], env["encode_each"],
                      _constant_key_length(layout, cids, kn, key_cids) if kn is not None else 0)


def _constant_key_length(layout: RecordLayout, cids: list[int], kn: KeyNormalizer,
                         key_cids: Sequence[int]) -> int:
    """The length of every key the fast encoder makes: fixed-size segments, a column
    left out of the row being a one-byte NULL segment."""
    return sum(1 + layout.columns[c & 0xFFFF].fixed_size if c & 0xFFFF in cids else 1
               for c in key_cids)


@dataclass(frozen=True)
class RowEncoder:
    """The fast encoders of one column list: ``split(rows, keys, datas)`` appends keys and
    record images to two lists; ``joined(rows, recs)`` appends key + record image (a
    sort's record) to one; both return the first row they cannot take, or None. Every key
    they make is ``klen`` bytes long."""

    split: Callable[..., Any]
    joined: Callable[..., Any]
    each: Callable[..., Any]
    """``each(rows)`` yields (key, record image) per row, or (None, row) for a row it
    cannot take; it reads ``rows`` one at a time."""
    klen: int


def _key_expression(layout: RecordLayout, cids: list[int], kn: KeyNormalizer,
                    key_cids: Sequence[int]) -> str | None:
    """Python source for the normalized key of a row (locals v0, v1...), or None when a
    key column is not fixed-size or the key might not fit ``cbKeyMost`` (truncation)."""
    if sum(1 + layout.columns[c & 0xFFFF].fixed_size for c in key_cids) > kn.cb_key_most:
        return None
    segs: list[str] = []
    env = _KEY_ENV
    for spec, kc in zip(kn.segments, key_cids, strict=True):
        if spec.fixed_norm is None or spec.multivalued:
            return None
        fid = kc & 0xFFFF
        if fid not in cids:
            null = kn.null_segment(spec.coltyp, False)
            segs.append(repr(invert(null) if spec.descending else null))
            continue
        n = f"v{cids.index(fid)}"
        if spec.coltyp in _INT_KEYS:
            size, signed = _INT_KEYS[spec.coltyp]
            ch = _STRUCT_CHAR[size]
            flip = f" ^ {1 << (8 * size - 1)}" if signed else ""
            if spec.descending:  # every byte inverted, header included
                seg = f"_kp{ch}(128, _ku{ch}({n})[0]{flip} ^ {(1 << (8 * size)) - 1})"
            else:
                seg = f"_kp{ch}(127, _ku{ch}({n})[0]{flip})"
        else:
            name = f"_kf{spec.coltyp}_{int(bool(kn.index.grbit & C.JET_bitIndexDotNetGuid))}"
            env[name] = spec.fixed_norm
            seg = f"{name}({n})"
            if spec.descending:
                seg = f"_inv({seg})"
        segs.append(seg)
    return " + ".join(segs) if segs else "b''"


_KEY_ENV: dict[str, Any] = {"_inv": invert}
for _size, _ch in _STRUCT_CHAR.items():
    _KEY_ENV[f"_kp{_ch}"] = struct.Struct(f">B{_ch}").pack
    _KEY_ENV[f"_ku{_ch}"] = struct.Struct(f"<{_ch}").unpack


def _last_end(fid: int, cids: list[int]) -> str:
    """The end offset a NULL variable column repeats: that of the last column set before it."""
    before = [c for c in cids if VAR_FIRST <= c < fid]
    return f"e{max(before)}" if before else "0"


def build_decoder(layout: RecordLayout, columnids: Sequence[int],
                  shift: int = 0) -> Decoder | None:
    """The fast decoder of ``columnids`` (see the module docstring), or None. With
    ``shift`` it reads a record that starts ``shift`` bytes into its argument (a sort's
    record held as key then data).

    One ``unpack_from`` reads the header, the bitmap bytes of the requested fixed columns
    and every variable end offset; the record is taken when the header is that of a
    record with every fixed and variable column present and no requested value is NULL.
    """
    cids = [c & 0xFFFF for c in columnids]
    if not cids or any(c >= TAGGED_FIRST or c not in layout.columns for c in cids):
        return None
    k = shift
    flast, vlast = layout.fid_fixed_last, layout.fid_var_last
    ib_bitmap = layout.fixed_offsets[flast + 1] if flast else 4
    ib_end_fixed = ib_bitmap + ((flast + 7) >> 3)
    nvar = vlast - VAR_FIRST + 1
    ib_var = ib_end_fixed + 2 * nvar
    masks: dict[int, int] = {}
    for c in cids:
        if c < VAR_FIRST:
            masks[(c - 1) >> 3] = masks.get((c - 1) >> 3, 0) | 1 << ((c - 1) & 7)
    fmt = ["<BBH"]
    names = ["f", "v", "ib"]
    tests = [f"f != {flast}", f"v != {vlast}", f"ib != {ib_end_fixed}"]
    at = 4
    for byte in sorted(masks):
        fmt.append(f"{ib_bitmap + byte - at}xB")
        names.append(f"b{byte}")
        tests.append(f"b{byte} & {masks[byte]}")
        at = ib_bitmap + byte + 1
    wanted_var = sorted({c for c in cids if c >= VAR_FIRST})
    if wanted_var:
        fmt.append(f"{ib_end_fixed - at}x{nvar}H")
        names += [f"e{fid}" for fid in range(VAR_FIRST, vlast + 1)]
        tests.append(f"({' | '.join(f'e{c}' for c in wanted_var)}) & {VAR_NULL_BIT}")
    env: dict[str, Any] = {"_unpack": struct.Struct("".join(fmt)).unpack_from,
                           "_error": struct.error}
    lines = ["def decode(d):",
             "    try:",
             f"        {', '.join(names)}, = _unpack(d, {k})",
             "    except _error:",
             "        return None",
             f"    if {' or '.join(tests)}:",
             "        return None"]
    out = []
    base = k + ib_var
    for c in cids:
        if c < VAR_FIRST:
            ib = k + layout.fixed_offsets[c]
            out.append(f"d[{ib}:{ib + layout.fixed_sizes[c]}]")
        else:
            start = f"{base} + (e{c - 1} & {VAR_OFFSET_MASK})" if c > VAR_FIRST else f"{base}"
            out.append(f"d[{start}:{base} + e{c}]")
    lines.append(f"    return ({', '.join(out)},)")
    exec("\n".join(lines), env)  # noqa: S102 -- generated from the layout above only
    return env["decode"]  # type: ignore[no-any-return]

"""Normalized index keys, byte-identical to ESE's (``fldnorm.cxx``, ``normu.cxx``, ``norm.cxx``).

A key is the concatenation of one *segment* per index column, compared byte-wise. Each
segment starts with a header byte::

    0x7F data follows      0x00 NULL      0xC0 NULL (JET_bitIndexSortNullsHigh)
    0x40 zero-length value (Text/Binary only; the segment is that single byte)

Data bytes per column type (FLDNormalizeFixedSegment / FLDNormalizeBinarySegment /
ErrFLDNormalizeTextSegment):

* Bit ``00``/``FF``; UnsignedByte as is; signed integers big-endian with the sign bit
  flipped; unsigned integers big-endian; IEEE floats and DateTime: negative values have
  every bit inverted, others the sign bit flipped; GUID reordered to string order
  (``[10..15, 8, 9, 6, 7, 4, 5, 0..3]``; DotNetGuid ``[3, 2, 1, 0, 5, 4, 7, 6, 8..15]``).
* Fixed Binary/Text: the stored cbMax bytes (text padded with spaces when set).
* Variable/tagged Binary: 8-byte chunks each followed by ``09``; the last chunk is
  zero-padded and followed by its length (an exact 8-byte last chunk gets ``08``, or
  ``09`` when the column was cut short); when key space ends mid-chunk the remaining
  space takes raw bytes and no length byte.
* ASCII text (cp 1252): bytes up to the first NUL with only a..z upper-cased, then
  ``00``. If it does not fit, (space - 1) bytes are kept and the next source byte minus
  0x20 (ESE's "broken toupper") is written with no terminator.
* Unicode text (cp 1200): the sort key of :mod:`pyese.engine.records.keys_text`.
* A descending segment has every byte, header included, XOR'ed with 0xFF.

Key size: segments are appended up to ``cbKeyMost``. ``cbVarSegMac`` (when smaller than
cbKeyMost) caps each text/binary segment silently. Legacy indexes (cbKeyMost 255) cut the
source text to 255 bytes before normalizing (254 for Unicode: whole characters of the
first 255 bytes); larger indexes read more source data while the key is not yet full
(ErrRECIRetrieveKey's cbDataMost doubling, reproduced exactly). Truncation is reported to
the caller and with JET_bitIndexDisallowTruncation raises JET_errKeyTruncated.

The public entry points are :func:`retrieve_key` (a record's key for given values, ESE's
ErrRECIIRetrieveKey), :class:`KeyBuilder` (JetMakeKey per cursor), :func:`column_from_key`
(JET_bitRetrieveFromIndex) and :func:`normalizer` (the per-index precomputed state).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import ClassVar, Final

from pyese.engine.records import keys_text
from pyese.engine.schema.schema import (
    FIXED_SIZES,
    IndexDef,
    IndexSegment,
    is_fixed_columnid,
    is_tagged_columnid,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

PREFIX_NULL: Final = 0x00
PREFIX_ZERO_LENGTH: Final = 0x40
PREFIX_NULL_HIGH: Final = 0xC0
PREFIX_DATA: Final = 0x7F
SENTINEL: Final = 0xFF
CB_BINARY_CHUNK: Final = 8
CB_BINARY_CHUNK_NORMALIZED: Final = 9
CB_KEY_MOST_OLD: Final = C.JET_cbKeyMost_OLD

TUPLE_DEFAULTS: Final = (3, 10, 0x7FFF, 1, 0)
"""(chLengthMin, chLengthMax, chToIndexMax, cchIncrement, ichStart) (ESE ``idb.hxx``)."""

_TEXT = frozenset({C.JET_coltypText, C.JET_coltypLongText})
_BINARY = frozenset({C.JET_coltypBinary, C.JET_coltypLongBinary})
_UPPER_ASCII = bytes(b - 0x20 if 0x61 <= b <= 0x7A else b for b in range(256))
_INVERT = bytes(255 - b for b in range(256))
_GUID_ORDER = operator.itemgetter(10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3)
_DOTNET_GUID_ORDER = operator.itemgetter(3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15)


class FallBackToRecord:
    """Sentinel type: the value cannot be rebuilt from the key (ESE errDIRNoShortCircuit)."""

    _instance: ClassVar[FallBackToRecord | None] = None

    def __new__(cls) -> FallBackToRecord:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "FALL_BACK_TO_RECORD"


FALL_BACK_TO_RECORD: Final = FallBackToRecord()


def invert(seg: bytes) -> bytes:
    """Complement every byte (the descending transform; also its inverse)."""
    return seg.translate(_INVERT)


def text_column_padding(data: bytes, cb_max: int, cp: int) -> bytes:
    """Pad a fixed Text value to ``cb_max`` with spaces (ESE ``rec.hxx`` RECTextColumnPadding).

    For cp 1200 the fill repeats the bytes of L' ' (``20 00``) by absolute byte position.
    """
    if cp == 1200:
        fill = b" \x00"
        return data + bytes(fill[i % 2] for i in range(len(data), cb_max))
    return data + b" " * (cb_max - len(data))


# ---------------------------------------------------------------- fixed-size segments


def _fixed_normalizer(coltyp: int, dotnet_guid: bool) -> Callable[[bytes], bytes] | None:
    """FLDNormalizeFixedSegment for one type: little-endian value -> segment with header."""
    head = b"\x7f"
    if coltyp == C.JET_coltypBit:
        return lambda b: b"\x7f\x00" if b[0] == 0 else b"\x7f\xff"
    if coltyp == C.JET_coltypUnsignedByte:
        return lambda b: head + b[:1]
    signed = {C.JET_coltypShort: 2, C.JET_coltypLong: 4, C.JET_coltypLongLong: 8,
              C.JET_coltypCurrency: 8}
    unsigned = {C.JET_coltypUnsignedShort: 2, C.JET_coltypUnsignedLong: 4,
                C.JET_coltypUnsignedLongLong: 8}
    floats = {C.JET_coltypIEEESingle: 4, C.JET_coltypIEEEDouble: 8, C.JET_coltypDateTime: 8}
    if coltyp in signed:
        n = signed[coltyp]
        high = 1 << (8 * n - 1)
        return lambda b: head + (int.from_bytes(b, "little") ^ high).to_bytes(n, "big")
    if coltyp in unsigned:
        n = unsigned[coltyp]
        return lambda b: head + b[n - 1 :: -1]
    if coltyp in floats:
        n = floats[coltyp]
        high = 1 << (8 * n - 1)
        mask = (1 << (8 * n)) - 1

        def norm_float(b: bytes) -> bytes:
            v = int.from_bytes(b, "little")
            v = (~v & mask) if v & high else (v ^ high)
            return head + v.to_bytes(n, "big")

        return norm_float
    if coltyp == C.JET_coltypGUID:
        order = _DOTNET_GUID_ORDER if dotnet_guid else _GUID_ORDER
        return lambda b: head + bytes(order(b))
    return None


# ---------------------------------------------------------------- binary segments


def normalize_binary(
    data: bytes, cb_key_avail: int, cb_key_most: int, cb_var_seg_mac: int, fixed: bool
) -> tuple[bytes, bool, int]:
    """FLDNormalizeBinarySegment: (segment with header, column truncated, delimiter offset).

    ``cb_var_seg_mac`` is the effective cap (cbKeyMost+1 when the index sets none). The
    delimiter is the offset within the segment where the value's real bytes end in its
    last chunk (0 when that chunk was not reached); JetMakeKey's partial limits use it.
    """
    truncated = False
    if fixed:
        cb_seg = len(data) + 1
        if cb_var_seg_mac < cb_key_most and cb_seg > cb_var_seg_mac:
            cb_seg = cb_var_seg_mac
        if cb_seg > cb_key_avail:
            cb_seg = cb_key_avail
            truncated = True
        return b"\x7f" + data[: cb_seg - 1], truncated, 0
    n = len(data)
    whole = True
    cb_seg = ((n + CB_BINARY_CHUNK - 1) // CB_BINARY_CHUNK) * CB_BINARY_CHUNK_NORMALIZED + 1
    if cb_var_seg_mac < cb_key_most and cb_seg > cb_var_seg_mac:
        cb_seg = cb_var_seg_mac
        whole = False
    if cb_seg > cb_key_avail:
        cb_seg = cb_key_avail
        whole = False
        truncated = True
    full_chunks, remaining = divmod(cb_seg - 1, CB_BINARY_CHUNK_NORMALIZED)
    out = bytearray(b"\x7f")
    delimiter = 0
    pos = 0
    for _ in range(full_chunks):
        if n - pos <= CB_BINARY_CHUNK:
            last = data[pos:]
            out += last
            delimiter = len(out)
            if len(last) == CB_BINARY_CHUNK:
                out.append(CB_BINARY_CHUNK if whole else CB_BINARY_CHUNK_NORMALIZED)
            else:
                out += bytes(CB_BINARY_CHUNK - len(last))
                out.append(len(last))
            pos = n
        else:
            out += data[pos : pos + CB_BINARY_CHUNK]
            out.append(CB_BINARY_CHUNK_NORMALIZED)
            pos += CB_BINARY_CHUNK
    if remaining:
        left = n - pos
        if left >= remaining:
            out += data[pos : pos + remaining]
        else:
            delimiter = len(out) + left
            out += data[pos:]
            out += bytes(remaining - left)
    return bytes(out), truncated, delimiter


# ---------------------------------------------------------------- text segments


def normalize_ascii(text: bytes, cb_key_buf_left: int) -> tuple[bytes, bool]:
    """ErrUtilNormText (``normu.cxx``): (normalized bytes without header, wrnFLDKeyTooBig)."""
    n = len(text)
    if cb_key_buf_left > n:
        nul = text.find(0)
        if nul >= 0:
            text = text[:nul]
        return text.translate(_UPPER_ASCII) + b"\x00", False
    if cb_key_buf_left <= 0:
        return b"", False
    m = cb_key_buf_left - 1
    head = text[:m]
    nul = head.find(0)
    if nul >= 0:
        return head[:nul].translate(_UPPER_ASCII) + b"\x00", False
    if text[m] != 0:
        return head.translate(_UPPER_ASCII) + bytes(((text[m] - 0x20) & 0xFF,)), True
    return head.translate(_UPPER_ASCII) + b"\x00", False


@dataclass(frozen=True, slots=True)
class TextLocale:
    """The Unicode normalization settings of an index (ESE's NORM_LOCALE_VER)."""

    locale: str = keys_text.LOCALE_NAME_DEFAULT
    lcmap_flags: int = keys_text.LCMAP_FLAGS_DEFAULT


def normalize_text(
    data: bytes,
    cb_key_avail: int,
    cb_key_most: int,
    cb_var_seg_mac: int,
    cp: int,
    nlv: TextLocale,
) -> tuple[bytes, bool]:
    """ErrFLDNormalizeTextSegment: (segment with header, column truncated by key space)."""
    cb_t = min(cb_key_avail, cb_var_seg_mac) - 1
    cb_char = 2 if cp == 1200 else 1
    cb_field = (len(data) // cb_char) * cb_char
    if cb_key_most == CB_KEY_MOST_OLD:
        cb_field = min(cb_field, ((cb_key_most + cb_char - 1) // cb_char) * cb_char)
    if cp == 1200:
        key = keys_text.sort_key(data[:cb_field], nlv.lcmap_flags, nlv.locale)
        if nlv.lcmap_flags == keys_text.LCMAP_UPPERCASE:
            if len(key) > cb_t - 2:
                # ESE reports the full buffer here without copying (norm.cxx); we keep
                # the leading bytes so the key stays well defined.
                norm, too_big = key[:cb_t], True
            else:
                norm, too_big = key + b"\x00\x00", False
        elif len(key) > cb_t:
            norm, too_big = key[: max(cb_t, 0)], True
        else:
            norm, too_big = key, False
    else:
        norm, too_big = normalize_ascii(data[:cb_field], cb_t)
    if too_big and not (cb_var_seg_mac > cb_key_most or len(norm) < cb_var_seg_mac - 1):
        too_big = False
    return b"\x7f" + norm, too_big


# ---------------------------------------------------------------- per-index state

FastSegment = Callable[[bytes, int], bytes | None]
"""``(value, bytes of key space left) -> segment``, or None when the general path must
decide (a limit would cut the segment): see :func:`fast_key`."""


@dataclass(frozen=True, slots=True)
class SegmentSpec:
    """Precomputed facts about one key column."""

    columnid: int
    coltyp: int
    cp: int
    cb_max: int
    fixed: bool
    tagged: bool
    multivalued: bool
    descending: bool
    fixed_norm: Callable[[bytes], bytes] | None

    @property
    def is_text(self) -> bool:
        return self.coltyp in _TEXT

    @property
    def is_binary(self) -> bool:
        return self.coltyp in _BINARY


@dataclass(frozen=True, slots=True)
class KeyNormalizer:
    """Everything key normalization needs to know about an index, computed once."""

    index: IndexDef
    segments: tuple[SegmentSpec, ...]
    cb_key_most: int
    cb_var_seg_mac_raw: int
    cb_var_seg_mac: int
    null_prefix: int
    disallow_truncation: bool
    nlv: TextLocale
    tuples: tuple[int, int, int, int, int] | None
    single: bool = False
    """No conditional columns, no tuples, no multi-valued key column: a record has at
    most one entry, built from the first value of each key column (``indexentries``)."""
    columnids: tuple[int, ...] = ()
    ones: tuple[int, ...] = ()
    """An itagSequence of 1 per key column."""
    plain: bool = False
    """Every key column is fixed or variable (no tagged one): a record's key values can
    be read straight from a record image (``engine.records.update``)."""
    fast: tuple[FastSegment, ...] = ()
    """Per key column, the segment of a non-empty value when no limit applies
    (:func:`fast_key`)."""
    udd: bool = False
    """A key or conditional column has a user-defined default (JET_bitColumnUserDefinedDefault):
    its callback gives the value of a record without one (``callbacks.key_values``)."""

    def null_segment(self, coltyp: int, zero_length: bool) -> bytes:
        """FLDNormalizeNullSegment (header only; not yet descended)."""
        if zero_length and coltyp in _TEXT | _BINARY:
            return b"\x40"
        return bytes((self.null_prefix,))

    def data_segment(
        self, spec: SegmentSpec, data: bytes, cb_key_avail: int
    ) -> tuple[bytes, bool, int]:
        """Normalize a non-empty value: (segment, column truncated, binary delimiter)."""
        if spec.is_text:
            seg, truncated = normalize_text(
                data, cb_key_avail, self.cb_key_most, self.cb_var_seg_mac, spec.cp, self.nlv
            )
            return seg, truncated, 0
        if spec.is_binary:
            return normalize_binary(
                data, cb_key_avail, self.cb_key_most, self.cb_var_seg_mac, spec.fixed
            )
        assert spec.fixed_norm is not None
        seg = spec.fixed_norm(data)
        if len(seg) > cb_key_avail:
            return seg[:cb_key_avail], True, 0
        return seg, False, 0


def _segment_spec(seg: IndexSegment, dotnet_guid: bool) -> SegmentSpec:
    col = seg.column
    cp = col.cp or 1252
    if col.coltyp in _TEXT and cp not in (1252, 1200):
        raise_error(C.JET_errInvalidCodePage, f"column {col.name!r} cp {col.cp}")
    fixed_norm = None
    if col.coltyp not in _TEXT | _BINARY:
        fixed_norm = _fixed_normalizer(col.coltyp, dotnet_guid)
        if fixed_norm is None:
            raise_error(C.JET_errInvalidColumnType, f"column {col.name!r} coltyp {col.coltyp}")
    return SegmentSpec(
        columnid=col.columnid,
        coltyp=col.coltyp,
        cp=cp,
        cb_max=col.fixed_size if is_fixed_columnid(col.columnid) else (col.cbMax or 255),
        fixed=is_fixed_columnid(col.columnid),
        tagged=is_tagged_columnid(col.columnid),
        multivalued=bool(col.grbit & C.JET_bitColumnMultiValued),
        descending=seg.descending,
        fixed_norm=fixed_norm,
    )


_BY_IDENTITY: dict[int, tuple[IndexDef, KeyNormalizer]] = {}
_BY_IDENTITY_MOST = 4096


def normalizer(index: IndexDef) -> KeyNormalizer:
    """The precomputed :class:`KeyNormalizer` of ``index``: looked up by the definition's
    identity first (hashing an IndexDef walks all its segments and columns, which cost
    more than the rest of a key), then by value. Raises as :func:`_normalizer`."""
    hit = _BY_IDENTITY.get(id(index))
    if hit is not None and hit[0] is index:
        return hit[1]
    kn = _normalizer(index)
    if len(_BY_IDENTITY) >= _BY_IDENTITY_MOST:
        _BY_IDENTITY.clear()
    _BY_IDENTITY[id(index)] = (index, kn)
    return kn


@lru_cache(maxsize=1024)
def _normalizer(index: IndexDef) -> KeyNormalizer:
    """The precomputed :class:`KeyNormalizer` of ``index`` (cached per IndexDef value).

    Raises JET_errInvalidLCMapStringFlags for bad Unicode flags (ErrNORMCheckLCMapFlags),
    JET_errInvalidCodePage / JET_errInvalidColumnType for columns that cannot be keyed.
    """
    if not index.segments:
        raise_error(C.JET_errIndexInvalidDef, f"index {index.name!r} has no key columns")
    dotnet_guid = bool(index.grbit & C.JET_bitIndexDotNetGuid)
    cb_key_most = index.cbKeyMost
    raw = index.cbVarSegMac if 0 < index.cbVarSegMac <= cb_key_most else cb_key_most
    flags = keys_text.check_lcmap_flags(index.lcmap_flags)
    tuples = None
    if index.grbit & C.JET_bitIndexTuples:
        tuples = index.tuple_limits or TUPLE_DEFAULTS
    segments = tuple(_segment_spec(s, dotnet_guid) for s in index.segments)
    return KeyNormalizer(
        index=index,
        segments=segments,
        cb_key_most=cb_key_most,
        cb_var_seg_mac_raw=raw,
        cb_var_seg_mac=cb_key_most + 1 if raw == cb_key_most else raw,
        null_prefix=(
            PREFIX_NULL_HIGH
            if index.grbit & C.JET_bitIndexSortNullsHigh
            and not index.grbit & C.JET_bitIndexDisallowNull
            else PREFIX_NULL
        ),
        disallow_truncation=bool(index.grbit & C.JET_bitIndexDisallowTruncation),
        nlv=TextLocale(keys_text.LOCALE_NAME_DEFAULT, flags),
        tuples=tuples,
        single=(not index.conditions and tuples is None
                and not any(s.tagged and s.multivalued for s in segments)),
        columnids=tuple(s.columnid for s in segments),
        ones=(1,) * len(segments),
        plain=not any(s.tagged for s in segments),
        fast=tuple(_fast_segment(s, cb_key_most,
                                 cb_key_most + 1 if raw == cb_key_most else raw, flags)
                   for s in segments),
        udd=any(s.column.callback is not None for s in index.segments)
        or any(c.column.callback is not None for c in index.conditions),
    )


def _fast_segment(spec: SegmentSpec, cb_key_most: int, cb_var_seg_mac: int,
                  flags: int) -> FastSegment:
    """The fast segment function of one key column (see :func:`fast_key`): the same
    bytes as ``_segment_for_value`` (then the descending transform) whenever the value
    is at most ``cb_key_most`` bytes (so ErrRECIRetrieveKey reads it whole, once) and its
    segment fits the key space left and ``cbVarSegMac`` uncut; None otherwise."""
    descending = spec.descending
    fixed_norm = spec.fixed_norm
    if fixed_norm is not None:
        norm = fixed_norm

        def fixed_seg(value: bytes, avail: int) -> bytes | None:
            seg = norm(value)
            if len(seg) > avail:
                return None
            return seg.translate(_INVERT) if descending else seg

        return fixed_seg
    if spec.is_text and spec.cp == 1200:
        upper = flags == keys_text.LCMAP_UPPERCASE
        extra = 3 if upper else 1  # the header, and the 00 00 ESE adds to an upper-case key
        key_of = keys_text.sort_key_function(flags)

        def unicode_seg(value: bytes, avail: int) -> bytes | None:
            if len(value) > cb_key_most:
                return None
            key = key_of(value)
            # normalize_text keeps the key whole when it fits cb_t = min(avail, segmac) - 1
            if len(key) + extra > avail or len(key) + extra > cb_var_seg_mac:
                return None
            seg = b"\x7f" + key + b"\x00\x00" if upper else b"\x7f" + key
            return seg.translate(_INVERT) if descending else seg

        return unicode_seg
    if spec.is_text:

        def ascii_seg(value: bytes, avail: int) -> bytes | None:
            if len(value) > cb_key_most:
                return None
            cb_t = min(avail, cb_var_seg_mac) - 1
            if cb_t <= len(value):
                return None
            seg = b"\x7f" + normalize_ascii(value, cb_t)[0]
            return seg.translate(_INVERT) if descending else seg

        return ascii_seg
    fixed = spec.fixed

    def binary_seg(value: bytes, avail: int) -> bytes | None:
        if len(value) > cb_key_most:
            return None
        seg, truncated, _ = normalize_binary(value, avail, cb_key_most, cb_var_seg_mac, fixed)
        if truncated or len(seg) > avail:
            return None
        return seg.translate(_INVERT) if descending else seg

    return binary_seg


def fast_key(kn: KeyNormalizer, values: Sequence[bytes | None]) -> bytes | None:
    """The key :func:`key_parts` gives for ``values`` (one per key column, itagSequence 1)
    when it is the plain case: every value non-empty, nothing truncated; None otherwise,
    and the caller runs :func:`key_parts`. Same bytes, fewer steps: the insert path.
    (No NULL and no truncation means key_parts reports neither, and each segment is
    computed from the same inputs as there: the value whole, the key space left.)"""
    fast = kn.fast
    if len(values) != len(fast):
        return None
    avail = kn.cb_key_most
    if len(fast) == 1:  # one key column: its segment is the key
        first = values[0]
        if not first:
            return None
        return fast[0](first, avail)
    segs: list[bytes] = []
    for fn, value in zip(fast, values):
        if not value:
            return None
        seg = fn(value, avail)
        if seg is None:
            return None
        segs.append(seg)
        avail -= len(seg)
    return b"".join(segs)


# ---------------------------------------------------------------- record keys

NULL_KEY, NULL_FIRST_SEG, NULL_SEG = "null-key", "null-first-seg", "null-seg"


@dataclass(frozen=True, slots=True)
class RetrievedKey:
    """The result of :func:`retrieve_key`: the key and ESE's warnings about it.

    ``nulls`` is None, or one of NULL_KEY (every segment NULL), NULL_FIRST_SEG,
    NULL_SEG (wrnFLDNullKey / wrnFLDNullFirstSeg / wrnFLDNullSeg).
    """

    key: bytes
    truncated: bool
    nulls: str | None


def _segment_for_value(
    kn: KeyNormalizer, spec: SegmentSpec, value: bytes, cb_key_avail: int
) -> tuple[bytes, bool]:
    """A record value's segment, with ErrRECIRetrieveKey's cbDataMost re-read loop."""
    fixed_norm = spec.fixed_norm
    if fixed_norm is not None:
        # a fixed-size type (at most 16 bytes, cbKeyMost >= 255): never re-read
        seg = fixed_norm(value)
        if len(seg) > cb_key_avail:
            return seg[:cb_key_avail], True
        return seg, False
    cb_data_most = kn.cb_key_most
    while True:
        data = value[:cb_data_most] if len(value) > cb_data_most else value
        seg, truncated, _ = kn.data_segment(spec, data, cb_key_avail)
        need_more = (
            len(data) == cb_data_most
            and len(seg) < kn.cb_key_most
            and len(seg) < cb_key_avail
            and len(seg) < kn.cb_var_seg_mac_raw
            and kn.cb_key_most != CB_KEY_MOST_OLD
            and len(value) > cb_data_most
        )
        if not need_more:
            return seg, truncated
        cb_data_most *= 2


def retrieve_key(index: IndexDef | KeyNormalizer, values: Sequence[bytes | None]) -> RetrievedKey:
    """The key ``index`` holds for one combination of column values (ErrRECIIRetrieveKey).

    ``values[i]`` is the value of key column ``i`` as stored in the record (little-endian
    numbers, padded fixed text, UTF-16LE for cp 1200); None is NULL and b"" zero-length.
    Raises JET_errKeyTruncated when the index has JET_bitIndexDisallowTruncation and the
    key does not fit. Null flags and multi-values are handled by ``indexentries``.
    """
    kn = index if isinstance(index, KeyNormalizer) else normalizer(index)
    result = retrieve_key_itags(kn, values, None, False)
    assert isinstance(result, RetrievedKey)
    return result


def retrieve_key_itags(
    kn: KeyNormalizer,
    values: Sequence[bytes | None],
    itags: Sequence[int] | None,
    nested: bool,
) -> RetrievedKey | int:
    """:func:`retrieve_key` for one multi-value combination; an int means wrnFLDOutOfKeys.

    ``itags[i]`` is the itagSequence that produced ``values[i]``. A NULL from an itag > 1
    ends that column's values: the index of that segment is returned (0 when every
    multi-valued column of a nested-table index ran out), as ESE's ``*piidxseg``.
    """
    parts = key_parts(kn, values, itags, nested)
    if isinstance(parts, int):
        return parts
    return RetrievedKey(parts[0], parts[1], parts[2])


def key_parts(
    kn: KeyNormalizer,
    values: Sequence[bytes | None],
    itags: Sequence[int] | None,
    nested: bool,
) -> tuple[bytes, bool, str | None] | int:
    """:func:`retrieve_key_itags` as a plain tuple (key, truncated, nulls): the hot path
    of every insert builds no RetrievedKey."""
    if len(values) != len(kn.segments):
        raise_error(C.JET_errInvalidParameter, "one value per key column is required")
    out = bytearray()
    cb_key_avail = kn.cb_key_most
    all_nulls = True
    null_first = null_seg = False
    key_truncated = False
    column_truncated = False
    all_mv_out = True
    for i, (spec, value) in enumerate(zip(kn.segments, values)):
        itag = itags[i] if itags is not None else 1
        if spec.multivalued:
            all_mv_out = all_mv_out and itag > 1 and value is None
        if cb_key_avail == 0:
            key_truncated = True
            if kn.disallow_truncation:
                raise_error(C.JET_errKeyTruncated, f"index {kn.index.name!r}")
            if value is None:
                if itag > 1 and not nested:
                    return i
                null_first = null_first or i == 0
                null_seg = True
            continue
        if itag > 1 and value is None and not nested:
            return i
        if not value:
            if value is None:
                null_first = null_first or i == 0
                null_seg = True
            else:
                all_nulls = False
            seg = kn.null_segment(spec.coltyp, value is not None)
        else:
            all_nulls = False
            seg, truncated = _segment_for_value(kn, spec, value, cb_key_avail)
            column_truncated = column_truncated or truncated
        if key_truncated:
            continue
        if column_truncated:
            key_truncated = True
            if kn.disallow_truncation:
                raise_error(C.JET_errKeyTruncated, f"index {kn.index.name!r}")
        elif len(seg) > cb_key_avail:
            key_truncated = True
            if kn.disallow_truncation:
                raise_error(C.JET_errKeyTruncated, f"index {kn.index.name!r}")
            seg = seg[:cb_key_avail]
        if spec.descending:
            seg = seg.translate(_INVERT)
        out += seg
        cb_key_avail -= len(seg)
    if nested and all_mv_out:
        return 0
    nulls = None
    if all_nulls:
        nulls = NULL_KEY
    elif null_first:
        nulls = NULL_FIRST_SEG
    elif null_seg:
        nulls = NULL_SEG
    return bytes(out), key_truncated, nulls


def make_key(index: IndexDef, values: Sequence[bytes | None]) -> tuple[bytes, bool]:
    """``(key, truncated)`` of a record's key column values; see :func:`retrieve_key`."""
    rk = retrieve_key(index, values)
    return rk.key, rk.truncated


# ---------------------------------------------------------------- JetMakeKey

_LIMIT_MASK = C.JET_maskLimitOptions


def _full_column_limit(norm: bytes, cb_avail_with_suffix: int, sentinel: bool) -> bytes:
    """FLDISetFullColumnLimit."""
    if sentinel:
        return norm + b"\xff" * (cb_avail_with_suffix - len(norm))
    return norm


def _partial_text_limit(
    norm: bytes, cb_avail_with_suffix: int, descending: bool, sentinel: bool, cp: int
) -> bytes:
    """FLDISetPartialColumnLimitOnTextColumn."""
    if len(norm) < 2:
        return _full_column_limit(norm, cb_avail_with_suffix, sentinel)
    ib_suffix = cb_avail_with_suffix - 1
    if cp == 1200:
        delim = 0x01 ^ (0xFF if descending else 0)
        ib = 1
        while ib < ib_suffix and ib < len(norm) and norm[ib] != delim:
            ib += 1
    else:
        terminator = 0xFF if descending else 0
        ib = len(norm) - 1 if norm[-1] == terminator else len(norm)
    ib = min(ib, ib_suffix)
    if sentinel:
        return norm[:ib] + b"\xff" * (ib_suffix - ib + 1)
    return norm[:ib]


def _partial_binary_limit(
    norm: bytes, cb_avail_with_suffix: int, delimiter: int, sentinel: bool
) -> bytes:
    """FLDITrySetPartialColumnLimitOnBinaryColumn."""
    if delimiter == 0:
        return _full_column_limit(norm, cb_avail_with_suffix, sentinel)
    if sentinel:
        return norm[:delimiter] + b"\xff" * (len(norm) + 1 - delimiter)
    return norm[:delimiter]


class KeyBuilder:
    """The search key a cursor builds with JetMakeKey (ESE: dataSearchKey + KS flags).

    Use :meth:`add` once per key column (the first call with JET_bitNewKey), read
    :attr:`key` / :attr:`is_limit`, and :meth:`reset` after JetSeek / JetSetIndexRange
    consume it. A builder on a table without a primary index (``index`` None) accepts
    only JET_bitNormalizedKey.
    """

    __slots__ = ("_key", "_prepared", "_limit", "_too_big", "_columns")

    def __init__(self) -> None:
        self._key = bytearray()
        self._prepared = False
        self._limit = False
        self._too_big = False
        self._columns = 0

    def reset(self) -> None:
        """Forget the key (KSReset); a later add without JET_bitNewKey gives KeyNotMade."""
        self._key.clear()
        self._prepared = self._limit = self._too_big = False
        self._columns = 0

    @property
    def is_prepared(self) -> bool:
        """A key has been (at least partly) made."""
        return self._prepared

    @property
    def is_limit(self) -> bool:
        """The key is a limit key (a limit grbit or an over-long normalized key)."""
        return self._limit

    @property
    def columns(self) -> int:
        """Key columns supplied so far (cColumnsInSearchKey)."""
        return self._columns

    @property
    def key(self) -> bytes:
        """The key bytes (JetRetrieveKey with JET_bitRetrieveCopy); KeyNotMade if none."""
        if not self._prepared:
            raise_error(C.JET_errKeyNotMade, "no key has been made")
        return bytes(self._key)

    def add(self, index: IndexDef | KeyNormalizer | None, data: bytes | None, grbit: int) -> None:
        """JetMakeKey (ErrIsamMakeKey): add one key column, or a whole normalized key.

        ``data`` is the column value as the caller passes it (None or b"" is cbKeySeg 0).
        Errors, in ESE's order: JET_errInvalidParameter (normalized key too long),
        JET_errKeyIsMade (limit already set, or all columns supplied), JET_errKeyNotMade
        (no JET_bitNewKey and no key in progress), JET_errInvalidBufferSize (wrong fixed
        size; KeyDataZeroLength on a fixed or non text/binary column), JET_errInvalidGrbit
        (more than one limit option, or a partial limit on a non text/binary column),
        JET_errIndexTuplesKeyTooSmall (tuple column shorter than chLengthMin), and Unicode
        normalization errors.
        """
        data = data or b""
        kn = None
        if index is not None:
            kn = index if isinstance(index, KeyNormalizer) else normalizer(index)
        cb_key_most = kn.cb_key_most if kn is not None else CB_KEY_MOST_OLD
        if grbit & C.JET_bitNormalizedKey:
            cb_limit = cb_key_most + 1
            if len(data) > cb_limit and len(data) > C.JET_cbKeyMost:
                raise_error(C.JET_errInvalidParameter, "normalized key is too long")
            self.reset()
            self._columns = 1
            self._key += data[:cb_limit]
            self._prepared = True
            if len(data) > cb_key_most:
                self._limit = True
            return
        if grbit & C.JET_bitNewKey:
            self.reset()
        elif self._limit:
            raise_error(C.JET_errKeyIsMade, "the key is a limit key")
        elif not self._prepared:
            raise_error(C.JET_errKeyNotMade, "JET_bitNewKey is required to start a key")
        if kn is None:
            raise_error(C.JET_errNoCurrentIndex, "only normalized keys without an index")
        iseg = self._columns
        if iseg >= len(kn.segments):
            raise_error(C.JET_errKeyIsMade, "every key column has been supplied")
        spec = kn.segments[iseg]
        seg_data = data[:CB_KEY_MOST_OLD] if cb_key_most == CB_KEY_MOST_OLD else data
        if spec.fixed and data and len(data) != spec.cb_max:
            if spec.coltyp == C.JET_coltypText and len(data) < spec.cb_max:
                seg_data = text_column_padding(data, spec.cb_max, spec.cp)
            else:
                raise_error(C.JET_errInvalidBufferSize, f"column needs {spec.cb_max} bytes")
        limit = grbit & _LIMIT_MASK
        if limit in (C.JET_bitPartialColumnStartLimit, C.JET_bitPartialColumnEndLimit):
            if not spec.is_text and (spec.fixed or not spec.is_binary):
                raise_error(C.JET_errInvalidGrbit, "partial limit needs text or binary")
        elif limit not in (0, C.JET_bitFullColumnStartLimit, C.JET_bitFullColumnEndLimit):
            raise_error(C.JET_errInvalidGrbit, "more than one limit option")
        norm = b""
        if not self._too_big and len(self._key) < cb_key_most:
            norm = self._normalize_segment(
                kn, spec, seg_data, grbit, cb_key_most - len(self._key), iseg
            )
        self._columns += 1
        room = cb_key_most + 1 - len(self._key)
        self._key += norm[:room]
        self._prepared = True

    def _normalize_segment(
        self, kn: KeyNormalizer, spec: SegmentSpec, data: bytes, grbit: int, cb_avail: int,
        iseg: int,
    ) -> bytes:
        """ErrFLDNormalizeSegment, including the limit grbits."""
        delimiter = 0
        tuple_field = iseg == 0 and kn.tuples is not None
        if not data:
            zero_length = bool(grbit & C.JET_bitKeyDataZeroLength)
            if tuple_field:
                raise_error(C.JET_errIndexTuplesKeyTooSmall, "tuple key column is empty")
            if zero_length and (spec.fixed or not (spec.is_text or spec.is_binary)):
                raise_error(C.JET_errInvalidBufferSize, "KeyDataZeroLength on this column")
            norm = kn.null_segment(spec.coltyp, zero_length)
        else:
            if spec.is_text:
                if tuple_field:
                    assert kn.tuples is not None
                    ch_min, ch_max = kn.tuples[0], kn.tuples[1]
                    per_char = 2 if spec.cp == 1200 else 1
                    if len(data) // per_char < ch_min:
                        raise_error(C.JET_errIndexTuplesKeyTooSmall, "tuple key too short")
                    data = data[: ch_max * per_char]
                norm, too_big = normalize_text(
                    data, cb_avail, kn.cb_key_most, kn.cb_var_seg_mac, spec.cp, kn.nlv
                )
            elif spec.is_binary:
                norm, too_big, delimiter = normalize_binary(
                    data, cb_avail, kn.cb_key_most, kn.cb_var_seg_mac, spec.fixed
                )
            else:
                assert spec.fixed_norm is not None
                norm = spec.fixed_norm(data)
                too_big = len(norm) > cb_avail
                norm = norm[:cb_avail]
            if too_big:
                self._too_big = True
        if spec.descending:
            norm = norm.translate(_INVERT)
        limit = grbit & _LIMIT_MASK
        if limit in (C.JET_bitFullColumnStartLimit, C.JET_bitFullColumnEndLimit):
            norm = _full_column_limit(
                norm, cb_avail + 1, bool(grbit & C.JET_bitFullColumnEndLimit)
            )
            self._limit = True
        elif limit in (C.JET_bitPartialColumnStartLimit, C.JET_bitPartialColumnEndLimit):
            end = bool(grbit & C.JET_bitPartialColumnEndLimit)
            if spec.is_text:
                norm = _partial_text_limit(norm, cb_avail + 1, spec.descending, end, spec.cp)
            else:
                norm = _partial_binary_limit(norm, cb_avail + 1, delimiter, end)
            self._limit = True
        elif grbit & C.JET_bitSubStrLimit and spec.is_text:
            norm = _partial_text_limit(norm, cb_avail + 1, spec.descending, True, spec.cp)
            self._limit = True
        elif grbit & C.JET_bitStrLimit:
            norm = _partial_binary_limit(norm, cb_avail + 1, delimiter, True)
            self._limit = True
        return norm


# ---------------------------------------------------------------- RetrieveFromIndex


def _parse_segment(
    spec: SegmentSpec, kn: KeyNormalizer, key: bytes, pos: int
) -> tuple[bytes | None, int]:
    """RECIRetrieveColumnFromKey for one segment: (value or None for NULL, next offset)."""
    mask = 0xFF if spec.descending else 0
    header = key[pos]
    pos += 1
    null_header = mask ^ kn.null_prefix
    coltyp = spec.coltyp
    if spec.is_text or spec.is_binary:
        if header == mask ^ PREFIX_DATA:
            if spec.fixed:
                raw = key[pos : pos + spec.cb_max]
                return (invert(raw) if mask else raw), pos + spec.cb_max
            out = bytearray()
            if spec.is_binary:
                while True:
                    chunk = key[pos : pos + CB_BINARY_CHUNK_NORMALIZED]
                    if mask:
                        chunk = invert(chunk)
                    count = chunk[-1]
                    pos += CB_BINARY_CHUNK_NORMALIZED
                    out += chunk[: min(count, CB_BINARY_CHUNK)]
                    if count != CB_BINARY_CHUNK_NORMALIZED:
                        return bytes(out), pos
            stop = key.find(bytes((mask ^ 0x00,)), pos)
            stop = len(key) if stop < 0 else stop
            return b"", stop + 1
        if header == null_header:
            return None, pos
        return b"", pos
    if coltyp == C.JET_coltypGUID:
        # ESE compares the header with the ascending data prefix even on a descending
        # segment (fldnorm.cxx RECIRetrieveColumnFromKey), so those read as NULL.
        if header != PREFIX_DATA:
            return None, pos
        raw = key[pos : pos + 16]
        order = _DOTNET_GUID_ORDER if kn.index.grbit & C.JET_bitIndexDotNetGuid else _GUID_ORDER
        value = bytearray(16)
        for dst, src in enumerate(order(range(16))):
            value[src] = raw[dst]
        return bytes(value), pos + 16
    if header == null_header:
        return None, pos
    size = FIXED_SIZES[coltyp]
    raw = key[pos : pos + size]
    if mask:
        raw = invert(raw)
    pos += size
    if coltyp == C.JET_coltypBit:
        return (b"\x00" if raw[0] == 0 else b"\xff"), pos
    if coltyp == C.JET_coltypUnsignedByte:
        return raw, pos
    v = int.from_bytes(raw, "big")
    high = 1 << (8 * size - 1)
    if coltyp in (C.JET_coltypShort, C.JET_coltypLong, C.JET_coltypLongLong, C.JET_coltypCurrency):
        v ^= high
    elif coltyp in (C.JET_coltypIEEESingle, C.JET_coltypIEEEDouble, C.JET_coltypDateTime):
        v = (v ^ high) if v & high else (~v & ((1 << (8 * size)) - 1))
    return v.to_bytes(size, "little"), pos


def column_from_key(
    index: IndexDef, key: bytes, columnid: int, grbit: int = 0
) -> bytes | None | FallBackToRecord:
    """The value of ``columnid`` rebuilt from an index entry's key (JET_bitRetrieveFromIndex).

    Returns the value bytes, None for NULL (JET_wrnColumnNull), or FALL_BACK_TO_RECORD where
    ESE reads the record instead (text columns, a Unicode column before it, a key that may
    be truncated, binary with cbVarSegMac). Raises JET_errColumnNotFound when the column is
    not in the index and JET_errIndexTuplesCannotRetrieveFromIndex for the tuple column.
    (ESE fldext.cxx ErrRECIRetrieveColumnFromIndex, fldnorm.cxx RECIRetrieveColumnFromKey.)
    """
    kn = normalizer(index)
    position = -1
    saw_unicode = False
    for i, spec in enumerate(kn.segments):
        if spec.columnid == columnid:
            position = i
            break
        if spec.is_text and spec.cp == 1200:
            saw_unicode = True
    if position < 0:
        raise_error(C.JET_errColumnNotFound, f"column {columnid} is not in the index")
    if kn.tuples is not None and position == 0 and not grbit & C.JET_bitRetrieveTuple:
        raise_error(C.JET_errIndexTuplesCannotRetrieveFromIndex, "tuple index column")
    spec = kn.segments[position]
    var_seg_mac = kn.cb_var_seg_mac_raw < kn.cb_key_most
    if (
        saw_unicode
        or spec.is_text
        or (len(key) == kn.cb_key_most and kn.cb_key_most >= C.JET_cbKeyMostMin)
        or (spec.is_binary and not spec.fixed and var_seg_mac)
    ):
        return FALL_BACK_TO_RECORD
    pos = 0
    value: bytes | None = None
    for spec in kn.segments[: position + 1]:
        if pos >= len(key):
            return FALL_BACK_TO_RECORD
        value, pos = _parse_segment(spec, kn, key, pos)
    return value

"""ESE's record layout: encode, decode and update records byte-identical to ESE's.

Byte layout (ESE ``rec.hxx`` REC, ``tagfld.hxx`` TAGFIELDS; all integers little-endian)::

    +0  fidFixedLastInRec   u8     last fixed column present (0 = none)
    +1  fidVarLastInRec     u8     last variable column present (127 = none)
    +2  ibEndOfFixedData    u16    offset just past the fixed null bitmap
    +4  fixed data          each fixed column 1..fidFixedLast at its catalog offset
        null bitmap         ceil(cFixed/8) bytes, bit (fid-1) set = NULL
        var offsets         u16 per variable column 128..fidVarLast: END offset of the
                            value relative to the variable data; high bit 0x8000 = NULL
                            (a NULL entry repeats the previous end)
        var data
        tagged area         TAGFLD array (u16 fid, u16 ib) sorted by (not derived, fid),
                            then the tagged data; ib is relative to the array start and
                            the first ib / 4 is the number of TAGFLDs

TAGFLD ``ib`` flags: small pages (<= 8 KiB) mask 0x1fff, 0x2000 = explicit NULL, 0x4000 =
a header byte leads the data, 0x8000 = derived (template) column.  Large pages (16/32 KiB)
mask 0x7fff, 0x8000 = derived, and *every* value starts with the header byte (explicit NULL
is the header's 0x20).  On small pages the header exists exactly when it is non-zero.

TAGFLD_HEADER byte: 0x01 long value, 0x02 compressed (first value only), 0x04 separated,
0x08 multi-values, 0x10 two-values, 0x20 NULL (large pages), 0x40 encrypted.

Multi-values (``MULTIVALUES``): header, then u16 offsets (relative to the first offset,
high bit 0x8000 = this instance is separated), then the values; count = offset[0] / 2.
``TWOVALUES`` (small pages, non-long-value columns only): header, u8 size of the first
value, first value, second value.  ESE makes TWOVALUES when a second value joins a
single header-less value; a third value converts to MULTIVALUES, and deleting back down
to two keeps MULTIVALUES (``tagfld.cxx`` ConvertToTwoValues / CbDeleteMultiValue).

A separated long value stores its LID: 4 bytes (LID32) or 8 bytes (LID64, high bit set)
little-endian.  The long-value tree keys LIDs big-endian (``lv.hxx`` LVKEY32/64): the
root node key is the LID alone and holds ``LVROOT`` (u32 refcount, u32 size, optional u8
flags), chunk keys are LID + u32 big-endian offset.

Invariants kept by :class:`RecordImage`: it mirrors ESE's in-place edits
(``fldmod.cxx`` ErrRECISetIFixedColumn, ErrRECISetVarColumn, ``tagfld.cxx``
TAGFIELDS::ErrSetColumn), so a record built by the same sequence of sets as ESE's yields
the same bytes, and ``RecordImage.from_bytes(b).to_bytes() == b`` for every valid record.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pyese.engine.schema.schema import (
    FIXED_FIRST,
    TAGGED_FIRST,
    VAR_FIRST,
    ColumnDef,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

# ---------------------------------------------------------------- constants (rec.hxx)

CB_RECORD_HEADER = 4
FID_FIXED_NONE = FIXED_FIRST - 1
FID_VAR_NONE = VAR_FIRST - 1
VAR_NULL_BIT = 0x8000
VAR_OFFSET_MASK = 0x7FFF
CH_REC_FILL = 0x2A  # '*', chRECFill: fills new space in record re-organisations
_FILL = bytes((CH_REC_FILL,))
COLUMNID_TEMPLATE = 0x80000000  # fCOLUMNIDTemplate

# TAGFLD ib flags (tagfld.hxx)
TAGFLD_DERIVED = 0x8000
TAGFLD_EXTENDED_INFO_SMALL = 0x4000
TAGFLD_NULL_SMALL = 0x2000
TAGFLD_IB_MASK_SMALL = 0x1FFF
TAGFLD_IB_MASK_LARGE = 0x7FFF

# TAGFLD_HEADER flags (tagfld.hxx)
HDR_LONG_VALUE = 0x01
HDR_COMPRESSED = 0x02
HDR_SEPARATED = 0x04
HDR_MULTI_VALUES = 0x08
HDR_TWO_VALUES = 0x10
HDR_NULL = 0x20
HDR_ENCRYPTED = 0x40

MV_SEPARATED_INSTANCE = 0x8000
MV_IB_MASK = 0x7FFF

# value flags returned by the *_ex retrieval functions
VALUE_SEPARATED = 0x1
VALUE_COMPRESSED = 0x2
VALUE_ENCRYPTED = 0x4
VALUE_DEFAULT = 0x8
VALUE_EXPLICIT_NULL = 0x10

JET_CB_KEY_MOST_MIN = 255
CB_KEY_COUNT = 2
CB_DBK = 4
LID32_MAX = 0x7FFFFFFF
LID64_FLAG = 1 << 63

_U16 = struct.Struct("<H")
_TAGFLD = struct.Struct("<HH")
_RECHDR = struct.Struct("<BBH")
_LVROOT = struct.Struct("<II")
_BE32 = struct.Struct(">I")
_BE64 = struct.Struct(">Q")


def is_small_page(page_size: int) -> bool:
    """ESE's FIsSmallPage: 2, 4 and 8 KiB pages use the small-page formats."""
    return page_size <= 8192


def cb_page_data_max(page_size: int) -> int:
    """CPAGE::CbPageDataMax: page minus header (40 / 80 bytes), reserved TAG and a TAG."""
    header = 40 if is_small_page(page_size) else 80
    return page_size - header - 4 - 4


_MAX_RECORD_SIZE: dict[tuple[int, int], int] = {}


def max_record_size(page_size: int, cb_key_most: int = CB_DBK) -> int:
    """REC::CbRecordMost for a table whose primary key is at most ``cb_key_most`` bytes.

    ``cb_key_most`` is the primary index's cbKeyMost, or 4 (sizeof DBK) without one.  The
    caller raises JET_errRecordTooBig when an image grows past it. (Cached: every
    JetUpdate asks.)
    """
    got = _MAX_RECORD_SIZE.get((page_size, cb_key_most))
    if got is None:
        got = _MAX_RECORD_SIZE[(page_size, cb_key_most)] = _max_record_size(page_size,
                                                                             cb_key_most)
    return got


def _max_record_size(page_size: int, cb_key_most: int) -> int:
    data_max = cb_page_data_max(page_size)
    if is_small_page(page_size):
        return data_max - CB_KEY_COUNT - max(JET_CB_KEY_MOST_MIN, CB_KEY_COUNT + cb_key_most)
    return data_max - CB_KEY_COUNT - CB_KEY_COUNT - cb_key_most


# ---------------------------------------------------------------- long-value tree format


def lid_bytes(lid: int) -> bytes:
    """The LID as a record stores it (LvId::FromULE): LID64 8 bytes, LID32 4 bytes, LE."""
    if lid & LID64_FLAG:
        return lid.to_bytes(8, "little")
    if not 0 < lid <= LID32_MAX:
        raise_error(C.JET_errInvalidParameter, f"invalid LID {lid:#x}")
    return lid.to_bytes(4, "little")


def lid_from_bytes(data: bytes) -> int:
    """Inverse of :func:`lid_bytes`; JET_errDatabaseCorrupted on a bad size."""
    if len(data) not in (4, 8):
        raise_error(C.JET_errDatabaseCorrupted, f"LID reference of {len(data)} bytes")
    return int.from_bytes(data, "little")


def lv_root_key(lid: int) -> bytes:
    """Key of a long value's root node (lv.hxx LVRootKeyFromLid): the LID big-endian.

    JET_errDatabaseCorrupted for a LID that is neither a LID32 nor a flagged LID64 (a
    damaged reference read from a record).
    """
    if lid & LID64_FLAG:
        if lid >> 64:
            raise_error(C.JET_errDatabaseCorrupted, f"LID {lid:#x} is wider than 64 bits")
        return _BE64.pack(lid)
    if not 0 <= lid <= 0xFFFFFFFF:
        raise_error(C.JET_errDatabaseCorrupted, f"LID {lid:#x} is not a LID32 nor a LID64")
    return _BE32.pack(lid)


def lv_chunk_key(lid: int, offset: int) -> bytes:
    """Key of the chunk at byte ``offset`` (lv.hxx LVKeyFromLidOffset): LID + offset BE."""
    return lv_root_key(lid) + _BE32.pack(offset)


def lv_parse_key(key: bytes) -> tuple[int, int | None]:
    """(lid, offset) of an LV-tree key; offset None for a root key (lv.hxx FIsLVRootKey)."""
    n = len(key)
    if n == 12:
        return _BE64.unpack_from(key)[0], _BE32.unpack_from(key, 8)[0]
    if n == 8:
        if key[0] & 0x80:
            return _BE64.unpack_from(key)[0], None
        return _BE32.unpack_from(key)[0], _BE32.unpack_from(key, 4)[0]
    if n == 4:
        return _BE32.unpack_from(key)[0], None
    raise_error(C.JET_errDatabaseCorrupted, f"long-value key of {n} bytes")
    raise AssertionError  # pragma: no cover


@dataclass(frozen=True)
class LVRoot:
    """LVROOT / LVROOT2 data: reference count, total size, and (LVROOT2) flags."""

    ref_count: int
    size: int
    flags: int | None = None  # LVROOT2's fFlags (0x01 = encrypted); None = LVROOT

    def to_bytes(self) -> bytes:
        data = _LVROOT.pack(self.ref_count, self.size)
        return data if self.flags is None else data + bytes([self.flags])

    @classmethod
    def from_bytes(cls, data: bytes) -> LVRoot:
        if len(data) not in (8, 9):
            raise_error(C.JET_errDatabaseCorrupted, f"LVROOT of {len(data)} bytes")
        ref, size = _LVROOT.unpack_from(data)
        return cls(ref, size, data[8] if len(data) == 9 else None)


# ---------------------------------------------------------------- table layout


class RecordLayout:
    """A table's record geometry: fixed offsets, column map, page-size format.

    Built once per table (and rebuilt on DDL).  Every fixed column id 1..last must be
    defined, because fixed offsets are cumulative (ESE keeps deleted columns' slots).
    Raises JET_errInvalidParameter if a fixed column id is missing.
    """

    __slots__ = (
        "columns",
        "page_size",
        "small_page",
        "derived_table",
        "fixed_offsets",
        "fixed_sizes",
        "fid_fixed_last",
        "fid_var_last",
        "_ib_mask",
    )

    def __init__(
        self,
        columns: Mapping[int, ColumnDef],
        page_size: int = 4096,
        *,
        derived_table: bool = False,
    ) -> None:
        self.columns: dict[int, ColumnDef] = {c & 0xFFFF: col for c, col in columns.items()}
        self.page_size = page_size
        self.small_page = is_small_page(page_size)
        self.derived_table = derived_table
        self._ib_mask = TAGFLD_IB_MASK_SMALL if self.small_page else TAGFLD_IB_MASK_LARGE
        fixed = sorted(f for f in self.columns if FIXED_FIRST <= f < VAR_FIRST)
        self.fid_fixed_last = fixed[-1] if fixed else FID_FIXED_NONE
        var = [f for f in self.columns if VAR_FIRST <= f < TAGGED_FIRST]
        self.fid_var_last = max(var) if var else FID_VAR_NONE
        self.fixed_offsets = [0] * (self.fid_fixed_last + 2)
        self.fixed_sizes = [0] * (self.fid_fixed_last + 1)
        ib = CB_RECORD_HEADER
        for fid in range(FIXED_FIRST, self.fid_fixed_last + 1):
            col = self.columns.get(fid)
            if col is None:
                raise_error(C.JET_errInvalidParameter, f"fixed column {fid} is not defined")
            self.fixed_offsets[fid] = ib
            self.fixed_sizes[fid] = col.fixed_size
            ib += col.fixed_size
        self.fixed_offsets[self.fid_fixed_last + 1] = ib

    def column(self, columnid: int) -> ColumnDef:
        col = self.columns.get(columnid & 0xFFFF)
        if col is None:
            raise_error(C.JET_errColumnNotFound, f"columnid {columnid:#x}")
        return col  # type: ignore[return-value]

    def ib_next_fixed(self, fid: int) -> int:
        """Offset just past fixed column ``fid`` (TDB::IbOffsetOfNextColumn)."""
        return self.fixed_offsets[fid + 1]

    def use_derived_bit(self, columnid: int) -> bool:
        """FRECUseDerivedBit, for the common case (no ESE97 derived tables)."""
        return self.derived_table and bool(columnid & COLUMNID_TEMPLATE)

    # ------------------------------------------------------------ fast retrieval

    def retrieve(self, record: bytes, columnid: int, itag: int = 1) -> bytes | None:
        """The stored bytes of one value, without decoding the record.

        No default value applies (see :meth:`retrieve_ex`).  For a separated long value the
        bytes are the LID reference, for a compressed one the compressed bytes.  Raises
        JET_errColumnNotFound for an unknown column, JET_errDatabaseCorrupted for a record
        shorter than its header.
        """
        return self.retrieve_ex(record, columnid, itag, use_default=False)[0]

    def retrieve_ex(
        self, record: bytes, columnid: int, itag: int = 1, *, use_default: bool = True
    ) -> tuple[bytes | None, int]:
        """(bytes or None, VALUE_* flags) of value ``itag`` of a column.

        With ``use_default`` a column absent from the record yields the column's default
        (flag VALUE_DEFAULT) for itag 1; an explicit NULL entry (set to override a
        default) yields None with VALUE_EXPLICIT_NULL.

        Validates what it reads (cheap bound checks, no full decode): a record header that
        disagrees with the table's fixed columns, offsets out of order or past the record,
        a TAGFLD array or multi-value offsets that overrun raise JET_errDatabaseCorrupted,
        as ESE's record checks do (``rec.cxx`` / ``tagfld.cxx`` FValidate*); never another
        exception. JET_errColumnNotFound for a column the table does not define.
        """
        try:
            n = len(record)
            if n < CB_RECORD_HEADER:
                raise ValueError("record shorter than its header")
            fid_fixed_last, fid_var_last, ib_end_fixed = _RECHDR.unpack_from(record)
            if (
                fid_fixed_last > self.fid_fixed_last
                or ib_end_fixed != self.fixed_offsets[fid_fixed_last + 1]
                + ((fid_fixed_last + 7) >> 3)
                or fid_var_last < FID_VAR_NONE
            ):
                raise ValueError("record header disagrees with the table's columns")
            ib_var_data = ib_end_fixed + 2 * (fid_var_last - FID_VAR_NONE)
            if ib_var_data > n:
                raise ValueError("variable offsets past the end of the record")
            fid = columnid & 0xFFFF
            if fid < VAR_FIRST:
                col = self.column(columnid)
                if fid > fid_fixed_last:
                    return self._default(col, itag, use_default)
                if itag != 1:
                    return None, 0
                bit = fid - 1
                cb_bitmap = (fid_fixed_last + 7) >> 3
                if record[ib_end_fixed - cb_bitmap + (bit >> 3)] & (1 << (bit & 7)):
                    return None, 0
                ib = self.fixed_offsets[fid]
                return bytes(record[ib : ib + self.fixed_sizes[fid]]), 0
            if fid < TAGGED_FIRST:
                col = self.column(columnid)
                if fid > fid_var_last:
                    return self._default(col, itag, use_default)
                if itag != 1:
                    return None, 0
                i = fid - VAR_FIRST
                end = _U16.unpack_from(record, ib_end_fixed + 2 * i)[0]
                if end & VAR_NULL_BIT:
                    return None, 0
                start = (
                    _U16.unpack_from(record, ib_end_fixed + 2 * i - 2)[0] & VAR_OFFSET_MASK
                    if i else 0
                )
                if start > end or ib_var_data + end > n:
                    raise ValueError(f"variable column {fid}: offsets out of order")
                return bytes(record[ib_var_data + start : ib_var_data + end]), 0
            col = self.column(columnid)
            ib_tagged = ib_var_data
            if fid_var_last > FID_VAR_NONE:
                ib_tagged += _U16.unpack_from(record, ib_var_data - 2)[0] & VAR_OFFSET_MASK
            if ib_tagged >= n:
                if ib_tagged > n:
                    raise ValueError("variable data past the end of the record")
                return self._default(col, itag, use_default)
            return self._retrieve_tagged(record, ib_tagged, n, col, columnid, itag, use_default)
        except (struct.error, IndexError, ValueError) as exc:
            raise_error(C.JET_errDatabaseCorrupted, f"malformed record: {exc}")
            raise AssertionError from exc  # pragma: no cover

    def _default(self, col: ColumnDef, itag: int, use_default: bool) -> tuple[bytes | None, int]:
        if use_default and itag == 1 and col.default is not None:
            return col.default, VALUE_DEFAULT
        return None, 0

    def _retrieve_tagged(
        self,
        record: bytes,
        ib_tagged: int,
        n: int,
        col: ColumnDef,
        columnid: int,
        itag: int,
        use_default: bool,
    ) -> tuple[bytes | None, int]:
        """A tagged value; ValueError / IndexError / struct.error on a malformed area."""
        fid = columnid & 0xFFFF
        derived = self.use_derived_bit(columnid)
        mask = self._ib_mask
        first_ib = _U16.unpack_from(record, ib_tagged + 2)[0] & mask
        ctag = first_ib >> 2
        ib_data = ib_tagged + first_ib
        if not ctag or first_ib & 3 or ib_data > n:
            raise ValueError("TAGFLD array overruns the record")
        want = (0 if derived else 0x10000) | fid
        lo, hi = 0, ctag
        while lo < hi:
            mid = (lo + hi) >> 1
            f, ib = _TAGFLD.unpack_from(record, ib_tagged + 4 * mid)
            key = (0 if ib & TAGFLD_DERIVED else 0x10000) | f
            if key < want:
                lo = mid + 1
            else:
                hi = mid
        if lo == ctag:
            return self._default(col, itag, use_default)
        f, ib_raw = _TAGFLD.unpack_from(record, ib_tagged + 4 * lo)
        if f != fid or bool(ib_raw & TAGFLD_DERIVED) != derived:
            return self._default(col, itag, use_default)
        start = ib_tagged + (ib_raw & mask)
        end = (
            ib_tagged + (_U16.unpack_from(record, ib_tagged + 4 * lo + 6)[0] & mask)
            if lo + 1 < ctag
            else n
        )
        if start < ib_data or start > end or end > n:
            raise ValueError(f"tagged column {fid}: TAGFLD offsets out of order")
        if self.small_page:
            if ib_raw & TAGFLD_NULL_SMALL:
                return None, VALUE_EXPLICIT_NULL
            if not ib_raw & TAGFLD_EXTENDED_INFO_SMALL:
                return (bytes(record[start:end]), 0) if itag == 1 else (None, 0)
        if start == end:
            raise ValueError(f"tagged column {fid}: no room for its header byte")
        hdr = record[start]
        if hdr & HDR_NULL:
            return None, VALUE_EXPLICIT_NULL
        start += 1
        if hdr & HDR_MULTI_VALUES:
            if hdr & HDR_TWO_VALUES:
                if start >= end or start + 1 + record[start] > end:
                    raise ValueError(f"tagged column {fid}: TWOVALUES overrun")
                cb1 = record[start]
                if itag == 1:
                    return bytes(record[start + 1 : start + 1 + cb1]), 0
                if itag == 2:
                    return bytes(record[start + 1 + cb1 : end]), 0
                return None, 0
            first = _U16.unpack_from(record, start)[0] & MV_IB_MASK
            cmv = first >> 1
            if not cmv or first & 1 or start + first > end:
                raise ValueError(f"tagged column {fid}: MULTIVALUES offsets overrun")
            if not 1 <= itag <= cmv:
                return None, 0
            off = _U16.unpack_from(record, start + 2 * (itag - 1))[0]
            vend = (
                _U16.unpack_from(record, start + 2 * itag)[0] & MV_IB_MASK
                if itag < cmv
                else end - start
            )
            vstart = off & MV_IB_MASK
            if vstart < first or vstart > vend or start + vend > end:
                raise ValueError(f"tagged column {fid}: MULTIVALUES offsets out of order")
            flags = VALUE_SEPARATED if off & MV_SEPARATED_INSTANCE else 0
            if itag == 1 and hdr & HDR_COMPRESSED:
                flags |= VALUE_COMPRESSED
            if hdr & HDR_ENCRYPTED:
                flags |= VALUE_ENCRYPTED
            return bytes(record[start + vstart : start + vend]), flags
        if itag != 1:
            return None, 0
        flags = 0
        if hdr & HDR_SEPARATED:
            flags |= VALUE_SEPARATED
        if hdr & HDR_COMPRESSED:
            flags |= VALUE_COMPRESSED
        if hdr & HDR_ENCRYPTED:
            flags |= VALUE_ENCRYPTED
        return bytes(record[start:end]), flags


# ---------------------------------------------------------------- tagged entries


@dataclass
class TaggedEntry:
    """One column's TAGFLD and its data, decoded.

    ``values`` hold stored bytes (LID bytes for separated instances).  ``header`` keeps
    the persisted flags not implied by the values (long value, compressed, encrypted,
    and on null entries whatever ESE left).  ``two_values`` says a 2-value column uses
    the TWOVALUES layout.
    """

    fid: int
    derived: bool = False
    null: bool = False
    header: int = 0
    values: list[bytes] = field(default_factory=list)
    separated: list[bool] = field(default_factory=list)
    two_values: bool = False

    def sort_key(self) -> tuple[int, int]:
        return (0 if self.derived else 1, self.fid)


# ---------------------------------------------------------------- the mutable image


class RecordImage:
    """A record being read or built (ESE's copy buffer, FUCB::dataWorkBuf).

    Fixed state (after construction): ``layout``, ``default_record``.
    Mutable state: the fixed area bytes, variable values, tagged entries; an image is
    owned by one update and is not thread-safe.
    """

    __slots__ = (
        "layout",
        "default_record",
        "_fid_fixed_last",
        "_fixed",
        "_bitmap",
        "_var",
        "_tagged",
    )

    def __init__(self, layout: RecordLayout, default_record: RecordImage | None = None) -> None:
        self.layout = layout
        self.default_record = default_record
        self._fid_fixed_last = FID_FIXED_NONE
        # fixed area from offset 4 to the end of fixed data, then the raw null bitmap
        # (its unused high bits are kept as stored: ESE fills new bitmap bytes with 0xff)
        self._fixed = bytearray()
        self._bitmap = bytearray()
        self._var: list[bytes | None] = []
        self._tagged: list[TaggedEntry] = []

    # ------------------------------------------------------------ decoding

    @classmethod
    def from_bytes(
        cls, layout: RecordLayout, data: bytes, default_record: RecordImage | None = None
    ) -> RecordImage:
        """Decode a stored record.  JET_errDatabaseCorrupted if it is malformed."""
        try:
            return cls._decode(layout, bytes(data), default_record)
        except (struct.error, IndexError, ValueError) as exc:
            raise_error(C.JET_errDatabaseCorrupted, f"malformed record: {exc}")
            raise AssertionError from exc  # pragma: no cover

    @classmethod
    def _decode(
        cls, layout: RecordLayout, data: bytes, default_record: RecordImage | None
    ) -> RecordImage:
        img = cls(layout, default_record)
        n = len(data)
        if n < CB_RECORD_HEADER:
            raise ValueError("shorter than the record header")
        fid_fixed_last, fid_var_last, ib_end_fixed = _RECHDR.unpack_from(data)
        if fid_fixed_last > layout.fid_fixed_last or fid_var_last > layout.fid_var_last:
            raise ValueError("record has columns the table does not define")
        cb_bitmap = (fid_fixed_last + 7) >> 3
        ib_fix_end = layout.ib_next_fixed(fid_fixed_last) if fid_fixed_last else CB_RECORD_HEADER
        if ib_fix_end + cb_bitmap != ib_end_fixed or ib_end_fixed > n:
            raise ValueError("ibEndOfFixedData disagrees with the table's fixed columns")
        img._fid_fixed_last = fid_fixed_last
        img._fixed = bytearray(data[CB_RECORD_HEADER:ib_fix_end])
        img._bitmap = bytearray(data[ib_fix_end:ib_end_fixed])
        cvar = fid_var_last - FID_VAR_NONE
        ib_var_data = ib_end_fixed + 2 * cvar
        if ib_var_data > n:
            raise ValueError("variable offsets past the end")
        prev = 0
        for i in range(cvar):
            off = _U16.unpack_from(data, ib_end_fixed + 2 * i)[0]
            end = off & VAR_OFFSET_MASK
            if end < prev or ib_var_data + end > n:
                raise ValueError("variable offsets out of order")
            img._var.append(
                None if off & VAR_NULL_BIT else data[ib_var_data + prev : ib_var_data + end]
            )
            prev = end
        ib_tagged = ib_var_data + prev
        if ib_tagged < n:
            img._tagged = _decode_tagged(layout, data, ib_tagged, n)
        return img

    # ------------------------------------------------------------ encoding

    def to_bytes(self) -> bytes:
        """Serialise in ESE's layout."""
        var = self._var
        fixed = self._fixed
        bitmap = self._bitmap
        parts: list[bytes | bytearray] = [
            _RECHDR.pack(self._fid_fixed_last, FID_VAR_NONE + len(var),
                         CB_RECORD_HEADER + len(fixed) + len(bitmap)),
            fixed, bitmap, b""]
        ends: list[int] = []
        end = 0
        for v in var:
            if v is None:
                ends.append(end | VAR_NULL_BIT)
            else:
                end += len(v)
                ends.append(end)
                parts.append(v)
        if ends:
            parts[3] = struct.pack(f"<{len(ends)}H", *ends)
        if self._tagged:
            parts.append(_encode_tagged(self.layout, self._tagged))
        return b"".join(parts)

    # ------------------------------------------------------------ reading

    def get(self, columnid: int, itag: int = 1) -> bytes | None:
        """Stored bytes of value ``itag`` (1-based), or None; defaults are not applied."""
        return self.get_ex(columnid, itag)[0]

    def get_ex(self, columnid: int, itag: int = 1) -> tuple[bytes | None, int]:
        """(stored bytes or None, VALUE_* flags) of value ``itag``; no default applied."""
        fid = columnid & 0xFFFF
        if fid < VAR_FIRST:
            self.layout.column(columnid)
            if itag != 1 or fid > self._fid_fixed_last or self._null_bit(fid):
                return None, 0
            ib = self.layout.fixed_offsets[fid] - CB_RECORD_HEADER
            return bytes(self._fixed[ib : ib + self.layout.fixed_sizes[fid]]), 0
        if fid < TAGGED_FIRST:
            self.layout.column(columnid)
            i = fid - VAR_FIRST
            if itag != 1 or i >= len(self._var):
                return None, 0
            return self._var[i], 0
        col = self.layout.column(columnid)
        entry = self._find(columnid)[1]
        if entry is None:
            return None, 0
        if entry.null:
            return None, VALUE_EXPLICIT_NULL
        if not 1 <= itag <= len(entry.values):
            return None, 0
        flags = VALUE_SEPARATED if entry.separated[itag - 1] else 0
        if itag == 1 and entry.header & HDR_COMPRESSED:
            flags |= VALUE_COMPRESSED
        if entry.header & HDR_ENCRYPTED and col.is_long_value:
            flags |= VALUE_ENCRYPTED
        return entry.values[itag - 1], flags

    def plain_value(self, columnid: int) -> bytes | None:
        """Value 1 of a fixed or variable column as a reader of :meth:`to_bytes`'s record
        gets it (``RecordLayout.retrieve_ex`` with defaults): the column's default when the
        record stops before the column, None when it is NULL. Not for tagged columns."""
        fid = columnid & 0xFFFF
        if fid < VAR_FIRST:
            if fid > self._fid_fixed_last:
                return self.layout.column(columnid).default
            if self._null_bit(fid):
                return None
            ib = self.layout.fixed_offsets[fid] - CB_RECORD_HEADER
            return bytes(self._fixed[ib : ib + self.layout.fixed_sizes[fid]])
        i = fid - VAR_FIRST
        if i >= len(self._var):
            return self.layout.column(columnid).default
        return self._var[i]

    def count(self, columnid: int) -> int:
        """Number of values stored for a column (0 if absent or an explicit NULL)."""
        fid = columnid & 0xFFFF
        if fid < TAGGED_FIRST:
            return 0 if self.get(columnid) is None else 1
        self.layout.column(columnid)
        entry = self._find(columnid)[1]
        return 0 if entry is None or entry.null else len(entry.values)

    def is_explicit_null(self, columnid: int) -> bool:
        """True when a tagged column holds a NULL entry overriding its default."""
        if (columnid & 0xFFFF) < TAGGED_FIRST:
            return False
        entry = self._find(columnid)[1]
        return entry is not None and entry.null

    def tagged_columnids(self) -> list[int]:
        """Tagged column ids present (values or explicit NULL), in record order."""
        return [e.fid | (COLUMNID_TEMPLATE if e.derived else 0) for e in self._tagged]

    @property
    def fid_fixed_last(self) -> int:
        return self._fid_fixed_last

    @property
    def fid_var_last(self) -> int:
        return FID_VAR_NONE + len(self._var)

    def size(self) -> int:
        """Bytes :meth:`to_bytes` would produce."""
        return len(self.to_bytes())

    # ------------------------------------------------------------ updating

    def set(
        self,
        columnid: int,
        value: bytes | None,
        itag: int = 1,
        *,
        revert_to_default: bool = False,
        separated: bool = False,
        compressed: bool = False,
    ) -> int:
        """Set value ``itag`` of a column as ESE's record-level set does.

        Returns 0 or JET_wrnColumnMaxTruncated (a variable value cut to cbMax).  Tagged
        itagSequence semantics (tagfld.cxx TAGFIELDS::ErrSetColumn): 0 or > count appends;
        n replaces value n; None at n removes it and later values shift down; None beyond
        the count is a no-op.  NULL on a column with a default leaves an explicit NULL
        entry unless ``revert_to_default``.  ``separated`` marks the value as a LID
        reference; ``compressed`` flags compressed long-value bytes (first value only).

        Raises JET_errNullInvalid (NULL on a NotNULL fixed/variable column),
        JET_errInvalidBufferSize (wrong size for a fixed column), JET_errColumnNotFound,
        JET_errInvalidParameter (separated/compressed on a non-long-value column or a
        malformed LID).  Record size limits are the caller's (:func:`max_record_size`).
        """
        col = self.layout.column(columnid)
        fid = columnid & 0xFFFF
        if fid < VAR_FIRST:
            self._set_fixed(col, fid, value)
            return 0
        if fid < TAGGED_FIRST:
            return self._set_var(col, fid, value)
        if (separated or compressed) and not col.is_long_value:
            raise_error(C.JET_errInvalidParameter, "only long values can be separated/compressed")
        if separated and value is not None and len(value) not in (4, 8):
            raise_error(C.JET_errInvalidParameter, "a separated value is a 4 or 8 byte LID")
        if separated and compressed:
            raise_error(C.JET_errInvalidParameter, "a separated value cannot be compressed")
        self._set_tagged(col, columnid, value, itag, revert_to_default, separated, compressed)
        return 0

    def set_plain(self, columnid: int, value: bytes) -> None:
        """:meth:`set` of a non-empty value on a fixed column that takes it as it is
        (exactly its size; not Bit, Text or Binary) or a variable column (at most its
        cbMax): the same edit without the checks the caller has made
        (``update.TableFacts.plain_cols``)."""
        fid = columnid & 0xFFFF
        if fid < VAR_FIRST:
            if fid > self._fid_fixed_last:
                self._burst_fixed(fid)
            ib = self.layout.fixed_offsets[fid] - CB_RECORD_HEADER
            self._fixed[ib : ib + len(value)] = value
            i = fid - 1
            self._bitmap[i >> 3] &= ~(1 << (i & 7)) & 0xFF
            return
        i = fid - VAR_FIRST
        var = self._var
        n = len(var)
        if i == n:  # the next variable column: nothing to burst before it
            var.append(value)
            return
        if i > n:
            self._burst_var(fid)
        var[i] = value

    def set_separated(self, columnid: int, itag: int, lid: int) -> None:
        """Store a reference to long value ``lid`` as value ``itag`` (ESE's LID marker)."""
        self.set(columnid, lid_bytes(lid), itag, separated=True)

    # fixed ---------------------------------------------------------------------

    def _set_fixed(self, col: ColumnDef, fid: int, value: bytes | None) -> None:
        if value is not None and len(value) == 0:
            value = None  # ESE: zero-length on a fixed column means NULL
        if value is None and col.grbit & C.JET_bitColumnNotNULL:
            raise_error(C.JET_errNullInvalid, f"column {col.name} is NotNULL")
        if fid > self._fid_fixed_last:
            self._burst_fixed(fid)
        ib = self.layout.fixed_offsets[fid] - CB_RECORD_HEADER
        if value is None:
            self._set_null_bit(fid, True)
            return
        size = self.layout.fixed_sizes[fid]
        if len(value) != size:
            if col.coltyp not in (C.JET_coltypBinary, C.JET_coltypText) or len(value) > size:
                raise_error(C.JET_errInvalidBufferSize, f"{col.name} takes {size} bytes")
            if col.coltyp == C.JET_coltypBinary:
                value = value + bytes(size - len(value))
            else:
                value = value + _text_padding(size - len(value), col.cp, len(value))
        if col.coltyp == C.JET_coltypBit:
            value = b"\x00" if value[0] == 0 else b"\xff"
        self._fixed[ib : ib + size] = value
        self._set_null_bit(fid, False)

    def _null_bit(self, fid: int) -> bool:
        i = fid - 1
        return bool(self._bitmap[i >> 3] & (1 << (i & 7)))

    def _set_null_bit(self, fid: int, null: bool) -> None:
        i = fid - 1
        if null:
            self._bitmap[i >> 3] |= 1 << (i & 7)
        else:
            self._bitmap[i >> 3] &= ~(1 << (i & 7)) & 0xFF

    def _burst_fixed(self, fid: int) -> None:
        """Extend the fixed area to ``fid`` (fldmod.cxx ErrRECISetIFixedColumn)."""
        layout = self.layout
        old_last = self._fid_fixed_last
        offsets = layout.fixed_offsets
        # the end of fixed column old_last (offsets[1] is CB_RECORD_HEADER: none yet)
        ib_old_end = offsets[old_last + 1]
        self._fixed += _FILL * (offsets[fid + 1] - ib_old_end)
        cb_old, cb_new = (old_last + 7) >> 3, (fid + 7) >> 3
        # new bits in the old last byte are set one by one; whole new bytes are 0xff
        top = cb_old * 8
        if top > old_last:
            bitmap = self._bitmap
            for f in range(old_last + 1, (fid if fid < top else top) + 1):
                bitmap[(f - 1) >> 3] |= 1 << ((f - 1) & 7)
        if cb_new > cb_old:
            self._bitmap += b"\xff" * (cb_new - cb_old)
        self._fid_fixed_last = fid
        default = self.default_record
        if default is None or default._fid_fixed_last <= old_last:
            return
        last_default = old_last
        for f in range(old_last + 1, min(fid, default._fid_fixed_last) + 1):
            col = layout.columns[f]
            if col.default is not None:
                self._set_null_bit(f, False)
                last_default = f
        if last_default > old_last:
            lo = ib_old_end - CB_RECORD_HEADER
            hi = layout.ib_next_fixed(last_default) - CB_RECORD_HEADER
            self._fixed[lo:hi] = default._fixed[lo:hi]

    # variable ------------------------------------------------------------------

    def _set_var(self, col: ColumnDef, fid: int, value: bytes | None) -> int:
        if value is None and col.grbit & C.JET_bitColumnNotNULL:
            raise_error(C.JET_errNullInvalid, f"column {col.name} is NotNULL")
        warning = 0
        cb_max = col.cbMax or 255
        if value is not None and len(value) > cb_max:
            value = value[:cb_max]
            warning = C.JET_wrnColumnMaxTruncated
        i = fid - VAR_FIRST
        if i >= len(self._var):
            self._burst_var(fid)
        self._var[i] = value
        return warning

    def _burst_var(self, fid: int) -> None:
        """Extend the offsets to ``fid`` bursting defaults (fldmod.cxx CbBurstVarDefaults)."""
        old_count = len(self._var)
        default = self.default_record
        for f in range(VAR_FIRST + old_count, fid + 1):
            value = None
            if f < fid and default is not None and f - VAR_FIRST < len(default._var):
                col = self.layout.columns.get(f)
                if col is not None and col.default is not None:
                    value = default._var[f - VAR_FIRST]
            self._var.append(value)

    # tagged --------------------------------------------------------------------

    def _find(self, columnid: int) -> tuple[int, TaggedEntry | None]:
        derived = self.layout.use_derived_bit(columnid)
        key = (0 if derived else 1, columnid & 0xFFFF)
        tagged = self._tagged
        lo, hi = 0, len(tagged)
        while lo < hi:
            mid = (lo + hi) >> 1
            if tagged[mid].sort_key() < key:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(tagged) and tagged[lo].sort_key() == key:
            return lo, tagged[lo]
        return lo, None

    def _set_tagged(
        self,
        col: ColumnDef,
        columnid: int,
        value: bytes | None,
        itag: int,
        revert: bool,
        separated: bool,
        compressed: bool,
    ) -> None:
        small = self.layout.small_page
        is_lv = col.is_long_value
        has_default = col.default is not None
        pos, entry = self._find(columnid)
        base_header = HDR_LONG_VALUE if is_lv else 0
        if entry is None:
            if value is None:
                if has_default and itag == 1 and not revert:
                    self._tagged.insert(
                        pos,
                        TaggedEntry(
                            columnid & 0xFFFF,
                            self.layout.use_derived_bit(columnid),
                            null=True,
                            header=base_header,
                        ),
                    )
                return
            header = base_header | (HDR_COMPRESSED if compressed else 0)
            self._tagged.insert(
                pos,
                TaggedEntry(
                    columnid & 0xFFFF,
                    self.layout.use_derived_bit(columnid),
                    header=header,
                    values=[bytes(value)],
                    separated=[separated],
                ),
            )
            return
        if value is not None:
            if entry.null:
                entry.null = False
                entry.header = base_header | (HDR_COMPRESSED if compressed else 0)
                entry.values, entry.separated, entry.two_values = [bytes(value)], [separated], False
                return
            count = len(entry.values)
            if count >= 2:
                if compressed and itag != 1:
                    raise_error(C.JET_errInvalidParameter, "only the first value can be compressed")
                if 1 <= itag <= count:
                    entry.values[itag - 1] = bytes(value)
                    entry.separated[itag - 1] = separated
                    if itag == 1:
                        entry.header = (entry.header & ~HDR_COMPRESSED) | (
                            HDR_COMPRESSED if compressed else 0
                        )
                else:
                    entry.values.append(bytes(value))
                    entry.separated.append(separated)
                    entry.two_values = False
                return
            if itag == 1:
                entry.values[0] = bytes(value)
                entry.separated[0] = separated
                entry.header = (entry.header & ~(HDR_COMPRESSED | HDR_ENCRYPTED)) | (
                    HDR_COMPRESSED if compressed else 0
                )
                return
            if compressed:
                raise_error(C.JET_errInvalidParameter, "only the first value can be compressed")
            # a second value: TWOVALUES when the single value has no header byte
            entry.two_values = small and entry.header == 0 and not entry.separated[0]
            entry.values.append(bytes(value))
            entry.separated.append(separated)
            return
        # value is None
        if entry.null:
            if revert:
                del self._tagged[pos]
            return
        count = len(entry.values)
        if count >= 2:
            if 1 <= itag <= count:
                del entry.values[itag - 1]
                del entry.separated[itag - 1]
                if itag == 1:
                    entry.header &= ~HDR_COMPRESSED
                if len(entry.values) == 1:
                    entry.two_values = False
            return
        if itag != 1:
            return
        if has_default and not revert:
            entry.null = True
            entry.values, entry.separated = [], []
            entry.header &= ~HDR_SEPARATED
            return
        del self._tagged[pos]


# ---------------------------------------------------------------- tagged codec


def _text_padding(cb: int, cp: int, cb_used: int) -> bytes:
    """RECTextColumnPadding: spaces, UTF-16LE spaces for Unicode columns."""
    if cp == 1200:
        pad = b" \x00" * ((cb + 1) // 2)
        if cb_used % 2:
            pad = b"\x00" + pad
        return pad[:cb]
    return b" " * cb


def decode_tagged_entries(
    layout: RecordLayout, data: bytes, ib_tagged: int, n: int, unknown: list[int]
) -> list[TaggedEntry]:
    """The tagged entries of columns ``layout`` knows; other column ids go to ``unknown``.

    Raises ValueError on a malformed tagged area (the caller maps it to
    JET_errDatabaseCorrupted).
    """
    return _decode_tagged(layout, data, ib_tagged, n, unknown)


def _decode_tagged(
    layout: RecordLayout, data: bytes, ib_tagged: int, n: int,
    unknown: list[int] | None = None,
) -> list[TaggedEntry]:
    small = layout.small_page
    mask = layout._ib_mask
    first_ib = _U16.unpack_from(data, ib_tagged + 2)[0] & mask
    if first_ib < 4 or first_ib % 4 or ib_tagged + first_ib > n:
        raise ValueError("bad TAGFLD array")
    ctag = first_ib >> 2
    raw = [_TAGFLD.unpack_from(data, ib_tagged + 4 * i) for i in range(ctag)]
    entries: list[TaggedEntry] = []
    for i, (fid, ib) in enumerate(raw):
        start = ib_tagged + (ib & mask)
        end = ib_tagged + (raw[i + 1][1] & mask) if i + 1 < ctag else n
        if end < start or end > n or start < ib_tagged + first_ib:
            raise ValueError("TAGFLD offsets out of order")
        if fid < TAGGED_FIRST:
            raise ValueError(f"TAGFLD for non-tagged column {fid}")
        if fid not in layout.columns:
            if unknown is None:
                raise ValueError(f"TAGFLD for unknown column {fid}")
            unknown.append(fid)
            continue
        if start == end and not (small and ib & TAGFLD_NULL_SMALL) and (
            not small or ib & TAGFLD_EXTENDED_INFO_SMALL
        ):
            raise ValueError("TAGFLD header byte past its data")
        e = TaggedEntry(fid, bool(ib & TAGFLD_DERIVED))
        if small and ib & TAGFLD_NULL_SMALL:
            if end != start:
                raise ValueError("NULL TAGFLD with data")
            e.null = True
            e.header = HDR_LONG_VALUE if layout.columns[fid].is_long_value else 0
            entries.append(e)
            continue
        if small and not ib & TAGFLD_EXTENDED_INFO_SMALL:
            e.values, e.separated = [data[start:end]], [False]
            entries.append(e)
            continue
        hdr = data[start]
        start += 1
        if hdr & HDR_NULL:
            e.null = True
            e.header = hdr & ~HDR_NULL
            entries.append(e)
            continue
        e.header = hdr & (HDR_LONG_VALUE | HDR_COMPRESSED | HDR_ENCRYPTED)
        if hdr & HDR_MULTI_VALUES and hdr & HDR_TWO_VALUES:
            cb1 = data[start]
            if start + 1 + cb1 > end:
                raise ValueError("TWOVALUES length past the end")
            e.values = [data[start + 1 : start + 1 + cb1], data[start + 1 + cb1 : end]]
            e.separated = [False, False]
            e.two_values = True
        elif hdr & HDR_MULTI_VALUES:
            first = _U16.unpack_from(data, start)[0] & MV_IB_MASK
            cmv = first >> 1
            if cmv < 2 or first % 2 or start + first > end:
                raise ValueError("bad MULTIVALUES offsets")
            offs = [_U16.unpack_from(data, start + 2 * k)[0] for k in range(cmv)]
            for k, off in enumerate(offs):
                vs = off & MV_IB_MASK
                ve = offs[k + 1] & MV_IB_MASK if k + 1 < cmv else end - start
                if ve < vs or start + ve > end:
                    raise ValueError("MULTIVALUES offsets out of order")
                e.values.append(data[start + vs : start + ve])
                e.separated.append(bool(off & MV_SEPARATED_INSTANCE))
        else:
            e.values = [data[start:end]]
            e.separated = [bool(hdr & HDR_SEPARATED)]
        entries.append(e)
    return entries


def _encode_tagged(layout: RecordLayout, entries: Iterable[TaggedEntry]) -> bytes:
    small = layout.small_page
    entries = list(entries)
    array = bytearray()
    body = bytearray()
    base = 4 * len(entries)
    for e in entries:
        ib = base + len(body)
        if ib > layout._ib_mask:
            raise_error(C.JET_errRecordTooBig, "tagged data offset overflows the TAGFLD")
        flags = TAGFLD_DERIVED if e.derived else 0
        if e.null:
            if small:
                flags |= TAGFLD_NULL_SMALL
            else:
                body.append(e.header | HDR_NULL)
        else:
            hdr = e.header
            count = len(e.values)
            if count == 1:
                if e.separated[0]:
                    hdr |= HDR_SEPARATED
                if not small or hdr:
                    body.append(hdr)
                    if small:
                        flags |= TAGFLD_EXTENDED_INFO_SMALL
                body += e.values[0]
            elif count == 2 and e.two_values:
                body.append(hdr | HDR_MULTI_VALUES | HDR_TWO_VALUES)
                if small:
                    flags |= TAGFLD_EXTENDED_INFO_SMALL
                body.append(len(e.values[0]))
                body += e.values[0]
                body += e.values[1]
            else:
                body.append(hdr | HDR_MULTI_VALUES)
                if small:
                    flags |= TAGFLD_EXTENDED_INFO_SMALL
                off = 2 * count
                offs = bytearray()
                for v, sep in zip(e.values, e.separated):
                    offs += _U16.pack(off | (MV_SEPARATED_INSTANCE if sep else 0))
                    off += len(v)
                if off > MV_IB_MASK:
                    raise_error(C.JET_errRecordTooBig, "multi-values overflow their offsets")
                body += offs
                for v in e.values:
                    body += v
        array += _TAGFLD.pack(e.fid, ib | flags)
    return bytes(array + body)

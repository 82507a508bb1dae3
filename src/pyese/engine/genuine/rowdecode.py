"""Decoding whole records at once: one precomputed plan per table and column list.

The per-column reader (``RecordLayout.retrieve_ex``) parses a record's header, bitmap and
offsets again for every column it is asked for: right for one ``JetRetrieveColumn``, slow
for a dump that reads every column of every record. A :class:`RowDecoder` is built once
for a table's layout and a list of columns, and decodes a record's values in one pass:

- the **fixed columns** with one ``struct`` call over the fixed area: a format per
  ``fidFixedLastInRec`` the records use (records written before a fixed column was added
  stop earlier; the columns they lack take their default), the columns not asked for
  skipped as pad bytes. Typed (given a :class:`ValueTyping` by the layer above: the
  engine does not know Python's value types), the format's codes are the columns' own
  types (``<i`` for a Long, ``<d`` for a DateTime ...), so values come out with no call
  per column; only DateTime, GUID and text need a step after;
- the **variable columns** from one unpack of the offset array (``ibEndOfFixedData``
  onwards), each value a slice;
- the **tagged columns** from one pass over the record's TAGFLD array: a single value is
  sliced straight from it; multi-values, a derived table's template columns and anything
  unusual go through ``retrieve_ex`` value by value, so their semantics stay exactly its.

The result is exactly what the per-column path returns (``tests/engine/test_rowdecode.py``
compares them over every record of the samples): the same values, defaults, NULLs, and
the same verdict on damage: a record whose header disagrees with the table, whose offsets
run out of order or past its end, raises ``JET_errDatabaseCorrupted`` ("malformed
record"), never another exception. Only the columns asked for are looked at, as the
per-column path looks only at the columns it is asked for.

The record format is ESE's in pyese's own files too: nothing here is particular to
genuine files but the speed it is needed for. A decoder holds no record state and may be
shared by threads.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Protocol

from pyese.engine.records.record import (
    CB_RECORD_HEADER,
    FID_VAR_NONE,
    HDR_COMPRESSED,
    HDR_ENCRYPTED,
    HDR_MULTI_VALUES,
    HDR_NULL,
    HDR_SEPARATED,
    TAGFLD_DERIVED,
    TAGFLD_EXTENDED_INFO_SMALL,
    TAGFLD_NULL_SMALL,
    VALUE_COMPRESSED,
    VALUE_ENCRYPTED,
    VALUE_SEPARATED,
    VAR_NULL_BIT,
    VAR_OFFSET_MASK,
    RecordLayout,
    lid_from_bytes,
)
from pyese.engine.schema.schema import TAGGED_FIRST, VAR_FIRST, ColumnDef
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb.compression import decompress

_RECHDR = struct.Struct("<BBH")
_U16 = struct.Struct("<H")
_TAGFLD = struct.Struct("<HH")

_UNSET: Any = object()
DEFAULT: Any = object()
"""``RowDecoder(absent=DEFAULT)``: absent columns take their default (the default)."""

_SPECIAL = VALUE_SEPARATED | VALUE_COMPRESSED | VALUE_ENCRYPTED

Resolver = Callable[[bytes, int], bytes]
"""(stored bytes, VALUE_* flags) -> the value's bytes (a LID read, a value decompressed)."""


def _corrupt(exc: BaseException) -> None:
    raise_error(C.JET_errDatabaseCorrupted, f"malformed record: {exc}")


class ValueTyping(Protocol):
    """How a typed :class:`RowDecoder` turns stored bytes into values (the layer above
    provides it: ``pyese.typedvalues.PythonValues`` gives ``pyese.values``' values)."""

    def convert(self, col: ColumnDef) -> Callable[[bytes], Any]:
        """bytes -> the value of column ``col`` (raising a JetError for bad bytes)."""
        ...

    def fixed_code(self, col: ColumnDef) -> tuple[str, Callable[[Any], Any] | None] | None:
        """For a fixed column whose bytes ``struct`` can read directly: its format code and
        the conversion of what ``struct`` gives (None: the value as it is); None: use
        :meth:`convert` on the bytes."""
        ...


_NULL_PATTERNS_KEPT = 2048
"""NULL patterns kept per fixed-area plan (a few KiB each at most: bounded memory)."""


class _FixedPlan:
    """How the fixed area of records with one ``fidFixedLastInRec`` is decoded."""

    __slots__ = ("ib_end_fixed", "unpack", "present", "absent", "post", "cb_bitmap", "leading",
                 "mask", "_nulled")

    def __init__(self, decoder: RowDecoder, fid_last: int) -> None:
        layout = decoder.layout
        self.cb_bitmap = (fid_last + 7) >> 3
        self.ib_end_fixed = layout.fixed_offsets[fid_last + 1] + self.cb_bitmap
        fmt = ["<"]
        ib = 0  # the format starts at the record's first byte (the header is skipped)
        self.present: list[tuple[int, int]] = []
        """(position in the output, null bit) of the fixed columns this record holds."""
        self.absent: list[tuple[int, Any]] = []
        """(position, default value) of the fixed columns asked for beyond fid_last."""
        self.post: list[tuple[int, Callable[[Any], Any]]] = []
        """(index in the unpacked tuple, conversion) for values struct cannot finish."""
        k = 0
        for pos, col, fid in sorted(decoder.fixed, key=lambda e: e[2]):
            if fid > fid_last:
                self.absent.append((pos, decoder.default_of(pos)))
                continue
            start = layout.fixed_offsets[fid]
            if start > ib:
                fmt.append(f"{start - ib}x")
            size = layout.fixed_sizes[fid]
            spec = decoder.typing.fixed_code(col) if decoder.typing is not None else None
            if spec is not None and struct.calcsize("<" + spec[0]) == size:
                fmt.append(spec[0])
                if spec[1] is not None:
                    self.post.append((k, spec[1]))
            else:
                fmt.append(f"{size}s")
                if decoder.typing is not None:
                    self.post.append((k, decoder.convert[pos]))
            ib = start + size
            self.present.append((pos, fid - 1))
            k += 1
        self.unpack = struct.Struct("".join(fmt)).unpack_from
        self.mask = sum(1 << bit for _pos, bit in self.present)
        """The null bits of the columns unpacked."""
        self._nulled: dict[int, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {}
        self.leading = [pos for pos, _ in self.present] == list(range(len(self.present)))
        """The values fill the output's first positions in order (columns in fid order)."""


    def nulled(self, bitmap: int) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
        """A function: the unpacked values with one None appended -> the values with
        those whose null bit is set in ``bitmap`` made None, in one call (records of a
        table repeat a few NULL patterns: one function per pattern, kept)."""
        fn = self._nulled.get(bitmap)
        if fn is None:
            last = len(self.present)  # the index of the None appended
            picks = [last if bitmap >> bit & 1 else k
                     for k, (_pos, bit) in enumerate(self.present)]
            if len(picks) > 1:
                fn = itemgetter(*picks)
            else:
                pick = picks[0]
                fn = lambda vals: (vals[pick],)  # noqa: E731
            if len(self._nulled) >= _NULL_PATTERNS_KEPT:
                self._nulled.clear()
            self._nulled[bitmap] = fn
        return fn


class RowDecoder:
    """Decodes the given columns of a table's records in one pass (module docstring).

    ``typing``: how values are typed (:class:`ValueTyping`); None: stored bytes.
    :meth:`values` gives, per column, its list of values ([] for NULL), long values read
    through ``resolve``.
    """

    def __init__(self, layout: RecordLayout, columns: Sequence[ColumnDef], *,
                 typing: ValueTyping | None = None, absent: Any = DEFAULT) -> None:
        """``absent``: what a fixed or variable column beyond the record's last one gives
        (:data:`DEFAULT`: the column's default, as a retrieval gives)."""
        self.layout = layout
        self.absent = absent
        self.columns = list(columns)
        self.typing = typing
        self.fixed: list[tuple[int, ColumnDef, int]] = []
        self.var: list[tuple[int, ColumnDef, int]] = []
        self.tagged: list[tuple[int, ColumnDef, int]] = []
        self.convert: list[Callable[[bytes], Any]] = []
        for pos, col in enumerate(self.columns):
            fid = col.columnid & 0xFFFF
            group = self.fixed if fid < VAR_FIRST else self.var if fid < TAGGED_FIRST \
                else self.tagged
            group.append((pos, col, fid))
            self.convert.append(typing.convert(col) if typing is not None else bytes)
        self.wrap = [pos for pos, col in enumerate(self.columns)
                     if col.grbit & C.JET_bitColumnMultiValued
                     and (col.columnid & 0xFFFF) < TAGGED_FIRST]
        """Multi-valued fixed or variable columns (ESE allows none): their value as a list."""
        self.var_max = max((fid for _, _, fid in self.var), default=FID_VAR_NONE)
        self._plans: dict[int, _FixedPlan] = {}
        self._tagged_absent: list[tuple[int, Any, bool]] | None = None
        """(position, default, as a list) of the tagged columns, for records with none."""
        self._tagged_failed = False
        """A tagged column's default does not convert: no :attr:`_tagged_absent`."""
        self._var_splits: dict[int, tuple[list[tuple[int, int]],
                                          list[tuple[int, Any]] | None]] = {}
        self._default_list: list[Any] = [_UNSET] * len(self.columns)
        """Per column its default converted (made on first need: a default that does not
        convert fails the records that lack the column, not the others)."""

    def default_of(self, pos: int) -> Any:
        """Column ``pos``'s default as a value of this decoder (None without one), or the
        decoder's ``absent`` value when it is not :data:`DEFAULT`."""
        if self.absent is not DEFAULT:
            return self.absent
        d = self._default_list[pos]
        if d is _UNSET:
            d = self.columns[pos].default
            if d is not None:
                d = self.convert[pos](d)
            self._default_list[pos] = d
        return d

    def _plan(self, fid_fixed_last: int) -> _FixedPlan:
        plan = self._plans.get(fid_fixed_last)
        if plan is None:
            plan = self._plans[fid_fixed_last] = _FixedPlan(self, fid_fixed_last)
        return plan

    def values(self, record: bytes, resolve: Resolver) -> list[Any]:
        """One value per column (None: NULL) in the order of ``columns``; a column with
        several values (a multi-valued tagged column) gives the list of them.

        Raises ``JET_errDatabaseCorrupted`` for a malformed record, and what ``resolve``
        and the typed conversions raise (``JET_errLVCorrupted``, ``JET_errInvalidBufferSize``
        ...), as the per-column path does.
        """
        try:
            return self._values(record, resolve)
        except (struct.error, IndexError, ValueError) as exc:
            _corrupt(exc)
            raise AssertionError from exc  # pragma: no cover

    def values_many(self, records: Sequence[bytes], resolve: Resolver) -> list[list[Any]]:
        """:meth:`values` of each of ``records`` (a page of rows), in one call: the same
        values and errors, with the per-record work :meth:`values` repeats (its calls, the
        lookups of the plan of records with the same ``fidFixedLastInRec``) done once."""
        try:
            return self._values_many(records, resolve)
        except (struct.error, IndexError, ValueError) as exc:
            _corrupt(exc)
            raise AssertionError from exc  # pragma: no cover

    def _values_many(self, records: Sequence[bytes], resolve: Resolver) -> list[list[Any]]:
        """:meth:`_values` in a loop, its checks in its order (``values_many``)."""
        fid_max = self.layout.fid_fixed_last
        ncols = len(self.columns)
        var = self.var
        tagged = self.tagged
        wrap = self.wrap
        unpack_header = _RECHDR.unpack_from
        from_bytes = int.from_bytes
        var_none = FID_VAR_NONE
        result: list[list[Any]] = []
        append = result.append
        fid_last = -1
        plan: _FixedPlan | None = None
        ib_end_plan = cb = mask = 0
        present = leading = whole = False
        post: list[tuple[int, Callable[[Any], Any]]] = []
        absent: list[tuple[int, Any]] = []
        unpack: Callable[[bytes], tuple[Any, ...]] = unpack_header
        nulled_of: dict[int, Callable[[tuple[Any, ...]], tuple[Any, ...]]] = {}
        for record in records:
            if record.__class__ is not bytes:
                record = bytes(record)  # a buffer: values are bytes, sliced from bytes
            n = len(record)
            if n < CB_RECORD_HEADER:
                raise ValueError("record shorter than its header")
            fid_fixed_last, fid_var_last, ib_end_fixed = unpack_header(record)
            if fid_fixed_last > fid_max or fid_var_last < var_none:
                raise ValueError("record header disagrees with the table's columns")
            if fid_fixed_last != fid_last or plan is None:
                plan = self._plans.get(fid_fixed_last)
                if plan is None:
                    plan = self._plan(fid_fixed_last)
                fid_last = fid_fixed_last
                ib_end_plan, cb, mask = plan.ib_end_fixed, plan.cb_bitmap, plan.mask
                present, leading = bool(plan.present), plan.leading
                post, absent, unpack = plan.post, plan.absent, plan.unpack
                nulled_of = plan._nulled
                whole = leading and len(plan.present) == ncols  # the values are the row
            if ib_end_fixed != ib_end_plan:
                raise ValueError("record header disagrees with the table's columns")
            ib_var_data = ib_end_fixed + 2 * (fid_var_last - var_none)
            if ib_var_data > n:
                raise ValueError("variable offsets past the end of the record")
            if present:
                vals: Sequence[Any] = unpack(record)
                bitmap = from_bytes(record[ib_end_fixed - cb:ib_end_fixed], "little") \
                    & mask if cb else 0
                if bitmap:  # NULL bits first: a NULL value is never converted
                    fn = nulled_of.get(bitmap)
                    if fn is None:
                        fn = plan.nulled(bitmap)
                    vals = fn(vals + (None,))  # type: ignore[operator]
                if whole:
                    out: list[Any] = list(vals)
                    for k, conv in post:
                        v = out[k]
                        if v is not None:
                            out[k] = conv(v)
                else:
                    if post:
                        vals = list(vals)
                        for k, conv in post:
                            v = vals[k]
                            if v is not None:
                                vals[k] = conv(v)  # type: ignore[index]
                    out = [None] * ncols
                    if leading:
                        out[:len(vals)] = vals
                    else:
                        for (pos, _bit), v in zip(plan.present, vals):
                            out[pos] = v
            else:
                out = [None] * ncols
            for pos, dflt in absent:
                out[pos] = dflt
            if var:
                self._variable(record, n, fid_var_last, ib_end_fixed, ib_var_data, out)
            if tagged:
                self._tagged(record, n, fid_var_last, ib_var_data, resolve, out)
            for pos in wrap:
                if out[pos] is not None:
                    out[pos] = [out[pos]]
            append(out)
        return result

    def _values(self, record: bytes, resolve: Resolver) -> list[Any]:
        layout = self.layout
        if record.__class__ is not bytes:
            record = bytes(record)  # a buffer: values are bytes, sliced from bytes
        n = len(record)
        if n < CB_RECORD_HEADER:
            raise ValueError("record shorter than its header")
        fid_fixed_last, fid_var_last, ib_end_fixed = _RECHDR.unpack_from(record)
        if fid_fixed_last > layout.fid_fixed_last or fid_var_last < FID_VAR_NONE:
            raise ValueError("record header disagrees with the table's columns")
        plan = self._plans.get(fid_fixed_last)
        if plan is None:
            plan = self._plan(fid_fixed_last)
        if ib_end_fixed != plan.ib_end_fixed:
            raise ValueError("record header disagrees with the table's columns")
        ib_var_data = ib_end_fixed + 2 * (fid_var_last - FID_VAR_NONE)
        if ib_var_data > n:
            raise ValueError("variable offsets past the end of the record")
        out: list[Any] = [None] * len(self.columns)
        # fixed columns: one unpack
        if plan.present:
            vals: Sequence[Any] = plan.unpack(record)
            cb = plan.cb_bitmap
            bitmap = int.from_bytes(record[ib_end_fixed - cb:ib_end_fixed], "little") if cb \
                else 0
            bitmap &= plan.mask
            if bitmap:  # NULL bits first: a NULL value is never converted
                vals = plan.nulled(bitmap)(vals + (None,))  # type: ignore[operator]
            if plan.post:
                vals = list(vals)
                for k, fn in plan.post:
                    v = vals[k]
                    if v is not None:
                        vals[k] = fn(v)  # type: ignore[index]
            if plan.leading:
                out[:len(vals)] = vals
            else:
                for (pos, _bit), v in zip(plan.present, vals):
                    out[pos] = v
        for pos, dflt in plan.absent:
            out[pos] = dflt
        if self.var:
            self._variable(record, n, fid_var_last, ib_end_fixed, ib_var_data, out)
        if self.tagged:
            self._tagged(record, n, fid_var_last, ib_var_data, resolve, out)
        for pos in self.wrap:
            if out[pos] is not None:
                out[pos] = [out[pos]]
        return out

    def _variable(self, record: bytes, n: int, fid_var_last: int, ib_end_fixed: int,
                  ib_var_data: int, out: list[Any]) -> None:
        """The variable columns: one unpack of the offsets, each value a slice; the
        columns beyond the record's last one take their defaults from a list made once
        per ``fidVarLastInRec`` (:meth:`_var_split`)."""
        split = self._var_splits.get(fid_var_last)
        if split is None:
            split = self._var_split(fid_var_last)
        held, absent = split
        nvar = min(fid_var_last, self.var_max) - FID_VAR_NONE
        ends = struct.unpack_from(f"<{nvar}H", record, ib_end_fixed) if nvar > 0 else ()
        convert = self.convert
        typed = self.typing is not None  # untyped: the slice is the value
        if absent is None:  # a default that does not convert: the columns in their order
            for pos, _col, fid in self.var:
                if fid > fid_var_last:
                    out[pos] = self.default_of(pos)
                else:
                    self._var_value(record, n, ends, fid - VAR_FIRST, ib_var_data, pos, out)
            return
        for pos, i in held:
            end = ends[i]
            if end & VAR_NULL_BIT:
                continue
            start = ends[i - 1] & VAR_OFFSET_MASK if i else 0
            if start > end or ib_var_data + end > n:
                raise ValueError(f"variable column {i + VAR_FIRST}: offsets out of order")
            raw = record[ib_var_data + start:ib_var_data + end]
            out[pos] = convert[pos](raw) if typed else raw
        for pos, dflt in absent:
            out[pos] = dflt

    def _var_value(self, record: bytes, n: int, ends: Sequence[int], i: int,
                   ib_var_data: int, pos: int, out: list[Any]) -> None:
        """Variable column ``i`` (index in the offset array ``ends``) into ``out[pos]``."""
        end = ends[i]
        if end & VAR_NULL_BIT:
            return
        start = ends[i - 1] & VAR_OFFSET_MASK if i else 0
        if start > end or ib_var_data + end > n:
            raise ValueError(f"variable column {i + VAR_FIRST}: offsets out of order")
        raw = record[ib_var_data + start:ib_var_data + end]
        out[pos] = self.convert[pos](raw) if self.typing is not None else raw

    def _var_split(self, fid_var_last: int) -> tuple[list[tuple[int, int]],
                                                      list[tuple[int, Any]] | None]:
        """For records whose last variable column is ``fid_var_last``: (position, index
        in the offset array) of the variable columns asked for that they hold, and
        (position, default) of those they lack (None when a default fails to convert:
        then each record raises it, as :meth:`default_of` does)."""
        held = [(pos, fid - VAR_FIRST) for pos, _col, fid in self.var if fid <= fid_var_last]
        absent: list[tuple[int, Any]] | None
        try:
            absent = [(pos, self.default_of(pos)) for pos, _col, fid in self.var
                      if fid > fid_var_last]
        except Exception:  # noqa: BLE001 - raised again by each record that lacks it
            absent = None
        split = (held, absent)
        if len(self._var_splits) < 256:  # bounded: fidVarLastInRec is at most 255 values
            self._var_splits[fid_var_last] = split
        return split

    def _tagged(self, record: bytes, n: int, fid_var_last: int, ib_var_data: int,
                resolve: Resolver, out: list[Any]) -> None:
        """The tagged columns. The TAGFLD array is read once; a single value (with or
        without its header byte) is sliced straight from it, with ``_retrieve_tagged``'s
        checks; multi-values, a derived table's template columns and an array out of order
        (where ESE's binary search and a lookup could disagree) go through ``retrieve_ex``
        value by value."""
        layout = self.layout
        ib_tagged = ib_var_data
        if fid_var_last > FID_VAR_NONE:
            ib_tagged += _U16.unpack_from(record, ib_var_data - 2)[0] & VAR_OFFSET_MASK
        if ib_tagged > n:
            raise ValueError("variable data past the end of the record")
        entries: dict[int, int] | None = {}
        ctag = 0
        mask = 0x1FFF if layout.small_page else 0x7FFF
        ib_data = n
        if ib_tagged < n:
            first_ib = _U16.unpack_from(record, ib_tagged + 2)[0] & mask
            ctag = first_ib >> 2
            ib_data = ib_tagged + first_ib
            if not ctag or first_ib & 3 or ib_data > n:
                raise ValueError("TAGFLD array overruns the record")
            if layout.derived_table:
                entries = None  # template columns: let retrieve_ex sort them out
            else:
                prev = -1
                for k in range(ctag):
                    f, ib = _TAGFLD.unpack_from(record, ib_tagged + 4 * k)
                    key = f if ib & TAGFLD_DERIVED else 0x10000 | f
                    if key <= prev:
                        entries = None  # out of order: ESE's binary search decides
                        break
                    prev = key
                    if not ib & TAGFLD_DERIVED:
                        entries[f] = k  # type: ignore[index]
        if entries is not None and not entries:  # none of the record's: all defaults
            absent = self._tagged_absent
            if absent is None and not self._tagged_failed:
                absent = self._tagged_absent = self._tagged_defaults()
                self._tagged_failed = absent is None
            if absent is not None:
                for pos, d, multi_d in absent:
                    out[pos] = [d] if multi_d else d
                return
        small = layout.small_page
        convert = self.convert
        defaults = self._default_list
        for pos, col, fid in self.tagged:
            multi = col.grbit & C.JET_bitColumnMultiValued
            if entries is not None:
                k = entries.get(fid, -1)
                if k < 0:
                    d = defaults[pos]
                    if d is _UNSET:
                        d = self.default_of(pos)
                    out[pos] = [d] if multi and d is not None else d
                    continue
                at = ib_tagged + 4 * k
                ib_raw = _U16.unpack_from(record, at + 2)[0]
                start = ib_tagged + (ib_raw & mask)
                end = ib_tagged + (_U16.unpack_from(record, at + 6)[0] & mask) \
                    if k + 1 < ctag else n
                if start < ib_data or start > end or end > n:
                    raise ValueError(f"tagged column {fid}: TAGFLD offsets out of order")
                if small and ib_raw & TAGFLD_NULL_SMALL:
                    out[pos] = None
                    continue
                if small and not ib_raw & TAGFLD_EXTENDED_INFO_SMALL:
                    v = convert[pos](record[start:end])
                    out[pos] = [v] if multi else v
                    continue
                if start == end:
                    raise ValueError(f"tagged column {fid}: no room for its header byte")
                hdr = record[start]
                if hdr & HDR_NULL:
                    out[pos] = None
                    continue
                if not hdr & HDR_MULTI_VALUES:
                    flags = (VALUE_SEPARATED if hdr & HDR_SEPARATED else 0) | (
                        VALUE_COMPRESSED if hdr & HDR_COMPRESSED else 0) | (
                        VALUE_ENCRYPTED if hdr & HDR_ENCRYPTED else 0)
                    raw = record[start + 1:end]
                    v = convert[pos](resolve(raw, flags) if flags else raw)
                    out[pos] = [v] if multi else v
                    continue
            out[pos] = self._tagged_values(record, pos, col, resolve)

    def _tagged_defaults(self) -> list[tuple[int, Any, bool]] | None:
        """(position, default, whether it is given as a list) of each tagged column asked
        for, for records that hold none of them; None when a default fails to convert
        (then each record raises it in the columns' order, as :meth:`_tagged` does)."""
        try:
            return [(pos, d, bool(col.grbit & C.JET_bitColumnMultiValued) and d is not None)
                    for pos, col, _fid in self.tagged for d in (self.default_of(pos),)]
        except Exception:  # noqa: BLE001 - raised again by each record
            return None

    def _tagged_values(self, record: bytes, pos: int, col: ColumnDef,
                       resolve: Resolver) -> Any:
        """Every value of a tagged column through ``retrieve_ex``, shaped as a column."""
        retrieve = self.layout.retrieve_ex
        convert = self.convert[pos]
        cid = col.columnid
        vals = []
        itag = 1
        while True:
            raw, flags = retrieve(record, cid, itag)
            if raw is None:
                break
            vals.append(convert(resolve(raw, flags) if flags & _SPECIAL else raw))
            itag += 1
        if not vals:
            return None
        if len(vals) == 1 and not col.grbit & C.JET_bitColumnMultiValued:
            return vals[0]
        return vals


def tagged_fids(layout: RecordLayout, record: bytes) -> frozenset[int] | None:
    """The fids of the tagged columns ``record`` holds (non-derived TAGFLDs), after the
    checks ``retrieve_ex`` makes before it looks a tagged column up; None where that lookup
    must decide itself: a derived table, a TAGFLD array out of order, or a record
    ``retrieve_ex`` would reject."""
    if layout.derived_table:
        return None
    try:
        n = len(record)
        if n < CB_RECORD_HEADER:
            return None
        fid_fixed_last, fid_var_last, ib_end_fixed = _RECHDR.unpack_from(record)
        if (fid_fixed_last > layout.fid_fixed_last
                or ib_end_fixed != layout.fixed_offsets[fid_fixed_last + 1]
                + ((fid_fixed_last + 7) >> 3)
                or fid_var_last < FID_VAR_NONE):
            return None
        ib_var_data = ib_end_fixed + 2 * (fid_var_last - FID_VAR_NONE)
        if ib_var_data > n:
            return None
        ib_tagged = ib_var_data
        if fid_var_last > FID_VAR_NONE:
            ib_tagged += _U16.unpack_from(record, ib_var_data - 2)[0] & VAR_OFFSET_MASK
        if ib_tagged > n:
            return None
        if ib_tagged == n:
            return frozenset()
        mask = 0x1FFF if layout.small_page else 0x7FFF
        first_ib = _U16.unpack_from(record, ib_tagged + 2)[0] & mask
        ctag = first_ib >> 2
        if not ctag or first_ib & 3 or ib_tagged + first_ib > n:
            return None
        fids = []
        prev = -1
        for k in range(ctag):
            f, ib = _TAGFLD.unpack_from(record, ib_tagged + 4 * k)
            key = f if ib & TAGFLD_DERIVED else 0x10000 | f
            if key <= prev:
                return None
            prev = key
            if not ib & TAGFLD_DERIVED:
                fids.append(f)
        return frozenset(fids)
    except (struct.error, IndexError):
        return None


def resolver(lv: Any) -> Resolver:
    """The :data:`Resolver` of a table's long-value reader (``RecordView._resolve``'s rules):
    an encrypted value is ``JET_errDecryptionFailed``, a separated one is read from the LV
    tree, a compressed one decompressed."""
    def resolve(data: bytes, flags: int) -> bytes:
        if flags & VALUE_ENCRYPTED:
            raise_error(C.JET_errDecryptionFailed, "the value is encrypted")
        if flags & VALUE_SEPARATED:
            if lv is None:
                raise_error(C.JET_errLVCorrupted, "separated value without a long-value tree")
            return lv.read(lid_from_bytes(data))  # type: ignore[no-any-return]
        if flags & VALUE_COMPRESSED:
            return decompress(data)
        return data
    return resolve


__all__ = ["JetError", "Resolver", "RowDecoder", "resolver"]

"""The entries a secondary index holds for one record (ESE ``recupd.cxx`` ErrRECIEnumerateKeys).

An index holds one entry per distinct key a record generates:

* **Conditional columns** (JET_CONDITIONALCOLUMN) are checked first: if any
  MustBeNull column is set, or any MustBeNonNull column is NULL, the record is not in the
  index at all (wrnFLDNotPresentInIndex).
* **Multi-valued columns** are walked with ESE's KeySequence: an itagSequence per key
  column, starting at 1. By default only the *first* multi-valued key column is
  expanded; JET_bitIndexCrossProduct expands every multi-valued column (odometer order,
  last column fastest) and JET_bitIndexNestedTable advances all of them in lock-step.
  A column with no values yields one key with a NULL segment.
* **Tuple indexes** (JET_bitIndexTuples) make, for each value of the first column, one
  key per start offset ichStart, ichStart+cchIncrement, ... (at most chToIndexMax of
  them) of the substring of up to chLengthMax characters, stopping at the first one
  shorter than chLengthMin.
* **NULL rules** (ESE ``fcreate.cxx`` sets the IDB flags, nested): IgnoreAnyNull drops a
  record whose key has any NULL segment, IgnoreFirstNull one whose first segment is
  NULL, IgnoreNull one whose segments are all NULL; DisallowNull raises
  JET_errNullKeyDisallowed for any NULL segment. A null verdict on the base key ends
  the enumeration for the record.
* **Duplicates**: a key generated twice is stored once (the first itag combination
  wins, which is what JET_bitRetrieveTag and JetSetCurrentIndex3 report). On a unique
  index ESE's second insert of the same key fails, so we raise JET_errKeyDuplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pyese.engine.records.keys import (
    NULL_FIRST_SEG,
    NULL_KEY,
    NULL_SEG,
    KeyNormalizer,
    RetrievedKey,
    fast_key,
    key_parts,
    normalizer,
    retrieve_key_itags,
)
from pyese.engine.schema.schema import IndexDef
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

ValuesOf = Callable[[int], Sequence[bytes]]
"""All values of a column in itagSequence order; [] means NULL."""


@dataclass(frozen=True, slots=True)
class IndexEntry:
    """One index entry of a record: its key and the multi-value/tuple choice behind it."""

    key: bytes
    itags: tuple[int, ...]
    """itagSequence used for each key column (1 for single-valued columns)."""
    ich_offset: int
    """Start of the tuple (in characters) for tuple indexes, else 0."""
    truncated: bool
    columnids: tuple[int, ...]

    def itag_of(self, columnid: int) -> int:
        """itagSequence of ``columnid`` in this entry (JET_bitRetrieveTag), 1 if absent."""
        for cid, itag in zip(self.columnids, self.itags):
            if cid == columnid:
                return itag
        return 1


class _KeySequence:
    """ESE's KeySequence (``rec.hxx``): the itag odometer over the multi-valued columns."""

    def __init__(self, kn: KeyNormalizer, grbit: int) -> None:
        self.nested = bool(grbit & C.JET_bitIndexNestedTable)
        every = bool(grbit & (C.JET_bitIndexCrossProduct | C.JET_bitIndexNestedTable))
        self.mv = [False] * len(kn.segments)
        self.mv_most = -1
        for i, spec in enumerate(kn.segments):
            if spec.tagged and spec.multivalued:
                self.mv[i] = True
                self.mv_most = i
                if not every:
                    break
        self.itags = [1] * len(kn.segments)
        self.complete = False

    def is_base(self) -> bool:
        return all(t == 1 for t in self.itags)

    def increment(self, rollover: int | None) -> None:
        """Advance; ``rollover`` is the segment that ran out, 0 = done, None = none."""
        if rollover is None:
            if self.nested:
                for i in range(self.mv_most, -1, -1):
                    if self.mv[i]:
                        self.itags[i] += 1
            elif self.mv_most >= 0:
                self.itags[self.mv_most] += 1
            return
        if rollover == 0:
            self.complete = True
            return
        for i in range(rollover - 1, -1, -1):
            if self.mv[i]:
                self.itags[i] += 1
                break
        else:
            self.complete = True
            return
        for i in range(rollover, self.mv_most + 1):
            self.itags[i] = 1


def _value(values: Sequence[bytes], itag: int) -> bytes | None:
    return values[itag - 1] if 0 < itag <= len(values) else None


def index_entries(index: IndexDef, values_of: ValuesOf) -> list[IndexEntry]:
    """The entries ``index`` holds for a record whose column values ``values_of`` gives.

    Entries come in generation order with duplicates removed. Raises
    JET_errNullKeyDisallowed (DisallowNull), JET_errKeyTruncated (DisallowTruncation),
    JET_errKeyDuplicate (the record generates one key twice on a unique index).
    """
    kn = normalizer(index)
    if kn.single:
        return _single_entry(index, kn, values_of)
    return _general_entries(index, kn, values_of)


def _general_entries(index: IndexDef, kn: KeyNormalizer,
                     values_of: ValuesOf) -> list[IndexEntry]:
    """:func:`index_entries` for any index: the KeySequence loop (see the module doc)."""
    for cond in index.conditions:
        is_null = not values_of(cond.column.columnid)
        if is_null != cond.must_be_null:
            return []
    grbit = index.grbit
    disallow_null = bool(grbit & C.JET_bitIndexDisallowNull)
    ignore_any = bool(grbit & C.JET_bitIndexIgnoreAnyNull) or disallow_null
    allow_some = not ignore_any
    allow_first = allow_some and not grbit & C.JET_bitIndexIgnoreFirstNull
    allow_all = allow_first and not grbit & C.JET_bitIndexIgnoreNull
    has_mv = any(s.tagged and s.multivalued for s in kn.segments)
    columnids = tuple(s.columnid for s in kn.segments)
    all_values = [values_of(cid) for cid in columnids]
    if kn.tuples is not None:
        ch_min, ch_max, to_index_max, increment, ich_start = kn.tuples
    else:
        ch_min = ch_max = 0
        to_index_max, increment, ich_start = 1, 1, 0
    first_mv = kn.segments[0].tagged and kn.segments[0].multivalued
    seen: set[bytes] = set()
    entries: list[IndexEntry] = []
    ks = _KeySequence(kn, grbit)
    while not ks.complete:
        rollover: int | None = None
        picked = [_value(vals, itag) for vals, itag in zip(all_values, ks.itags)]
        ich = ich_start
        for tuple_no in range(to_index_max):
            row = picked
            if kn.tuples is not None:
                if ks.itags[0] > 1 and picked[0] is None and not ks.nested:
                    rollover = 0
                    break
                per_char = 2 if kn.segments[0].cp == 1200 else 1
                sub = (picked[0] or b"")[ich * per_char :][: ch_max * per_char]
                if len(sub) < ch_min * per_char:
                    if not first_mv:
                        rollover = 0
                    break
                row = [sub, *picked[1:]]
            result = retrieve_key_itags(kn, row, ks.itags, ks.nested)
            if isinstance(result, int):
                rollover = result
                break
            if result.nulls is not None and disallow_null:
                raise_error(C.JET_errNullKeyDisallowed, f"index {index.name!r}")
            if not _accept(result, tuple_no, allow_all, allow_first, allow_some):
                rollover = 0
                break
            if result.nulls == NULL_KEY:
                rollover = 0
            if result.key in seen:
                if index.is_unique:
                    raise_error(C.JET_errKeyDuplicate, f"index {index.name!r}")
            else:
                seen.add(result.key)
                entries.append(
                    IndexEntry(result.key, tuple(ks.itags), ich, result.truncated, columnids)
                )
            ich += increment
        if rollover == 0 or not has_mv:
            ks.complete = True
            continue
        ks.increment(rollover)
    return entries


def _single_entry(index: IndexDef, kn: KeyNormalizer, values_of: ValuesOf) -> list[IndexEntry]:
    """:func:`index_entries` for an index whose records have at most one entry (no
    conditions, no tuples, no multi-valued key column: ``KeyNormalizer.single``): the
    general loop's first and only step, with the same checks in the same order."""
    parts = _single_key(index, kn, values_of)
    if parts is None:
        return []
    return [IndexEntry(parts[0], kn.ones, 0, parts[1], kn.columnids)]


def _single_key(index: IndexDef, kn: KeyNormalizer,
                values_of: ValuesOf) -> tuple[bytes, bool] | None:
    """(key, truncated) of the one entry of a ``KeyNormalizer.single`` index, or None
    when the record is not in the index (a NULL rule); raises as :func:`index_entries`."""
    values: list[bytes | None] = []
    for cid in kn.columnids:
        vals = values_of(cid)
        values.append(vals[0] if vals else None)
    return single_key_of(index, kn, values)


def single_key_of(index: IndexDef, kn: KeyNormalizer,
                  values: Sequence[bytes | None]) -> tuple[bytes, bool] | None:
    """:func:`_single_key` given the first value of each key column (None: NULL)."""
    key = fast_key(kn, values)
    if key is not None:
        return key, False
    return single_key_slow(index, kn, values)


def single_key_slow(index: IndexDef, kn: KeyNormalizer,
                    values: Sequence[bytes | None]) -> tuple[bytes, bool] | None:
    """:func:`single_key_of` once :func:`fast_key` has said None for ``values``: the
    general key path with its NULL rules (JET_errNullKeyDisallowed)."""
    parts = key_parts(kn, values, None, False)
    assert not isinstance(parts, int)  # only multi-valued columns run out of values
    key, truncated, nulls = parts
    if nulls is not None:
        grbit = index.grbit
        if grbit & C.JET_bitIndexDisallowNull:
            raise_error(C.JET_errNullKeyDisallowed, f"index {index.name!r}")
        ignore_any = bool(grbit & (C.JET_bitIndexIgnoreAnyNull | C.JET_bitIndexDisallowNull))
        allow_some = not ignore_any
        allow_first = allow_some and not grbit & C.JET_bitIndexIgnoreFirstNull
        allow_all = allow_first and not grbit & C.JET_bitIndexIgnoreNull
        if not _accept_nulls(nulls, 0, allow_all, allow_first, allow_some):
            return None
    return key, truncated


def entry_keys(index: IndexDef, values_of: ValuesOf) -> list[bytes]:
    """The keys of :func:`index_entries` (same order, same errors), without building
    IndexEntry objects for the common single-entry index (the insert path)."""
    kn = normalizer(index)
    if kn.single:
        parts = _single_key(index, kn, values_of)
        return [] if parts is None else [parts[0]]
    return [e.key for e in _general_entries(index, kn, values_of)]


def _accept(
    result: RetrievedKey, tuple_no: int, allow_all: bool, allow_first: bool, allow_some: bool
) -> bool:
    return _accept_nulls(result.nulls, tuple_no, allow_all, allow_first, allow_some)


def _accept_nulls(nulls: str | None, tuple_no: int, allow_all: bool, allow_first: bool,
                  allow_some: bool) -> bool:
    if nulls == NULL_KEY:
        return allow_all and tuple_no == 0
    if nulls == NULL_FIRST_SEG:
        return allow_first
    if nulls == NULL_SEG:
        return allow_some
    return True

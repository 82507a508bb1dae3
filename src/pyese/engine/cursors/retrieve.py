"""Reading column values through a cursor: the current record, the copy buffer, the index
key (ESE ``fldext.cxx`` ErrIsamRetrieveColumn / ErrRECRetrieveColumns / ErrRECIRetrieveFromIndex,
``tagfld.cxx`` TAGFIELDS::ErrScan, ``fldenum.cxx``, ``recupd.cxx`` ErrIsamGetRecordSize).

What ``JetRetrieveColumn(s)``, ``JetEnumerateColumns``, ``JetGetRecordSize(2)``,
``JetRetrieveKey`` and ``JetGetSecondaryIndexBookmark`` do once their arguments are checked:

- :func:`retrieve_column`: one value (``Retrieved``): from the record or the copy buffer
  (``JET_bitRetrieveCopy``), decoded from the index entry's key
  (``JET_bitRetrieveFromIndex`` / ``FromPrimaryBookmark``, falling back to the record where
  the key cannot give the value back), the columnid-0 scan of tagged values, the count of
  values (itagSequence 0, ``JetRetrieveColumns`` only);
- :func:`enumerate_columns`, :func:`record_size`, :func:`retrieve_key`,
  :func:`secondary_index_bookmark`.

Values are bytes in ESE's binary form; ``None`` is NULL. Nothing here changes the cursor's
position except resolving a deferred move, as ESE's retrieve does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain
from operator import is_, itemgetter
from typing import Any

from pyese.engine.cursors import callbacks
from pyese.engine.cursors.cursor import ON, Cursor
from pyese.engine.cursors.handles import AnyCursor
from pyese.engine.records import update as U
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import (
    FALL_BACK_TO_RECORD,
    FallBackToRecord,
    column_from_key,
    normalizer,
)
from pyese.engine.records.record import (
    COLUMNID_TEMPLATE,
    VALUE_DEFAULT,
    VALUE_ENCRYPTED,
    VALUE_EXPLICIT_NULL,
    VALUE_SEPARATED,
    lid_from_bytes,
)
from pyese.engine.schema.schema import TAGGED_FIRST
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

_FID_MAX = 0xFFFE
"""ESE FCOLUMNIDValid: only the template bit above the fid, and fidMin <= fid <= fidMax."""

FROM_KEY = C.JET_bitRetrieveFromIndex | C.JET_bitRetrieveFromPrimaryBookmark

_RECSIZE_FIELDS = ("cbData", "cbLongValueData", "cbOverhead", "cbLongValueOverhead",
                   "cNonTaggedColumns", "cTaggedColumns", "cLongValues", "cMultiValues")


def retrieve_plain(cur: AnyCursor, cid: int) -> bytes | None:
    """:func:`retrieve_column` with no grbit, itagSequence 1, no offset or limit and a
    columnid other than 0 (what ``JetRetrieveColumn`` is called with most): the value,
    None for NULL. ``JET_errColumnNotFound``, ``JET_errNoCurrentRecord``,
    ``JET_errRecordDeleted``."""
    upd = cur.update
    if upd is not None and upd.keyed is not None:  # inside a key build (_record_for)
        return _retrieve(cur, cid, 0, 1, 0, None)[0]
    col = cur.table.column_by_id(cid)
    rec = cur.record_view()
    raw, flags = rec.layout.retrieve_ex(rec.data, cid, 1)
    if raw is not None:
        return _read_value(rec, col, 1, 0, 0, None)[0] if flags else raw
    if col.callback is None:
        return None
    return _retrieve(cur, cid, 0, 1, 0, None)[0]  # a user-defined default


class ColumnsPlan:
    """What :func:`retrieve_columns` reads for one ``JetRetrieveColumns`` column list.

    ``items`` the list's JET_RETRIEVECOLUMN objects and ``inputs`` their inputs as checked
    (columnid, grbit, itagSequence, ibLongValue, cbData: the very objects read, ints and
    None); ``decoder`` decodes the columns in one pass (``engine.genuine.rowdecode``, one
    position per distinct column); ``picks`` per item (position in the decoded row,
    itagSequence, the column is tagged); ``direct``: item k is value 1 of decoded column
    k, so a decoded row without multi-values is the answer as it is. Valid for the table
    layout it was made for."""

    __slots__ = ("items", "inputs", "layout", "decoder", "picks", "direct", "gather",
                 "may_list")

    def __init__(self, items: list[Any], inputs: list[tuple[Any, ...]], layout: Any,
                 decoder: Any, picks: list[tuple[int, int, bool]]) -> None:
        self.items = items
        self.inputs = inputs
        self.layout = layout
        self.decoder = decoder
        self.picks = picks
        order = [pos for pos, _, _ in picks]
        first_values = all(itag == 1 for _, itag, _ in picks)
        self.direct = first_values and order == list(range(len(picks)))
        """Item k is value 1 of decoded column k: a decoded row without multi-values is
        the answer as it is."""
        self.gather: Any = itemgetter(*order) if first_values and len(order) > 1 else None
        cols = decoder.columns
        may = [pos for pos, col in enumerate(cols)
               if col.is_tagged or col.grbit & C.JET_bitColumnMultiValued]
        self.may_list: Any = (itemgetter(*may) if len(may) > 1
                              else (lambda vals: (vals[may[0]],)) if may else None)
        """The decoded values that may be a list of values (tagged and multi-valued
        columns); None: no value can be."""
        """Value 1 of every item: the answer, from a decoded row without multi-values, in
        one call."""


_PLAIN_TYPES: set[type] = {int, type(None)}
"""The input types a plan takes: int and None, and int subclasses that compare and hash
as int does (``pyese.jet``'s ``JET_COLUMNID``, which ``JetAddColumn`` returns), added the
first time :func:`_plain_types` meets them."""


def _plain_types(types: set[type]) -> bool:
    """Whether every type of a ``JetRetrieveColumns`` list's inputs is a plain one
    (:data:`_PLAIN_TYPES`); bool and int subclasses with an equality or hash of their own
    are not."""
    for t in types - _PLAIN_TYPES:
        if (t is bool or not issubclass(t, int) or t.__eq__ is not int.__eq__
                or t.__hash__ is not int.__hash__):
            return False
        _PLAIN_TYPES.add(t)
    return True
_PLANS_KEPT = 16
"""Plans kept per cursor (a program reads a table with a few column lists)."""


def _new_plan(cur: Any, items: list[Any], sig: list[tuple[Any, ...]]) -> ColumnsPlan | None:
    """A :class:`ColumnsPlan` for ``sig``, or None when an item is not a plain read: an
    input that is not an int (cbData: an int or None), a grbit, an ibLongValue,
    itagSequence < 1, columnid 0, a negative cbData, an unknown column, a column with a
    user-defined default. Those take the item-by-item path, which gives their errors in
    ESE's order."""
    from pyese.engine.genuine.rowdecode import RowDecoder  # the dump path's decoder

    if not _plain_types(set(map(type, chain.from_iterable(sig)))):
        return None
    table = cur.table
    layout = table.layout
    wanted: dict[int, Any] = {}
    for cid, grbit, itag, ib, limit in sig:
        if (grbit is None or grbit or ib or itag is None or itag < 1 or not cid
                or (limit is not None and limit < 0)):
            return None
        try:
            col = table.column_by_id(cid)
        except JetError:
            return None
        if col.callback is not None or col.columnid != cid:
            return None
        wanted[cid] = col
    # the decoder's columns in columnid order (its fixed columns then come out of one
    # unpack in place), each once; the items pick from them
    columns = [wanted[cid] for cid in sorted(wanted)]
    where = {col.columnid: pos for pos, col in enumerate(columns)}
    picks: list[tuple[int, int, bool]] = []
    for cid, _grbit, itag, _ib, _limit in sig:
        col = wanted[cid]
        tagged = col.is_tagged
        picks.append((where[cid], itag if tagged else 1, tagged))  # others ignore itag
    return ColumnsPlan(list(items), sig, layout, RowDecoder(layout, columns), picks)


def _plans(cur: Cursor) -> dict[Any, ColumnsPlan]:
    plans: dict[Any, ColumnsPlan] | None = cur._columns_plans
    if plans is None or len(plans) >= _PLANS_KEPT:
        plans = cur._columns_plans = {}
    return plans


def planned_columns(cur: Any, key: int
                    ) -> tuple[list[Any], list[tuple[Any, ...]], list[bytes | None]] | None:
    """The values of the plan :func:`retrieve_columns` made under ``key`` (the caller's
    list), read from the current record as that function reads them: (the plan's items,
    their inputs as checked, the values). The caller must check that its list's items
    and inputs are still those very objects before it uses a value (else it calls
    :func:`retrieve_columns`). None when there is no such plan, the cursor is not on a
    record, or anything goes wrong reading it (the caller then takes the checked path,
    which reports it): nothing is raised, nothing changes."""
    if (cur.__class__ is not Cursor and not isinstance(cur, Cursor)) or cur.state != ON:
        return None
    plans: dict[Any, ColumnsPlan] | None = cur._columns_plans
    plan = plans.get(key) if plans else None
    if plan is None:
        return None
    layout = plan.layout
    if layout is not cur.table.layout:
        return None
    # _plan_values, inline (its key-build test too: inside a user-defined default's
    # callback the record to read is the one being keyed, which _record_for gives)
    upd = cur.update
    if upd is not None and upd.keyed is not None:
        return None
    try:
        rec = cur.record_view()
        if rec.layout is not layout and getattr(rec.layout, "base", None) is not layout:
            return None
        vals = plan.decoder.values(rec.data, rec._resolve)
    except JetError:
        return None
    gather = plan.gather
    if gather is not None or plan.direct:
        may_list = plan.may_list
        if may_list is None or list not in map(type, may_list(vals)):
            # no multi-values: value 1 of each is the value (as _picked)
            return plan.items, plan.inputs, vals if plan.direct else list(gather(vals))
    return plan.items, plan.inputs, _picked(plan, vals)


def retrieve_columns(cur: Any, items: list[Any], sig: list[tuple[Any, ...]],
                     key: int) -> list[bytes | None] | None:
    """Every item of a ``JetRetrieveColumns`` list from one decode of the current record,
    when every item is a plain read (ints; no grbit, no ibLongValue, itagSequence >= 1, a
    columnid other than 0; cbData any): per item the whole value (None: NULL), as
    :func:`retrieve_column` gives it with no limit. ``sig`` is the items' (columnid,
    grbit, itagSequence, ibLongValue, cbData), as the caller gave them; ``key`` names the
    caller's list for :func:`planned_columns`.

    The columns' plan (:class:`ColumnsPlan`) is kept on the cursor, under ``key`` and
    under the inputs' values (the types checked again when found that way). The record
    is decoded in one pass (``rowdecode.RowDecoder``, the ``dump`` path's decoder, equal
    to the per-column path value for value: ``tests/engine/test_rowdecode.py``,
    ``tests/jet/test_retrieve_columns_genuine.py``). None when this path does not apply
    (the caller then checks and reads item by item, which gives every error and warning
    in ESE's order): an item that is not a plain read, a cursor of another kind (a
    temporary table), a record the decoder finds damaged or whose long value fails to
    read. Errors: ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted`` (what the first
    item would give)."""
    if not isinstance(cur, Cursor):
        return None
    layout = cur.table.layout
    plans = _plans(cur)
    by_values = ("inputs", tuple(sig))
    plan = plans.get(by_values)
    if (plan is None or plan.layout is not layout
            or not _plain_types(set(map(type, chain.from_iterable(sig))))):
        plan = _new_plan(cur, items, sig)
        if plan is None:
            return None
        plans[by_values] = plan
    elif len(plan.items) != len(items) or not all(map(is_, plan.items, items)):
        plan = ColumnsPlan(list(items), sig, layout, plan.decoder, plan.picks)
    else:
        plan.inputs = sig  # the same items: their inputs as read now
    plans[key] = plan
    return _plan_values(cur, plan)


def _plan_values(cur: Any, plan: ColumnsPlan) -> list[bytes | None] | None:
    """The plan's values from the current record; None for a damaged record or a long
    value that fails to read (the per-column path says which column, as it always has).
    ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``. None also inside a key build's
    callback (the record is then the one being keyed: :func:`_record_for`)."""
    upd = cur.update
    if upd is not None and upd.keyed is not None:
        return None
    rec = cur.record_view()
    layout = plan.layout
    if rec.layout is not layout and getattr(rec.layout, "base", None) is not layout:
        return None
    try:
        vals = plan.decoder.values(rec.data, rec._resolve)
    except JetError:
        return None
    return _picked(plan, vals)


def _picked(plan: ColumnsPlan, vals: list[Any]) -> list[bytes | None]:
    """The plan's values (per item) from the decoded row ``vals``."""
    if plan.gather is not None or plan.direct:
        may_list = plan.may_list
        if may_list is None or list not in map(type, may_list(vals)):
            # no multi-values: value 1 of each is the value
            if plan.direct:
                return vals  # type: ignore[no-any-return]
            return list(plan.gather(vals))
    out: list[bytes | None] = []
    append = out.append
    for pos, itag, tagged in plan.picks:
        v = vals[pos]
        if v.__class__ is list:
            append(v[itag - 1] if itag <= len(v) else None)
        elif itag > 1 and tagged:
            append(None)
        else:
            append(v)
    return out


@dataclass(frozen=True, slots=True)
class Retrieved:
    """One retrieval's result.

    ``value`` (None: NULL) and ``size`` (cbActual, what is left of the value from
    ibLongValue); ``columnid`` the column the value came from (the one found by a
    columnid-0 scan, 0 past the last); ``set_null`` an explicit NULL found by that scan
    with ``JET_bitRetrieveNull``; ``itag`` the itagSequence computed by a retrieval from
    the index key (None when none was computed); ``from_key`` the value was decoded from
    the key; ``count`` the number of values (itagSequence 0 with ``count_values``)."""

    value: bytes | None
    size: int
    columnid: int
    set_null: bool = False
    itag: int | None = None
    from_key: bool = False
    count: int | None = None


def retrieve_column(cur: AnyCursor, cid: int, g: int, itag: int, ib: int, limit: int | None,
                    *, count_values: bool = False,
                    memo: dict[bool, Any] | None = None) -> Retrieved:
    """A column value of the current record (JetRetrieveColumn; JetRetrieveColumns with
    ``count_values``, where itagSequence 0 counts the values instead).

    ``g`` are the retrieve grbits (checked by the caller), ``itag`` the itagSequence, ``ib``
    the ibLongValue and ``limit`` the most bytes wanted (None: all). Errors:
    ``JET_errInvalidGrbit`` (FromIndex with FromPrimaryBookmark), ``JET_errBadColumnId``,
    ``JET_errColumnNotFound``, ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``,
    ``JET_errBadItagSequence``, ``JET_errIndexTuplesCannotRetrieveFromIndex``,
    ``JET_errRecordNoCopy``, ``JET_errSecondaryIndexCorrupted``. ``memo`` keeps the
    record for the rest of one JetRetrieveColumns call (see :func:`_record_for`)."""
    key_itag: int | None = None
    if g & FROM_KEY:
        got = _from_index(cur, cid, g, ib, limit)
        key_itag = got.itag
        if not got.fallback:
            return Retrieved(got.value, got.size, cid, itag=got.itag, from_key=True)
        assert got.itag is not None
        itag = got.itag
    if count_values and itag == 0:
        rec = _record_for(cur, g, memo)
        if cid == 0:
            count = _scan_tagged(rec, cur.table, 0, g)[1]
        else:
            cur.table.column_by_id(cid)
            count = len(rec.values(cid))
        return Retrieved(None, 0, cid, itag=key_itag, count=count)
    value, size, got_cid, set_null = _retrieve(cur, cid, g, itag, ib, limit, memo)
    return Retrieved(value, size, got_cid, set_null, itag=key_itag)


@dataclass(frozen=True, slots=True)
class EnumeratedColumn:
    """One column of :func:`enumerate_columns`: ``err`` is ``JET_wrnColumnNull``,
    ``JET_wrnColumnSingleValue`` (the value in ``values[0]``), ``JET_wrnColumnPresent`` or
    ``JET_wrnColumnSkipped`` (columnid 0); ``values`` are (itagSequence, bytes, err), err 0
    for a value returned, else ``JET_wrnColumnSkipped`` (itagSequence 0),
    ``JET_wrnColumnNull`` (no such value) or ``JET_wrnColumnPresent`` (presence only)."""

    columnid: int
    err: int
    values: list[tuple[int, bytes, int]] = field(default_factory=list)


def enumerate_columns(cur: AnyCursor, wanted_ids: list[tuple[Any, Any]] | None,
                      g: int) -> list[EnumeratedColumn]:
    """JetEnumerateColumns (ESE ``fldenum.cxx`` ErrRECEnumerateAllColumns /
    ErrRECEnumerateReqColumns): every column with a value, in columnid order, or the
    ``(columnid, rgtagSequence)`` pairs asked for. ``g``: the enumerate grbits.

    Per column, as ESE sets them: columnid 0 -> ``JET_wrnColumnSkipped``; no value ->
    ``JET_wrnColumnNull``; ``JET_bitEnumeratePresenceOnly`` without a tag list ->
    ``JET_wrnColumnPresent`` and no values; ``JET_bitEnumerateCompressOutput``, no tag list
    and exactly one value stored in the record (a separated long value is not compressed)
    -> ``JET_wrnColumnSingleValue``. With a tag list, one value per tag asked for, in that
    order: tag 0 -> ``JET_wrnColumnSkipped``, a tag past the last value ->
    ``JET_wrnColumnNull``, presence only -> ``JET_wrnColumnPresent``. Errors:
    ``JET_errNoCurrentRecord``, ``JET_errColumnNotFound`` (ESE finishes the list, then
    returns the first column id error)."""
    rec = _record_for(cur, C.JET_bitRetrieveCopy if g & C.JET_bitEnumerateCopy else 0)
    use_default = not g & C.JET_bitEnumerateIgnoreDefault
    table = cur.table
    wanted: list[tuple[int, list[int]]]
    if wanted_ids is None:
        # JET_bitEnumerateTaggedOnly: only the tagged columns (ESE fldenum.cxx)
        wanted = [(c.columnid, []) for c in sorted(table.column_list(),
                                                   key=lambda c: c.columnid)
                  if not g & C.JET_bitEnumerateTaggedOnly or c.grbit & C.JET_bitColumnTagged]
    else:
        wanted = []
        missing: int | None = None
        for cid, tags in wanted_ids:
            if int(cid) == 0:
                wanted.append((0, []))
                continue
            try:
                wanted.append((table.column_by_id(int(cid)).columnid, list(tags)))
            except JetError as exc:
                if exc.err != C.JET_errColumnNotFound:
                    raise
                missing = int(cid) if missing is None else missing
        if missing is not None:
            raise_error(C.JET_errColumnNotFound, f"columnid {missing}")
    out: list[EnumeratedColumn] = []
    for cid, tags in wanted:
        if cid == 0:
            out.append(EnumeratedColumn(0, C.JET_wrnColumnSkipped))
            continue
        values: list[tuple[bytes, bool]] = []
        n = 1
        while True:
            raw, fl = rec.layout.retrieve_ex(rec.data, cid, n, use_default=use_default)
            if raw is None:
                break
            v = rec.get(cid, n) if fl else raw  # a default, separated or compressed value
            values.append((v if v is not None else b"", bool(fl & VALUE_SEPARATED)))
            n += 1
        if not values:
            if wanted_ids is not None:
                out.append(EnumeratedColumn(cid, C.JET_wrnColumnNull))
            continue
        if g & C.JET_bitEnumeratePresenceOnly and not tags:
            # ESE fldenum.cxx: the column is reported present, its values not read
            out.append(EnumeratedColumn(cid, C.JET_wrnColumnPresent, []))
            continue
        if g & C.JET_bitEnumerateCompressOutput and len(values) == 1 and not tags \
                and not values[0][1]:
            out.append(EnumeratedColumn(cid, C.JET_wrnColumnSingleValue,
                                        [(1, values[0][0], 0)]))
            continue
        if not tags:
            out.append(EnumeratedColumn(cid, C.JET_wrnColumnPresent,
                                        [(i + 1, v, 0) for i, (v, _sep) in enumerate(values)]))
            continue
        picked: list[tuple[int, bytes, int]] = []
        for t in tags:
            if t == 0:
                picked.append((0, b"", C.JET_wrnColumnSkipped))
            elif t < 0:
                raise_error(C.JET_errBadItagSequence)
            elif t > len(values):
                picked.append((t, b"", C.JET_wrnColumnNull))
            elif g & C.JET_bitEnumeratePresenceOnly:
                picked.append((t, b"", C.JET_wrnColumnPresent))
            else:
                picked.append((t, values[t - 1][0], 0))
        out.append(EnumeratedColumn(cid, C.JET_wrnColumnPresent, picked))
    return out


_ENUM_FAST = (C.JET_bitEnumerateCompressOutput | C.JET_bitEnumeratePresenceOnly
              | C.JET_bitEnumerateTaggedOnly)
"""The JetEnumerateColumns grbits :func:`enumerate_record` answers (with no column list)."""


def enumerate_record(cur: Any, g: int
                     ) -> list[tuple[int, int, list[tuple[int, bytes, int]]]] | None:
    """:func:`enumerate_columns` without a column list, from one decode of the current
    record (``rowdecode.RowDecoder`` over the table's columns in columnid order, kept per
    table layout on the cursor): the same columns, errs and values, as (columnid, err,
    values) tuples (``EnumeratedColumn``'s fields, without an object each). None when this path
    does not apply (the caller then takes :func:`enumerate_columns`): a grbit other than
    ``JET_bitEnumerateCompressOutput``, ``PresenceOnly`` and ``TaggedOnly``, a cursor of
    another kind, a record the decoder finds damaged or whose long value fails to read.
    Errors: ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``."""
    if g & ~_ENUM_FAST or not isinstance(cur, Cursor):
        return None
    from pyese.engine.genuine.rowdecode import RowDecoder  # the dump path's decoder

    table = cur.table
    layout = table.layout
    tagged_only = bool(g & C.JET_bitEnumerateTaggedOnly)
    plan = cur._enum_plan
    if plan is None or plan[0] is not layout or plan[1] != tagged_only:
        cols = [c for c in sorted(table.column_list(), key=lambda c: c.columnid)
                if not tagged_only or c.grbit & C.JET_bitColumnTagged]
        longs = frozenset(c.columnid for c in cols
                          if c.coltyp in (C.JET_coltypLongText, C.JET_coltypLongBinary))
        plan = (layout, tagged_only, [c.columnid for c in cols], RowDecoder(layout, cols),
                longs)
        cur._enum_plan = plan
    rec = cur.record_view()
    if rec.layout is not layout and getattr(rec.layout, "base", None) is not layout:
        return None
    try:
        vals = plan[3].values(rec.data, rec._resolve)
    except JetError:
        return None  # damage: the per-column path says which column
    presence = g & C.JET_bitEnumeratePresenceOnly
    present = C.JET_wrnColumnPresent
    one = C.JET_wrnColumnSingleValue if g & C.JET_bitEnumerateCompressOutput else present
    out: list[tuple[int, int, list[tuple[int, bytes, int]]]] = []
    append = out.append
    longs = plan[4]
    for cid, v in zip(plan[2], vals):
        if v is None or v == []:
            continue
        if presence:  # ESE fldenum.cxx: reported present, its values not read
            append((cid, present, []))
            continue
        if v.__class__ is list and len(v) != 1:
            append((cid, present, [(i, x, 0) for i, x in enumerate(v, 1)]))
            continue
        x = v[0] if v.__class__ is list else v
        if one != present and cid in longs \
                and rec.layout.retrieve_ex(rec.data, cid, 1)[1] & VALUE_SEPARATED:
            append((cid, present, [(1, x, 0)]))  # fldenum.cxx: a separated LV is not compressed
        else:
            append((cid, one, [(1, x, 0)]))
    return out


def record_size(cur: AnyCursor, g: int) -> dict[str, int]:
    """JetGetRecordSize (ESE ``recupd.cxx`` ErrIsamGetRecordSize) of the current record, or
    of the copy buffer with ``JET_bitRecordSizeInCopyBuffer``; ``JET_bitRecordSizeLocal``
    leaves separated long values out. The figures are keyed by ``JET_RECSIZE``'s field
    names (``cbData``, ``cbOverhead``, ``cbLongValueData``, ``cbLongValueOverhead``,
    ``cNonTaggedColumns``, ``cTaggedColumns``, ``cLongValues``, ``cMultiValues``). Errors:
    ``JET_errUpdateNotPrepared``, ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``."""
    if g & C.JET_bitRecordSizeInCopyBuffer:
        if cur.update is None:
            raise_error(C.JET_errUpdateNotPrepared)
        rec = U.copy_view(cur)
    else:
        rec = cur.record_view()
    size = dict.fromkeys(_RECSIZE_FIELDS, 0)
    data_bytes = 0
    for col in cur.table.column_list():
        n = 1
        values = 0
        while True:
            raw, flags = rec.layout.retrieve_ex(rec.data, col.columnid, n,
                                                use_default=False)
            if raw is None:
                break
            values += 1
            if flags & VALUE_SEPARATED and not g & C.JET_bitRecordSizeLocal:
                lid = lid_from_bytes(raw)
                total = rec.lv.size(lid) if rec.lv is not None else 0
                size["cbLongValueData"] += total
                size["cbLongValueOverhead"] += 8 + 8 * max(1, -(-total // 8000))
                size["cLongValues"] += 1
                data_bytes += len(raw)
            else:
                data_bytes += len(raw)
            if not col.is_tagged:
                break
            n += 1
        if values:
            if col.is_tagged:
                size["cTaggedColumns"] += 1
                if values > 1:
                    size["cMultiValues"] += values
            else:
                size["cNonTaggedColumns"] += 1
    size["cbData"] = data_bytes
    size["cbOverhead"] = max(0, len(rec.data) - data_bytes) + len(rec.bookmark)
    return size


def retrieve_key(cur: AnyCursor, g: int) -> bytes:
    """JetRetrieveKey: the current entry's normalized key, or with ``JET_bitRetrieveCopy``
    the key being made. ``JET_errNoCurrentRecord``, ``JET_errRecordDeleted``."""
    if g & C.JET_bitRetrieveCopy:
        return cur.key_builder.key
    cur.require_entry(present=True)
    cur.record_view()
    assert cur.node_key is not None
    return cur.entry_key(cur.node_key)


def secondary_index_bookmark(cur: AnyCursor, g: int) -> tuple[bytes, bytes]:
    """JetGetSecondaryIndexBookmark: (the current entry's secondary key, the record's primary
    bookmark). ``JET_errNoCurrentIndex`` on the primary index, then
    ``JET_errInvalidGrbit`` for any grbit, ``JET_errNoCurrentRecord``,
    ``JET_errRecordDeleted``."""
    if not cur.on_secondary:
        raise_error(C.JET_errNoCurrentIndex)
    if g:
        raise_error(C.JET_errInvalidGrbit)
    cur.require_entry(present=True)
    rec = cur.record_view()
    assert cur.node_key is not None
    return cur.entry_key(cur.node_key), rec.bookmark


# -- the pieces ----------------------------------------------------------------------------

def _record_for(cur: Any, grbit: int, memo: dict[bool, Any] | None = None) -> Any:
    """The copy buffer (RetrieveCopy with a prepared update) or the current record.

    ``memo`` keeps the record for the rest of one JetRetrieveColumns call, so that every
    column of the call comes from the one record, read once (ESE fldext.cxx
    ErrRECRetrieveColumns reads them all under one latch of the record's page).

    Inside a user-defined default's callback run while a key is made from the copy
    buffer, the record being keyed (the update's ``keyed``), with or without
    JET_bitRetrieveCopy (ESE fldnorm.cxx ErrRECIIRetrieveKey: FUCBSetAlwaysRetrieveCopy;
    fldext.cxx reads the copy buffer when ``FFUCBAlwaysRetrieveCopy``)."""
    upd = cur.update
    if upd is not None and upd.keyed is not None:
        keyed: Any = upd.keyed
        return keyed
    copy = bool(grbit & C.JET_bitRetrieveCopy and upd is not None)
    if memo is not None and copy in memo:
        return memo[copy]
    rec = U.copy_view(cur) if copy else cur.record_view()
    if memo is not None:
        memo[copy] = rec
    return rec


def _raw_value(rec: Any, columnid: int, itag: int, grbit: int) -> tuple[bytes | None, int]:
    """(stored bytes, VALUE_* flags) of value ``itag``. JET_bitRetrieveIgnoreDefault skips
    the default of a *tagged* column only: ESE's fixed and variable retrieval takes no grbit
    (fldext.cxx ErrRECRetrieveNonTaggedColumn; tagfld.cxx TAGFIELDS::ErrRetrieveColumn)."""
    ignore = bool(grbit & C.JET_bitRetrieveIgnoreDefault) and (columnid & 0xFFFF) >= TAGGED_FIRST
    raw, flags = rec.layout.retrieve_ex(rec.data, columnid, itag, use_default=not ignore)
    return raw, flags


def _read_value(rec: Any, col: Any, itag: int, grbit: int, ib: int,
                cb_max: int | None) -> tuple[bytes | None, int]:
    """(bytes ib .. ib + cb_max of the value, cbActual); a separated long value is read
    chunk by chunk, only the chunks asked for.

    As ESE ``fldext.cxx`` ErrIsamRetrieveColumn / ErrRECRetrieveColumns: ``ib``
    (ibLongValue) applies to long values only (intrinsic, separated or compressed) and
    their cbActual is what is left from ``ib`` (0 when ``ib`` is at or past the end:
    ``lv.cxx`` ErrRECRetrieveSLongField); other columns ignore it and report their size.
    """
    raw, flags = _raw_value(rec, col.columnid, itag, grbit)
    if raw is None:
        return None, 0
    if not col.is_long_value:
        ib = 0
    if flags & VALUE_SEPARATED and not flags & VALUE_ENCRYPTED:
        if rec.lv is None:
            raise_error(C.JET_errLVCorrupted, "separated value without a long-value tree")
        lid = lid_from_bytes(raw)
        size = rec.lv.size(lid)
        if ib >= size:
            return b"", 0
        return rec.lv.read(lid, ib, cb_max), size - ib
    value = rec.get(col.columnid, itag) if flags else raw
    if value is None:
        return None, 0
    end = None if cb_max is None else ib + cb_max
    return value[ib:end], max(len(value) - ib, 0)


def _scan_order(rec: Any, table: Any) -> list[Any]:
    """The table's tagged columns in record order (template columns of a derived table
    first, then by fid), as TAGFIELDS::ErrScan walks them."""
    tagged = [c for c in table.column_list() if c.is_tagged]
    return sorted(tagged, key=lambda c: (not rec.layout.use_derived_bit(c.columnid),
                                         c.columnid & 0xFFFF))


def _scan_tagged(rec: Any, table: Any, n: int, grbit: int) -> tuple[int, int, bool]:
    """Columnid 0 retrieval (tagfld.cxx TAGFIELDS::ErrScan): (columnid, itagSequence,
    explicit NULL) of the record's ``n``-th tagged value, in record order; (0, 0, False)
    past the end. ``n`` 0 counts instead: (0, count, False). A column absent from the
    record counts once for its default unless JET_bitRetrieveIgnoreDefault; an explicit
    NULL (a default overridden) counts only with JET_bitRetrieveNull."""
    use_default = not grbit & C.JET_bitRetrieveIgnoreDefault
    nulls = bool(grbit & C.JET_bitRetrieveNull)
    seen = 0
    for col in _scan_order(rec, table):
        cid = int(col.columnid)
        raw, flags = rec.layout.retrieve_ex(rec.data, cid, 1, use_default=use_default)
        if raw is None:
            if nulls and flags & VALUE_EXPLICIT_NULL:
                seen += 1
                if seen == n:
                    return cid, 1, True
            continue
        count = 1
        if not flags & VALUE_DEFAULT:
            while rec.layout.retrieve_ex(rec.data, cid, count + 1,
                                         use_default=False)[0] is not None:
                count += 1
        if n and seen < n <= seen + count:
            return cid, n - seen, False
        seen += count
    return (0, seen, False) if n == 0 else (0, 0, False)


class _FromIndex:
    """What ESE's ErrRECIRetrieveFromIndex produced: ``fallback`` (errDIRNoShortCircuit:
    read the record, value ``itag``) or the decoded ``value`` and its ``size``; ``itag`` is
    None when it was not computed (the caller's itagSequence stands)."""

    __slots__ = ("fallback", "value", "size", "itag")

    def __init__(self, fallback: bool, value: bytes | None = None, size: int = 0,
                 itag: int | None = None) -> None:
        self.fallback = fallback
        self.value = value
        self.size = size
        self.itag = itag


def _entry_itag(cur: Any, idef: Any, key: bytes, columnid: int) -> int:
    """itagSequence of ``columnid`` in the index entry ``key`` of the current record: the
    record's entries are regenerated and matched against the key (fldext.cxx
    ErrRECIRetrieveFromIndex, ComputeItag). JET_errSecondaryIndexCorrupted if none
    matches.

    The record is keyed as an update keys it: a user-defined default column gets its
    callback's value (``callbacks.key_values``, the cursor being on the record; ESE's
    ComputeItag keys it with ErrRECRetrieveKeyFromRecord on the table's cursor)."""
    rec = cur.record_view()
    values = rec.values
    if normalizer(idef).udd:
        values = callbacks.key_values(cur, idef, values)
    for entry in index_entries(idef, values):
        if entry.key == key:
            return entry.itag_of(columnid)
    raise_error(C.JET_errSecondaryIndexCorrupted, "no record value makes this index entry")


def _from_index(cur: Any, cid: int, g: int, ib: int, limit: int | None) -> _FromIndex:
    """JET_bitRetrieveFromIndex / FromPrimaryBookmark (fldext.cxx ErrRECIRetrieveFromIndex).

    On the clustered index the value is decoded from the primary key (FromIndex and
    FromPrimaryBookmark alike), or read from the record when the cursor is not on an entry
    (a deferred move) or the table has no primary index. On a secondary index FromIndex
    decodes the current entry's key, FromPrimaryBookmark the record's primary key. Text,
    a column after a Unicode column, a possibly truncated key and binary with cbVarSegMac
    fall back to the record; the record's value is then the one *this entry* was made from
    (its itagSequence is recomputed), as it is with JET_bitRetrieveTag.
    """
    if g & C.JET_bitRetrieveFromIndex and g & C.JET_bitRetrieveFromPrimaryBookmark:
        raise_error(C.JET_errInvalidGrbit, "FromIndex with FromPrimaryBookmark")
    if cid & ~COLUMNID_TEMPLATE & 0xFFFF0000 or not 1 <= cid & 0xFFFF <= _FID_MAX:
        raise_error(C.JET_errBadColumnId)
    table = cur.table
    if not cur.on_secondary:
        if cur.state != ON or cur.index is None:
            # ESE: not locOnCurBM, or a sequential table: go to the record, itag 1
            return _FromIndex(True, itag=1)
        ix = cur.index
        g = C.JET_bitRetrieveFromIndex  # ESE strips RetrieveTag on the clustered index
        from_primary = False
    else:
        from_primary = bool(g & C.JET_bitRetrieveFromPrimaryBookmark)
        ix = table.primary_index if from_primary else cur.index
        if ix is None:
            raise_error(C.JET_errColumnNotFound, "a sequential table has no key columns")
    idef = ix.index
    if cid not in {s.column.columnid for s in idef.segments}:
        raise_error(C.JET_errColumnNotFound, "the column is not in the index")
    if normalizer(idef).tuples is not None and idef.segments[0].column.columnid == cid:
        raise_error(C.JET_errIndexTuplesCannotRetrieveFromIndex, "the tuple column")
    col = table.column_by_id(cid)
    cur.resolve_deferred()
    if cur.state != ON:
        raise_error(C.JET_errNoCurrentRecord)
    if from_primary:
        key = cur.bookmark or b""
    else:
        key = cur.entry_key(cur.node_key)
    decoded = column_from_key(idef, key, cid, g)
    multi = bool(col.grbit & C.JET_bitColumnMultiValued)
    if decoded is FALL_BACK_TO_RECORD:
        itag = _entry_itag(cur, cur.index.index, cur.entry_key(cur.node_key), cid) \
            if multi and cur.on_secondary else 1
        return _FromIndex(True, itag=itag)
    assert not isinstance(decoded, FallBackToRecord)
    itag_out: int | None = None
    if g & C.JET_bitRetrieveTag:
        itag_out = 1
        if multi and decoded is not None and cur.on_secondary:
            itag_out = _entry_itag(cur, cur.index.index, cur.entry_key(cur.node_key), cid)
    if decoded is None:
        return _FromIndex(False, None, 0, itag_out)
    if col.is_long_value:
        decoded = decoded[ib:] if ib < len(decoded) else b""
    size = len(decoded)
    value = decoded if limit is None else decoded[:limit]
    return _FromIndex(False, value, size, itag_out)


def _retrieve(cur: Any, cid: int, g: int, itag: int, ib: int, limit: int | None,
              memo: dict[bool, Any] | None = None) -> tuple[bytes | None, int, int, bool]:
    """(value, cbActual, columnid retrieved, explicit NULL) from the record or copy
    buffer; columnid 0 scans the tagged columns.

    itagSequence 0 is JET_errBadItagSequence for columnid 0 and for tagged columns (ESE
    ``fldext.cxx`` ErrIsamRetrieveColumn, ``rec.hxx`` ErrRECRetrieveTaggedColumn); fixed
    and variable columns ignore the itagSequence (ErrRECRetrieveNonTaggedColumn takes
    none)."""
    table = cur.table
    if cid == 0:
        if itag < 1:
            raise_error(C.JET_errBadItagSequence)
        rec = _record_for(cur, g, memo)
        cid, itag, set_null = _scan_tagged(rec, table, itag, g)
        if cid == 0 or set_null:
            return None, 0, cid, set_null
        value, size = _read_value(rec, table.column_by_id(cid), itag,
                                  g & ~C.JET_bitRetrieveIgnoreDefault, ib, limit)
        return value, size, cid, False
    col = table.column_by_id(cid)
    if not col.is_tagged:
        itag = 1
    elif itag < 1:
        raise_error(C.JET_errBadItagSequence)
    rec = _record_for(cur, g, memo)
    value, size = _read_value(rec, col, itag, g, ib, limit)
    if value is None and col.callback is not None and itag == 1 \
            and not g & C.JET_bitRetrieveIgnoreDefault:
        from pyese.engine.cursors.callbacks import user_defined_default  # the UDD hook

        value, size = user_defined_default(cur, col, limit)
    return value, size, cid, False


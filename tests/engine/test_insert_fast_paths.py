"""The insert path's shortcuts give exactly what the general path gives.

- ``keys.fast_key`` (a segment function per key column, no NULLs, nothing truncated) must
  produce the bytes of ``keys.key_parts`` whenever it answers at all;
- ``RecordImage.plain_value`` (a fixed or variable column's value read from the copy
  buffer) must equal what a reader of the encoded record gets (``RecordView``, defaults
  included), which is where the general path takes key values from.

Random index definitions and values (hypothesis), plus fixed cases showing that the fast
path does answer for the common indexes (otherwise the comparison would prove nothing).
"""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.records import keys_text
from pyese.engine.records.indexentries import entry_keys, single_key_of
from pyese.engine.records.keys import fast_key, key_parts, normalizer
from pyese.engine.records.record import RecordImage, RecordLayout
from pyese.engine.schema.schema import FIXED_SIZES, ColumnDef, IndexDef, IndexSegment
from pyese.jethdr import constants as C

FIXED_TYPES = [C.JET_coltypBit, C.JET_coltypUnsignedByte, C.JET_coltypShort,
               C.JET_coltypLong, C.JET_coltypLongLong, C.JET_coltypCurrency,
               C.JET_coltypUnsignedShort, C.JET_coltypUnsignedLong,
               C.JET_coltypUnsignedLongLong, C.JET_coltypIEEESingle,
               C.JET_coltypIEEEDouble, C.JET_coltypDateTime, C.JET_coltypGUID]
LCMAP = [0x00030401, keys_text.LCMAP_UPPERCASE, keys_text.LCMAP_SORTKEY,
         keys_text.LCMAP_SORTKEY | keys_text.NORM_IGNORENONSPACE]


@st.composite
def key_column(draw: st.DrawFn, cid: int) -> tuple[ColumnDef, st.SearchStrategy[bytes]]:
    """A key column and a strategy for its stored values (NULL and b"" included)."""
    kind = draw(st.sampled_from(["fixed", "text", "utext", "binary", "fixedbin",
                                 "fixedtext"]))
    if kind == "fixed":
        coltyp = draw(st.sampled_from(FIXED_TYPES))
        col = ColumnDef(cid, f"c{cid}", coltyp)
        return col, st.binary(min_size=FIXED_SIZES[coltyp], max_size=FIXED_SIZES[coltyp])
    if kind in ("fixedbin", "fixedtext"):
        cb = draw(st.integers(1, 40))
        coltyp = C.JET_coltypBinary if kind == "fixedbin" else C.JET_coltypText
        col = ColumnDef(cid, f"c{cid}", coltyp, cbMax=cb, cp=1252)
        return col, st.binary(min_size=cb, max_size=cb)
    if kind == "binary":
        col = ColumnDef(cid + 127, f"c{cid}", C.JET_coltypBinary, cbMax=2000)
        return col, st.binary(max_size=700)
    if kind == "text":
        col = ColumnDef(cid + 127, f"c{cid}", C.JET_coltypText, cbMax=2000, cp=1252)
        return col, st.binary(max_size=600)
    col = ColumnDef(cid + 127, f"c{cid}", C.JET_coltypText, cbMax=2000, cp=1200)
    text = st.text(alphabet=st.one_of(
        st.characters(min_codepoint=0x20, max_codepoint=0x7E),
        st.characters(min_codepoint=0xA0, max_codepoint=0x17F),
        st.sampled_from("-'. \u3042\u30a2\uff21\u00e9\u0301\u4e00\U0001F600")), max_size=300)
    raw = st.binary(max_size=41)  # odd lengths and lone surrogates too
    return col, st.one_of(text.map(lambda t: t.encode("utf-16-le", "surrogatepass")), raw)


@st.composite
def index_and_values(draw: st.DrawFn) -> tuple[IndexDef, list[bytes | None]]:
    n = draw(st.integers(1, 3))
    cols = [draw(key_column(i + 1)) for i in range(n)]
    segments = tuple(IndexSegment(c, draw(st.booleans())) for c, _ in cols)
    cb_key_most = draw(st.sampled_from([C.JET_cbKeyMost_OLD, 1000, 2000]))
    seg_mac = draw(st.one_of(st.just(0), st.integers(1, cb_key_most)))
    grbit = draw(st.sampled_from([0, C.JET_bitIndexSortNullsHigh, C.JET_bitIndexDotNetGuid]))
    index = IndexDef("ix", segments, grbit=grbit, cbKeyMost=cb_key_most, cbVarSegMac=seg_mac,
                     lcmap_flags=draw(st.sampled_from(LCMAP)))
    values = [draw(st.one_of(st.none(), st.just(b""), values)) for _, values in cols]
    return index, values


@settings(max_examples=150, deadline=None)
@given(index_and_values())
def test_fast_key_equals_key_parts(case: tuple[IndexDef, list[bytes | None]]) -> None:
    index, values = case
    kn = normalizer(index)
    general = key_parts(kn, values, None, False)
    assert not isinstance(general, int)
    fast = fast_key(kn, values)
    if fast is not None:
        assert general == (fast, False, None)
    if general[1] is False and general[2] is None and all(
            v and len(v) <= index.cbKeyMost for v in values):
        # the plain case with room to spare (for the key, and for each value as read,
        # since the fast path bounds ASCII text by its length before a NUL cuts it)
        # must take the fast path
        room = min(index.cbKeyMost, kn.cb_var_seg_mac)
        if len(general[0]) + 8 < room and all(
                len(v or b"") + 2 + len(general[0]) < room for v in values):
            assert fast == general[0]


def test_fast_path_answers_for_common_indexes() -> None:
    long_col = ColumnDef(1, "id", C.JET_coltypLong)
    name = ColumnDef(128, "name", C.JET_coltypText, cp=1200)
    ascii_name = ColumnDef(129, "a", C.JET_coltypText, cp=1252)
    pk = normalizer(IndexDef("pk", (IndexSegment(long_col),), grbit=C.JET_bitIndexPrimary))
    assert fast_key(pk, [struct.pack("<i", 7)]) == b"\x7f\x80\x00\x00\x07"
    by_name = IndexDef("n", (IndexSegment(name), IndexSegment(long_col, True)))
    v = ["n00001234".encode("utf-16-le"), struct.pack("<i", -3)]
    assert fast_key(normalizer(by_name), v) == key_parts(normalizer(by_name), v, None, False)[0]
    asc = normalizer(IndexDef("a", (IndexSegment(ascii_name),)))
    assert fast_key(asc, [b"abc"]) == b"\x7fABC\x00"
    # NULL, zero-length and over-long values go the general way
    assert fast_key(asc, [None]) is None
    assert fast_key(asc, [b""]) is None
    assert fast_key(asc, [b"x" * 300]) is None
    assert single_key_of(by_name, normalizer(by_name), [None, None]) is not None


# ---------------------------------------------------------------- record values


@st.composite
def layout_and_sets(draw: st.DrawFn) -> tuple[RecordLayout, list[tuple[int, bytes | None]]]:
    n_fixed = draw(st.integers(0, 6))
    n_var = draw(st.integers(0, 5))
    columns: dict[int, ColumnDef] = {}
    for fid in range(1, n_fixed + 1):
        coltyp = draw(st.sampled_from([C.JET_coltypLong, C.JET_coltypShort,
                                       C.JET_coltypUnsignedByte, C.JET_coltypLongLong]))
        size = FIXED_SIZES[coltyp]
        default = draw(st.one_of(st.none(), st.binary(min_size=size, max_size=size)))
        columns[fid] = ColumnDef(fid, f"f{fid}", coltyp, default=default)
    for fid in range(128, 128 + n_var):
        default = draw(st.one_of(st.none(), st.binary(min_size=1, max_size=8)))
        columns[fid] = ColumnDef(fid, f"v{fid}", C.JET_coltypBinary, cbMax=255,
                                 default=default)
    layout = RecordLayout(columns, draw(st.sampled_from([4096, 32768])))
    sets: list[tuple[int, bytes | None]] = []
    if columns:
        for _ in range(draw(st.integers(0, 8))):
            fid = draw(st.sampled_from(sorted(columns)))
            col = columns[fid]
            if fid < 128:
                size = FIXED_SIZES[col.coltyp]
                value = draw(st.one_of(st.none(), st.binary(min_size=size, max_size=size)))
            else:
                value = draw(st.one_of(st.none(), st.binary(max_size=20)))
            sets.append((fid, value))
    return layout, sets


@settings(max_examples=150, deadline=None)
@given(layout_and_sets())
def test_plain_value_equals_the_encoded_record(
        case: tuple[RecordLayout, list[tuple[int, bytes | None]]]) -> None:
    layout, sets = case
    image = RecordImage(layout)
    for fid, value in sets:
        image.set(fid, value)
    view = RecordView(layout, image.to_bytes(), None)
    for fid in layout.columns:
        got = view.values(fid)
        assert image.plain_value(fid) == (got[0] if got else None)


def test_plain_value_keys_equal_entry_keys_of_the_record() -> None:
    cols = {1: ColumnDef(1, "id", C.JET_coltypLong),
            2: ColumnDef(2, "d", C.JET_coltypLong, default=struct.pack("<i", 5)),
            128: ColumnDef(128, "name", C.JET_coltypText, cp=1200, cbMax=255),
            129: ColumnDef(129, "dv", C.JET_coltypText, cp=1252, default=b"dflt")}
    layout = RecordLayout(cols, 8192)
    index = IndexDef("ix", tuple(IndexSegment(cols[c]) for c in (129, 2, 128, 1)))
    kn = normalizer(index)
    for sets in ([], [(1, struct.pack("<i", 9))], [(128, "zz".encode("utf-16-le"))],
                 [(2, None), (129, b"x")], [(129, None), (1, struct.pack("<i", -1))]):
        image = RecordImage(layout)
        for cid, v in sets:
            image.set(cid, v)
        view = RecordView(layout, image.to_bytes(), None)
        parts = single_key_of(index, kn, [image.plain_value(c) for c in kn.columnids])
        assert ([] if parts is None else [parts[0]]) == entry_keys(index, view.values)


_FLAGS = st.lists(st.sampled_from([keys_text.NORM_IGNORECASE, keys_text.NORM_IGNORENONSPACE,
                                   keys_text.NORM_IGNORESYMBOLS, keys_text.LCMAP_BYTEREV,
                                   keys_text.SORT_STRINGSORT, keys_text.NORM_IGNOREWIDTH,
                                   keys_text.NORM_IGNOREKANATYPE])).map(
    lambda bits: keys_text.check_lcmap_flags(sum(set(bits)) | keys_text.LCMAP_SORTKEY))


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcxyz0189 -'._AZ\u00e9", max_size=40), _FLAGS)
def test_plain_text_sort_key_equals_the_reference(text: str, flags: int) -> None:
    # mostly lower-case letters and digits: the sort key's "plain" translate path
    data = text.encode("utf-16-le")
    assert keys_text.sort_key(data, flags) == keys_text.sort_key_reference(data, flags)

"""Record layout: ESE's itagSequence semantics, NULL/default rules, page-size formats."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyese.engine.records import record as R
from pyese.engine.records.record import RecordImage, RecordLayout
from pyese.engine.schema.schema import ColumnDef
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

TEXT, BIN, LBIN = C.JET_coltypText, C.JET_coltypBinary, C.JET_coltypLongBinary


def _layout(page_size=4096, default=None):
    cols = [
        ColumnDef(1, "Id", C.JET_coltypLong, grbit=C.JET_bitColumnNotNULL),
        ColumnDef(2, "Flag", C.JET_coltypBit),
        ColumnDef(3, "Code", TEXT, 8, C.JET_bitColumnFixed, 1252),
        ColumnDef(128, "Name", TEXT, 10, 0, 1252),
        ColumnDef(129, "Blob", BIN),
        ColumnDef(256, "Tags", BIN, grbit=C.JET_bitColumnTagged | C.JET_bitColumnMultiValued),
        ColumnDef(257, "Doc", LBIN, grbit=C.JET_bitColumnTagged | C.JET_bitColumnMultiValued),
        ColumnDef(258, "Dflt", BIN, grbit=C.JET_bitColumnTagged, default=default),
    ]
    return RecordLayout({c.columnid: c for c in cols}, page_size)


def test_max_record_size():
    # ESE rec.hxx REC::CbRecordMost; isam-semantics 1.2: 4048 - 2 - max(255, 2 + cbKeyMost)
    assert R.max_record_size(4096) == 4048 - 2 - 255
    assert R.max_record_size(4096, 1000) == 4048 - 2 - 1002
    assert R.max_record_size(32768, 255) == 32768 - 80 - 8 - 4 - 255


def test_empty_record_is_rechdr_only():
    img = RecordImage(_layout())
    assert img.to_bytes() == bytes([0, 127, 4, 0])


def test_fixed_and_variable_layout_bytes():
    img = RecordImage(_layout())
    img.set(1, (7).to_bytes(4, "little"))
    img.set(129, b"xy")
    # Id at 4..8, bitmap byte 0xff with bit 0 cleared (new bitmap bytes are 0xff: fldmod.cxx)
    # var offsets: Name NULL (0 | 0x8000), Blob end 2
    assert img.to_bytes() == bytes([1, 129, 9, 0, 7, 0, 0, 0, 0xFE, 0, 0x80, 2, 0]) + b"xy"


def test_fixed_text_padding_and_bit_normalisation():
    img = RecordImage(_layout())
    img.set(2, b"\x05")  # ESE stores Bit as 0xff (fldmod.cxx ErrRECISetIFixedColumn)
    img.set(3, b"ab")  # fixed Text is padded with spaces
    assert img.get(2) == b"\xff" and img.get(3) == b"ab      "
    with pytest.raises(JetError) as exc:
        img.set(1, b"\x01")
    assert exc.value.err == C.JET_errInvalidBufferSize
    with pytest.raises(JetError) as exc:
        img.set(1, None)
    assert exc.value.err == C.JET_errNullInvalid


def test_new_fixed_space_is_filled_with_chRECFill():
    img = RecordImage(_layout())
    img.set(3, b"abcdefgh")
    raw = img.to_bytes()
    assert raw[4:9] == b"*****"  # Id and Flag slots never set: '*' (chRECFill)
    assert img.get(1) is None and img.get(2) is None


def test_variable_truncation_warns():
    img = RecordImage(_layout())
    assert img.set(128, b"x" * 20) == C.JET_wrnColumnMaxTruncated
    assert img.get(128) == b"x" * 10


def test_second_value_makes_twovalues_on_small_pages_only():
    # tagfld.cxx ErrSetColumn: header-less single value + 2nd -> TWOVALUES; large pages MV
    for page, header in ((4096, 0x18), (32768, 0x08)):
        img = RecordImage(_layout(page))
        img.set(256, b"a")
        img.set(256, b"bc", 0)
        raw = img.to_bytes()
        layout = img.layout
        assert layout.retrieve(raw, 256, 1) == b"a" and layout.retrieve(raw, 256, 2) == b"bc"
        ib = raw[6] | raw[7] << 8
        assert raw[4 + 0 + (ib & 0x1FFF if page == 4096 else ib & 0x7FFF)] == header


def test_delete_from_three_keeps_multivalues():
    img = RecordImage(_layout())
    for v in (b"a", b"b", b"c"):
        img.set(256, v, 0)
    img.set(256, None, 2)
    entry = img._tagged[0]
    assert entry.values == [b"a", b"c"] and not entry.two_values
    again = RecordImage.from_bytes(img.layout, img.to_bytes())
    assert again._tagged[0].two_values is False and again.to_bytes() == img.to_bytes()


def test_explicit_null_overrides_default_and_revert():
    # tagfld.cxx ErrSetColumn: NULL on a column with a default leaves a NULL TAGFLD;
    # JET_bitSetRevertToDefaultValue removes it
    for page in (4096, 16384):
        layout = _layout(page, default=b"D")
        img = RecordImage(layout)
        assert layout.retrieve_ex(img.to_bytes(), 258) == (b"D", R.VALUE_DEFAULT)
        img.set(258, None)
        raw = img.to_bytes()
        assert layout.retrieve_ex(raw, 258) == (None, R.VALUE_EXPLICIT_NULL)
        assert img.is_explicit_null(258) and img.count(258) == 0
        assert RecordImage.from_bytes(layout, raw).to_bytes() == raw
        img.set(258, b"v")
        assert img.get(258) == b"v"
        img.set(258, None)
        img.set(258, None, revert_to_default=True)
        assert img.to_bytes() == bytes([0, 127, 4, 0])
    # without a default, NULL just removes the column
    img = RecordImage(_layout())
    img.set(258, b"v")
    img.set(258, None)
    assert img.to_bytes() == bytes([0, 127, 4, 0])


def test_separated_and_compressed_markers():
    for page in (4096, 32768):
        layout = _layout(page)
        img = RecordImage(layout)
        img.set(257, b"zz", compressed=True)
        img.set_separated(257, 0, 0x1234)
        raw = img.to_bytes()
        assert layout.retrieve_ex(raw, 257, 1) == (b"zz", R.VALUE_COMPRESSED)
        assert layout.retrieve_ex(raw, 257, 2) == (R.lid_bytes(0x1234), R.VALUE_SEPARATED)
        img.set(257, None, 1)
        assert img.get_ex(257) == (R.lid_bytes(0x1234), R.VALUE_SEPARATED)
        raw = img.to_bytes()
        assert layout.retrieve_ex(raw, 257) == (R.lid_bytes(0x1234), R.VALUE_SEPARATED)
    with pytest.raises(JetError):
        RecordImage(_layout()).set(256, b"1234", separated=True)


def test_lv_tree_keys():
    # lv.hxx: LVKEY32/64 are big-endian LID (+ offset); LID64 has the high bit
    assert R.lv_root_key(5) == b"\0\0\0\5"
    assert R.lv_chunk_key(5, 4096) == b"\0\0\0\5\0\0\x10\0"
    lid64 = R.LID64_FLAG | 0x80000001
    assert R.lv_parse_key(R.lv_root_key(lid64)) == (lid64, None)
    assert R.lv_parse_key(R.lv_chunk_key(lid64, 8)) == (lid64, 8)
    assert R.lv_parse_key(R.lv_chunk_key(5, 8)) == (5, 8)
    assert R.lid_from_bytes(R.lid_bytes(lid64)) == lid64 and len(R.lid_bytes(7)) == 4
    root = R.LVRoot(1, 300)
    assert root.to_bytes() == b"\1\0\0\0\x2c\1\0\0"
    assert R.LVRoot.from_bytes(R.LVRoot(2, 9, 1).to_bytes()) == R.LVRoot(2, 9, 1)


def test_corrupt_records_raise_database_corrupted():
    layout = _layout()
    for bad in (b"\x01", bytes([9, 127, 4, 0]), bytes([0, 127, 4, 0, 0, 1, 9, 0])):
        with pytest.raises(JetError) as exc:
            RecordImage.from_bytes(layout, bad)
        assert exc.value.err == C.JET_errDatabaseCorrupted


# ---------------------------------------------------------------- properties

values = st.binary(min_size=1, max_size=12)


@settings(max_examples=150, deadline=None)
@given(
    page=st.sampled_from([4096, 8192, 16384, 32768]),
    ops=st.lists(
        st.tuples(st.sampled_from([256, 257]), st.integers(0, 5), st.none() | values),
        max_size=25,
    ),
)
def test_itag_sequence_semantics_match_a_list_model(page, ops):
    # isam-semantics 5: 0 or > count appends; n replaces; NULL at n removes and shifts;
    # NULL beyond count is a no-op
    layout = _layout(page)
    img = RecordImage(layout)
    model = {256: [], 257: []}
    for cid, itag, value in ops:
        vals = model[cid]
        img.set(cid, value, itag)
        if value is None:
            if (itag == 0 and not vals) or not 1 <= itag <= len(vals):
                pass
            else:
                del vals[itag - 1]
        elif itag == 0 or itag > len(vals):
            vals.append(value)
        else:
            vals[itag - 1] = value
        raw = img.to_bytes()
        for c, vs in model.items():
            assert img.count(c) == len(vs)
            assert [layout.retrieve(raw, c, i) for i in range(1, len(vs) + 2)] == vs + [None]
        assert RecordImage.from_bytes(layout, raw).to_bytes() == raw


@settings(max_examples=150, deadline=None)
@given(
    page=st.sampled_from([4096, 32768]),
    nfixed=st.integers(0, 10),
    nvar=st.integers(0, 6),
    ntag=st.integers(0, 6),
    data=st.data(),
)
def test_random_columns_round_trip(page, nfixed, nvar, ntag, data):
    cols = [ColumnDef(f, f"F{f}", C.JET_coltypLong) for f in range(1, nfixed + 1)]
    cols += [ColumnDef(128 + i, f"V{i}", BIN, 20) for i in range(nvar)]
    cols += [
        ColumnDef(
            256 + i,
            f"T{i}",
            LBIN if i % 2 else BIN,
            grbit=C.JET_bitColumnTagged | C.JET_bitColumnMultiValued,
        )
        for i in range(ntag)
    ]
    layout = RecordLayout({c.columnid: c for c in cols}, page)
    img = RecordImage(layout)
    expect = {}
    for c in data.draw(st.permutations(cols)):
        if c.is_fixed:
            v = data.draw(st.none() | st.binary(min_size=4, max_size=4))
            img.set(c.columnid, v)
            expect[c.columnid] = [] if v is None else [v]
        elif c.is_variable:
            v = data.draw(st.none() | st.binary(max_size=20))
            img.set(c.columnid, v)
            expect[c.columnid] = [] if v is None else [v]
        else:
            vs = data.draw(st.lists(values, max_size=4))
            for v in vs:
                img.set(c.columnid, v, 0)
            expect[c.columnid] = vs
    raw = img.to_bytes()
    back = RecordImage.from_bytes(layout, raw)
    assert back.to_bytes() == raw
    for cid, vs in expect.items():
        assert [back.get(cid, i) for i in range(1, back.count(cid) + 1)] == vs
        assert [layout.retrieve(raw, cid, i) for i in range(1, len(vs) + 1)] == vs

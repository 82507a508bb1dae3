"""Genuine Windows records decode to dissect.esedb's values and re-encode byte-identically."""

import pytest
from genuine_records import SAMPLES

from pyese.engine.records.record import VALUE_EXPLICIT_NULL, RecordImage, RecordLayout
from pyese.engine.schema.sysobjects import decode_row, mso_layout, read_catalog
from pyese.jethdr import constants as C

SYSTEM_ROWS = SAMPLES["basic"]["catalog"]


def _catalog(name: str) -> list[bytes]:
    rows = [bytes.fromhex(h) for h in SAMPLES[name]["catalog"]]
    if name != "basic":
        rows = [
            bytes.fromhex(h) for h in SYSTEM_ROWS if decode_row(bytes.fromhex(h)).objid_table <= 3
        ] + rows
    return rows


def _layout(name: str) -> RecordLayout:
    schema = read_catalog(_catalog(name))[name]
    return RecordLayout(schema.columns, 4096)


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_column_of_every_record_decodes_like_dissect(name):
    layout = _layout(name)
    for rec in SAMPLES[name]["records"]:
        raw = bytes.fromhex(rec["raw"])
        img = RecordImage.from_bytes(layout, raw)
        for cid, expected in rec["expected"].items():
            cid = int(cid)
            n = img.count(cid)
            got = [img.get(cid, i) for i in range(1, n + 1)]
            shown = got
            if n == 0:  # dissect shows the column's default for an absent column
                default = layout.retrieve_ex(raw, cid)[0]
                shown = [] if default is None else [default]
            assert [g.hex() for g in shown] == expected, (name, layout.columns[cid].name)
            # the fast path agrees with the image, value by value
            assert [layout.retrieve(raw, cid, i) for i in range(1, n + 1)] == got
            assert layout.retrieve(raw, cid, n + 1) is None


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_genuine_records_reencode_byte_identically(name):
    layout = _layout(name)
    for rec in SAMPLES[name]["records"]:
        raw = bytes.fromhex(rec["raw"])
        assert RecordImage.from_bytes(layout, raw).to_bytes() == raw


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_genuine_catalog_rows_reencode_byte_identically(name):
    for raw in _catalog(name):
        assert RecordImage.from_bytes(mso_layout(4096), raw).to_bytes() == raw


def test_nulls_in_basic_second_record():
    # README: the second record of basic has nulls
    layout = _layout("basic")
    raw = bytes.fromhex(SAMPLES["basic"]["records"][1]["raw"])
    nulls = [c for c in layout.columns if layout.retrieve(raw, c) is None]
    assert nulls and 1 not in nulls


def test_default_table_absent_columns_read_their_defaults():
    layout = _layout("default")
    raw = bytes.fromhex(SAMPLES["default"]["records"][0]["raw"])
    tagged = [c for c in layout.columns if c >= 256]
    for cid in tagged:
        value, flags = layout.retrieve_ex(raw, cid)
        assert value == layout.columns[cid].default
        assert not flags & VALUE_EXPLICIT_NULL


def test_multi_uses_twovalues_and_multivalues_on_small_pages():
    # ESE tagfld.cxx: 2 non-LV values -> TWOVALUES (header 0x18), LV -> MULTIVALUES (0x09)
    layout = _layout("multi")
    raw = bytes.fromhex(SAMPLES["multi"]["records"][0]["raw"])
    img = RecordImage.from_bytes(layout, raw)
    kinds = {e.fid: (len(e.values), e.two_values) for e in img._tagged}
    assert any(two for n, two in kinds.values() if n == 2)
    assert all(not two for n, two in kinds.values() if n > 2)


def test_text_columns_have_their_code_pages():
    cols = {c.name: c for c in _layout("text").columns.values()}
    assert cols["FixedASCII"].cp == 1252 and cols["FixedUnicode"].cp == 1200
    assert cols["LongCompressedUnicode"].grbit & C.JET_bitColumnCompressed
    assert cols["FixedASCII"].is_fixed and cols["TaggedUnicode"].is_tagged

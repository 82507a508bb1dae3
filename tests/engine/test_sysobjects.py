"""MSysObjects: ESE's column list, and genuine Windows catalogs decoded and re-encoded."""

import pytest
from genuine_records import SAMPLES

from pyese.engine.records.record import RecordImage
from pyese.engine.schema import sysobjects as S
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError


def _rows(name):
    rows = [bytes.fromhex(h) for h in SAMPLES[name]["catalog"]]
    if name != "basic":
        system = [bytes.fromhex(h) for h in SAMPLES["basic"]["catalog"]]
        rows = [r for r in system if S.decode_row(r).objid_table <= 3] + rows
    return rows


ALL_ROWS = [r for n in SAMPLES for r in _rows(n)]


def test_mso_columns_are_rgcdescmso():
    # ESE: cat.hxx fidMSO_* and cat.cxx rgcdescMSO (29 columns, idataMSOMax)
    assert len(S.MSO_COLUMNS) == 29
    ids = {c.name: c.columnid for c in S.MSO_COLUMNS}
    assert ids["ObjidTable"] == 1 and ids["LVChunkMax"] == 12
    assert ids["Name"] == 128 and ids["SortID"] == 137
    assert ids["CallbackData"] == 256 and ids["LocaleName"] == 261
    assert S.MSO_COLUMNS_BY_NAME["KeyMost"].coltyp == C.JET_coltypUnsignedShort
    assert S.MSO_INDEXES[0].is_primary
    assert [s.column.name for s in S.MSO_INDEXES[0].segments] == ["ObjidTable", "Type", "Id"]


def test_genuine_catalog_describes_msysobjects_itself():
    # the catalog's own column rows must match our hard-coded list
    schema = S.read_catalog(_rows("basic"))["MSysObjects"]
    for col in S.MSO_COLUMNS:
        if col.columnid == S.fidMSO_PgnoFDPLastSetTime:
            assert col.columnid not in schema.columns  # Windows 11 23H2 and later only
            continue
        got = schema.columns[col.columnid]
        assert (got.name, got.coltyp) == (col.name, col.coltyp)
        assert bool(got.grbit & C.JET_bitColumnNotNULL) == bool(col.grbit & C.JET_bitColumnNotNULL)
    assert [ix.index.name for ix in schema.indexes] == ["Id", "Name", "RootObjects"]


@pytest.mark.parametrize("raw", ALL_ROWS, ids=lambda r: S.decode_row(r).name)
def test_every_row_reencodes_byte_identically(raw):
    row = S.decode_row(raw)
    assert S.encode_row(dict(row.values)) == raw


def test_table_column_index_lv_objects_round_trip_to_genuine_bytes():
    kinds = set()
    for raw in ALL_ROWS:
        row = S.decode_row(raw)
        if row.sysobj == S.sysobjTable:
            obj = S.table_from_row(row)
        elif row.sysobj == S.sysobjColumn:
            obj = S.column_from_row(row)
        elif row.sysobj == S.sysobjLongValue:
            continue
        else:
            continue
        kinds.add(row.sysobj)
        assert obj.to_record() == raw, row.name
    assert kinds == {S.sysobjTable, S.sysobjColumn}


def test_index_rows_round_trip_through_indexdef():
    for name in SAMPLES:
        schemas = S.read_catalog(_rows(name))
        by_objid = {s.table.objid: s for s in schemas.values()}
        for raw in _rows(name):
            row = S.decode_row(raw)
            if row.sysobj != S.sysobjIndex:
                continue
            ix = next(i for i in by_objid[row.objid_table].indexes if i.objid == row.id)
            assert ix.to_record() == raw, ix.index.name


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_user_table_schema(name):
    schema = S.read_catalog(_rows(name))[name]
    cols = {c.name: c for c in schema.columns.values()}
    assert cols["Id"].coltyp == C.JET_coltypLong
    assert cols["Id"].grbit & C.JET_bitColumnAutoincrement
    primary = [i for i in schema.indexes if i.index.is_primary]
    assert [s.column.name for s in primary[0].index.segments] == ["Id"]
    assert primary[0].index.grbit & C.JET_bitIndexPrimary


def test_index_sample_secondary_indexes():
    schema = S.read_catalog(_rows("index"))["index"]
    names = {i.index.name: i for i in schema.indexes}
    assert len(names) == 19
    uni = names["IxUnicode"]
    # fidbLocalizedText for a Unicode key column (idb.hxx)
    assert uni.fidb & S.fidbLocalizedText
    assert uni.index.segments[0].column.name == "Unicode"
    assert not uni.index.segments[0].descending
    assert uni.index.lcmap_flags == 0x00030401


def test_multi_columns_are_multivalued_and_lv_tree_row_present():
    schema = S.read_catalog(_rows("multi"))["multi"]
    assert all(c.grbit & C.JET_bitColumnMultiValued for c in schema.columns.values() if c.is_tagged)
    assert schema.long_value is not None and schema.long_value.pgno_fdp > 0


def test_idxseg_codec_and_legacy_format():
    data = S.encode_idxsegs([(5, S.fIDXSEGDescending), (0x80000101, 0)])
    assert data == bytes([0x40, 0, 5, 0, 0x80, 0, 1, 1])
    assert S.decode_idxsegs(data) == [(5, S.fIDXSEGDescending), (0x80000101, 0)]
    # legacy: signed fids, negative = descending
    assert S.decode_idxsegs(b"\xfb\xff\x03\x00", extended=False) == [
        (5, S.fIDXSEGDescending),
        (3, 0),
    ]
    with pytest.raises(JetError) as exc:
        S.decode_idxsegs(b"\x00\x00\x01")
    assert exc.value.err == C.JET_errDatabaseCorrupted


def test_idbflag_grbit_mapping():
    f = S.idbflag_from_grbit(C.JET_bitIndexPrimary)
    assert f == 0x2F  # genuine primary index Flags low word (Unique|AllNulls|First|Some|Primary)
    assert S.idbflag_from_grbit(0) == 0x0E
    assert S.grbit_from_idbflag(0x2F) == C.JET_bitIndexPrimary
    g = C.JET_bitIndexUnique | C.JET_bitIndexIgnoreAnyNull | C.JET_bitIndexIgnoreFirstNull
    assert S.grbit_from_idbflag(S.idbflag_from_grbit(g)) == g


def test_new_objects_encode_and_decode():
    t = S.CatalogTable(7, 40, "Widgets", flags=0, pages=1, density=80)
    row = S.decode_row(t.to_record())
    assert S.table_from_row(row) == t
    col = S.CatalogColumn(
        7,
        S.ColumnDef(
            0x100,
            "Tags",
            C.JET_coltypText,
            255,
            C.JET_bitColumnTagged | C.JET_bitColumnMultiValued,
            1200,
            b"x\x00",
        ),
        S.ffield_from_column(
            S.ColumnDef(
                0x100, "Tags", C.JET_coltypText, 255, C.JET_bitColumnMultiValued, 1200, b"x\x00"
            )
        ),
    )
    back = S.column_from_row(S.decode_row(col.to_record()))
    assert back.column == col.column
    assert back.ffield == S.ffieldMultivalued | S.ffieldDefault


def test_corrupt_row_gives_jet_error():
    with pytest.raises(JetError) as exc:
        S.decode_row(b"\x01\x7f")
    assert exc.value.err == C.JET_errDatabaseCorrupted
    img = RecordImage(S.mso_layout())
    img.set(S.fidMSO_Type, b"\x01\x00")
    with pytest.raises(JetError) as exc:
        S.decode_row(img.to_bytes())
    assert exc.value.err == C.JET_errDatabaseCorrupted

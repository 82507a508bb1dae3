"""Opening temporary tables: the five entry points, their outputs and ESE's errors in ESE's
order (``sortapi.cxx`` ErrIsamOpenTempTable / ErrSORTTableOpen)."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .conftest import LONG, insert, key_payload_columns, open_kp, scan

KEY = jet.JET_bitColumnTTKey


def test_open_returns_a_tableid_and_one_columnid_per_column(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=LONG, grbit=KEY),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cbMax=20),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypShort)]
    t, ids = jet.JetOpenTempTable(ses, cols, jet.JET_bitTTIndexed)
    assert isinstance(t, jet.JET_TABLEID)
    # ESE ErrSORTTableOpen: fixed ids from 1, variable from 128, tagged (and every long
    # value) from 256, handed out in column order
    assert [int(i) for i in ids] == [1, 128, 256, 2]
    assert all(isinstance(i, jet.JET_COLUMNID) for i in ids)


def test_open_temporary_table_fills_tableid_and_prgcolumnid(ses):
    ott = jet.JET_OPENTEMPORARYTABLE(prgcolumndef=key_payload_columns(),
                                     grbit=jet.JET_bitTTIndexed, cbKeyMost=500,
                                     cbVarSegMac=100)
    assert jet.JetOpenTemporaryTable(ses, ott) is None
    assert isinstance(ott.tableid, jet.JET_TABLEID)
    assert [int(c) for c in ott.prgcolumnid] == [1, 128]
    insert(ses, ott.tableid, ott.prgcolumnid, 7)
    assert scan(ses, ott.tableid, ott.prgcolumnid) == [(7, b"p")]


def test_open_temporary_table2_takes_a_locale_name(ses):
    ott = jet.JET_OPENTEMPORARYTABLE2(
        prgcolumndef=[jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200, grbit=KEY)],
        pidxunicode=jet.JET_UNICODEINDEX2(szLocaleName="en-US", dwMapFlags=0x00030401),
        grbit=jet.JET_bitTTIndexed)
    jet.JetOpenTemporaryTable2(ses, ott)
    t, (c,) = ott.tableid, ott.prgcolumnid
    for word in ("pear", "Apple", "banana"):
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        jet.JetSetColumn(ses, t, c, word.encode("utf-16-le"))
        jet.JetUpdate(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    got = []
    while True:
        got.append(jet.JetRetrieveColumn(ses, t, c).decode("utf-16-le"))
        try:
            jet.JetMove(ses, t, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            break
    assert got == ["Apple", "banana", "pear"]  # Unicode keys ignore case


def test_open_temp_table2_and_3_take_an_lcid(ses):
    t, ids = jet.JetOpenTempTable2(ses, key_payload_columns(), 0, jet.JET_bitTTIndexed)
    insert(ses, t, ids, 1)
    t3, ids3 = jet.JetOpenTempTable3(
        ses, key_payload_columns(), jet.JET_UNICODEINDEX(lcid=0x409, dwMapFlags=0x00030401),
        jet.JET_bitTTIndexed)
    insert(ses, t3, ids3, 2)
    assert scan(ses, t, ids) == [(1, b"p")] and scan(ses, t3, ids3) == [(2, b"p")]


def test_bad_lcmap_flags_of_a_unicode_key(ses):
    # ESE ErrSORTTableOpen -> ErrNORMCheckLCMapFlags
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200, grbit=KEY)]
    with pytest.raises(jet.InvalidLCMapStringFlagsError):
        jet.JetOpenTempTable3(ses, cols, jet.JET_UNICODEINDEX(lcid=0x409, dwMapFlags=0x100),
                              jet.JET_bitTTIndexed)


def test_max_temporary_tables_zero_refuses_every_temp_table(tmp_path):
    # ESE sortapi.cxx ErrIsamOpenTempTable: !UlParam(JET_paramMaxTemporaryTables) ->
    # JET_errTooManySorts, before any other check (even the forward-only one).
    inst = jet.JetCreateInstance("zero")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramMaxTemporaryTables, 0)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    with pytest.raises(jet.TooManySortsError):
        jet.JetOpenTempTable(s, key_payload_columns(),
                             jet.JET_bitTTForwardOnly | jet.JET_bitTTIndexed)


def test_max_temporary_tables_bounds_open_sorts(tmp_path):
    # ESE sort.cxx ErrSORTOpen: the SCB pool is sized by JET_paramMaxTemporaryTables;
    # one more sort is JET_errTooManySorts; closing one frees its SCB.
    inst = jet.JetCreateInstance("three")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramMaxTemporaryTables, 3)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    tables = [open_kp(s, 0)[0] for _ in range(3)]
    with pytest.raises(jet.TooManySortsError):
        open_kp(s, 0)
    jet.JetCloseTable(s, tables[0])
    open_kp(s, 0)


@pytest.mark.parametrize("bit", [jet.JET_bitTTIndexed, jet.JET_bitTTUpdatable,
                                 jet.JET_bitTTScrollable, jet.JET_bitTTForceMaterialization])
def test_forward_only_refuses_what_needs_a_btree(ses, bit):
    # ESE sortapi.cxx ErrIsamOpenTempTable
    with pytest.raises(jet.CannotMaterializeForwardOnlySortError):
        open_kp(ses, jet.JET_bitTTForwardOnly | bit)


def test_forward_only_without_a_key_or_with_a_long_value_cannot_materialize(ses):
    # ESE sortapi.cxx ErrIsamOpenTempTable: no key column, or a long value without
    # JET_bitTTIntrinsicLVsOnly, must materialize at once: refused when forward-only.
    with pytest.raises(jet.CannotMaterializeForwardOnlySortError):
        jet.JetOpenTempTable(ses, [jet.JET_COLUMNDEF(coltyp=LONG)], jet.JET_bitTTForwardOnly)
    lv = [jet.JET_COLUMNDEF(coltyp=LONG, grbit=KEY),
          jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongText)]
    with pytest.raises(jet.CannotMaterializeForwardOnlySortError):
        jet.JetOpenTempTable(ses, lv, jet.JET_bitTTForwardOnly)
    jet.JetOpenTempTable(ses, lv, jet.JET_bitTTForwardOnly | jet.JET_bitTTIntrinsicLVsOnly)


def test_no_columns_is_an_empty_materialized_table(ses):
    # ESE ErrSORTTableOpen accepts zero columns (no key: materialized at once)
    t, ids = jet.JetOpenTempTable(ses, [], 0)
    assert ids == []
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    bm = jet.JetUpdate(ses, t)
    assert len(bm) == 4  # a DBK
    jet.JetMove(ses, t, jet.JET_MoveFirst)


def test_bad_code_page(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=437, grbit=KEY)]
    with pytest.raises(jet.InvalidCodePageError):
        jet.JetOpenTempTable(ses, cols, 0)


def test_unknown_column_type(ses):
    with pytest.raises(jet.InvalidColumnTypeError):
        jet.JetOpenTempTable(ses, [jet.JET_COLUMNDEF(coltyp=99, grbit=KEY)], 0)


def test_too_many_fixed_columns(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBit) for _ in range(128)]
    with pytest.raises(jet.TooManyColumnsError):
        jet.JetOpenTempTable(ses, cols, 0)


def test_column_ids_are_assigned_before_code_pages_are_checked(ses):
    # ESE ErrSORTTableOpen: the first loop hands out ids (JET_errTooManyColumns), the
    # second checks code pages: too many columns wins over a bad code page.
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=437)]
    cols += [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText) for _ in range(128)]
    with pytest.raises(jet.TooManyColumnsError):
        jet.JetOpenTempTable(ses, cols, 0)


@pytest.mark.parametrize("most,segmac", [(100, 0), (3000, 0), (300, 301), (0, 256)])
def test_bad_cb_key_most_or_cb_var_seg_mac(ses, most, segmac):
    # ESE ErrSORTTableOpen: cbKeyMost 0 or JET_cbKeyMostMin..CbKeyMostForPage;
    # cbVarSegMac at most cbKeyMost (or 255 when cbKeyMost is 0)
    ott = jet.JET_OPENTEMPORARYTABLE(prgcolumndef=key_payload_columns(), cbKeyMost=most,
                                     cbVarSegMac=segmac)
    with pytest.raises(jet.InvalidParameterError):
        jet.JetOpenTemporaryTable(ses, ott)
    assert ott.tableid is None


def test_key_checks_come_before_column_checks(ses):
    ott = jet.JET_OPENTEMPORARYTABLE(
        prgcolumndef=[jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=437, grbit=KEY)],
        cbKeyMost=100)
    with pytest.raises(jet.InvalidParameterError):
        jet.JetOpenTemporaryTable(ses, ott)


def test_key_columns_past_sixteen_are_ignored(ses):
    # ESE ErrSORTTableOpen: "(grbit & JET_bitColumnTTKey) && iidxsegMac < JET_ccolKeyMost";
    # later key columns are ordinary columns, not an error.
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypUnsignedByte, grbit=KEY) for _ in range(17)]
    t, ids = jet.JetOpenTempTable(ses, cols, jet.JET_bitTTIndexed)
    for last in (2, 1):
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        for c in ids[:16]:
            jet.JetSetColumn(ses, t, c, b"\x00")
        jet.JetSetColumn(ses, t, ids[16], bytes([last]))
        jet.JetUpdate(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    # the 17th column is no key: both records have one key, one is removed
    with pytest.raises(jet.NoCurrentRecordError):
        jet.JetMove(ses, t, jet.JET_MoveNext)


def test_fixed_columns_too_big_for_a_record(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=255,
                              grbit=jet.JET_bitColumnFixed | (KEY if i == 0 else 0))
            for i in range(40)]
    with pytest.raises(jet.RecordTooBigError):
        jet.JetOpenTempTable(ses, cols, 0)


def test_argument_types(ses):
    with pytest.raises(jet.InvalidParameterError):
        jet.JetOpenTempTable(ses, [object()], 0)
    with pytest.raises(jet.InvalidGrbitError):
        jet.JetOpenTempTable(ses, key_payload_columns(), "x")
    with pytest.raises(jet.InvalidParameterError):
        jet.JetOpenTemporaryTable(ses, object())
    with pytest.raises(jet.InvalidSesidError):
        jet.JetOpenTempTable(0x7777, key_payload_columns(), 0)


def test_a_long_key_column_sorts_its_values(ses):
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary, grbit=KEY)]
    t, (c,) = jet.JetOpenTempTable(ses, cols, jet.JET_bitTTIndexed)
    for v in (b"zz", b"aa", b"mm"):
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
        jet.JetSetColumn(ses, t, c, v)
        jet.JetUpdate(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    got = [jet.JetRetrieveColumn(ses, t, c)]
    while True:
        try:
            jet.JetMove(ses, t, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            break
        got.append(jet.JetRetrieveColumn(ses, t, c))
    assert got == [b"aa", b"mm", b"zz"]

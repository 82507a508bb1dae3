"""JetEnumerateColumns' per-column and per-value warnings, as ESE's fldenum.cxx
(ErrRECEnumerateReqColumns, ErrRECEnumerateAllColumns) sets them:

- a requested columnid of 0: the column is JET_wrnColumnSkipped;
- a requested itagSequence of 0: that value is JET_wrnColumnSkipped;
- an itagSequence past the column's last value: that value is JET_wrnColumnNull;
- JET_bitEnumeratePresenceOnly with a tag list: each value asked for is
  JET_wrnColumnPresent (without one, the column is);
- JET_bitEnumerateCompressOutput gives JET_wrnColumnSingleValue only without a tag list and
  for a value kept in the record: a separated long value is listed as usual;
- a bad columnid among good ones: the list is finished, then the call fails with
  JET_errColumnNotFound.
"""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect


@pytest.fixture
def rec(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "e.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    tags = jet.JetAddColumn(s, t, "tags", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued))
    lv = jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    small = jet.JetAddColumn(s, t, "small", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    for v in (b"a", b"b", b"c"):
        jet.JetSetColumn(s, t, tags, v, 0, jet.JET_SETINFO(itagSequence=0))
    jet.JetSetColumn(s, t, lv, b"L" * 5000, 0)  # separated: beyond the record's room
    jet.JetSetColumn(s, t, small, (7).to_bytes(4, "little"), 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    return s, t, tags, lv, small


def test_columnid_zero_is_skipped(rec):
    s, t, tags, _lv, small = rec
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=0),
                                         jet.JET_ENUMCOLUMNID(columnid=small)])
    assert (out[0].columnid, out[0].err) == (0, jet.JET_wrnColumnSkipped)
    assert out[1].err == jet.JET_wrnColumnPresent


def test_tag_list_values_in_request_order(rec):
    s, t, tags, _lv, _small = rec
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=tags,
                                                              rgtagSequence=[3, 0, 9, 1])])
    vals = out[0].rgEnumColumnValue
    assert out[0].err == jet.JET_wrnColumnPresent
    assert [(v.itagSequence, v.err) for v in vals] == [
        (3, 0), (0, jet.JET_wrnColumnSkipped), (9, jet.JET_wrnColumnNull), (1, 0)]
    assert (vals[0].pvData, vals[3].pvData) == (b"c", b"a")
    assert vals[1].pvData is None and vals[2].pvData is None


def test_presence_only_with_a_tag_list_marks_each_value(rec):
    s, t, tags, _lv, _small = rec
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=tags,
                                                              rgtagSequence=[2, 4])],
                                  jet.JET_bitEnumeratePresenceOnly)
    assert out[0].err == jet.JET_wrnColumnPresent
    assert [(v.itagSequence, v.err, v.pvData) for v in out[0].rgEnumColumnValue] == [
        (2, jet.JET_wrnColumnPresent, None), (4, jet.JET_wrnColumnNull, None)]
    # without a tag list the column is present and no value is read
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=tags)],
                                  jet.JET_bitEnumeratePresenceOnly)
    assert (out[0].err, out[0].rgEnumColumnValue) == (jet.JET_wrnColumnPresent, [])


def test_compress_output_leaves_separated_values_and_tag_lists_alone(rec):
    s, t, tags, lv, small = rec
    out = jet.JetEnumerateColumns(s, t, None, jet.JET_bitEnumerateCompressOutput)
    by_id = {c.columnid: c for c in out}
    assert by_id[small].err == jet.JET_wrnColumnSingleValue
    assert by_id[small].pvData == (7).to_bytes(4, "little")
    assert by_id[lv].err == jet.JET_wrnColumnPresent  # separated: not compressed
    assert by_id[lv].rgEnumColumnValue[0].pvData == b"L" * 5000
    assert by_id[tags].err == jet.JET_wrnColumnPresent  # three values
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=small, rgtagSequence=[1])],
                                  jet.JET_bitEnumerateCompressOutput)
    assert out[0].err == jet.JET_wrnColumnPresent  # a tag list: never compressed


def test_a_bad_columnid_fails_the_call(rec):
    s, t, _tags, _lv, small = rec
    with expect(jet.JET_errColumnNotFound):
        jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=small),
                                       jet.JET_ENUMCOLUMNID(columnid=0x3FF0),
                                       jet.JET_ENUMCOLUMNID(columnid=0)])

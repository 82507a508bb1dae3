"""ESE's structures as dataclasses (pyese.jet.structs).

Field names and order are checked against ESE's header (dev/ese/published/inc/jethdr.w),
with cbStruct and the counts of pointer+count pairs taken out as the module's rule says.
"""

from __future__ import annotations

import dataclasses

import pytest

from pyese.jet import structs as S
from pyese.jethdr import constants as C

REQUIRED = """
JET_COLUMNDEF JET_COLUMNBASE JET_COLUMNCREATE JET_CONDITIONALCOLUMN JET_UNICODEINDEX
JET_UNICODEINDEX2 JET_TUPLELIMITS JET_SPACEHINTS JET_INDEXCREATE JET_INDEXCREATE2
JET_INDEXCREATE3 JET_TABLECREATE JET_TABLECREATE2 JET_TABLECREATE3 JET_TABLECREATE4
JET_RETRIEVECOLUMN JET_SETCOLUMN JET_RETINFO JET_SETINFO JET_RECPOS JET_RECSIZE JET_RECSIZE2
JET_INDEXID JET_INDEXRANGE JET_INDEX_COLUMN JET_INDEX_RANGE JET_ENUMCOLUMNID
JET_ENUMCOLUMNVALUE JET_ENUMCOLUMN JET_OBJECTINFO JET_OBJECTLIST JET_COLUMNLIST JET_INDEXLIST
JET_SESSIONINFO JET_INSTANCE_INFO JET_SIGNATURE JET_LGPOS JET_LOGTIME JET_BKINFO
JET_DBINFOMISC JET_COMMIT_ID JET_RSTINFO JET_RSTMAP JET_OPENTEMPORARYTABLE
JET_OPENTEMPORARYTABLE2 JET_THREADSTATS JET_USERDEFINEDDEFAULT
""".split()


@pytest.mark.parametrize("name", REQUIRED)
def test_struct_exists(name):
    cls = getattr(S, name)
    assert dataclasses.is_dataclass(cls) and cls.__name__ == name
    assert cls in S.STRUCTS and name in S.__all__


@pytest.mark.parametrize("cls", S.STRUCTS, ids=lambda c: c.__name__)
def test_every_struct_builds_with_defaults_and_no_cbstruct(cls):
    obj = cls()
    names = [f.name for f in dataclasses.fields(cls)]
    assert "cbStruct" not in names
    assert all(f.kw_only for f in dataclasses.fields(cls))
    assert obj == cls()
    with pytest.raises(TypeError):
        cls(1)


# Field order of ESE's C structs (jethdr.w), minus cbStruct and pointer+count counts.
ESE_FIELDS = {
    "JET_COLUMNDEF": "columnid coltyp wCountry langid cp wCollate cbMax grbit",
    "JET_COLUMNCREATE": "szColumnName coltyp cbMax grbit pvDefault cp columnid err",
    "JET_RETRIEVECOLUMN": (
        "columnid pvData cbData cbActual grbit ibLongValue itagSequence columnidNextTagged err"
    ),
    "JET_SETCOLUMN": "columnid pvData grbit ibLongValue itagSequence err",
    "JET_RETINFO": "ibLongValue itagSequence columnidNextTagged",
    "JET_SETINFO": "ibLongValue itagSequence",
    "JET_RECPOS": "centriesLT centriesInRange centriesTotal",
    "JET_LGPOS": "ib isec lGeneration",
    "JET_SIGNATURE": "ulRandom logtimeCreate szComputerName",
    "JET_BKINFO": "lgposMark logtimeMark genLow genHigh",
    "JET_SPACEHINTS": (
        "ulInitialDensity cbInitial grbit ulMaintDensity ulGrowth cbMinExtent cbMaxExtent"
    ),
    "JET_TUPLELIMITS": "chLengthMin chLengthMax chToIndexMax cchIncrement ichStart",
    "JET_SESSIONINFO": "ulTrxBegin0 ulTrxLevel ulProcid ulFlags ulTrxContext",
    "JET_COMMIT_ID": "signLog reserved commitId",
    "JET_DBINFOMISC": (
        "ulVersion ulUpdate signDb dbstate lgposConsistent logtimeConsistent logtimeAttach "
        "lgposAttach logtimeDetach lgposDetach signLog bkinfoFullPrev bkinfoIncPrev "
        "bkinfoFullCur fShadowingDisabled fUpgradeDb dwMajorVersion dwMinorVersion "
        "dwBuildNumber lSPNumber cbPageSize"
    ),
    "JET_RECSIZE": (
        "cbData cbLongValueData cbOverhead cbLongValueOverhead cNonTaggedColumns "
        "cTaggedColumns cLongValues cMultiValues"
    ),
}


@pytest.mark.parametrize("name,fields", sorted(ESE_FIELDS.items()))
def test_fields_follow_ese_order(name, fields):
    assert [f.name for f in dataclasses.fields(getattr(S, name))] == fields.split()


def test_columndef_by_keyword():
    cd = S.JET_COLUMNDEF(coltyp=C.JET_coltypLong, grbit=C.JET_bitColumnFixed)
    assert (cd.coltyp, cd.cbMax, cd.cp, cd.grbit, cd.columnid) == (4, 0, 0, 1, 0)
    text = S.JET_COLUMNDEF(coltyp=C.JET_coltypText, cbMax=255, cp=1200)
    assert (text.coltyp, text.cbMax, text.cp) == (C.JET_coltypText, 255, 1200)


def test_counts_are_read_from_the_lists():
    cc = [S.JET_COLUMNCREATE(szColumnName=n, coltyp=C.JET_coltypLong) for n in "abc"]
    idx = S.JET_INDEXCREATE(
        szIndexName="ix",
        szKey="+a\0-b\0\0",
        rgconditionalcolumn=[S.JET_CONDITIONALCOLUMN(szColumnName="c")],
    )
    tc = S.JET_TABLECREATE(szTableName="t", rgcolumncreate=cc, rgindexcreate=[idx])
    assert (tc.cColumns, tc.cIndexes) == (3, 1)
    assert (idx.cbKey, idx.cConditionalColumn) == (len("+a\0-b\0\0"), 1)
    tc.rgcolumncreate.append(S.JET_COLUMNCREATE(szColumnName="d"))
    assert tc.cColumns == 4
    assert S.JET_COLUMNCREATE(pvDefault=b"\x01\x00").cbDefault == 2
    assert S.JET_SETCOLUMN(pvData=b"xyz").cbData == 3
    assert S.JET_ENUMCOLUMNID(rgtagSequence=[1, 2]).ctagSequence == 2
    assert S.JET_RSTINFO(rgrstmap=[S.JET_RSTMAP()]).crstmap == 1
    rng = S.JET_INDEX_RANGE(rgStartColumns=[S.JET_INDEX_COLUMN(pv=b"ab")])
    assert (rng.cStartColumns, rng.cEndColumns, rng.rgStartColumns[0].cb) == (1, 0, 2)
    with pytest.raises(AttributeError):
        tc.cColumns = 9  # type: ignore[misc]


def test_output_fields_are_writable():
    col = S.JET_COLUMNCREATE(szColumnName="a")
    col.columnid, col.err = 257, C.JET_errColumnDuplicate
    assert (col.columnid, col.err) == (257, -1508)
    for cls in (S.JET_INDEXCREATE, S.JET_INDEXCREATE2, S.JET_INDEXCREATE3):
        ic = cls()
        ic.err = C.JET_errIndexDuplicate
        assert ic.err == -1403
    for cls in (S.JET_TABLECREATE, S.JET_TABLECREATE2, S.JET_TABLECREATE3, S.JET_TABLECREATE4):
        tc = cls()
        handle = object()
        tc.tableid, tc.cCreated = handle, 5
        assert tc.tableid is handle and tc.cCreated == 5
    rc = S.JET_RETRIEVECOLUMN(columnid=1)
    rc.pvData, rc.cbActual, rc.err = b"\x07", 1, C.JET_wrnBufferTruncated
    assert (rc.pvData, rc.cbActual, rc.err) == (b"\x07", 1, 1006)
    ott = S.JET_OPENTEMPORARYTABLE(prgcolumndef=[S.JET_COLUMNDEF()])
    ott.prgcolumnid.append(1)
    assert ott.ccolumn == 1 and ott.prgcolumnid == [1]


def test_mutable_defaults_are_not_shared():
    a, b = S.JET_TABLECREATE(), S.JET_TABLECREATE()
    a.rgcolumncreate.append(S.JET_COLUMNCREATE())
    assert b.rgcolumncreate == []
    x, y = S.JET_DBINFOMISC(), S.JET_DBINFOMISC()
    x.signDb.ulRandom = 7
    assert y.signDb.ulRandom == 0


def test_versions_that_only_append_extend_the_earlier_struct():
    assert issubclass(S.JET_INDEXCREATE2, S.JET_INDEXCREATE)
    assert issubclass(S.JET_RECSIZE2, S.JET_RECSIZE)
    assert issubclass(S.JET_DBINFOMISC7, S.JET_DBINFOMISC)
    assert issubclass(S.JET_THREADSTATS4, S.JET_THREADSTATS)
    # JET_INDEXCREATE3 replaces the lcid/pidxunicode union with a JET_UNICODEINDEX2 pointer.
    assert not issubclass(S.JET_INDEXCREATE3, S.JET_INDEXCREATE)
    assert "lcid" not in {f.name for f in dataclasses.fields(S.JET_INDEXCREATE3)}
    names = [f.name for f in dataclasses.fields(S.JET_DBINFOMISC4)]
    assert names[-3:] == ["genCommitted", "bkinfoCopyPrev", "bkinfoDiffPrev"]


def test_logtime_bit_fields():
    # ESE: jethdr.w JET_LOGTIME, bFiller1 = fTimeIsUTC:1 + bMillisecondsLow:7,
    # bFiller2 = fReserved:1 + bMillisecondsHigh:3 + fUnused:4.
    lt = S.JET_LOGTIME(bYear=124, bMonth=5, bFiller1=(100 << 1) | 1, bFiller2=3 << 1)
    assert lt.fTimeIsUTC is True
    assert lt.bMillisecondsLow == 100
    assert lt.bMillisecondsHigh == 3
    assert S.JET_LOGTIME().fTimeIsUTC is False


def test_structs_have_no_instance_dict():
    with pytest.raises(AttributeError):
        S.JET_COLUMNDEF().coltype = 4  # type: ignore[attr-defined]

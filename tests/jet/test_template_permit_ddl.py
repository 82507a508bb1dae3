"""Template tables opened with JET_bitTablePermitDDL, and the JET_IdxInfoList rows of a
derived table.

fileopen.cxx ErrIsamOpenTable: PermitDDL needs DenyRead (JET_errInvalidGrbit);
ErrFILEISetMode: a template table opens for DDL only while its FCB is not static
(JET_errTableInUse), and fcreate.cxx ErrFILECreateTable flags the template static when a
table derives from it. info.cxx (the JET_IdxInfoList builder) lists every index of the
FCB chain, inherited ones under the template's names (SzIndexName with FDerivedIndex) and
with IDB::GrbitFromFlags: JET_bitIndex* bits only, so no row is marked inherited.
"""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import expect

CC = jet.JET_COLUMNCREATE
IC = jet.JET_INDEXCREATE


@pytest.fixture
def sdb(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "tmpl.edb")
    tc = jet.JET_TABLECREATE(
        szTableName="Tmpl", grbit=jet.JET_bitTableCreateTemplateTable,
        rgcolumncreate=[CC(szColumnName="id", coltyp=jet.JET_coltypLong),
                        CC(szColumnName="name", coltyp=jet.JET_coltypText, cbMax=100)],
        rgindexcreate=[IC(szIndexName="pk", szKey="+id\0\0", grbit=jet.JET_bitIndexPrimary),
                       IC(szIndexName="byname", szKey="+name\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tc)
    jet.JetCloseTable(s, tc.tableid)
    return s, db


def _derive(s, db, name="D"):
    tc = jet.JET_TABLECREATE(szTableName=name, szTemplateTableName="Tmpl",
                             rgcolumncreate=[CC(szColumnName="extra", coltyp=jet.JET_coltypLong)],
                             rgindexcreate=[IC(szIndexName="byextra", szKey="+extra\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tc)
    return tc.tableid


def test_template_without_derived_tables_takes_ddl_with_permit_ddl(sdb):
    s, db = sdb
    t = jet.JetOpenTable(s, db, "Tmpl")
    with expect(jet.JET_errFixedDDL):
        jet.JetAddColumn(s, t, "more", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCloseTable(s, t)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetOpenTable(s, db, "Tmpl", None, jet.JET_bitTablePermitDDL)
    t = jet.JetOpenTable(s, db, "Tmpl", None,
                         jet.JET_bitTablePermitDDL | jet.JET_bitTableDenyRead)
    jet.JetAddColumn(s, t, "more", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCloseTable(s, t)
    # the column is the template's: a table derived later inherits it
    d = _derive(s, db)
    jet.JetGetTableColumnInfo(s, d, "more", jet.JET_ColInfo)


def test_a_template_tables_derive_from_is_static(sdb):
    s, db = sdb
    jet.JetCloseTable(s, _derive(s, db))
    with expect(jet.JET_errTableInUse):
        jet.JetOpenTable(s, db, "Tmpl", None,
                         jet.JET_bitTablePermitDDL | jet.JET_bitTableDenyRead)
    # an ordinary open still works, and the template still refuses DDL
    t = jet.JetOpenTable(s, db, "Tmpl")
    with expect(jet.JET_errFixedDDL):
        jet.JetAddColumn(s, t, "more", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetCloseTable(s, t)


def test_index_list_of_a_derived_table(sdb):
    s, db = sdb
    d = _derive(s, db)
    rows = jet.JetGetTableIndexInfo(s, d, None, jet.JET_IdxInfoList)
    got = {(r.indexname, r.grbitIndex) for r in rows}
    t = jet.JetOpenTable(s, db, "Tmpl")
    template_rows = jet.JetGetTableIndexInfo(s, t, None, jet.JET_IdxInfoList)
    # the inherited indexes under the template's names, with the template's grbits
    assert {(r.indexname, r.grbitIndex) for r in template_rows} <= got
    assert ("pk", jet.JET_bitIndexPrimary | jet.JET_bitIndexUnique) in got
    assert ("byextra", 0) in got

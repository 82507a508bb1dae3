"""Template tables and the tables derived from them (JetCreateTableColumnIndex with
JET_bitTableCreateTemplateTable / szTemplateTableName).

ESE sources: fcreate.cxx ErrIsamCreateTable (argument checks), ErrFILECreateTable (the
template is opened read-only: JET_errObjectNotFound / JET_errDDLNotInheritable; catalog
flags Template|FixedDDL or Derived; ErrFILEIInheritIndexes), ErrFILEGetNextColumnid (the
template bit in columnids), ErrFILEDeleteTable (JET_errCannotDeleteTemplateTable),
ErrIsamDeleteColumn / ErrIsamDeleteIndex (JET_errFixedDDL, JET_errFixedInheritedDDL).
"""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import databases_of
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.schema import sysobjects as S
from pyese.engine.schema.fcb import catalog_of

from .helpers import expect

CC = jet.JET_COLUMNCREATE
IC = jet.JET_INDEXCREATE
T_BIT = 0x80000000


def _cid(c) -> int:
    return c.value if hasattr(c, "value") else int(c)


@pytest.fixture
def sdb(inst):
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "tmpl.edb")
    return s, db


def _template(s, db, name="Tmpl", grbit=jet.JET_bitTableCreateTemplateTable):
    tc = jet.JET_TABLECREATE(
        szTableName=name, grbit=grbit,
        rgcolumncreate=[CC(szColumnName="id", coltyp=jet.JET_coltypLong),
                        CC(szColumnName="name", coltyp=jet.JET_coltypText, cbMax=100),
                        CC(szColumnName="tag", coltyp=jet.JET_coltypLong,
                           grbit=jet.JET_bitColumnTagged)],
        rgindexcreate=[IC(szIndexName="pk", szKey="+id\0\0", grbit=jet.JET_bitIndexPrimary),
                       IC(szIndexName="byname", szKey="+name\0\0")])
    jet.JetCreateTableColumnIndex(s, db, tc)
    jet.JetCloseTable(s, tc.tableid)
    return tc


def _derived(s, db, name="D", template="Tmpl", columns=None):
    tc = jet.JET_TABLECREATE(szTableName=name, szTemplateTableName=template,
                             rgcolumncreate=columns if columns is not None else
                             [CC(szColumnName="extra", coltyp=jet.JET_coltypLong)])
    jet.JetCreateTableColumnIndex(s, db, tc)
    return tc


def _catalog_rows(inst, objid_table):
    """The raw MSysObjects rows of one table as the file holds them (committed)."""
    db = databases_of(SYSTEM.find_instance(inst)).find_attached("tmpl.edb")
    storage = SYSTEM.find_instance(inst).services.parts["storage"]
    if storage.applier is not None:
        storage.applier.drain()
    snap = db.snapshot()
    try:
        rows = [S.decode_row(v, db.page_size) for _, v in snap.iterate(S.objidFDPMSO)]
    finally:
        snap.close()
    return [r for r in rows if r.objid_table == objid_table]


def s_session(inst, s):
    return SYSTEM.find_session(s)


def test_template_columnids_carry_the_template_bit(sdb):
    s, db = sdb
    tc = _template(s, db)
    # fcreate.cxx ErrFILEGetNextColumnid: ColumnidOfFid( fid, fTemplateTable )
    assert [_cid(c.columnid) for c in tc.rgcolumncreate] == [T_BIT | 1, T_BIT | 128,
                                                             T_BIT | 256]
    t = jet.JetOpenTable(s, db, "Tmpl")
    info = jet.JetGetTableColumnInfo(s, t, "name", jet.JET_ColInfo)
    assert _cid(info.columnid) == T_BIT | 128


def test_derived_table_inherits_columns_and_indexes(sdb):
    s, db = sdb
    _template(s, db)
    tc = _derived(s, db)
    # the derived table's own columns continue after the template's
    assert _cid(tc.rgcolumncreate[0].columnid) == 2
    t = tc.tableid
    cols = {n: jet.JetGetTableColumnInfo(s, t, n, jet.JET_ColInfo).columnid
            for n in ("id", "name", "tag", "extra")}
    assert {n: _cid(c) for n, c in cols.items()} == {
        "id": T_BIT | 1, "name": T_BIT | 128, "tag": T_BIT | 256, "extra": 2}
    assert jet.JetGetTableInfo(s, t, jet.JET_TblInfoTemplateTableName) == "Tmpl"
    for k in range(6):
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, cols["id"], struct.pack("<i", k), 0)
        jet.JetSetColumn(s, t, cols["name"], b"n%d" % (9 - k), 0)
        jet.JetSetColumn(s, t, cols["tag"], struct.pack("<i", k * 10), 0)
        jet.JetSetColumn(s, t, cols["extra"], struct.pack("<i", k * 100), 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
    # the inherited primary index orders the records by id
    jet.JetSetCurrentIndex(s, t, "pk")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, cols["id"], 0) == struct.pack("<i", 0)
    # the inherited secondary index has entries of its own
    jet.JetSetCurrentIndex(s, t, "byname")
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, cols["name"], 0) == b"n4"
    assert jet.JetRetrieveColumn(s, t, cols["tag"], 0) == struct.pack("<i", 50)
    assert jet.JetRetrieveColumn(s, t, cols["extra"], 0) == struct.pack("<i", 500)
    jet.JetMakeKey(s, t, b"n7", jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    assert jet.JetRetrieveColumn(s, t, cols["id"], 0) == struct.pack("<i", 2)


def test_catalog_rows_as_ese_writes_them(inst, sdb):
    s, db = sdb
    _template(s, db)
    jet.JetCloseTable(s, _derived(s, db).tableid)
    session = s_session(inst, s)
    dbo = databases_of(SYSTEM.find_instance(inst)).find_attached("tmpl.edb")
    cat = catalog_of(dbo)
    tmpl = cat.table(session, "Tmpl")
    der = cat.table(session, "D")
    rows_t = _catalog_rows(inst, tmpl.objid)
    rows_d = _catalog_rows(inst, der.objid)
    table_t = next(r for r in rows_t if r.sysobj == S.sysobjTable)
    table_d = next(r for r in rows_d if r.sysobj == S.sysobjTable)
    # fcreate.cxx ErrFILECreateTable: Template|FixedDDL, or Derived with the template's name
    assert table_t.get("Flags") == jet.JET_bitObjectTableTemplate | jet.JET_bitObjectTableFixedDDL
    assert table_t.get("TemplateTable") is None
    assert table_d.get("Flags") == jet.JET_bitObjectTableDerived
    assert table_d.get("TemplateTable") == "Tmpl"
    # the template bit is not persisted in column rows (ErrIsamDeleteColumn's comment)
    assert sorted(r.id for r in rows_t if r.sysobj == S.sysobjColumn) == [1, 128, 256]
    assert [r.id for r in rows_d if r.sysobj == S.sysobjColumn] == [2]
    # ErrFILEIInheritIndexes: one row per template index in the derived table, flagged
    # derived (not template); the primary one on the table's own tree
    ix_t = {r.name: r for r in rows_t if r.sysobj == S.sysobjIndex}
    ix_d = {r.name: r for r in rows_d if r.sysobj == S.sysobjIndex}
    assert set(ix_t) == set(ix_d) == {"pk", "byname"}
    for name in ("pk", "byname"):
        fidb_t = ix_t[name].get("Flags") & 0xFFFF
        fidb_d = ix_d[name].get("Flags") & 0xFFFF
        assert fidb_t & S.fidbTemplateIndex and not fidb_t & S.fidbDerivedIndex
        assert fidb_d & S.fidbDerivedIndex and not fidb_d & S.fidbTemplateIndex
        # key columns are the template's: IDXSEG template flag 0x80
        assert ix_d[name].get("KeyFldIDs")[0] & S.fIDXSEGTemplateColumn
    assert ix_d["pk"].id == der.objid
    assert ix_d["byname"].id not in (der.objid, ix_t["byname"].id)


def test_create_argument_checks(sdb):
    s, db = sdb
    _template(s, db)
    # fcreate.cxx ErrIsamCreateTable, in order
    with expect(jet.JET_errCannotNestDDL):
        jet.JetCreateTableColumnIndex(s, db, jet.JET_TABLECREATE(
            szTableName="X", szTemplateTableName="Tmpl",
            grbit=jet.JET_bitTableCreateTemplateTable))
    for grbit in (jet.JET_bitTableCreateTemplateTable
                  | jet.JET_bitTableCreateNoFixedVarColumnsInDerivedTables,
                  jet.JET_bitTableCreateNoFixedVarColumnsInDerivedTables):
        with expect(jet.JET_errInvalidGrbit):
            jet.JetCreateTableColumnIndex(s, db, jet.JET_TABLECREATE(szTableName="X",
                                                                     grbit=grbit))
    # ErrFILECreateTable opens the template: missing, or not a template
    with expect(jet.JET_errObjectNotFound):
        _derived(s, db, "X", "NoSuchTable")
    jet.JetBeginTransaction(s)
    plain = jet.JetCreateTable(s, db, "Plain", 0, 100)
    jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, plain)
    with expect(jet.JET_errDDLNotInheritable):
        _derived(s, db, "X", "Plain")
    # nothing of the failed creations stays
    with expect(jet.JET_errObjectNotFound):
        jet.JetOpenTable(s, db, "X")
    # a derived table cannot take a column name the template has
    with expect(jet.JET_errColumnDuplicate):
        _derived(s, db, "X", columns=[CC(szColumnName="NAME", coltyp=jet.JET_coltypLong)])


def test_ddl_on_template_and_derived_tables(sdb):
    s, db = sdb
    _template(s, db)
    t = _derived(s, db).tableid
    # fcreate.cxx ErrFILEDeleteTable
    with expect(jet.JET_errCannotDeleteTemplateTable):
        jet.JetDeleteTable(s, db, "Tmpl")
    # ErrIsamDeleteColumn: an inherited column
    with expect(jet.JET_errFixedInheritedDDL):
        jet.JetDeleteColumn(s, t, "name")
    with expect(jet.JET_errColumnNotFound):
        jet.JetDeleteColumn2(s, t, "name", jet.JET_bitDeleteColumnIgnoreTemplateColumns)
    # ErrIsamDeleteIndex: an index of the template
    with expect(jet.JET_errFixedInheritedDDL):
        jet.JetDeleteIndex(s, t, "byname")
    # the derived table's own DDL works
    jet.JetDeleteColumn(s, t, "extra")
    jet.JetCreateIndex(s, t, "bytag", 0, "+tag\0\0", 100)
    jet.JetDeleteIndex(s, t, "bytag")
    jet.JetCloseTable(s, t)
    # the template table has fixed DDL
    tt = jet.JetOpenTable(s, db, "Tmpl")
    with expect(jet.JET_errFixedDDL):
        jet.JetAddColumn(s, tt, "z", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    with expect(jet.JET_errFixedDDL):
        jet.JetCreateIndex(s, tt, "z", 0, "+tag\0\0", 100)
    with expect(jet.JET_errFixedDDL):
        jet.JetDeleteIndex(s, tt, "byname")
    jet.JetCloseTable(s, tt)
    # a derived table can be deleted; the template's trees are untouched
    jet.JetDeleteTable(s, db, "D")
    tt = jet.JetOpenTable(s, db, "Tmpl")
    jet.JetSetCurrentIndex(s, tt, "byname")


def test_derived_table_survives_reattach(sdb):
    s, db = sdb
    _template(s, db)
    tc = _derived(s, db)
    t = tc.tableid
    name = jet.JetGetTableColumnInfo(s, t, "name", jet.JET_ColInfo).columnid
    for k in (3, 1, 2):
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, jet.JetGetTableColumnInfo(s, t, "id", jet.JET_ColInfo).columnid,
                         struct.pack("<i", k), 0)
        jet.JetSetColumn(s, t, name, b"v%d" % k, 0)
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s, 0)
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, "tmpl.edb")
    jet.JetAttachDatabase(s, "tmpl.edb", 0)
    db = jet.JetOpenDatabase(s, "tmpl.edb")
    t = jet.JetOpenTable(s, db, "D")
    jet.JetSetCurrentIndex(s, t, "byname")
    jet.JetMove(s, t, jet.JET_MoveLast, 0)
    assert jet.JetRetrieveColumn(s, t, name, 0) == b"v3"
    assert _cid(jet.JetGetTableColumnInfo(s, t, "name", jet.JET_ColInfo).columnid) \
        == T_BIT | 128

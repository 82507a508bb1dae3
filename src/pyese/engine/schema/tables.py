"""DDL as the JET calls ask for it: which table, through which cursor, in which transaction.

``ddl.py`` changes the catalog; this module is what ``JetCreateTable``,
``JetCreateTableColumnIndex``, ``JetOpenTable``, ``JetDupCursor``, ``JetDeleteTable``,
``JetRenameTable``, ``JetAddColumn``, ``JetDeleteColumn``, ``JetRenameColumn``,
``JetSetColumnDefaultValue``, ``JetCreateIndex`` and ``JetDeleteIndex`` do around it, in
ESE's order of checks:

- DDL runs in the caller's transaction, or at level 0 in an internal one
  (``ddl.ddl_transaction``), so a failure leaves nothing behind;
- DDL through a cursor (:func:`ddl_cursor`) re-reads the cursor's table first (a rolled back
  transaction may have undone DDL since), then ``JET_errPermissionDenied`` for a read-only
  cursor, then ``JET_errFixedDDL`` for a fixed-DDL table not opened with
  ``JET_bitTablePermitDDL`` (``fcreate.cxx`` ErrIsamAddColumn, ErrIsamCreateIndex);
- after DDL, the session's own cursors on the table see the new definition.

:class:`TableCreation` and :class:`IndexCreation` let the caller report each item's outcome
(``err`` of a ``JET_COLUMNCREATE`` / ``JET_INDEXCREATE``) while the engine keeps the
transaction and the catalog.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pyese.engine.cursors import callbacks
from pyese.engine.cursors.cursor import Cursor, cursor_for, open_cursor
from pyese.engine.instance.session import Session
from pyese.engine.schema import ddl
from pyese.engine.schema.catalog import Catalog, TableDef, _fold
from pyese.engine.schema.fcb import catalog_of
from pyese.engine.schema.schema import ColumnDef
from pyese.engine.schema.spacehints import DEFERRED_LV as SPACE_HINTS_DEFERRED_LV
from pyese.engine.schema.spacehints import TABLE as SPACE_HINTS_TABLE
from pyese.engine.schema.spacehints import SpaceHints
from pyese.engine.schema.spacehints import check as check_space_hints
from pyese.engine.schema.spacehints import marshal as marshal_space_hints
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def table_named(session: Session, db: Any, name: str) -> TableDef:
    """The table ``name`` as ``session`` sees it: ``JET_errInvalidName``,
    ``JET_errObjectNotFound``."""
    return catalog_of(db).table(session, ddl.check_name(name))


def current_table(cur: Cursor) -> TableDef:
    """The cursor's table as its session sees it now (DDL by the session included)."""
    return cur.dc.catalog(cur.session).table_by_objid(cur.table.objid)


def tables_of(session: Session, db: Any) -> Catalog:
    """The catalog of ``db`` as ``session`` sees it (iterate it for every table)."""
    return catalog_of(db).catalog(session)


def create_table(session: Session, db: Any, name: str, pages: int, density: int) -> Cursor:
    """JetCreateTable: an empty table, opened exclusively (``JET_bitTableDenyRead``)."""
    with ddl.ddl_transaction(session):
        ddl.create_table(session, db, name, pages, density)
        return open_cursor(session, db, name, C.JET_bitTableDenyRead)


class TableCreation:
    """A table being created with its columns and indexes (JetCreateTableColumnIndex), inside
    :func:`create_table_with`'s transaction."""

    def __init__(self, session: Session, db: Any, name: str, objid: int) -> None:
        self.session = session
        self.db = db
        self.name = name
        self.objid = objid

    def _table(self) -> TableDef:
        return catalog_of(self.db).catalog(self.session).table_by_objid(self.objid)

    def add_column(self, req: ddl.ColumnRequest) -> tuple[ColumnDef, int]:
        """Add a column: (its definition, 0 or ``JET_wrnColumnMaxTruncated``)."""
        return ddl.add_column(self.session, self.db, self._table(), req)

    def create_index(self, req: ddl.IndexRequest) -> None:
        ddl.create_index(self.session, self.db, self._table(), req)

    def open(self) -> Cursor:
        """The new table opened exclusively, as ESE does (fcreate.cxx ErrFILECreateTable)."""
        return open_cursor(self.session, self.db, self.name, C.JET_bitTableDenyRead)


def check_table_create(db: Any, grbit: int, template_name: str | None) -> None:
    """JetCreateTableColumnIndex's checks of template tables, in ESE's order (fcreate.cxx
    ErrIsamCreateTable): JET_errPermissionDenied on a database attached read-only;
    JET_errCannotNestDDL for a template table that names a template itself;
    JET_errInvalidGrbit for ``JET_bitTableCreateNoFixedVarColumnsInDerivedTables``, with
    or without ``JET_bitTableCreateTemplateTable`` (ESE rejects the bit: "neither ... are
    currently implemented in the engine ... MSDN lists the bit as deprecated")."""
    if db.read_only:
        raise_error(C.JET_errPermissionDenied, "database attached read-only")
    if grbit & C.JET_bitTableCreateTemplateTable:
        if template_name is not None:
            raise_error(C.JET_errCannotNestDDL, "a template table cannot be derived")
        if grbit & C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables:
            raise_error(C.JET_errInvalidGrbit, "NoFixedVarColumnsInDerivedTables")
    elif grbit & C.JET_bitTableCreateNoFixedVarColumnsInDerivedTables:
        raise_error(C.JET_errInvalidGrbit, "NoFixedVarColumnsInDerivedTables needs a template")


def template_for(session: Session, db: Any, template_name: str) -> TableDef:
    """The template table a derived table names (fcreate.cxx ErrFILECreateTable opens it
    read-only): JET_errInvalidName, JET_errObjectNotFound; JET_errDDLNotInheritable when
    it is not a template table."""
    template = table_named(session, db, template_name)
    if not ddl.is_template(template):
        raise_error(C.JET_errDDLNotInheritable, template_name)
    return template


def table_space_hints(page_size: int, index_hints: list[SpaceHints | None],
                      has_primary: bool, seq: SpaceHints | None, lv: SpaceHints | None,
                      pages: int, density: int
                      ) -> tuple[int, int, bytes | None, bytes | None]:
    """fcreate.cxx ErrFILECreateTableProcessSpaceHints: check each index's hints, refuse
    sequential hints with a primary index (JET_errSpaceHintsInvalid), check the sequential
    and long-value hints; returns the table's (pages, density, SpaceHints bytes,
    SpaceDeferredLVHints bytes). The primary index's own hints are checked with the
    indexes (``ddl.create_index``)."""
    for hints in index_hints:
        if hints is not None:
            check_space_hints(hints, page_size)
    if has_primary and seq is not None:
        raise_error(C.JET_errSpaceHintsInvalid, "sequential hints with a primary index")
    table_raw = lv_raw = None
    if seq is not None:
        checked = check_space_hints(seq, page_size)
        density = checked.ulInitialDensity
        pages = max(pages, checked.cbInitial // page_size)
        table_raw = marshal_space_hints(checked, SPACE_HINTS_TABLE)
    if lv is not None:
        lv_raw = marshal_space_hints(check_space_hints(lv, page_size), SPACE_HINTS_DEFERRED_LV)
    return pages, density, table_raw, lv_raw


@contextmanager
def create_table_with(session: Session, db: Any, name: str, pages: int, density: int,
                      flags: int, grbit: int = 0,
                      template_name: str | None = None,
                      space_hints: tuple[bytes | None, bytes | None] = (None, None)
                      ) -> Iterator[TableCreation]:
    """Create table ``name`` (catalog ``flags``: ``JET_bitObjectTableFixedDDL``) and yield a
    :class:`TableCreation` for its columns and indexes; an exception undoes everything.

    ``grbit`` ``JET_bitTableCreateTemplateTable`` makes a template table (catalog flags
    Template | FixedDDL, its columnids carry the template bit, its indexes the template
    flag); ``template_name`` derives the table from that template (``ddl.create_table``).
    Errors: ``check_table_create``, ``template_for``, then ``ddl.create_table``'s."""
    check_table_create(db, grbit, template_name)
    template = template_for(session, db, template_name) if template_name is not None else None
    if grbit & C.JET_bitTableCreateTemplateTable:
        flags |= C.JET_bitObjectTableTemplate | C.JET_bitObjectTableFixedDDL
    with ddl.ddl_transaction(session):
        objid = ddl.create_table(session, db, name, pages, density, flags, template,
                                 space_hints[0], space_hints[1])
        yield TableCreation(session, db, name, objid)


def open_table(session: Session, db: Any, name: str, grbit: int) -> Cursor:
    """JetOpenTable (grbits checked by the caller): see ``cursor.open_cursor``.

    ``JET_bitTablePermitDDL`` on a template table: ``JET_errTableInUse`` once the template
    is static (fileopen.cxx ErrFILEISetMode: "only allow it to be open for modification if
    its FCB hasn't been flagged as static"). ESE flags the template's FCB static when a
    table derived from it is created (fcreate.cxx ErrFILECreateTable) or opened; pyese
    counts it static as soon as a derived table names it in the catalog, which is the same
    but for a template whose derived tables nobody created or opened since the attach."""
    if grbit & C.JET_bitTablePermitDDL:
        dc = catalog_of(db)
        table = dc.table(session, name)
        if ddl.is_template(table):
            folded = _fold(table.name)
            for other in dc.catalog(session):
                if other.template_table is not None and _fold(other.template_table) == folded:
                    raise_error(C.JET_errTableInUse,
                                f"{table.name}: a template tables derive from is static")
    return open_cursor(session, db, name, grbit)


def dup_cursor(cur: Cursor, grbit: int) -> Cursor:
    """JetDupCursor: a new cursor on the same table, on its primary index, deferred to the
    first record, no copy buffer, no key, without the Deny bits (fileopen.cxx
    ErrIsamDupCursor)."""
    new = Cursor(cur.session, cur.db, cur.table,
                 cur.grbit & ~(C.JET_bitTableDenyRead | C.JET_bitTableDenyWrite) | grbit)
    new.register()
    return new


def delete_table(session: Session, db: Any, name: str) -> None:
    """JetDeleteTable: ``JET_errInvalidName``, ``JET_errObjectNotFound``,
    ``JET_errTableInUse`` when any cursor has it open, then ``ddl.delete_table``'s errors."""
    name = ddl.check_name(name)
    dc = catalog_of(db)
    table = dc.table(session, name)
    fcb = dc.fcb(table.objid)
    with fcb.lock:
        if fcb.cursors:
            raise_error(C.JET_errTableInUse, name)
    if ddl.is_template(table):
        # fcreate.cxx ErrFILEDeleteTable, once the table is held exclusively:
        # "Deletion of template table not currently supported."
        raise_error(C.JET_errCannotDeleteTemplateTable, name)
    ddl.delete_table(session, db, table)


def _refresh_own_cursors(session: Session, db: Any, objid: int) -> None:
    for cur in list(catalog_of(db).fcb(objid).cursors):
        if cur.session is session:
            cur.refresh_table()


def rename_table(session: Session, db: Any, name: str, new_name: str) -> None:
    """JetRenameTable: ``JET_errObjectNotFound``, ``JET_errInvalidName``,
    ``JET_errTableDuplicate``."""
    table = table_named(session, db, name)
    ddl.rename_table(session, db, table, new_name)
    _refresh_own_cursors(session, db, table.objid)


def set_column_default(session: Session, db: Any, table_name: str, column_name: str,
                       default: bytes | None) -> None:
    """JetSetColumnDefaultValue: records without a value read the new default."""
    table = table_named(session, db, table_name)
    ddl.set_column_default(session, db, table, column_name, default)
    _refresh_own_cursors(session, db, table.objid)


def ddl_cursor(session: Session, tableid: object) -> Cursor:
    """The cursor a DDL call works through, its table re-read from the catalog. ESE's
    order: ``JET_errInvalidTableId``, ``JET_errPermissionDenied`` (cursor not updatable),
    ``JET_errFixedDDL`` (a fixed-DDL table not opened with ``JET_bitTablePermitDDL``)."""
    cur = cursor_for(session, tableid)
    vt = getattr(cur, "vt", None)
    if vt is not None:  # a temporary table: ESE's ErrIllegalAddColumn / CreateIndex / ...
        vt.illegal_info(cur, "DDL on a temporary table")
    cur.refresh_table()
    if cur.read_only:
        raise_error(C.JET_errPermissionDenied, "the cursor is read-only")
    if cur.table.flags & C.JET_bitObjectTableFixedDDL and not cur.grbit & C.JET_bitTablePermitDDL:
        raise_error(C.JET_errFixedDDL, cur.table.name)
    return cur


def _refresh(cur: Cursor) -> None:
    for other in list(cur.fcb.cursors):
        if other.session is cur.session:
            other.refresh_table()


def add_column(cur: Cursor, req: ddl.ColumnRequest) -> ColumnDef:
    """JetAddColumn through a DDL cursor (``ddl.add_column``; exclusive when the cursor
    denies reads)."""
    exclusive = bool(cur.grbit & C.JET_bitTableDenyRead)
    col, _warning = ddl.add_column(cur.session, cur.db, cur.table, req, exclusive)
    _refresh(cur)
    return col


def delete_column(cur: Cursor, name: str, grbit: int = 0) -> None:
    """JetDeleteColumn: ``JET_errFixedInheritedDDL`` (a derived table's inherited column,
    unless ``JET_bitDeleteColumnIgnoreTemplateColumns``), ``JET_errColumnNotFound``,
    ``JET_errColumnInUse`` (indexed)."""
    ddl.delete_column(cur.session, cur.db, cur.table, name,
                      bool(grbit & C.JET_bitDeleteColumnIgnoreTemplateColumns))
    _refresh(cur)


def rename_column(cur: Cursor, name: str, new_name: str) -> None:
    """JetRenameColumn: ``JET_errColumnNotFound``, ``JET_errInvalidName``,
    ``JET_errColumnDuplicate``; ``JET_errInTransaction`` inside a transaction
    (ESE renames columns outside transactions only; docs/api-rest.md)."""
    if cur.session.level > 0:
        raise_error(C.JET_errInTransaction)
    ddl.rename_column(cur.session, cur.db, cur.table, name, new_name)
    _refresh(cur)


def delete_index(cur: Cursor, name: str) -> None:
    """JetDeleteIndex: ``JET_errIndexNotFound``, ``JET_errIndexMustStay``."""
    ddl.delete_index(cur.session, cur.db, cur.table, name)
    _refresh(cur)


class IndexCreation:
    """Indexes being created through a DDL cursor (JetCreateIndex2..4), inside
    :func:`create_indexes`' transaction."""

    def __init__(self, cur: Cursor) -> None:
        self.cur = cur

    def create_index(self, req: ddl.IndexRequest) -> None:
        cur = self.cur
        table = catalog_of(cur.db).catalog(cur.session).table_by_objid(cur.table.objid)
        keys = callbacks.RecordKeys(cur.session, cur.db, table)
        try:
            ddl.create_index(cur.session, cur.db, table, req, keys)
        finally:
            keys.close()


@contextmanager
def create_indexes(cur: Cursor) -> Iterator[IndexCreation]:
    """All or none of the indexes created through the yielded :class:`IndexCreation`; the
    session's cursors on the table then see them."""
    with ddl.ddl_transaction(cur.session):
        yield IndexCreation(cur)
    _refresh(cur)

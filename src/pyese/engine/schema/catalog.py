"""A database's catalog, loaded from ``MSysObjects`` through any :class:`TreeSnapshot`.

ESE keeps the schema in the catalog table ``MSysObjects`` (objid 2, ``cat.cxx``): one row
per table, column, index, long-value tree and callback, clustered by (ObjidTable, Type,
Id). :func:`pyese.engine.schema.sysobjects.read_catalog` decodes the rows; this module turns
them into what readers and cursors need:

- tables by name (case-insensitive, as ESE's ``Name`` index compares catalog names
  through its ASCII key normalization, which upper-cases a..z) and by objid;
- each table's columns in columnid order, its indexes (the primary index shares the
  table's objid and tree; a secondary index has a tree of its own), its long-value tree;
- a :class:`RecordLayout` per table, built once;
- **derived tables** (``TemplateTable`` set): ESE (``cat.cxx`` ErrCATIInitTemplateColumns,
  ``fCOLUMNIDTemplate``) gives a derived table the template's columns with the template
  bit 0x80000000 in their columnids; their TAGFLDs carry the derived bit. The template
  table's columns are merged in so, and the derived table's layout uses the derived bit.

Backend-neutral: the catalog reads only through the snapshot. For genuine ``.edb`` files
(whose snapshot has ``map_tree``) every tree the catalog names is registered with
``snapshot.map_tree(objid, pgnoFDP)``, since the page format locates trees by root page.

Raises ``JET_errDatabaseCorrupted`` for malformed catalog rows (from ``sysobjects``),
``JET_errObjectNotFound`` for an unknown table.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from pyese.engine.records.record import COLUMNID_TEMPLATE, RecordLayout
from pyese.engine.schema.schema import ColumnDef
from pyese.engine.schema.sysobjects import (
    MSO_COLUMNS_BY_ID,
    CatalogIndex,
    TableSchema,
    objidFDPMSO,
    objidFDPMSOShadow,
    read_catalog,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.trees import TreeSnapshot


def _fold(name: str) -> str:
    """ESE's catalog name comparison: ASCII key normalization upper-cases a..z only."""
    return name.translate(_UPPER)


_UPPER = {c: c - 0x20 for c in range(0x61, 0x7B)}


@dataclass
class TableDef:
    """One table as the catalog describes it; ``layout`` is built on first use."""

    name: str
    objid: int
    pgno_fdp: int
    columns: dict[int, ColumnDef]
    """columnid -> ColumnDef, template columns carrying COLUMNID_TEMPLATE."""
    indexes: list[CatalogIndex]
    lv_objid: int | None
    lv_pgno_fdp: int | None
    template_table: str | None
    flags: int
    page_size: int
    schema: TableSchema
    _layout: RecordLayout | None = field(default=None, repr=False)
    _by_name: dict[str, ColumnDef] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._by_name = {_fold(c.name): c for c in self.columns.values()
                         if c.coltyp != C.JET_coltypNil}

    @property
    def derived(self) -> bool:
        return self.template_table is not None

    @property
    def layout(self) -> RecordLayout:
        """The table's record layout (built once)."""
        if self._layout is None:
            self._layout = RecordLayout(self.columns, self.page_size, derived_table=self.derived)
        return self._layout

    def column_list(self) -> list[ColumnDef]:
        """Columns in columnid order (fixed, variable, tagged), as ESE enumerates them."""
        return sorted((c for c in self.columns.values() if c.coltyp != C.JET_coltypNil),
                      key=lambda c: c.columnid & 0xFFFF)

    def column_by_id(self, columnid: int) -> ColumnDef:
        """Column by id; ``JET_errColumnNotFound`` for an unknown or deleted column."""
        col = self.columns.get(columnid)
        if col is None or col.coltyp == C.JET_coltypNil:
            raise_error(C.JET_errColumnNotFound, f"table {self.name}: no column {columnid:#x}")
        return col  # type: ignore[return-value]

    def column(self, name: str) -> ColumnDef:
        """Column by name (case-insensitive); ``JET_errColumnNotFound`` if absent."""
        col = self._by_name.get(_fold(name))
        if col is None:
            raise_error(C.JET_errColumnNotFound, f"table {self.name}: no column {name!r}")
        return col  # type: ignore[return-value]

    @property
    def primary_index(self) -> CatalogIndex | None:
        """The clustered index (its tree is the table's); None means records keyed by DBK."""
        for ix in self.indexes:
            if ix.index.is_primary:
                return ix
        return None

    def secondary_indexes(self) -> list[CatalogIndex]:
        return [ix for ix in self.indexes if not ix.index.is_primary]

    def index(self, name: str) -> CatalogIndex:
        """Index by name (case-insensitive); ``JET_errIndexNotFound`` if absent."""
        want = _fold(name)
        for ix in self.indexes:
            if _fold(ix.index.name) == want:
                return ix
        raise_error(C.JET_errIndexNotFound, f"table {self.name}: no index {name!r}")
        raise AssertionError  # pragma: no cover


class Catalog:
    """Every table of one database, read from ``MSysObjects`` through a snapshot."""

    def __init__(
        self, tables: list[TableDef], trees: dict[int, int],
        unknown_columns: dict[int, int] | None = None,
    ) -> None:
        self._tables = sorted(tables, key=lambda t: t.objid)
        self._by_name = {_fold(t.name): t for t in self._tables}
        self._by_objid = {t.objid: t for t in self._tables}
        self.trees = trees
        """objid -> pgnoFDP of every tree the catalog names (tables, indexes, LV trees)."""
        self.lost_pages: list[object] = []
        """Catalog pages tolerant mode skipped (``SkippedPage``): tables may be missing."""
        self.unknown_columns: dict[int, int] = dict(unknown_columns or {})
        """Catalog column id -> number of rows carrying it, for the columns rgcdescMSO
        does not define (a later Windows' additions), skipped when reading."""

    @classmethod
    def load(cls, snapshot: TreeSnapshot, page_size: int) -> Catalog:
        """Read every catalog row through ``snapshot`` (tree objid 2) and build the tables.

        Registers each tree with ``snapshot.map_tree`` when the snapshot has one.

        A snapshot of a file that never changes (a genuine file attached read-only:
        ``GenuineSnapshot.static_memo``) keeps the catalog it read: attaching reads it
        once for the verdict and the database's catalog is that one, not a second read.
        """
        memo = getattr(snapshot, "static_memo", None)
        key = ("catalog", page_size)
        if memo is not None:
            cached = memo.get(key)
            if cached is not None:
                cached._map_trees(snapshot)
                return cached  # type: ignore[no-any-return]
        catalog = cls._read(snapshot, page_size)
        if memo is not None:
            memo[key] = catalog
        return catalog

    def _map_trees(self, snapshot: TreeSnapshot) -> None:
        map_tree = getattr(snapshot, "map_tree", None)
        if map_tree is not None:
            for objid, pgno in self.trees.items():
                if pgno > 0:
                    map_tree(objid, pgno)

    @classmethod
    def _read(cls, snapshot: TreeSnapshot, page_size: int) -> Catalog:
        rows = (data for _, data in snapshot.iterate(objidFDPMSO))
        unknown: dict[int, int] = {}
        schemas = read_catalog(rows, page_size, unknown)
        by_name = {_fold(n): s for n, s in schemas.items()}
        tables: list[TableDef] = []
        trees: dict[int, int] = {}
        for schema in schemas.values():
            t = schema.table
            columns = dict(schema.columns)
            if t.objid in (objidFDPMSO, objidFDPMSOShadow):
                # ESE describes its catalog with rgcdescMSO, not with the catalog's own
                # rows (cat.cxx ErrCATIInitCatalogTDB): an older file's rows about
                # MSysObjects may lack later columns its records carry. Columns the
                # file describes beyond rgcdescMSO are kept, so their records still decode.
                columns.update(MSO_COLUMNS_BY_ID)
            tmpl = t.template_table
            if tmpl is not None:
                template = by_name.get(_fold(tmpl))
                if template is None:
                    raise_error(
                        C.JET_errDatabaseCorrupted,
                        f"table {t.name}: template table {tmpl!r} is not in the catalog",
                    )
                for cid, col in template.columns.items():
                    tcid = cid | COLUMNID_TEMPLATE
                    columns[tcid] = replace(col, columnid=tcid)
            lv = schema.long_value
            tables.append(
                TableDef(
                    name=t.name,
                    objid=t.objid,
                    pgno_fdp=t.pgno_fdp,
                    columns=columns,
                    indexes=list(schema.indexes),
                    lv_objid=lv.objid if lv else None,
                    lv_pgno_fdp=lv.pgno_fdp if lv else None,
                    template_table=tmpl,
                    flags=t.flags,
                    page_size=page_size,
                    schema=schema,
                )
            )
            trees[t.objid] = t.pgno_fdp
            for ix in schema.indexes:
                if ix.objid != t.objid:
                    trees[ix.objid] = ix.pgno_fdp
            if lv is not None:
                trees[lv.objid] = lv.pgno_fdp
        catalog = cls(tables, trees, unknown)
        catalog._map_trees(snapshot)
        return catalog

    def __iter__(self) -> Iterator[TableDef]:
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)

    def names(self) -> list[str]:
        return [t.name for t in self._tables]

    def table(self, name: str) -> TableDef:
        """Table by name (case-insensitive); ``JET_errObjectNotFound`` if absent."""
        t = self._by_name.get(_fold(name))
        if t is None:
            raise_error(C.JET_errObjectNotFound, f"no table {name!r}")
        return t  # type: ignore[return-value]

    def table_by_objid(self, objid: int) -> TableDef:
        """Table by objid; ``JET_errObjectNotFound`` if absent."""
        t = self._by_objid.get(objid)
        if t is None:
            raise_error(C.JET_errObjectNotFound, f"no table with objid {objid}")
        return t  # type: ignore[return-value]

"""What every cursor of one database shares: its catalog as sessions see it, and the
per-table control blocks (ESE's FCB: ``fcb.hxx``).

``DatabaseCatalog`` (one per attached database, ``catalog_of(db)``):

- ``catalog(session)``: the catalog as ``session`` sees it. The catalog is MSysObjects
  (tree 2), read through the session's view, so DDL is transactional like data: a table
  created in an open transaction is visible to that transaction only and gone if it rolls
  back. Decoding the whole catalog for each call would be slow, so the committed catalog
  is cached: the cache is valid while MSysObjects has no versions in the version store
  and its generation (``VersionStore.tree_state``) is unchanged; a session reads through
  its own view only while some DDL is in flight.
- ``new_objid()``: object ids for new trees, never reused in the file's lifetime: the
  first call starts above every objid the catalog names and every tree holding nodes.
- ``fcb(objid)``: the table's FCB.

``FCB``: the table's cursors (for ``JET_bitTableDenyRead`` / ``DenyWrite`` and
``JET_errTableInUse``), the last DBK handed out (tables without a primary index) and
the last autoincrement value. Both counters are not versioned, as in ESE: a rolled back
insert leaves a gap.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pyese.engine.instance.logservice import storage_of
from pyese.engine.instance.session import Session
from pyese.engine.schema.catalog import Catalog, TableDef
from pyese.engine.schema.sysobjects import objidFDPMSO
from pyese.engine.transactions.view import SessionView

if TYPE_CHECKING:
    from pyese.engine.transactions.versionstore import VersionStore

OBJID_FIRST_USER = 5
"""ESE's system objects take the first objids (system root 1, MSysObjects 2, its shadow 3)."""


class FCB:
    """One table's shared state (see the module docstring). ``lock`` guards it."""

    def __init__(self, objid: int) -> None:
        self.objid = objid
        self.lock = threading.Lock()
        self.cursors: set[Any] = set()
        self.dbk_last: int | None = None
        self.autoinc_last: int | None = None


class DatabaseCatalog:
    """The catalog and FCBs of one attached database (see the module docstring)."""

    def __init__(self, db: Any, vs: VersionStore | None, page_size: int) -> None:
        self.db = db
        self.vs = vs
        self.page_size = page_size
        self.lock = threading.Lock()
        self._cache: tuple[int, Catalog] | None = None
        self._objid_last: int | None = None
        self._fcbs: dict[int, FCB] = {}

    def view(self, session: Session) -> Any:
        """A TreeSnapshot of the database as ``session`` sees it (caller closes it)."""
        if self.vs is None:
            return self.db.snapshot()
        return SessionView(self.vs, session, self.db)

    def catalog(self, session: Session) -> Catalog:
        """The catalog as ``session`` sees it (JET_errDatabaseCorrupted if unreadable)."""
        vs = self.vs
        if vs is None:
            cached = self._cache
            if cached is None:
                cached = self._cache = (0, self._load_committed())
            return cached[1]
        gen, busy = vs.tree_state(self.db, objidFDPMSO)
        if not busy:
            cached = self._cache
            if cached is not None and cached[0] == gen:
                return cached[1]
            catalog = self._load_committed()
            if vs.tree_state(self.db, objidFDPMSO) == (gen, False):
                self._cache = (gen, catalog)
                return catalog
        return Catalog.load(SessionView(vs, session, self.db), self.page_size)

    def _load_committed(self) -> Catalog:
        snap = self.db.snapshot()
        try:
            return Catalog.load(snap, self.page_size)
        finally:
            snap.close()

    def table(self, session: Session, name: str) -> TableDef:
        """Table by name as ``session`` sees it; JET_errObjectNotFound if absent."""
        return self.catalog(session).table(name)

    def new_objid(self) -> int:
        """A fresh object id (never handed out before in this file)."""
        with self.lock:
            if self._objid_last is None:
                last = OBJID_FIRST_USER - 1
                snap = self.db.snapshot()
                try:
                    last = max(last, snap.max_objid())
                    catalog = Catalog.load(snap, self.page_size)
                finally:
                    snap.close()
                for objid in catalog.trees:
                    last = max(last, objid)
                for table in catalog:
                    last = max(last, table.objid)
                self._objid_last = last
            self._objid_last += 1
            return self._objid_last

    def fcb(self, objid: int) -> FCB:
        with self.lock:
            fcb = self._fcbs.get(objid)
            if fcb is None:
                fcb = self._fcbs[objid] = FCB(objid)
            return fcb


def catalog_of(db: Any) -> DatabaseCatalog:
    """The DatabaseCatalog of an attached engine ``Database`` (made on first use)."""
    dc = getattr(db, "catalog", None)
    if dc is None:
        storage = storage_of(db.instance)
        # a genuine .edb is read straight from its pages, never through the version store
        vs = None if getattr(db, "genuine", False) else storage.vs
        dc = DatabaseCatalog(db, vs, db.page_size)
        db.catalog = dc
    return dc  # type: ignore[no-any-return]

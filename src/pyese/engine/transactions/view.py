"""A session's view of one attached database, as a :class:`TreeSnapshot`.

Readers that work on any snapshot (the catalog loader, ``TableReader``, the long-value
reader, cursors) read a pyese database through this view: the database file merged with
the version store as the session must see it (its transaction's snapshot plus its own
changes, or the latest committed state outside a transaction). A database without a
version store (a genuine ``.edb`` attached read-only) is read straight from its file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from pyese.engine.instance.session import Session
from pyese.storage import threadstats
from pyese.storage.threadstats import PAGE_REFERENCED
from pyese.storage.trees import TreeCursor, iterate_cursor

if TYPE_CHECKING:
    from pyese.engine.transactions.versionstore import VersionStore


class SessionView:
    """TreeSnapshot over ``vs`` for ``session`` on database ``db``; ``close`` is a no-op."""

    __slots__ = ("vs", "session", "db")

    def __init__(self, vs: VersionStore, session: Session, db: Any) -> None:
        self.vs = vs
        self.session = session
        self.db = db

    def get(self, objid: int, key: bytes) -> bytes | None:
        threadstats.charge(PAGE_REFERENCED)
        return self.vs.get(self.session, self.db, objid, key)

    def cursor(self, objid: int) -> TreeCursor:
        # The MergedCursor charges each positioning to the thread's cPageReferenced
        # (``pyese.storage.threadstats``: JetGetThreadStats).
        return self.vs.cursor(self.session, self.db, objid)

    def iterate(
        self, objid: int, start: bytes = b"", stop: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes]]:
        return iterate_cursor(self.cursor(objid), start, stop)

    def close(self) -> None:
        return None

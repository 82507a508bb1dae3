"""The storage contract the engine reads through: a database is a set of ordered B-trees.

ESE stores every object of a database (the catalog ``MSysObjects``, each table, each
secondary index, each long-value tree) as a B-tree named by its object id (``objidFDP``),
whose nodes are (key, data) pairs ordered by the key's bytes. ``storage`` knows nothing
about tables or records: it keeps these trees. Two backends implement the contract:

- ``pyese.storage.database.dbfile``: pyese's own database files (LMDB underneath), read and write;
- ``pyese.storage.edb``: genuine ESE ``.edb`` pages written by Windows, read-only.

The engine gives trees their meaning, in ESE's logical format (record layout, normalized
keys, the catalog's records), so one engine serves both backends.

Keys are ``bytes`` of any length up to ``KEY_MOST`` (ESE's largest key, 2000 bytes, plus
a primary bookmark for secondary-index nodes); order is plain bytewise order (``memcmp``
then length), as ESE compares keys.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

KEY_MOST = 4200
"""Longest tree key a backend must accept (secondary key <= 2000 + primary key <= 2000, + slack)."""

ObjId = int
"""An object id (ESE's objidFDP): names one tree of a database."""


class TreeCursor(Protocol):
    """A position in one tree of one snapshot. Methods return ``(key, data)`` or ``None``.

    ``None`` means "no such node"; the cursor then has no current node until a call
    positions it again.
    """

    def first(self) -> tuple[bytes, bytes] | None: ...

    def last(self) -> tuple[bytes, bytes] | None: ...

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        """First node with node.key >= key."""
        ...

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        """Last node with node.key <= key."""
        ...

    def next(self) -> tuple[bytes, bytes] | None: ...

    def prev(self) -> tuple[bytes, bytes] | None: ...


class TreeSnapshot(Protocol):
    """A consistent read-only view of every tree of one database at one moment."""

    def get(self, objid: ObjId, key: bytes) -> bytes | None: ...

    def cursor(self, objid: ObjId) -> TreeCursor: ...

    def iterate(
        self, objid: ObjId, start: bytes = b"", stop: bytes | None = None
    ) -> Iterator[tuple[bytes, bytes]]:
        """Nodes with start <= key < stop (stop None: to the end), in key order."""
        ...

    def close(self) -> None: ...


def iterate_cursor(cur: TreeCursor, start: bytes = b"",
                   stop: bytes | None = None) -> Iterator[tuple[bytes, bytes]]:
    """(key, value) pairs of ``cur``'s tree from ``start`` (inclusive) to ``stop``
    (exclusive, None: to the end): the one loop every ``TreeSnapshot.iterate`` shares."""
    node = cur.seek_ge(start)
    while node is not None and (stop is None or node[0] < stop):
        yield node
        node = cur.next()

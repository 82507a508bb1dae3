"""Redo operations: the changes a committed transaction makes to a database's trees.

A committed transaction is logged as one record holding every operation it made, for
every database it touched; applying the operations of a record in order is idempotent
(a put stores a whole value, a delete removes a whole key or tree), which is what makes
recovery's replay safe to repeat.
"""

from __future__ import annotations

from typing import NamedTuple

OP_PUT = 1
"""Store ``value`` at ``key`` in tree ``objid`` (insert or overwrite)."""
OP_DELETE = 2
"""Remove ``key`` from tree ``objid`` (no error if absent)."""
OP_DELETE_TREE = 3
"""Remove every node of tree ``objid`` (key and value unused)."""


class Op(NamedTuple):
    """One redo operation on one tree of one database."""

    kind: int
    objid: int
    key: bytes = b""
    value: bytes | None = None

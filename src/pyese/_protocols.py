"""What the Pythonic layer's lower pieces need of the objects that own them.

The layer is ordered ``_tablemeta`` < ``_table`` < ``_transaction`` < ``_instance``: an
``Instance`` begins a ``Transaction``, a ``Transaction`` opens a ``Table``. The owned
object calls back into its owner (a table enters its transaction's session context, a
transaction asks the instance for its default database and the database for a table's
catalog). Those calls are named here as protocols, so each module imports only the
modules below it and no import circle forms; ``Instance``, ``Database`` and
``Transaction`` satisfy them structurally.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

import pyese.jet as jet
from pyese._pool import PooledSession, SessionPool
from pyese._tablemeta import TableMeta


class DatabaseHandle(Protocol):
    """An open database (``pyese.Database``), as a transaction and a table see it."""

    filename: str
    read_only: bool

    def _table_meta(self, ps: PooledSession, name: str, tableid: Any) -> TableMeta:
        """The table's columns and indexes, loaded once and cached."""

    def _unknown_table(self, name: str) -> jet.JetError:
        """``JET_errObjectNotFound`` naming the tables that exist."""


class InstanceHandle(Protocol):
    """An instance (``pyese.Instance``), as its transactions see it."""

    name: str
    pool: SessionPool

    @property
    def closed(self) -> bool:
        """True once the instance is closed."""

    def _default_database(self) -> DatabaseHandle:
        """The one open database; ``ValueError`` when none or several are open."""


class TransactionScope(Protocol):
    """A transaction (``pyese.Transaction``), as its tables see it."""

    _ps: PooledSession | None

    @property
    def sesid(self) -> jet.JET_SESID:
        """The transaction's session."""

    @property
    def active(self) -> bool:
        """True until commit or rollback."""

    def entered(self) -> AbstractContextManager[PooledSession]:
        """Bind the session to the transaction on the calling thread for a few JET calls."""

"""The Pythonic layer's own errors, for misuse that ESE has no code for.

Everything the engine refuses is raised as ``pyese.jet``'s own exception classes
(``pyese.WriteConflictError`` is ``pyese.jet.WriteConflictError``). The classes here cover
what happens above the JET API: a transaction used after it ended, an instance used after
it closed, a session pool that stayed full for too long.
"""

from __future__ import annotations


class TransactionEndedError(RuntimeError):
    """The transaction (or a table or range of it) was used after commit or rollback."""


class InstanceClosedError(RuntimeError):
    """The instance (or a database, transaction or dictionary of it) was used after close."""


class PoolTimeoutError(TimeoutError):
    """Every session of the instance's pool stayed in use for the whole timeout."""


__all__ = ["InstanceClosedError", "PoolTimeoutError", "TransactionEndedError"]

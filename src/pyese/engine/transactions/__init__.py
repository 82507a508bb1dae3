"""pyese.engine.transactions: isolation and durability of changes.

- ``versionstore``: ``VersionStore`` (ESE's ver.cxx): snapshot reads, write conflicts,
  commit / rollback, reclaim, hand-off of committed changes to the log;
- ``view``: ``SessionView``, a database as one session sees it (a ``TreeSnapshot``);
- ``escrow``: ``escrow_update`` (JetEscrowUpdate) and ``get_lock`` (JetGetLock).
"""

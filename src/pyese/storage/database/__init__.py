"""pyese.storage.database: pyese's own database files (the physical format is LMDB).

- ``dbfile``: ``DatabaseFile`` (create, open, lock, apply ops, snapshots) and its snapshots;
- ``dbheader``: ``DatabaseHeader``, the ESE-like database header kept in the file;
- ``longkeys``: keys longer than LMDB's limit, stored in buckets.
"""

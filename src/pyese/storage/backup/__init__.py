"""Storage-level pieces of backup and restore (ESE ``backup.cxx``, ``_log/logutil.cxx``).

- ``bkinfo``: the database header's backup fields (``bkinfoFullPrev`` ...), kept in the
  database file beside the header;
- ``trailer``: the page that follows a database image in a backup (ESE's former patch
  file header): it makes a copy a *backup copy* (``bkinfoFullCur``) and says which log
  range makes it consistent;
- ``image``: streaming a database file's image from a pinned LMDB snapshot while writers
  keep committing;
- ``logchain``: the generation-chain checks of a backup set and of the logs to roll
  forward;
- ``copy``: durable file copies (the destination side of ``JetBackup``);
- ``replay``: redo of a backup's logs into restored databases, matched by signature.
"""

"""pyese.storage.log: the write-ahead log and what brings database files up to it.

- ``log_format``: files, records and their encoding; ``log_reader``: ``LogReader``;
  ``log_writer``: ``LogWriter`` (group commit, fsync);
- ``checkpoint``: the checkpoint file (``read_checkpoint``, ``write_checkpoint``);
- ``applier``: ``Applier``, applies committed log records to the database files;
- ``recovery``: ``recover``, soft recovery at JetInit.

Positions in the log (``LGPOS``) live one level up, in ``pyese.storage.lgpos``: the
database files record them too.
"""

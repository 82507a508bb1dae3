"""pyese.storage.log: the write-ahead log and what brings database files up to it.

- ``lgpos``: ``LGPOS``, a position in the log;
- ``log_format``: files, records and their encoding; ``log_reader``: ``LogReader``;
  ``log_writer``: ``LogWriter`` (group commit, fsync);
- ``checkpoint``: the checkpoint file (``read_checkpoint``, ``write_checkpoint``);
- ``applier``: ``Applier``, applies committed log records to the database files;
- ``recovery``: ``recover``, soft recovery at JetInit.
"""

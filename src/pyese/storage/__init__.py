"""pyese.storage: bytes on disk; knows nothing of tables, sessions or transactions.

Shared vocabulary (imported by every part below):

- ``trees``: the ``TreeSnapshot`` / ``TreeCursor`` contract every backend implements;
- ``ops``: ``Op``, one logged change to a tree; ``lgpos``: ``LGPOS``, a position in the log;
- ``faults``: the fault-injection seam for tests.

The parts, lowest first (each imports only the vocabulary and the parts before it):

- ``edb``: genuine Windows ``.edb`` files, read-only;
- ``database``: pyese's own database files (LMDB underneath): header, trees, long keys;
- ``log``: the write-ahead log (format, reader, writer), checkpoint, the applier that brings
  database files up to the log, recovery.

Imports only ``pyese.jethdr`` and itself; never ``pyese.engine`` or above.
"""

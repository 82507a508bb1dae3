"""pyese.storage: bytes on disk; knows nothing of tables, sessions or transactions.

- ``trees``: the ``TreeSnapshot`` / ``TreeCursor`` contract every backend implements;
- ``ops``: ``Op``, one logged change to a tree;
- ``faults``: the fault-injection seam for tests;
- ``log``: the write-ahead log (format, reader, writer), checkpoint, recovery, the applier;
- ``database``: pyese's own database files (LMDB underneath): header, trees, long keys;
- ``edb``: genuine Windows ``.edb`` files, read-only.

Imports only ``pyese.jethdr`` and itself; never ``pyese.engine`` or above.
"""

"""pyese.engine: ESE's logic over the storage layer, one sub-package per ESE concept.

- ``instance``: the thread model (instances, sessions, the gate every session call enters
  through, system parameters) and an instance's services (attached databases, the log service);
- ``transactions``: the version store (snapshots, conflicts, commit and rollback), escrow
  updates and record locks, a session's view of a database;
- ``schema``: column and index definitions, MSysObjects, the catalog, DDL, the FCBs;
- ``records``: the record layout, normalized keys, long values, index entries, record updates;
- ``cursors``: the cursor (navigation, seeks, index ranges) and table scans;
- ``genuine``: genuine Windows ``.edb`` files presented as the engine's trees.

The engine imports ``pyese.storage`` and ``pyese.jethdr`` only; never ``pyese.jet`` or the
Pythonic layer. The sub-package ``__init__`` modules import nothing: import the module you need.
"""

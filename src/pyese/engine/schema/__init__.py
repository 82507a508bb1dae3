"""pyese.engine.schema: what tables, columns and indexes are, and how they change.

- ``schema``: ``ColumnDef``, ``IndexDef`` and the column-id ranges (ESE's FIELD and IDB);
- ``sysobjects``: MSysObjects rows in ESE's layout (``read_catalog``, ``encode_row``);
- ``catalog``: ``Catalog`` / ``TableDef``, the decoded catalog of one database;
- ``fcb``: ``DatabaseCatalog`` / ``FCB`` (``catalog_of``): the catalog as a session sees it,
  per-table control blocks;
- ``ddl``: JetCreateTable, JetAddColumn, JetCreateIndex, JetDelete*/JetRename* and friends.
"""

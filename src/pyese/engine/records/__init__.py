"""pyese.engine.records: records in ESE's format, and changing them.

- ``record``: the record layout (``RecordLayout``, ``RecordImage``), long-value keys;
- ``keys``, ``keys_text``: normalized keys (``make_key``, ``KeyBuilder``, ``retrieve_key``)
  and the Unicode sort key;
- ``indexentries``: the index entries a record produces (``index_entries``);
- ``longvalue``: ``LongValueReader`` for separated long values;
- ``update``: JetPrepareUpdate / JetSetColumn / JetUpdate / JetDelete (``prepare_update``,
  ``set_column``, ``do_update``, ``delete_current``).
"""

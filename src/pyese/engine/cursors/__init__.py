"""pyese.engine.cursors: positions in a table and reading through them.

- ``cursor``: ``Cursor`` (navigation, seeks, index ranges, bookmarks; ``open_cursor``,
  ``cursor_for``);
- ``tablescan``: ``TableReader`` (scans and index lookups over a snapshot) and
  ``RecordView`` (column values of the current record).
"""

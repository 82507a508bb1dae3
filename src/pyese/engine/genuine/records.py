"""A genuine file's records handed to the cursor decoded: once per record, not per column.

``JetRetrieveColumn`` reads one column of the current record; a program that reads every
column calls it once per column, and ``JetRetrieveColumns`` retrieves its columns one by
one too. On a pyese file each call finds the record through the version store; on a
genuine file, which never changes, the work can be shared:

- the record is found once: the cursor's ``record_view`` asks the snapshot
  (:meth:`GenuineSnapshot.record_view <pyese.engine.genuine.snapshot.GenuineSnapshot.record_view>`),
  which keeps the table's last records by bookmark (:class:`RecordCache`, bounded); a
  miss is one seek, which the tree's kept path makes a binary search in the leaf
  (``storage.edb.btree``);
- its fixed and variable columns are decoded in one pass (``rowdecode.RowDecoder``) the
  first time a column is asked for, and the values kept with the record
  (:class:`DecodedLayout`): every later retrieval of one of them is a dictionary lookup.
  Tagged columns, other itagSequences and the copy buffer go to the table's layout
  (``RecordLayout.retrieve_ex``) exactly as before.

Nothing changes in what a retrieval returns: :class:`DecodedLayout` answers only for
values the record holds (present or NULL); a column beyond the record's last fixed or
variable column (its default applies) and a damaged record (whose errors the per-column
path reports, column by column) go to the table's layout.

Thread safety: a cache entry is built completely before it is stored and never changed
after; dictionaries are read and replaced under the GIL, so sessions on several threads
share the caches without a lock (two threads may decode the same record twice).
"""

from __future__ import annotations

from typing import Any

from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.genuine.rowdecode import RowDecoder, tagged_fids
from pyese.engine.records.record import VALUE_DEFAULT, RecordLayout
from pyese.engine.schema.schema import TAGGED_FIRST
from pyese.jethdr.errors import JetError

CACHE_RECORDS = 512
"""Records kept per table (about a few leaf pages): bounded whatever the table's size."""


def _no_resolve(data: bytes, flags: int) -> bytes:  # fixed and variable values never need it
    return data


class DecodedLayout:
    """The table's ``RecordLayout`` for one record, with that record's fixed and variable
    values decoded once (module docstring). Anything else is the table's layout's."""

    __slots__ = ("base", "record", "_cache", "_values", "_tagged")

    def __init__(self, base: RecordLayout, record: bytes, cache: RecordCache) -> None:
        self.base = base
        self.record = record
        self._cache = cache
        self._values: list[Any] | None = None
        self._tagged: frozenset[int] | None | bool = False  # False: not read yet

    def _decode(self) -> list[Any]:
        decoder = self._cache.decoder
        try:
            values = [v if v is _ABSENT else (v, 0)
                      for v in decoder.values(self.record, _no_resolve)]
        except JetError:  # damaged: each column reports it through the table's layout
            values = [_ABSENT] * len(decoder.columns)
        self._values = values
        return values

    def retrieve_ex(self, record: bytes, columnid: int, itag: int = 1, *,
                    use_default: bool = True) -> tuple[bytes | None, int]:
        """``RecordLayout.retrieve_ex``; a fixed or variable value this record holds is
        answered from its decoded values."""
        if record is self.record:
            fid = columnid & 0xFFFF
            if itag == 1:
                pos = self._cache.positions.get(fid)
                if pos is not None:
                    values = self._values
                    if values is None:
                        values = self._decode()
                    got = values[pos]
                    if got is not _ABSENT:
                        return got  # type: ignore[no-any-return]
            default = self._cache.tagged_defaults.get(fid)
            if default is not None:  # a tagged column: absent from the record?
                held = self._tagged
                if held is False:
                    held = self._tagged = tagged_fids(self.base, record)
                if held is not None and fid not in held:  # type: ignore[operator]
                    # retrieve_ex's answer for a column the record lacks (RecordLayout._default)
                    if itag == 1 and use_default and default[0] is not None:
                        return default
                    return None, 0
        return self.base.retrieve_ex(record, columnid, itag, use_default=use_default)

    def retrieve(self, record: bytes, columnid: int, itag: int = 1) -> bytes | None:
        return self.base.retrieve(record, columnid, itag)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


_ABSENT: Any = object()
"""A column beyond the record's last fixed / variable column: the table's layout answers
(with the column's default)."""


class RecordCache:
    """A table's recently read records: bookmark -> (record bytes, DecodedLayout).

    Shared by every snapshot of one file (kept in ``EdbFile.memo``); at most
    :data:`CACHE_RECORDS` entries, emptied when full.
    """

    __slots__ = ("layout", "decoder", "positions", "tagged_defaults", "entries")

    def __init__(self, layout: RecordLayout) -> None:
        self.layout = layout
        cols = [c for fid, c in sorted(layout.columns.items()) if fid < TAGGED_FIRST]
        self.decoder = RowDecoder(layout, cols, absent=_ABSENT)
        self.positions = {c.columnid & 0xFFFF: i for i, c in enumerate(cols)}
        """fid -> position of the column's value in a decoded record."""
        self.tagged_defaults: dict[int, tuple[bytes | None, int]] = {
            fid: (c.default, VALUE_DEFAULT) for fid, c in layout.columns.items()
            if fid >= TAGGED_FIRST}
        """Tagged fid -> what retrieve_ex gives for it when a record lacks it (itag 1)."""
        self.entries: dict[bytes, tuple[bytes, DecodedLayout]] = {}

    def get(self, bookmark: bytes) -> tuple[bytes, DecodedLayout] | None:
        return self.entries.get(bookmark)

    def put(self, bookmark: bytes, data: bytes) -> tuple[bytes, DecodedLayout]:
        entry = (data, DecodedLayout(self.layout, data, self))
        entries = self.entries
        if len(entries) >= CACHE_RECORDS:
            self.entries = entries = {}
        entries[bookmark] = entry
        return entry


class DecodedRecordView(RecordView):
    """A :class:`RecordView` whose ``layout`` is the record's :class:`DecodedLayout`."""

    __slots__ = ()


def record_cache(memo: dict[Any, Any], objid: int, layout: RecordLayout) -> RecordCache:
    """The :class:`RecordCache` of table ``objid`` in a file's ``memo`` (made on first use,
    made anew when the table's layout object changed)."""
    key = ("records", objid)
    cache = memo.get(key)
    if cache is None or cache.layout is not layout:
        cache = memo[key] = RecordCache(layout)
    return cache  # type: ignore[no-any-return]

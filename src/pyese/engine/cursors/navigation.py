"""Navigation: moving a cursor along its current index (ESE rec.cxx ErrIsamMove,
ErrIsamGotoBookmark, ErrIsamGotoPosition, ErrRECSetCurrentIndex; dir.cxx ErrDIRNext /
ErrDIRPrev).

The primitives here speak in *index keys*, whatever the index's node layout: the first
entry with an index key >= k (``_first_ge``), the first > k (``_first_gt``), the last < k
(``_last_lt``), one step from the current position (``_step``). ``seeks`` and ``ranges``
are built on them.

Invariants.

1. *Moves are in index-key order, then bookmark order* (a non-unique secondary index's
   node key is the index key, a separator and the primary bookmark, ``ddl.index_node``),
   over the session's view, so an entry is visited once per pass.
2. *Leaving the index parks.* A move that finds no entry parks the cursor ``AFTER``
   (forward, MoveLast) or ``BEFORE`` (backward, MoveFirst) and raises
   JET_errNoCurrentRecord; a step that leaves the index range (forward against an upper
   bound, backward against a lower one, as ESE's dir.cxx checks) removes the range too.
3. *Navigation is marked* at the session's level (``_navigated``) on the FUCB that moves
   (the secondary index's, else the table's), so a rollback of the level resets it;
   reaching a record by bookmark on the primary index is not a navigation.
4. *Changing index* (``set_current_index``) cancels a prepared update, removes the range
   and the made key; MoveFirst defers, NoMove keeps the record (``goto_bookmark``).

Locks. None (``currency``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pyese.engine.cursors.currency import AFTER, BEFORE, DEFERRED, ON, VIRTUAL, Currency
from pyese.engine.cursors.tablescan import RecordView
from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import normalizer
from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.schema.ddl import index_node, seek_node_key
from pyese.engine.schema.sysobjects import CatalogIndex
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.compiling import mypyc_attr

KEY_VALUES: list[Callable[[Any, Any, Any], Any]] = []
"""``callbacks.key_values``, which that module installs here when it is imported (it
imports this module through ``cursor``, so this one cannot import it). The JET layer
imports it; a user-defined default column's index cannot be keyed without it."""

_AFTER_BOOKMARKS = b"\x00\x00" + b"\xff" * (C.JET_cbBookmarkMost + 2)
"""Appended to a seek node key: sorts after every node with that index key."""


@mypyc_attr(allow_interpreted_subclasses=True)  # as Cursor, which engine.temp subclasses
class Navigation(Currency):
    """Moves, positions, bookmarks and index selection (module docstring)."""

    # -- ordered access in index-key terms ----------------------------------------------

    @property
    def _non_unique(self) -> bool:
        return self.on_secondary and not self.index.index.is_unique  # type: ignore[union-attr]

    def _skey(self, key: bytes) -> bytes:
        """The node key at which entries with index key >= ``key`` begin."""
        if self.on_secondary:
            return seek_node_key(self.index.index, key)  # type: ignore[union-attr]
        return key

    def _first_ge(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The first entry whose index key is >= ``key`` (the first of equal keys)."""
        return cur.seek_ge(self._skey(key))  # type: ignore[no-any-return]

    def _first_gt(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The first entry whose index key is > ``key``."""
        if self._non_unique:
            # every node with index key == key sorts below skey + 00 00 + (FF * more than
            # any bookmark); the next node has a greater index key (see ddl.index_node).
            return cur.seek_ge(self._skey(key) + _AFTER_BOOKMARKS)  # type: ignore[no-any-return]
        node = cur.seek_ge(key)
        if node is not None and node[0] == key:
            node = cur.next()
        return node  # type: ignore[no-any-return]

    def _last_lt(self, cur: Any, key: bytes) -> tuple[bytes, bytes] | None:
        """The last entry whose index key is < ``key``."""
        node = cur.seek_le(self._skey(key))
        if node is not None and not self._non_unique and node[0] == key:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    def _step(self, cur: Any, forward: bool, key_ne: bool, at: bytes | None = None
              ) -> tuple[bytes, bytes] | None:
        """The entry a one-step move reaches from the current position (ESE dir.cxx
        ErrDIRNext / ErrDIRPrev), or None when the move leaves the index. ``at``: the node
        key ``cur`` is on (None: unknown); on the current entry, the move is one step."""
        state = self.state
        if state == BEFORE:
            return cur.first() if forward else None  # type: ignore[no-any-return]
        if state == AFTER:
            return None if forward else cur.last()  # type: ignore[no-any-return]
        if state == VIRTUAL and self.node_key is None:
            key = self.virtual_key or b""
            if not forward:
                return self._last_lt(cur, key)
            # locOnSeekBM: the first node after (key, no bookmark): on a non-unique index
            # that is the first entry with an index key >= key.
            return self._first_ge(cur, key) if self._non_unique else self._first_gt(cur, key)
        assert self.node_key is not None
        start = self.node_key
        if key_ne:
            ikey = self.entry_key(start)
            return self._first_gt(cur, ikey) if forward else self._last_lt(cur, ikey)
        if at is not None and at == start:
            return cur.next() if forward else cur.prev()  # type: ignore[no-any-return]
        if forward:
            node = cur.seek_ge(start)
            if node is not None and node[0] == start:
                node = cur.next()
            return node  # type: ignore[no-any-return]
        node = cur.seek_le(start)
        if node is not None and node[0] == start:
            node = cur.prev()
        return node  # type: ignore[no-any-return]

    # -- moves (ESE rec.cxx ErrIsamMove) -------------------------------------------------

    def move(self, crow: int, grbit: int = 0) -> None:
        """JetMove: First, Last, Next, Previous or +/- n entries.

        Cancels a prepared update. JET_errNoCurrentRecord when the move leaves the index:
        a forward move (and MoveLast) then parks the cursor after the last entry, a
        backward move (and MoveFirst, which is negative as a LONG) before the first.
        First and Last remove the index range. A step that leaves the range (checked on
        forward steps against an upper range, on backward steps against a lower one, as
        ESE dir.cxx does) removes it, parks the cursor and gives JET_errNoCurrentRecord.
        crow 0 checks the current entry (JET_errNoCurrentRecord, JET_errRecordDeleted).
        JET_bitMoveKeyNE skips the entries that have the key of the one stepped from.
        """
        primary = not self.on_secondary
        if (crow == 1 or crow == -1) and self.state == ON:
            # One step from the entry the kept tree cursor is on (``_step``'s ``at ==
            # start`` case), as the loop below takes it, without its calls.
            tcur = self._tcur
            at = self._tcur_at
            if (tcur is not None and at is not None and at == self.node_key
                    and not grbit & C.JET_bitMoveKeyNE
                    and self._tcur_objid == (self.table.objid if primary
                                             else self.index.objid)):  # type: ignore[union-attr]
                self._update = None  # self.update = None
                self.table_bookmark = None  # _navigated
                if primary:
                    self.table_nav_level = self.session.level
                    token = self._read_token()
                else:
                    self.index_nav_level = self.session.level
                    token = None
                forward = crow == 1
                self._tcur_at = None  # as _cursor() below: known again once landed
                node = tcur.next() if forward else tcur.prev()
                if node is None:
                    self.park(AFTER if forward else BEFORE)
                    raise_error(C.JET_errNoCurrentRecord)
                key = node[0]
                if primary:
                    self.state = ON  # set_on(key, key), _prime_record
                    self.node_key = key
                    self.bookmark = key
                    self.virtual_key = None
                    if token is not None:
                        self._rec = RecordView(self.table.layout, node[1], self._lv_reader(),
                                               key)
                        self._rec_token = token
                    self._tcur_at = key
                else:
                    self._land(node, False, None)
                rng = self.range
                if rng is not None and rng.upper == forward and not rng.admits(
                        self.entry_key(key)):
                    self.range = None
                    self.park(AFTER if rng.upper else BEFORE)
                    raise_error(C.JET_errNoCurrentRecord)
                return
        self.update = None
        if crow != 0:
            self._navigated()
        token = self._read_token() if primary else None
        if crow == C.JET_MoveFirst or crow == C.JET_MoveLast:
            self.range = None
            cur = self._cursor()
            first = crow == C.JET_MoveFirst
            node = cur.first() if first else cur.last()
            if node is None:
                self.park(BEFORE if first else AFTER)
                raise_error(C.JET_errNoCurrentRecord)
            self._land(node, primary, token)
            return
        if crow == 0:
            # On the primary index the entry is the record: record_view checks it.
            self.require_entry(present=self.on_secondary)
            self.record_view()
            return
        forward = crow > 0
        key_ne = bool(grbit & C.JET_bitMoveKeyNE)
        if self.state == DEFERRED:
            self.resolve_deferred()
            if self.state == DEFERRED:  # still deferred: the index is empty
                self.park(AFTER if forward else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
        at = self._tcur_at
        cur = self._cursor()
        for _ in range(abs(crow)):
            node = self._step(cur, forward, key_ne, at)
            if node is None:
                self.park(AFTER if forward else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)
            at = node[0]
            self._land(node, primary, token)
            rng = self.range
            if rng is not None and rng.upper == forward and not rng.admits(
                    self.entry_key(at)):
                self.range = None
                self.park(AFTER if rng.upper else BEFORE)
                raise_error(C.JET_errNoCurrentRecord)

    def _land(self, node: tuple[bytes, bytes], primary: bool, token: object) -> None:
        """Be on ``node``, just read from the tree cursor ``_cursor()`` (which stays on it);
        on the primary index its data is the record, read under ``token``. On a secondary
        index the record is read now, on the call's snapshot, when the record of the last
        position was read (a caller reading rows as it moves: its next read then costs no
        snapshot of its own); a caller reading only keys pays nothing for it."""
        if primary:
            self.set_on(node[0], node[0])
            self._prime_record(node[0], node[1], token)
        else:
            self.set_on(node[0], node[1])
            if self._rec_wanted:
                self._rec_wanted = False
                token = self._read_token()
                if token is not None:
                    data = self.view().get(self.table.objid, node[1])
                    if data is not None:
                        self._prime_record(node[1], data, token)
        self._tcur_at = node[0]

    # -- positions (ESE rec.cxx ErrIsamGetRecordPosition / ErrIsamGotoPosition) ----------

    def record_position(self) -> tuple[int, int]:
        """(entries before the current one, entries in the index): exact counts where ESE
        estimates them from the B-tree. JET_errNoCurrentRecord off an entry."""
        self.resolve_deferred()
        if self.state != ON or self.node_key is None:
            raise_error(C.JET_errNoCurrentRecord)
        cur = self.view().cursor(self._tree())
        lt = total = 0
        node = cur.first()
        while node is not None:
            if node[0] < self.node_key:  # type: ignore[operator]
                lt += 1
            total += 1
            node = cur.next()
        return lt, total

    def goto_position(self, lt: int, total: int) -> None:
        """JetGotoPosition: the entry at fraction lt/total of the index. Cancels a
        prepared update, removes the range, resets the key. JET_errInvalidParameter when
        lt > total; JET_errRecordNotFound on an empty index (parked before the first)."""
        if lt > total or lt < 0 or total < 0:
            raise_error(C.JET_errInvalidParameter, "centriesLT > centriesTotal")
        self.update = None
        self.range = None
        self.key_builder.reset()
        self._navigated()
        cur = self.view().cursor(self._tree())
        nodes = []
        node = cur.first()
        while node is not None:
            nodes.append(node)
            node = cur.next()
        if not nodes:
            self.park(BEFORE)
            raise_error(C.JET_errRecordNotFound)
        i = (lt * len(nodes)) // total if total else 0
        self.set_on(*self._entry(nodes[min(i, len(nodes) - 1)]))

    # -- index selection -----------------------------------------------------------------

    def set_current_index(self, name: str | None, grbit: int = C.JET_bitMoveFirst,
                          itag: int = 1) -> None:
        """JetSetCurrentIndex: None or "" is the primary index (or DBK order);
        JET_errIndexNotFound. MoveFirst cancels a prepared update and defers a move to the
        first entry (also when the index is already current). NoMove keeps the current
        record (JET_errNoCurrentRecord if none) and goes to its entry chosen by ``itag``
        (see goto_bookmark)."""
        if grbit & C.JET_bitNoMove:
            self.resolve_deferred()
            bm = self.bookmark if self.state == ON else None
            if bm is None:
                raise_error(C.JET_errNoCurrentRecord)
            ix = self.table.index(name) if name else self.table.primary_index
            self._switch_index(ix)
            self.range = None
            self.key_builder.reset()
            self.goto_bookmark(bm, max(1, itag))  # type: ignore[arg-type]
            return
        ix = self.table.index(name) if name else self.table.primary_index
        self.update = None
        self._switch_index(ix)
        self.range = None
        self.key_builder.reset()
        self.park(DEFERRED)

    def _switch_index(self, ix: CatalogIndex | None) -> None:
        """Make ``ix`` current. A secondary index other than the current one gets a fresh
        FUCB opened at the session's level (ESE rec.cxx ErrRECSetCurrentIndex: levelOpen
        and DIRInitOpenedCursor's levelNavigate); the same index keeps its FUCB."""
        same = (ix is not None and self.index is not None
                and ix.index.name == self.index.index.name)
        if ix is not None and not ix.index.is_primary and not same:
            self.index_open_level = self.session.level
            self.index_nav_level = self.session.level
        self._set_index(ix)

    # -- bookmarks -----------------------------------------------------------------------

    def goto_bookmark(self, bookmark: bytes, itag: int = 1) -> None:
        """JetGotoBookmark (ESE rec.cxx ErrRECIGotoBookmark): the record's entry in the
        current index (on a secondary index the entry made from multi-value ``itag``).
        Reaching an entry of a secondary index is a navigation of the index (a rollback
        of the level resets it); on the primary index it is not.

        JET_errInvalidBookmark (empty), then a prepared update is cancelled, the range
        removed and the key reset; JET_errRecordDeleted (no such record),
        JET_errNoCurrentRecord when the record is not in the current secondary index (the
        cursor is then before the first entry), JET_errBadItagSequence when ``itag`` is
        beyond the record's values.
        """
        bookmark = bytes(bookmark or b"")
        if not bookmark:
            raise_error(C.JET_errInvalidBookmark)
        self.update = None
        self.range = None
        self.key_builder.reset()
        view = self.view()
        data = view.get(self.table.objid, bookmark)
        if data is None:
            raise_error(C.JET_errRecordDeleted)
        if not self.on_secondary:
            self.set_on(bookmark, bookmark)
            return
        ix = self.index
        assert ix is not None
        rec = RecordView(self.table.layout, data, LongValueReader(view, self.table.lv_objid),
                         bookmark)
        idef = ix.index
        if normalizer(idef).udd:
            # A user-defined default column is keyed by its callback, given this cursor
            # on the record: ESE ErrRECIGotoBookmark goes to the record first
            # (ErrDIRGotoJetBookmark), then keys it (ErrRECRetrieveKeyFromRecord).
            self.set_on(bookmark, bookmark)
            try:
                entries = index_entries(idef, KEY_VALUES[0](self, idef, rec.values))
            except JetError:
                self.park(BEFORE)
                raise
        else:
            entries = index_entries(idef, rec.values)
        chosen = None
        for e in entries:
            if itag in e.itags:
                chosen = e
                break
        if chosen is None:
            if entries and itag > 1:
                raise_error(C.JET_errBadItagSequence)
            if itag == 1 and entries:
                chosen = entries[0]
        if chosen is None:
            self.park(BEFORE)
            raise_error(C.JET_errNoCurrentRecord)
        # ESE dir.cxx ErrDIRDownKeyData marks the index's FUCB navigated at this level
        # (FUCBSetLevelNavigate); the table's FUCB went there by ErrDIRGotoJetBookmark,
        # which does not, nor does a goto on the primary index.
        self._navigated()
        self.set_on(index_node(ix.index, chosen.key, bookmark)[0], bookmark)

    def goto_index_bookmark(self, key: bytes, bookmark: bytes, grbit: int) -> None:
        """JetGotoSecondaryIndexBookmark (ESE rec.cxx ErrIsamGotoIndexBookmark).

        JET_errNoCurrentIndex on the primary index; JET_errInvalidBookmark for an empty
        secondary key, or an empty primary bookmark on a non-unique index. Cancels a
        prepared update, removes the range, resets the key. JET_errRecordDeleted when the
        entry is gone (or, on a unique index, holds another record than a given primary
        bookmark); with JET_bitBookmarkPermitVirtualCurrency the cursor is then left on a
        virtual position at the entry, so moves continue from there.
        """
        if not self.on_secondary:
            raise_error(C.JET_errNoCurrentIndex)
        ix = self.index.index  # type: ignore[union-attr]
        if not key:
            raise_error(C.JET_errInvalidBookmark)
        if not ix.is_unique and not bookmark:
            raise_error(C.JET_errInvalidBookmark)
        self.update = None
        self.range = None
        self.key_builder.reset()
        node_key = index_node(ix, key, bookmark)[0]
        found = self.view().get(self._tree(), node_key)
        if found is None:
            if grbit & C.JET_bitBookmarkPermitVirtualCurrency:
                self.park_virtual(key, node_key)
            raise_error(C.JET_errRecordDeleted)
        record_bm = found
        if ix.is_unique and bookmark and record_bm != bookmark:
            self.set_on(node_key, record_bm)
            raise_error(C.JET_errRecordDeleted)
        self.set_on(node_key, record_bm)

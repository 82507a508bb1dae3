"""Seeks: JetSeek on the key made by JetMakeKey (ESE rec.cxx ErrIsamSeek).

Invariants.

1. *ESE's order of checks*: a seek relation is required (JET_errInvalidParameter), a key
   must be made (JET_errKeyNotMade), more than one relation is JET_errInvalidGrbit (ESE
   only asserts). Then, whatever the outcome: the prepared update is cancelled, the index
   range removed, the made key consumed, and the move is a navigation at the session's
   level.
2. *Keys compare byte-wise and whole*: a partial or limit key never matches EQ. On a
   non-unique index a GT key naming every key column and shorter than cbKeyMost + 1 is
   sought as key + FF, as ESE does.
3. *Where a failed seek leaves the cursor*: EQ, or any relation on an empty index, at a
   virtual position at the key (moves continue from it); GE / GT after the last entry;
   LE / LT before the first.

Locks. None (``currency``).
"""

from __future__ import annotations

from pyese.engine.cursors.currency import AFTER, BEFORE, IndexRange
from pyese.engine.cursors.navigation import Navigation
from pyese.engine.records.keys import normalizer
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.compiling import mypyc_attr

_SEEK_BITS = (C.JET_bitSeekEQ, C.JET_bitSeekLT, C.JET_bitSeekLE, C.JET_bitSeekGE,
              C.JET_bitSeekGT)
_SEEK_ALL = C.JET_bitSeekEQ | C.JET_bitSeekLT | C.JET_bitSeekLE | C.JET_bitSeekGE | C.JET_bitSeekGT


@mypyc_attr(allow_interpreted_subclasses=True)  # as Cursor, which engine.temp subclasses
class Seeks(Navigation):
    """JetSeek (module docstring)."""

    def seek(self, grbit: int) -> int:
        """JetSeek with the key made by JetMakeKey; returns 0, JET_wrnSeekNotEqual or
        JET_wrnUniqueKey.

        Checks, in ESE's order: JET_errInvalidParameter when no EQ/LT/LE/GE/GT bit is
        given, JET_errKeyNotMade. More than one of them gives JET_errInvalidGrbit (ESE only
        asserts on that). Then a prepared update is cancelled, the index range removed,
        and the key consumed whatever the outcome. Keys compare byte-wise and whole, so a
        partial or limit key never matches EQ.

        - EQ: the first entry with the key; else JET_errRecordNotFound with the cursor on
          a virtual position at the key (MoveNext / MovePrevious go to the entries after /
          before it). With JET_bitSetIndexRange an inclusive upper range on the key is set;
          with JET_bitCheckUniqueness JET_wrnUniqueKey says no other entry has the key.
        - GE: the first entry >= key (JET_wrnSeekNotEqual if not equal); LE: the first
          entry with the key, else the last entry < key with JET_wrnSeekNotEqual.
        - GT: the first entry > key; LT: the last entry < key (no warning). On a
          non-unique index, a GT key that names every key column and is shorter than
          cbKeyMost + 1 is sought as key + FF, as ESE does.
        - No such entry: JET_errRecordNotFound, the cursor after the last entry (GE, GT)
          or before the first (LE, LT), or virtual at the key when the index is empty.
        """
        relation = grbit & _SEEK_ALL
        if relation == 0:
            raise_error(C.JET_errInvalidParameter, "JetSeek needs a seek grbit")
        if not self.key_builder.is_prepared:
            raise_error(C.JET_errKeyNotMade)
        if relation not in _SEEK_BITS:
            raise_error(C.JET_errInvalidGrbit, f"more than one seek relation in {grbit:#x}")
        key = self.key_builder.key
        columns = self.key_builder.columns
        self.key_builder.reset()
        self.update = None
        self.range = None
        self._navigated()
        primary = not self.on_secondary
        token = self._read_token() if primary else None
        cur = self._cursor()
        if relation == C.JET_bitSeekGT and self._non_unique:
            kn = normalizer(self.index.index)  # type: ignore[union-attr]
            if len(key) < kn.cb_key_most + 1 and columns == len(kn.segments):
                key = key + b"\xff"
        warning = 0
        node: tuple[bytes, bytes] | None
        if relation == C.JET_bitSeekEQ:
            node = self._first_ge(cur, key)
            if node is not None and self.entry_key(node[0]) != key:
                node = None
        elif relation == C.JET_bitSeekGE:
            node = self._first_ge(cur, key)
            if node is not None and self.entry_key(node[0]) != key:
                warning = C.JET_wrnSeekNotEqual
        elif relation == C.JET_bitSeekGT:
            node = self._first_gt(cur, key)
        elif relation == C.JET_bitSeekLE:
            node = self._first_ge(cur, key)
            if node is None or self.entry_key(node[0]) != key:
                node = self._last_lt(cur, key)
                warning = C.JET_wrnSeekNotEqual
        else:
            node = self._last_lt(cur, key)
        if node is None:
            if relation == C.JET_bitSeekEQ or cur.first() is None:
                self.park_virtual(key)
            elif relation in (C.JET_bitSeekGE, C.JET_bitSeekGT):
                self.park(AFTER)
            else:
                self.park(BEFORE)
            raise_error(C.JET_errRecordNotFound)
        self._land(node, primary, token)
        if relation == C.JET_bitSeekEQ:
            if grbit & C.JET_bitCheckUniqueness:
                self._tcur_at = None
                following = cur.seek_ge(node[0])
                following = cur.next() if following is not None else None
                if following is None or self.entry_key(following[0]) != key:
                    return C.JET_wrnUniqueKey
            if grbit & C.JET_bitSetIndexRange:
                self.range = IndexRange(key, True, True)
        return warning

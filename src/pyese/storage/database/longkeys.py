"""Tree keys of any length on LMDB, whose keys stop at 511 bytes, without losing their order.

All trees of a database share one LMDB database (``b"trees"``). A node (objid, key, data)
is stored under an LMDB key made of the objid (4 bytes, big-endian) and the tree key:

- a *direct* node: tree key of at most ``DIRECT_MOST`` (496) bytes; LMDB key
  ``objid + key`` (4..500 bytes), LMDB value = the node's data;
- a *bucket*: every node whose key is longer than 496 bytes and starts with the same 496
  bytes ``p`` lives in one LMDB record at ``objid + p + b"\\x00"`` (exactly 501 bytes, a
  length no direct key has). Its value lists the nodes' (suffix, data) pairs, suffix =
  ``key[496:]`` (never empty), sorted by suffix, no duplicates.

Why the order holds. Tree keys compare as memcmp then length, LMDB keys likewise. The only
LMDB keys that start with ``objid + p`` are ``objid + p`` (the direct node whose key is
``p``) and the bucket ``objid + p + 00``: every other key with prefix ``p`` is longer than
496 bytes and so is in that bucket. The bucket's nodes (``p + s``, s non-empty) are
greater than ``p`` and smaller than every key that differs from ``p`` upward within its
first 496 bytes -- exactly where LMDB puts ``p + 00``. So reading LMDB in order and
expanding each bucket in suffix order yields the tree in key order::

    LMDB key                     nodes it holds (tree order)
    objid|"ab"                   "ab"
    objid|p                      p                 (len(p) == 496)
    objid|p|00   (bucket)        p+"\\x00..", p+"a", p+"zz..."
    objid|q                      q                 (q > p within the first 496 bytes)

Bucket value layout: u32 count, then per entry u32 suffix length, u32 data length, suffix,
data (little-endian). A put or delete of a long key rewrites its whole bucket: cheap unless
many long keys share 496 leading bytes.
"""

from __future__ import annotations

import struct
from bisect import bisect_left, bisect_right
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.trees import KEY_MOST

OBJID_SIZE = 4
OBJID_MAX = 0xFFFFFFFF
DIRECT_MOST = 496
"""Longest tree key stored directly; longer keys go to buckets."""
BUCKET_KEY_SIZE = OBJID_SIZE + DIRECT_MOST + 1
BUCKET_MARK = b"\x00"

_U32 = struct.Struct("<I")
_ENTRY = struct.Struct("<II")

Entries = list[tuple[bytes, bytes]]


def objid_prefix(objid: int) -> bytes:
    return objid.to_bytes(OBJID_SIZE, "big")


def direct_key(objid: int, key: bytes) -> bytes:
    return objid_prefix(objid) + key


def bucket_key(objid: int, key: bytes) -> bytes:
    """The LMDB key of the bucket holding a long tree key."""
    return objid_prefix(objid) + key[:DIRECT_MOST] + BUCKET_MARK


def is_long(key: bytes) -> bool:
    return len(key) > DIRECT_MOST


def is_bucket(lmdb_key: bytes) -> bool:
    return len(lmdb_key) == BUCKET_KEY_SIZE


def tree_prefix(lmdb_key: bytes) -> bytes:
    """The tree key of a direct LMDB key, or the shared 496-byte prefix of a bucket."""
    if is_bucket(lmdb_key):
        return lmdb_key[OBJID_SIZE:-1]
    return lmdb_key[OBJID_SIZE:]


def encode_bucket(entries: Entries) -> bytes:
    parts = [_U32.pack(len(entries))]
    for suffix, data in entries:
        parts.append(_ENTRY.pack(len(suffix), len(data)))
        parts.append(suffix)
        parts.append(data)
    return b"".join(parts)


def decode_bucket(raw: bytes) -> Entries:
    """Parse a bucket value; JET_errDatabaseCorrupted when it is malformed."""
    try:
        (count,) = _U32.unpack_from(raw, 0)
        pos = _U32.size
        entries: Entries = []
        for _ in range(count):
            slen, dlen = _ENTRY.unpack_from(raw, pos)
            pos += _ENTRY.size
            end = pos + slen + dlen
            if end > len(raw):
                raise struct.error("entry past the end")
            entries.append((bytes(raw[pos : pos + slen]), bytes(raw[pos + slen : end])))
            pos = end
    except struct.error as exc:
        raise_error(C.JET_errDatabaseCorrupted, f"long-key bucket: {exc}")
    if pos != len(raw):
        raise_error(C.JET_errDatabaseCorrupted, "long-key bucket: trailing bytes")
    return entries


def bucket_problems(lmdb_key: bytes, entries: Entries) -> list[str]:
    """What is wrong with a decoded bucket ([] when it is sound)."""
    where = f"bucket {lmdb_key[:OBJID_SIZE].hex()}:{lmdb_key[OBJID_SIZE:20].hex()}..."
    found = []
    if lmdb_key[-1:] != BUCKET_MARK:
        found.append(f"{where}: key does not end in 00")
    if not entries:
        found.append(f"{where}: empty")
    prev: bytes | None = None
    for suffix, _data in entries:
        if not suffix:
            found.append(f"{where}: empty suffix")
        if DIRECT_MOST + len(suffix) > KEY_MOST:
            found.append(f"{where}: key of {DIRECT_MOST + len(suffix)} bytes")
        if prev is not None and suffix <= prev:
            found.append(f"{where}: suffixes out of order")
        prev = suffix
    return found


def bucket_find(entries: Entries, suffix: bytes) -> int:
    """Index of ``suffix`` in ``entries``, or -1."""
    i = bisect_left(entries, suffix, key=_suffix_of)
    if i < len(entries) and entries[i][0] == suffix:
        return i
    return -1


def bucket_put(entries: Entries, suffix: bytes, data: bytes) -> None:
    i = bisect_left(entries, suffix, key=_suffix_of)
    if i < len(entries) and entries[i][0] == suffix:
        entries[i] = (suffix, data)
    else:
        entries.insert(i, (suffix, data))


def bucket_first_ge(entries: Entries, suffix: bytes) -> int:
    """Index of the first entry with suffix >= ``suffix`` (len(entries) if none)."""
    return bisect_left(entries, suffix, key=_suffix_of)


def bucket_last_le(entries: Entries, suffix: bytes) -> int:
    """Index of the last entry with suffix <= ``suffix`` (-1 if none)."""
    return bisect_right(entries, suffix, key=_suffix_of) - 1


def _suffix_of(entry: tuple[bytes, bytes]) -> bytes:
    return entry[0]


class MergedCursor:
    """A TreeCursor over one tree, on an LMDB cursor of the ``trees`` database.

    Expands buckets in place, so callers see plain (key, data) nodes in key order. Not
    thread-safe by itself: the owning snapshot serialises calls.
    """

    def __init__(self, lmdb_cursor: Any, objid: int) -> None:
        # fixed after construction
        self._cur = lmdb_cursor
        self._objid = objid
        self._prefix = objid_prefix(objid)
        # the position: LMDB key, and for a bucket its entries and the index in them
        self._lkey: bytes | None = None
        self._entries: Entries | None = None
        self._idx = 0

    # -- positioning ----------------------------------------------------------------

    def first(self) -> tuple[bytes, bytes] | None:
        if not self._cur.set_range(self._prefix):
            return self._unposition()
        return self._land(from_start=True)

    def last(self) -> tuple[bytes, bytes] | None:
        if self._objid == OBJID_MAX:
            found = self._cur.last()
        elif self._cur.set_range(objid_prefix(self._objid + 1)):
            found = self._cur.prev()
        else:
            found = self._cur.last()
        if not found:
            return self._unposition()
        return self._land(from_start=False)

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        if not is_long(key):
            if not self._cur.set_range(self._prefix + key):
                return self._unposition()
            return self._land(from_start=True)
        bkey = bucket_key(self._objid, key)
        if not self._cur.set_range(bkey):
            return self._unposition()
        if self._cur.key() == bkey:
            entries = decode_bucket(self._cur.value())
            i = bucket_first_ge(entries, key[DIRECT_MOST:])
            if i < len(entries):
                return self._at_entry(bkey, entries, i)
            if not self._cur.next():
                return self._unposition()
        return self._land(from_start=True)

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        if not is_long(key):
            target = self._prefix + key
            if self._cur.set_range(target):
                if self._cur.key() == target:
                    return self._land(from_start=True)
                found = self._cur.prev()
            else:
                found = self._cur.last()
            if not found:
                return self._unposition()
            return self._land(from_start=False)
        bkey = bucket_key(self._objid, key)
        if self._cur.set_range(bkey):
            if self._cur.key() == bkey:
                entries = decode_bucket(self._cur.value())
                i = bucket_last_le(entries, key[DIRECT_MOST:])
                if i >= 0:
                    return self._at_entry(bkey, entries, i)
            found = self._cur.prev()
        else:
            found = self._cur.last()
        if not found:
            return self._unposition()
        return self._land(from_start=False)

    def next(self) -> tuple[bytes, bytes] | None:
        if self._lkey is None:
            return None
        if self._entries is not None and self._idx + 1 < len(self._entries):
            return self._at_entry(self._lkey, self._entries, self._idx + 1)
        if not self._cur.next():
            return self._unposition()
        return self._land(from_start=True)

    def prev(self) -> tuple[bytes, bytes] | None:
        if self._lkey is None:
            return None
        if self._entries is not None and self._idx > 0:
            return self._at_entry(self._lkey, self._entries, self._idx - 1)
        if not self._cur.prev():
            return self._unposition()
        return self._land(from_start=False)

    # -- helpers --------------------------------------------------------------------

    def _land(self, *, from_start: bool) -> tuple[bytes, bytes] | None:
        """Take the node(s) at the LMDB cursor: the first or last of a bucket."""
        lkey = self._cur.key()
        if lkey[:OBJID_SIZE] != self._prefix:
            return self._unposition()
        if is_bucket(lkey):
            entries = decode_bucket(self._cur.value())
            if not entries:
                raise_error(C.JET_errDatabaseCorrupted, "empty long-key bucket")
            return self._at_entry(lkey, entries, 0 if from_start else len(entries) - 1)
        self._lkey = lkey
        self._entries = None
        self._idx = 0
        return lkey[OBJID_SIZE:], self._cur.value()

    def _at_entry(self, lkey: bytes, entries: Entries, idx: int) -> tuple[bytes, bytes]:
        self._lkey = lkey
        self._entries = entries
        self._idx = idx
        suffix, data = entries[idx]
        return lkey[OBJID_SIZE:-1] + suffix, data

    def _unposition(self) -> tuple[bytes, bytes] | None:
        """Forget the position; returns None, the "no such node" answer."""
        self._lkey = None
        self._entries = None
        self._idx = 0
        return None

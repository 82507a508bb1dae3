"""Separated long values read through any TreeSnapshot (engine.records.longvalue)."""

from __future__ import annotations

import bisect
from collections.abc import Iterator

import pytest

from pyese.engine.records.longvalue import LongValueReader
from pyese.engine.records.record import LVRoot, lv_chunk_key, lv_root_key
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

LV = 9


class _Cursor:
    def __init__(self, nodes: list[tuple[bytes, bytes]]) -> None:
        self.nodes, self.i = nodes, -1

    def _at(self, i: int) -> tuple[bytes, bytes] | None:
        self.i = i
        return self.nodes[i] if 0 <= i < len(self.nodes) else None

    def first(self):
        return self._at(0)

    def last(self):
        return self._at(len(self.nodes) - 1)

    def seek_ge(self, key: bytes):
        return self._at(bisect.bisect_left([k for k, _ in self.nodes], key))

    def seek_le(self, key: bytes):
        return self._at(bisect.bisect_right([k for k, _ in self.nodes], key) - 1)

    def next(self):
        return self._at(self.i + 1)

    def prev(self):
        return self._at(self.i - 1)


class MemSnapshot:
    """A TreeSnapshot over dicts: the LV code must not depend on the .edb backend."""

    def __init__(self, trees: dict[int, dict[bytes, bytes]]) -> None:
        self.trees = {o: sorted(t.items()) for o, t in trees.items()}

    def get(self, objid: int, key: bytes) -> bytes | None:
        return dict(self.trees[objid]).get(key)

    def cursor(self, objid: int) -> _Cursor:
        return _Cursor(self.trees[objid])

    def iterate(self, objid, start=b"", stop=None) -> Iterator[tuple[bytes, bytes]]:
        for k, d in self.trees[objid]:
            if k >= start and (stop is None or k < stop):
                yield k, d

    def close(self) -> None:
        pass


def _lv_tree(values: dict[int, bytes], chunk: int, stored=None) -> dict[bytes, bytes]:
    tree: dict[bytes, bytes] = {}
    for lid, value in values.items():
        tree[lv_root_key(lid)] = LVRoot(1, len(value)).to_bytes()
        for off in range(0, len(value), chunk):
            tree[lv_chunk_key(lid, off)] = value[off : off + chunk]
    if stored:
        tree.update(stored)
    return tree


VALUE = bytes(range(256)) * 40  # 10240 bytes


def _reader(chunk: int = 1000, extra: dict | None = None) -> LongValueReader:
    # a neighbour LID on each side: reads must stop at the value's own nodes
    tree = _lv_tree({1: b"x" * 50, 2: VALUE, 3: b"y" * 3000}, chunk, extra)
    return LongValueReader(MemSnapshot({LV: tree}), LV)


def test_whole_value_and_ranges() -> None:
    r = _reader()
    assert r.size(2) == len(VALUE)
    assert r.read(2) == VALUE
    for off, size in [(0, 1), (999, 2), (1000, 1000), (5, 10000), (10239, 5), (10240, 3)]:
        assert r.read(2, off, size) == VALUE[off : off + size]


def test_iter_chunks_streams_chunk_by_chunk() -> None:
    chunks = list(_reader().iter_chunks(2, 2500))
    assert b"".join(chunks) == VALUE[2500:]
    assert max(len(c) for c in chunks) == 1000  # bounded: one chunk at a time


def _seven_bit(text: bytes) -> bytes:
    """COMPRESS_7BITASCII (compression.cxx): header (1 << 3) | (bits in last byte - 1)."""
    v = 0
    for i, ch in enumerate(text):
        v |= ch << (7 * i)
    nbits = 7 * len(text)
    packed = v.to_bytes((nbits + 7) // 8, "little")
    return bytes([(1 << 3) | ((nbits - 1) % 8)]) + packed


def test_compressed_chunks_are_decompressed() -> None:
    # ESE: lv.cxx FLVCompressedChunk - a chunk stored shorter than its span is compressed,
    # each chunk on its own.
    first, second = b"abcdefghijklmnop", b"0123456789ABCDEF"
    tree = {
        lv_root_key(5): LVRoot(1, 32).to_bytes(),
        lv_chunk_key(5, 0): _seven_bit(first),
        lv_chunk_key(5, 16): second,  # stored as is: exactly its span
    }
    assert len(tree[lv_chunk_key(5, 0)]) < 16
    r = LongValueReader(MemSnapshot({LV: tree}), LV)
    assert r.read(5) == first + second
    assert r.read(5, 10, 10) == (first + second)[10:20]


@pytest.mark.parametrize(
    "lid, mutate",
    [
        (7, {}),  # no root at all
        (2, {lv_chunk_key(2, 0): b"\x00" * 1001}),  # a chunk longer than its span
    ],
)
def test_inconsistent_trees_raise_lv_corrupted(lid: int, mutate: dict) -> None:
    tree = _lv_tree({2: VALUE}, 1000)
    for k, v in mutate.items():
        if v is None:
            del tree[k]
        else:
            tree[k] = v
    r = LongValueReader(MemSnapshot({LV: tree}), LV)
    with pytest.raises(JetError) as ei:
        r.read(lid)
    assert ei.value.err == C.JET_errLVCorrupted


def test_missing_last_chunk_makes_the_previous_one_look_compressed() -> None:
    # without the chunk at 9000 the one at 8000 spans to the root's size: shorter than
    # that span, so it is read as compressed and fails to decompress (as ESE would)
    tree = _lv_tree({2: VALUE}, 1000)
    del tree[lv_chunk_key(2, 9000)]
    r = LongValueReader(MemSnapshot({LV: tree}), LV)
    with pytest.raises(JetError) as ei:
        r.read(2)
    assert ei.value.err == C.JET_errDecompressionFailed


def test_short_chunk_that_does_not_decompress() -> None:
    tree = _lv_tree({2: VALUE}, 1000)
    tree[lv_chunk_key(2, 1000)] = b"\x00" * 10  # shorter, but no valid scheme
    r = LongValueReader(MemSnapshot({LV: tree}), LV)
    with pytest.raises(JetError) as ei:
        r.read(2)
    assert ei.value.err == C.JET_errDecompressionFailed


def test_no_lv_tree_and_bad_arguments() -> None:
    with pytest.raises(JetError) as ei:
        LongValueReader(MemSnapshot({}), None).read(1)
    assert ei.value.err == C.JET_errLVCorrupted
    with pytest.raises(JetError) as ei:
        _reader().read(2, -1)
    assert ei.value.err == C.JET_errInvalidParameter
    with pytest.raises(JetError) as ei:
        _reader().read(2, 0, -5)
    assert ei.value.err == C.JET_errInvalidParameter

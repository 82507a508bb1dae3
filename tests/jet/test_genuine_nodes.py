"""Genuine non-unique index trees as the engine's cursor sees them (engine/genuine/snapshot.py).

ESE stores a non-unique secondary index entry as key = index key (repeated), data = primary
bookmark, ordered by (key, data) (``CmpKeyData``); pyese's cursor works on its own node
encoding (``ddl.index_node``). ``NonUniqueCursor`` maps one onto the other; these tests check
that the mapping is exact against a reference (sorted encoded keys), including many equal keys,
and that ``EdbTreeCursor.seek_ge_kd`` positions by (key, data) on the genuine samples' trees.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyese.engine.genuine.snapshot import NonUniqueCursor, encode_node_key, split_node_key
from pyese.engine.schema.catalog import Catalog
from pyese.engine.schema.ddl import index_node, node_index_key, seek_node_key
from pyese.storage.edb import EdbFile
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_samples


class ListCursor:
    """An in-memory stand-in for EdbTreeCursor over sorted (key, data) nodes."""

    def __init__(self, nodes: list[tuple[bytes, bytes]]) -> None:
        self.nodes = sorted(nodes)
        self.i: int | None = None

    def _at(self, i: int) -> tuple[bytes, bytes] | None:
        if 0 <= i < len(self.nodes):
            self.i = i
            return self.nodes[i]
        self.i = None
        return None

    def first(self):
        return self._at(0)

    def last(self):
        return self._at(len(self.nodes) - 1)

    def next(self):
        return None if self.i is None else self._at(self.i + 1)

    def prev(self):
        return None if self.i is None else self._at(self.i - 1)

    def seek_ge(self, key: bytes):
        return self._at(bisect_left([k for k, _ in self.nodes], key))

    def seek_ge_kd(self, key: bytes, data: bytes):
        return self._at(bisect_left(self.nodes, (key, data)))


keys = st.lists(st.sampled_from([b"\x00", b"\x01", b"\x02", b"a", b"\xff"]),
                max_size=4).map(b"".join)
"""Index keys rich in 00 and 01 bytes (the escape bytes) and in shared prefixes."""
bookmarks = st.binary(min_size=1, max_size=3)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(keys, bookmarks), max_size=30, unique=True),
       st.lists(st.binary(max_size=8), max_size=6), st.data())
def test_non_unique_cursor_is_the_encoded_order(nodes, probes, data) -> None:
    ref = sorted((encode_node_key(k, d), d) for k, d in nodes)
    enc = [k for k, _ in ref]
    # every probe kind the engine makes: a seek prefix, a whole node key, raw bytes
    probes = list(probes)
    for k, d in nodes[:5]:
        probes += [seek_node_key(SimpleNamespace(is_unique=False), k), encode_node_key(k, d)]
    for p in probes:
        cur = NonUniqueCursor(ListCursor(nodes))  # type: ignore[arg-type]
        i = bisect_left(enc, p)
        got = cur.seek_ge(p)
        assert got == (ref[i] if i < len(ref) else None), p
        if got is not None:
            assert cur.next() == (ref[i + 1] if i + 1 < len(ref) else None)
        cur = NonUniqueCursor(ListCursor(nodes))  # type: ignore[arg-type]
        j = bisect_right(enc, p) - 1
        got = cur.seek_le(p)
        assert got == (ref[j] if j >= 0 else None), p
        if got is not None:
            assert cur.prev() == (ref[j - 1] if j >= 1 else None)
    # a walk over many equal keys, resumed from each position by node key (as the cursor
    # does on every JetMove) visits every entry once, both ways
    cur = NonUniqueCursor(ListCursor(nodes))  # type: ignore[arg-type]
    walked = []
    node = cur.first()
    while node is not None:
        walked.append(node)
        fresh = NonUniqueCursor(ListCursor(nodes))  # type: ignore[arg-type]
        assert fresh.seek_ge(node[0]) == node
        node = fresh.next()
        cur = fresh
    assert walked == ref


def test_encoding_is_the_engines_index_node() -> None:
    ix = SimpleNamespace(is_unique=False)
    for key in (b"", b"\x00", b"a\x00b", b"\x00\x00\x01", b"\x7f\x80"):
        for bm in (b"\x01", b"\x00\x00", b"\x7f\x80\x00\x00\x00\x01"):
            nk = encode_node_key(key, bm)
            assert (nk, bm) == index_node(ix, key, bm)
            assert node_index_key(ix, nk) == key
            assert split_node_key(nk) == (key, bm)
        assert split_node_key(seek_node_key(ix, key)) == (key, None)


@pytest.fixture(scope="module")
def edb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_samples(tmp_path_factory.mktemp("edb"))


@pytest.mark.parametrize("name", SAMPLES)
def test_seek_by_key_and_data_on_every_genuine_tree(edb_dir: Path, name: str) -> None:
    # ESE seeks a bookmark (key, data) with one descent: parents compare key + data
    # (CmpKeyWithKeyData), the leaf (key, data). Every node of every tree is found.
    with EdbFile.open(edb_dir / f"{name}.edb") as edb:
        catalog = Catalog.load(edb.snapshot(), edb.page_size)
        checked = 0
        for objid in sorted({2, *catalog.trees}):
            nodes = [(n.key, n.data) for n in edb.leaf_nodes(objid)]
            for i, (k, d) in enumerate(nodes):
                cur = edb.cursor(objid)
                assert cur.seek_ge_kd(k, d) == (k, d)
                assert cur.next() == (nodes[i + 1] if i + 1 < len(nodes) else None)
                after = edb.cursor(objid).seek_ge_kd(k, d + b"\x00")
                assert after == (nodes[i + 1] if i + 1 < len(nodes) else None)
                checked += 1
            assert edb.cursor(objid).seek_ge_kd(b"\xff" * 300, b"") is None
        assert checked > 0

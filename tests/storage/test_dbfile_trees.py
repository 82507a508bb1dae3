"""pyese database file trees against a plain sorted-dict model (hypothesis).

The trees must behave as ordered maps of bytes keys of any length up to KEY_MOST, ordered
as ESE orders keys (memcmp, then shorter first), although LMDB stops at 511-byte keys:
long keys share 496-byte prefixes here on purpose, to cross the bucket boundary.
"""

from __future__ import annotations

import itertools
from bisect import bisect_left, bisect_right

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.database.longkeys import DIRECT_MOST, OBJID_MAX
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op
from pyese.storage.trees import KEY_MOST

P = b"p" * (DIRECT_MOST - 1)
_BASES = [
    b"",
    b"a",
    b"b" * 300,
    P,
    P + b"pp",
    P + b"p\x00",
    P + b"p",  # exactly DIRECT_MOST: the longest direct key
    P + b"pp",  # the shortest long key
    P + b"p\x00",
    P + b"q",
    P + b"o" + b"z" * 40,
    b"p" * (KEY_MOST - 4),
]
keys = st.builds(
    lambda base, tail: (base + tail)[:KEY_MOST],
    st.sampled_from(_BASES),
    st.sampled_from([b"", b"", b"\x00", b"0", b"00", b"1", b"1\xff"]),
)
values = st.binary(max_size=64) | st.just(b"v" * 5000)
TREE_A, TREE_B = 0, 1  # relative objids within an example
_KINDS = [OP_PUT] * 6 + [OP_DELETE] * 3 + [OP_DELETE_TREE]  # clearing a tree stays rare
op_strategy = st.builds(
    lambda kind, t, k, v: (
        kind,
        t,
        k if kind != OP_DELETE_TREE else b"",
        v if kind == OP_PUT else None,
    ),
    st.sampled_from(_KINDS),
    st.sampled_from([TREE_A, TREE_A, TREE_B]),
    keys,
    values,
)
MOVES = ["first", "last", "next", "prev", "next", "prev", "seek_ge", "seek_le"]

_objids = itertools.count(10, 3)  # each example gets fresh trees beside older ones
_lgpos = itertools.count(1)


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    d = DatabaseFile.create(tmp_path_factory.mktemp("trees") / "t.db")
    yield d
    assert d.check() == []
    d.close()


class ModelCursor:
    """The TreeCursor contract over a sorted list."""

    def __init__(self, items: dict[bytes, bytes]) -> None:
        self.keys = sorted(items)
        self.items = items
        self.pos: int | None = None

    def _at(self, i: int):
        if 0 <= i < len(self.keys):
            self.pos = i
            return self.keys[i], self.items[self.keys[i]]
        self.pos = None
        return None

    def first(self):
        return self._at(0)

    def last(self):
        return self._at(len(self.keys) - 1)

    def seek_ge(self, k):
        return self._at(bisect_left(self.keys, k))

    def seek_le(self, k):
        return self._at(bisect_right(self.keys, k) - 1)

    def next(self):
        return None if self.pos is None else self._at(self.pos + 1)

    def prev(self):
        return None if self.pos is None else self._at(self.pos - 1)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    batches=st.lists(st.lists(op_strategy, max_size=16), min_size=1, max_size=4),
    data=st.data(),
)
def test_trees_match_sorted_dict_model(db, batches, data):
    base = next(_objids)
    model: dict[int, dict[bytes, bytes]] = {TREE_A: {}, TREE_B: {}}
    for batch in batches:
        ops = [Op(kind, base + t, k, v) for kind, t, k, v in batch]
        for kind, t, k, v in batch:
            if kind == OP_PUT:
                model[t][k] = v
            elif kind == OP_DELETE:
                model[t].pop(k, None)
            else:
                model[t].clear()
        assert db.apply(ops, LGPOS(1, next(_lgpos)), durable=False)

    with db.snapshot() as snap:
        for t in (TREE_A, TREE_B):
            assert list(snap.iterate(base + t)) == sorted(model[t].items())
            for k in list(model[t])[:5]:
                assert snap.get(base + t, k) == model[t][k]
            assert snap.get(base + t, P + b"never") is None
        got = snap.cursor(base + TREE_A)
        want = ModelCursor(model[TREE_A])
        near = st.sampled_from(sorted(model[TREE_A])) if model[TREE_A] else keys
        for _ in range(data.draw(st.integers(0, 30))):
            name = data.draw(st.sampled_from(MOVES))
            args = (data.draw(near | keys),) if name.startswith("seek") else ()
            assert getattr(got, name)(*args) == getattr(want, name)(*args), (name, args)
        # iterate's half-open range, with bounds that fall inside buckets
        ks = sorted(model[TREE_A])
        if ks:
            lo, hi = ks[0], ks[-1]
            want_range = [(k, model[TREE_A][k]) for k in ks if lo <= k < hi]
            assert list(snap.iterate(base + TREE_A, lo, hi)) == want_range


def test_tree_edges_objid_zero_and_max(tmp_path):
    with DatabaseFile.create(tmp_path / "e.db") as db:
        long_key = P + b"zz"
        db.apply(
            [
                Op(OP_PUT, 0, b"", b"zero"),
                Op(OP_PUT, OBJID_MAX, long_key, b"max-long"),
                Op(OP_PUT, OBJID_MAX, b"", b"max-empty"),
                Op(OP_PUT, OBJID_MAX - 1, b"\xff" * 10, b"below"),
            ],
            LGPOS(1, 1),
        )
        with db.snapshot() as snap:
            c = snap.cursor(OBJID_MAX)
            assert c.last() == (long_key, b"max-long")
            assert c.prev() == (b"", b"max-empty")
            assert c.prev() is None  # does not wander into objid MAX-1
            assert c.next() is None  # no current node after falling off
            assert snap.cursor(0).last() == (b"", b"zero")
            assert snap.cursor(0).next() is None  # never positioned
            assert snap.cursor(OBJID_MAX - 1).first() == (b"\xff" * 10, b"below")
            assert snap.cursor(7).first() is None
            assert snap.cursor(7).seek_le(b"\xff" * 600) is None


def test_large_values_and_delete_tree_of_long_keys(tmp_path):
    with DatabaseFile.create(tmp_path / "v.db") as db:
        big = bytes(range(256)) * 4096  # 1 MiB: LMDB overflow pages
        ops = [Op(OP_PUT, 3, P + b"p" + bytes([i]) * 9, big[: i * 1000]) for i in range(1, 40)]
        ops.append(Op(OP_PUT, 3, b"k", big))
        db.apply(ops, LGPOS(1, 1))
        with db.snapshot() as snap:
            assert snap.get(3, b"k") == big
            assert len(list(snap.iterate(3))) == 40
        db.apply([Op(OP_DELETE_TREE, 3)], LGPOS(1, 2))
        with db.snapshot() as snap:
            assert list(snap.iterate(3)) == []
        assert db.check() == []

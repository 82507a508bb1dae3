"""``Tree.keys`` (``VersionKeys``): pending adds, merged on ordered reads, match a sorted list."""

from __future__ import annotations

import random

from pyese.engine.transactions.versions import VersionKeys


def test_ordered_reads_see_exactly_the_keys_added_and_not_discarded() -> None:
    rnd = random.Random(7)
    keys = VersionKeys()
    model: set[bytes] = set()
    for step in range(3000):
        k = bytes([rnd.randrange(40)])
        op = rnd.randrange(4)
        if op == 0 and k not in model:  # the store adds a key only when it has no chain
            keys.add(k)
            model.add(k)
        elif op == 1 and k in model:
            keys.discard(k)
            model.discard(k)
        elif op == 2:
            want = sorted(model)
            assert bool(keys) == bool(want)
            assert len(keys) == len(want)
            i = keys.bisect_left(k)
            assert i == sum(1 for w in want if w < k)
            assert keys.bisect_right(k) == sum(1 for w in want if w <= k)
            if want:
                assert keys[0] == want[0] and keys[-1] == want[-1]
        elif op == 3 and step % 50 == 0:
            assert list(keys) == sorted(model)
    assert list(keys) == sorted(model)


def test_truth_and_len_before_any_merge() -> None:
    keys = VersionKeys()
    assert not keys and len(keys) == 0
    keys.add(b"b")
    keys.add(b"a")
    assert keys and len(keys) == 2
    keys.discard(b"a")  # still pending: leaves without touching the sorted list
    assert list(keys) == [b"b"]
    keys.discard(b"b")  # merged by the iteration above: leaves the sorted list
    assert not keys and list(keys) == []
    keys.discard(b"zz")  # absent: nothing happens
    assert len(keys) == 0

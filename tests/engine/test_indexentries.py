"""Index entry enumeration (ESE recupd.cxx ErrRECIEnumerateKeys, rec.hxx KeySequence)."""

from __future__ import annotations

import struct

import pytest

from pyese.engine.records.indexentries import index_entries
from pyese.engine.records.keys import make_key
from pyese.engine.schema.schema import ColumnDef, ConditionalColumn, IndexDef, IndexSegment
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

MV = C.JET_bitColumnMultiValued | C.JET_bitColumnTagged
A = ColumnDef(256, "a", C.JET_coltypText, cp=1252, grbit=MV)
B = ColumnDef(257, "b", C.JET_coltypText, cp=1252, grbit=MV)
K = ColumnDef(1, "k", C.JET_coltypLong)
T = ColumnDef(129, "t", C.JET_coltypText, cp=1252)


def ix(*cols: ColumnDef, grbit: int = 0, **kw) -> IndexDef:
    return IndexDef("ix", tuple(IndexSegment(c) for c in cols), grbit=grbit, **kw)


def accessor(data: dict[int, list[bytes]]):
    return lambda cid: data.get(cid, [])


def keys_of(index: IndexDef, data: dict[int, list[bytes]]) -> list[bytes]:
    return [e.key for e in index_entries(index, accessor(data))]


def k(index: IndexDef, *values: bytes | None) -> bytes:
    return make_key(index, list(values))[0]


def test_first_multivalued_column_only_by_default() -> None:
    kdef = ix(A, B)
    data = {256: [b"x", b"y"], 257: [b"1", b"2"]}
    assert keys_of(kdef, data) == [k(kdef, b"x", b"1"), k(kdef, b"y", b"1")]


def test_cross_product() -> None:
    kdef = ix(A, B, grbit=C.JET_bitIndexCrossProduct)
    data = {256: [b"x", b"y"], 257: [b"1", b"2"]}
    entries = index_entries(kdef, accessor(data))
    assert [e.key for e in entries] == [
        k(kdef, b"x", b"1"), k(kdef, b"x", b"2"), k(kdef, b"y", b"1"), k(kdef, b"y", b"2")
    ]
    assert [e.itags for e in entries] == [(1, 1), (1, 2), (2, 1), (2, 2)]


def test_nested_table_lockstep() -> None:
    kdef = ix(A, B, grbit=C.JET_bitIndexNestedTable)
    data = {256: [b"x", b"y", b"z"], 257: [b"1", b"2"]}
    assert keys_of(kdef, data) == [
        k(kdef, b"x", b"1"), k(kdef, b"y", b"2"), k(kdef, b"z", None)
    ]


def test_multivalue_fixture_itags() -> None:
    # ManagedEsent MultivalueIndexFixture: record {i,j,k} has entries with itags 1..3
    kdef = ix(A)
    entries = index_entries(kdef, accessor({256: [b"i", b"j", b"k"]}))
    assert [e.itag_of(256) for e in entries] == [1, 2, 3]
    assert entries[2].key == k(kdef, b"k")


def test_identical_keys_stored_once_first_itag_wins() -> None:
    kdef = ix(A)
    entries = index_entries(kdef, accessor({256: [b"abc", b"ABC", b"d"]}))
    assert [e.itags for e in entries] == [(1,), (3,)]
    with pytest.raises(JetError) as exc:
        index_entries(ix(A, grbit=C.JET_bitIndexUnique), accessor({256: [b"abc", b"ABC"]}))
    assert exc.value.err == C.JET_errKeyDuplicate


def test_empty_multivalue_gives_one_null_entry() -> None:
    kdef = ix(A)
    assert keys_of(kdef, {}) == [b"\x00"]


@pytest.mark.parametrize(
    ("grbit", "all_null", "first_null", "some_null"),
    [
        (0, True, True, True),
        (C.JET_bitIndexIgnoreNull, False, True, True),
        (C.JET_bitIndexIgnoreFirstNull, False, False, True),
        (C.JET_bitIndexIgnoreAnyNull, False, False, False),
    ],
)
def test_null_flags(grbit: int, all_null: bool, first_null: bool, some_null: bool) -> None:
    kdef = ix(K, T, grbit=grbit)
    one = struct.pack("<i", 1)
    assert bool(keys_of(kdef, {})) == all_null
    assert bool(keys_of(kdef, {129: [b"t"]})) == first_null
    assert bool(keys_of(kdef, {1: [one]})) == some_null
    assert keys_of(kdef, {1: [one], 129: [b"t"]}) == [k(kdef, one, b"t")]


def test_disallow_null() -> None:
    kdef = ix(K, T, grbit=C.JET_bitIndexDisallowNull)
    with pytest.raises(JetError) as exc:
        index_entries(kdef, accessor({1: [struct.pack("<i", 1)]}))
    assert exc.value.err == C.JET_errNullKeyDisallowed
    assert len(keys_of(kdef, {1: [struct.pack("<i", 1)], 129: [b""]})) == 1  # zero-length


def test_conditional_columns() -> None:
    # ManagedEsent ConditionalIndexFixture: only records satisfying every condition
    c1 = ColumnDef(258, "condition1", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)
    c2 = ColumnDef(259, "condition2", C.JET_coltypLong, grbit=C.JET_bitColumnTagged)
    kdef = ix(K, conditions=(ConditionalColumn(c1, False), ConditionalColumn(c2, True)))
    one = struct.pack("<i", 1)
    seen = {
        (has1, has2): bool(keys_of(kdef, {1: [one], **({258: [one]} if has1 else {}),
                                          **({259: [one]} if has2 else {})}))
        for has1 in (False, True)
        for has2 in (False, True)
    }
    assert seen == {(False, False): False, (False, True): False,
                    (True, False): True, (True, True): False}


def test_tuples_defaults() -> None:
    kdef = ix(T, grbit=C.JET_bitIndexTuples)
    entries = index_entries(kdef, accessor({129: [b"abcdef"]}))
    assert [e.key for e in entries] == [
        k(kdef, b"abcdef"), k(kdef, b"bcdef"), k(kdef, b"cdef"), k(kdef, b"def")
    ]
    assert [e.ich_offset for e in entries] == [0, 1, 2, 3]
    assert keys_of(kdef, {129: [b"ab"]}) == []
    assert keys_of(kdef, {}) == []


def test_tuple_limits_and_mv_first_column() -> None:
    tcol = ColumnDef(260, "tt", C.JET_coltypText, cp=1200, grbit=MV)
    kdef = ix(tcol, grbit=C.JET_bitIndexTuples, tuple_limits=(2, 3, 2, 2, 1))
    data = {260: ["abcdef".encode("utf-16-le"), "xyz".encode("utf-16-le")]}
    entries = index_entries(kdef, accessor(data))
    got = [(e.itags[0], e.ich_offset) for e in entries]
    # start 1, step 2, at most 2 tuples, 2..3 characters each; then the next value
    assert got == [(1, 1), (1, 3), (2, 1)]
    assert entries[0].key == k(ix(tcol), "bcd".encode("utf-16-le"))


# -- the single-entry fast path (KeyNormalizer.single) gives the general loop's answer ----

_NULL_GRBITS = [0, C.JET_bitIndexIgnoreNull, C.JET_bitIndexIgnoreAnyNull,
                C.JET_bitIndexIgnoreFirstNull, C.JET_bitIndexDisallowNull,
                C.JET_bitIndexSortNullsHigh, C.JET_bitIndexUnique]
U = ColumnDef(130, "u", C.JET_coltypText, cp=1200)


class IndexEntryKey:
    """Just a key, shaped like the first field of :func:`_outcome`'s tuples."""

    def __init__(self, key: bytes) -> None:
        self.key = key


def _outcome(fn, index: IndexDef, data: dict[int, list[bytes]]) -> object:
    from pyese.engine.records.keys import normalizer

    try:
        out = fn(index, normalizer(index), accessor(data))
        if out and isinstance(out[0], IndexEntryKey):
            return [e.key for e in out]
        return [(e.key, e.itags, e.ich_offset, e.truncated, e.columnids) for e in out]
    except JetError as exc:
        return exc.err


@pytest.mark.parametrize("grbit", _NULL_GRBITS)
def test_single_entry_path_matches_general_loop(grbit: int) -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from pyese.engine.records.indexentries import _general_entries, _single_entry, entry_keys
    from pyese.engine.records.keys import normalizer

    kdef = ix(K, T, U, grbit=grbit)
    assert normalizer(kdef).single
    value = st.one_of(st.none(), st.just(b""), st.binary(min_size=1, max_size=300))

    @settings(max_examples=60, deadline=None)
    @given(st.tuples(st.none() | st.integers(-2**31, 2**31 - 1).map(
        lambda n: struct.pack("<i", n)), value, value.map(
        lambda b: b if b is None else b[: len(b) & ~1])))
    def check(vals: tuple[bytes | None, bytes | None, bytes | None]) -> None:
        data = {cid: [v] for cid, v in zip((1, 129, 130), vals) if v is not None}
        general = _outcome(_general_entries, kdef, data)
        assert _outcome(_single_entry, kdef, data) == general
        keys = _outcome(lambda ix, kn, vo: [IndexEntryKey(k) for k in entry_keys(ix, vo)],
                        kdef, data)
        assert keys == (general if isinstance(general, int) else [g[0] for g in general])

    check()


def test_single_flag_off_for_multivalued_conditional_and_tuple_indexes() -> None:
    from pyese.engine.records.keys import normalizer

    assert not normalizer(ix(A, K)).single
    assert not normalizer(ix(K, conditions=(ConditionalColumn(T, True),))).single

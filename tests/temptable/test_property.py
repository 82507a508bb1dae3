"""Property: a temporary table gives the rows in key order, and seeks land where a binary
search over that order lands.

Model (ESE ``sort.cxx`` / ``sortapi.cxx``): rows are ordered by the normalized key, so an
ascending Long key orders NULL first (last with ``JET_bitTTSortNullsHigh``), and a
descending segment reverses that whole order (its key bytes, NULL marker included, are
complemented). Duplicates of a key are all kept by a forward-only non-unique sort; every
other in-memory sort keeps one of them; a materialized table keeps the first inserted
(the others fail with ``JET_errKeyDuplicate``).
"""

from __future__ import annotations

import bisect
import struct
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.temp import MaterializedCursor

from .conftest import insert, open_kp, scan

REGIMES = {
    "forward-only": jet.JET_bitTTForwardOnly,
    "forward-only unique": jet.JET_bitTTForwardOnly | jet.JET_bitTTUnique,
    "indexed sort": jet.JET_bitTTIndexed | jet.JET_bitTTScrollable,
    "materialized": jet.JET_bitTTIndexed | jet.JET_bitTTForceMaterialization,
    "spilled forward-only": jet.JET_bitTTForwardOnly,
    "spilled indexed": jet.JET_bitTTIndexed,
}
"""Spilled: the sort's memory budget is 256 bytes, so it goes to the temporary database
(forward-only: read back from there; indexed: materialized at the first move)."""

rows_st = st.lists(st.tuples(st.one_of(st.none(), st.integers(-50, 50)),
                             st.binary(min_size=0, max_size=6)), max_size=40)


def _open_spilling(ses, grbit, descending):
    from pyese.engine.temp import open_temp_table
    from pyese.engine.temp.schema import ColumnRequest

    kg = jet.JET_bitColumnTTKey | (jet.JET_bitColumnTTDescending if descending else 0)
    cols = [ColumnRequest(jet.JET_coltypLong, grbit=kg),
            ColumnRequest(jet.JET_coltypBinary, cbMax=255)]
    with session_call(ses) as s:
        cur, ids = open_temp_table(s, cols, grbit, memory_most=256)
    return jet.JET_TABLEID(cur.tableid), [jet.JET_COLUMNID(i) for i in ids]


def _rank(key: int | None, nulls_high: bool, descending: bool) -> tuple[int, int]:
    r = (1 if nulls_high else 0, 0) if key is None else (0 if nulls_high else 1, key)
    return (-r[0], -r[1]) if descending else r


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(rows=rows_st, regime=st.sampled_from(sorted(REGIMES)), nulls_high=st.booleans(),
       descending=st.booleans(), probes=st.lists(st.integers(-60, 60), max_size=6))
def test_sorted_rows_and_binary_search_seeks(rows, regime, nulls_high, descending, probes):
    SYSTEM.reset_for_tests()
    inst = jet.JetCreateInstance("prop")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramRecovery, 0, "off")
    jet.JetInit(inst)
    try:
        ses = jet.JetBeginSession(inst)
        grbit = REGIMES[regime] | (jet.JET_bitTTSortNullsHigh if nulls_high else 0)
        if regime.startswith("spilled"):
            t, ids = _open_spilling(ses, grbit, descending)
        else:
            t, ids = open_kp(ses, grbit, descending)
        kept: dict[int | None, list[bytes]] = {}
        for key, payload in rows:
            try:
                insert(ses, t, ids, key, payload)
            except jet.KeyDuplicateError:
                assert regime == "materialized" and key in kept
                continue
            # zero-length data without JET_bitSetZeroLength sets NULL (ESE fldmod.cxx)
            kept.setdefault(key, []).append(payload or None)
        got = scan(ses, t, ids)
        with session_call(ses) as sess:
            materialized = isinstance(cursor_for(sess, t), MaterializedCursor)

        def rank(k: int | None) -> tuple[int, int]:
            return _rank(k, nulls_high, descending)

        keys = sorted(kept, key=rank)
        if regime in ("forward-only", "spilled forward-only"):
            want_keys = [k for k in keys for _ in kept[k]]
            assert [k for k, _ in got] == want_keys
            assert Counter(got) == Counter((k, p) for k in kept for p in kept[k])
            return
        assert [k for k, _ in got] == keys
        for k, p in got:
            assert p in kept[k]
            if regime == "materialized":
                assert p == kept[k][0]  # the first insert won
        if not grbit & jet.JET_bitTTIndexed:
            return
        ranks = [rank(k) for k in keys]
        for probe in probes:
            pr = rank(probe)
            for rel in (jet.JET_bitSeekEQ, jet.JET_bitSeekGE, jet.JET_bitSeekGT,
                        jet.JET_bitSeekLE, jet.JET_bitSeekLT):
                if rel == jet.JET_bitSeekEQ:
                    i = bisect.bisect_left(ranks, pr)
                    want = keys[i] if i < len(ranks) and ranks[i] == pr else "none"
                elif rel == jet.JET_bitSeekGE:
                    i = bisect.bisect_left(ranks, pr)
                    want = keys[i] if i < len(ranks) else "none"
                elif rel == jet.JET_bitSeekGT:
                    i = bisect.bisect_right(ranks, pr)
                    want = keys[i] if i < len(ranks) else "none"
                elif rel == jet.JET_bitSeekLE:
                    i = bisect.bisect_right(ranks, pr) - 1
                    want = keys[i] if i >= 0 else "none"
                else:
                    i = bisect.bisect_left(ranks, pr) - 1
                    want = keys[i] if i >= 0 else "none"
                jet.JetMakeKey(ses, t, struct.pack("<i", probe), jet.JET_bitNewKey)
                try:
                    w = jet.JetSeek(ses, t, rel)
                except jet.RecordNotFoundError:
                    assert want == "none", (probe, rel)
                    continue
                raw = jet.JetRetrieveColumn(ses, t, ids[0])
                landed = struct.unpack("<i", raw)[0] if raw is not None else None
                assert landed == want, (probe, rel, keys)
                exact = landed == probe
                if materialized:  # an ordinary table
                    if rel in (jet.JET_bitSeekGE, jet.JET_bitSeekLE) and not exact:
                        assert w == jet.JET_wrnSeekNotEqual
                else:
                    assert w == 0  # ESE ErrIsamSortSeek never warns
    finally:
        SYSTEM.reset_for_tests()

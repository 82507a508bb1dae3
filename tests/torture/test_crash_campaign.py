"""The crash-consistency campaign, briefly, with a fixed seed (``tools/torture.py crash``
runs it for as long as asked; see tests/torture/crash_campaign.py for what it checks)."""

from __future__ import annotations

import pytest

from tests.torture import crash_campaign as C
from tests.torture import crash_model as M


def test_crash_campaign_fixed_seed(tmp_path) -> None:
    fig = C.run(str(tmp_path), seed=20261202, seconds=12.0, max_rounds=7)
    assert not fig.anomalies, fig.anomalies
    assert not fig.errors, fig.errors
    assert fig.rounds >= 3 and fig.verified >= 2
    assert fig.acked_durable >= 1 and fig.lost_durable == 0
    assert fig.recovered_commits >= fig.acked_durable


def test_verifier_catches_a_lost_durable_commit_and_a_broken_index(tmp_path) -> None:
    """The verifier itself, on forged dumps."""
    camp = C.Campaign(str(tmp_path), 5, C.Figures())
    camp.child_state = M.empty_state()
    n = 0
    while True:  # the first transaction of seed 5 that commits durably
        steps, end = M.plan(5, n, camp.child_state)
        if end == "durable":
            break
        n += 1
    camp.on_ack("durable", n)
    empty = [{"rows": [], "by_tag": [], "by_txn_desc": [], "markers": []}] * 2
    with pytest.raises(C.Anomaly, match="durable commits lost"):
        camp.verify(empty)
    camp.fig.lost_durable = 0
    good = M.expected_dump(M.apply(M.empty_state(), steps))
    for d in good:
        d["markers"] = [n]
    broken = [dict(d) for d in good]
    db = 0 if broken[0]["rows"] else 1
    broken[db]["by_txn_desc"] = list(reversed(broken[db]["by_txn_desc"])) + [999]
    with pytest.raises(C.Anomaly, match="index by_txn_desc"):
        camp.verify(broken)
    camp.verify(good)
    assert camp.chain == [n]

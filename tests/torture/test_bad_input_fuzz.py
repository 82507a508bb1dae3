"""The stateful bad-input fuzzer, briefly, with a fixed seed (long runs: tools/torture.py fuzz).

Every ``Jet*`` function of pyese.jet, called with stale, foreign and garbage handles,
random grbits, structures and bytes, some calls from threads without the session's context:
every failure must be a JetError, no call may hang, and the committed rows of a model
session (which the fuzzer never touches) must be exactly what it committed, before and after
an abrupt stop and recovery.
"""

from __future__ import annotations

from ._torture import load

F = load("fuzz")


def test_fixed_seed_fuzz(tmp_path):
    tally = F.campaign(20261202, calls=1000, workdir=str(tmp_path), verify_every=300,
                  hang_seconds=60)
    print(tally.report())
    assert tally.calls == 1000 and len(tally.functions) >= 80
    assert tally.model_commits > 60
    assert not tally.failed, tally.report()

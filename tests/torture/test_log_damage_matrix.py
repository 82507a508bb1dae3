"""The log-damage matrix, briefly, with a fixed seed (long runs: tools/torture.py logdamage).

Each case damages one file of a crashed instance (the current log, an archived generation or
the checkpoint: truncate, flip, zero, append, delete; normal and circular logging) and runs
recovery. Every case must end "recovered, nothing acknowledged lost" or with the JET error
ESE gives for that damage (``logdamage.EXPECTED``: JET_errLogFileCorrupt, -MissingLogFile,
-CommittedLogFilesMissing, -CheckpointCorrupt, ...); damage that no log format can tell from
a crash (inside the final flush, or zeroes through the end of the log) is counted apart.
Never silent loss elsewhere, never an exception that is not a JetError.
"""

from __future__ import annotations

from ._torture import load

L = load("logdamage")


def test_fixed_seed_matrix(tmp_path):
    tally = L.campaign(20261202, cases=12, workdir=str(tmp_path), cases_per_base=6, commits=40)
    print(tally.report())
    assert tally.bases == 2  # one normal, one circular
    assert not tally.failed, tally.report()
    assert tally.verdicts["jet-error"] and tally.verdicts["recovered"], tally.report()

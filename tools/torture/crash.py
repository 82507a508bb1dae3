"""Crash campaign: SIGKILL a child process at work and during recovery, check each
recovered state against a model.

Runs ``tests/torture/crash_campaign.py`` in rounds of kills on one directory per seed
(a new directory and seed, seed+1, ... every ``--campaign-minutes``) until the time is up
or a check fails: acknowledged durable commits present, the committed transactions a
prefix (lazy ones may be lost only as a suffix), no partial transaction, every index
equal to a scan of the table, every long value intact. Exit status 1 on any finding.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import add_common, cleanup, workdir  # noqa: E402


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_common(parser, minutes=1.0)
    parser.add_argument("--campaign-minutes", type=float, default=5.0,
                        help="minutes of kills on one directory before a fresh one "
                             "(default 5)")


def run(args: argparse.Namespace) -> int:
    from tests.torture.crash_campaign import Figures
    from tests.torture.crash_campaign import run as campaign

    base = workdir(args, "crash")
    total = Figures()
    deadline = time.monotonic() + args.minutes * 60
    seed = args.seed
    campaigns = 0
    while not (total.anomalies or total.errors):
        left = deadline - time.monotonic()
        if left <= 5:
            break
        root = os.path.join(base, f"seed-{seed}")
        os.makedirs(root, exist_ok=True)
        fig = campaign(root, seed, min(args.campaign_minutes * 60, left))
        campaigns += 1
        total.add(fig)
        print(f"seed {seed}: {fig.rounds} kills ({fig.kills_in_recovery} during recovery), "
              f"{fig.verified} recovered states checked, {fig.acked_durable} durable and "
              f"{fig.acked_lazy} lazy commits acknowledged, {fig.rollbacks} rollbacks, "
              f"{fig.recovered_commits} commits recovered, {fig.lost_durable} durable lost, "
              f"{fig.lost_lazy} lazy lost, {len(fig.anomalies)} anomalies, "
              f"{len(fig.errors)} errors", flush=True)
        for line in fig.anomalies + fig.errors:
            print(f"  seed {seed}: {line}", flush=True)
        if not (fig.anomalies or fig.errors) and not args.keep:
            cleanup(root, args, False)
        seed += 1
    failed = bool(total.anomalies or total.errors)
    print(f"TOTAL: {campaigns} campaigns, {total.rounds} rounds (kills; "
          f"{total.kills_in_recovery} during recovery), {total.verified} recovered states "
          f"checked, {total.acked_durable} durable + {total.acked_lazy} lazy commits "
          f"acknowledged, {total.recovered_commits} recovered, {total.lost_durable} durable "
          f"lost, {total.lost_lazy} lazy lost, {total.inflight_recovered} in-flight found "
          f"committed, {len(total.anomalies)} anomalies, {len(total.errors)} errors")
    cleanup(base, args, failed)
    return 1 if failed else 0

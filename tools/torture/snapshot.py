"""Snapshot checker: readers summing a bank over two databases while writers move money.

Runs ``tests/torture/snapshot_checker.py`` in rounds (a fresh instance each, seed, seed+1,
...) until the time is up or a round finds an anomaly (a sum, a count by one index against
the other, one value read twice) or an unexpected exception. Prints one line per round and
the totals; exit status 1 on any finding.
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
    parser.add_argument("--round-seconds", type=float, default=60.0,
                        help="length of one round (default 60)")
    parser.add_argument("--threads", type=int, default=6)
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--writers", type=int, default=4)


def run(args: argparse.Namespace) -> int:
    from tests.torture.snapshot_checker import Figures
    from tests.torture.snapshot_checker import run as run_bank

    base = workdir(args, "snapshot")
    total = Figures()
    deadline = time.monotonic() + args.minutes * 60
    rounds = 0
    seed = args.seed
    while True:
        left = deadline - time.monotonic()
        if left <= 1 or total.anomalies or total.errors:
            break
        root = os.path.join(base, f"round-{seed}")
        os.makedirs(root, exist_ok=True)
        fig = run_bank(root, seed, min(args.round_seconds, left), threads=args.threads,
                       readers=args.readers, writers=args.writers)
        rounds += 1
        total.add(fig)
        print(f"round {rounds} seed {seed}: {fig.snapshots} snapshots checked, "
              f"{fig.transfers} transfers ({fig.migrations} migrations, {fig.durable} "
              f"durable, {fig.lazy} lazy), {fig.conflicts} write conflicts, "
              f"{len(fig.anomalies)} anomalies, {len(fig.errors)} other errors", flush=True)
        for line in fig.anomalies + fig.errors:
            print(f"  seed {seed}: {line}", flush=True)
        if not (fig.anomalies or fig.errors) and not args.keep:
            cleanup(root, args, False)
        seed += 1
    failed = bool(total.anomalies or total.errors)
    print(f"TOTAL: {rounds} rounds, {total.snapshots} snapshots checked, {total.transfers} "
          f"transfers committed ({total.durable} durable, {total.lazy} lazy, "
          f"{total.migrations} migrations), {total.conflicts} write conflicts, "
          f"{len(total.anomalies)} anomalies, {len(total.errors)} other errors")
    cleanup(base, args, failed)
    return 1 if failed else 0

"""What the subcommands share: the import path, the usual options, a work directory."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
for _p in (ROOT / "src", ROOT):
    if str(_p) not in sys.path:
        sys.path.insert(0, str(_p))


def add_common(parser: argparse.ArgumentParser, *, minutes: float) -> None:
    """--seed, --minutes, --dir, --keep."""
    parser.add_argument("--seed", type=int, default=1, help="first seed (default 1)")
    parser.add_argument("--minutes", type=float, default=minutes,
                        help=f"wall time to run (default {minutes})")
    parser.add_argument("--dir", default=None,
                        help="work directory (default: a new temporary one)")
    parser.add_argument("--keep", action="store_true",
                        help="keep the work directory (always kept after a failure)")


def workdir(args: argparse.Namespace, name: str) -> str:
    if args.dir:
        os.makedirs(args.dir, exist_ok=True)
        return os.path.abspath(args.dir)
    return tempfile.mkdtemp(prefix=f"pyese-torture-{name}-")


def cleanup(path: str, args: argparse.Namespace, failed: bool) -> None:
    if failed or args.keep or args.dir:
        print(f"work directory kept: {path}")
    else:
        shutil.rmtree(path, ignore_errors=True)

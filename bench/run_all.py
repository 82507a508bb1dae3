"""Run every bench/bench_*.py in turn and print their tables."""

from __future__ import annotations

import glob
import os
import subprocess
import sys


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    status = 0
    for path in sorted(glob.glob(os.path.join(here, "bench_*.py"))):
        print(f"== {os.path.basename(path)}", flush=True)
        status |= subprocess.run([sys.executable, path]).returncode
    return status


if __name__ == "__main__":
    sys.exit(main())

"""Long fuzz run over the genuine samples: only JetErrors, no hangs (issue 14).

    PYTHONPATH=src python tools/fuzz_edb.py --seed 1 --minutes 20 [--samples DIR] [--kind node]

Each case damages one sample in one place (``tests/genuine/fuzz.py``: records, nodes, pages,
headers, single-bit rot) and reads it back through every read path in strict and tolerant
mode. A case that raises anything but a JetError, or runs longer than ``--hang-seconds``, is
a finding: its traceback is printed and the run exits 1. Prints cases, JetErrors met and the
rate per kind at the end.
"""

from __future__ import annotations

import argparse
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from tests.genuine.fuzz import KINDS, load_sample, run_case  # noqa: E402

DEFAULT_SAMPLES = Path("/work/shared/testdata/edb")


class Hang(Exception):
    pass


def _alarm(_signum: int, _frame: object) -> None:
    raise Hang()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--minutes", type=float, default=1.0)
    ap.add_argument("--samples", type=Path, default=DEFAULT_SAMPLES)
    ap.add_argument("--kind", choices=KINDS)
    ap.add_argument("--hang-seconds", type=int, default=60)
    ap.add_argument("--max-cases", type=int, default=0, help="stop after N cases (0: no cap)")
    args = ap.parse_args(argv)
    files = sorted(p for p in args.samples.iterdir() if p.name.endswith(".gz"))
    samples = [load_sample(p) for p in files]
    rng = random.Random(args.seed)
    scratch = Path(f"/tmp/pyese-fuzz-{args.seed}.edb")
    signal.signal(signal.SIGALRM, _alarm)
    cases: Counter[str] = Counter()
    jet: Counter[str] = Counter()
    findings = 0
    hangs = 0
    t0 = time.monotonic()
    deadline = t0 + args.minutes * 60
    while time.monotonic() < deadline and not (args.max_cases and sum(cases.values())
                                                >= args.max_cases):
        case_seed = rng.getrandbits(64)
        kind = args.kind or random.Random(case_seed).choice(KINDS)
        signal.alarm(args.hang_seconds)
        try:
            out = run_case(random.Random(case_seed), samples, kind, scratch)
        except Hang:
            hangs += 1
            print(f"HANG: case seed {case_seed} kind {kind}", flush=True)
            continue
        finally:
            signal.alarm(0)
        cases[kind] += 1
        jet[kind] += out.jet_errors
        if out.finding:
            findings += 1
            print(f"FINDING: case seed {case_seed} kind {kind} sample {out.sample}\n"
                  f"{out.finding}", flush=True)
    scratch.unlink(missing_ok=True)
    elapsed = time.monotonic() - t0
    total = sum(cases.values())
    print(f"seed {args.seed}: {total} cases in {elapsed:.0f} s ({total / elapsed:.1f}/s) over "
          f"{len(samples)} samples; {sum(jet.values())} JetErrors met; "
          f"{findings} non-JetError exceptions; {hangs} hangs")
    for k in KINDS:
        if cases[k]:
            print(f"  {k:<7} {cases[k]:>7} cases  {jet[k]:>8} JetErrors")
    return 1 if findings or hangs else 0


if __name__ == "__main__":
    sys.exit(main())

"""The log-damage matrix: damage a crashed instance's log or checkpoint, run recovery, judge.

    python tools/torture.py logdamage --seed N --minutes M [--cases K]
    python tools/torture/logdamage.py --seed N --minutes M        (the same, standalone)

A *base* is a real crash: a child process (``--child``) creates ``r.edb`` (a table with a
primary index and long values), commits numbered durable transactions, prints each number
once ``JetCommitTransaction`` returned (acknowledged), may hold the applier back with the
fault seam (``pyese.storage.faults``: the later commits then live only in the log, the
hardest case for recovery), and exits with ``os._exit`` (no ``JetTerm``). Log files are
64 KiB, so a base spans several generations; bases are made with normal and with circular
logging.

Each *case* copies a base and damages one file: the current log, an archived generation,
or the checkpoint, by one of

- ``truncate``: cut the file at a random offset;
- ``flip``:     xor one random byte;
- ``zero``:     zero a random range (up to 4 KiB);
- ``append``:   append up to 4 KiB of random bytes;
- ``delete``:   remove the file.

Then ``JetInit`` recovers in this process, ``r.edb`` is attached and read back, and the case
is judged:

- ``recovered``: every acknowledged row is there with its exact value, and no other row;
- ``jet-error``: a JetError with one of the codes ESE gives for that damage (table
  ``EXPECTED``; anything else is ``unexpected-error``, a failure);
- ``undetectable``: rows were lost, but the damage lies where no log format can tell it from
  a crash: inside the final flush of the last generation (a torn write), or zeroes running
  through the end of the written log (ESE too reads zero-filled sectors as the end);
- ``lost``: acknowledged rows missing or wrong otherwise: silent loss, a failure;
- ``exception``: any exception that is not a JetError, a failure.

``run(...)`` returns the counts; ``main`` prints them and exits 1 on any failure.
"""

import argparse
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SRC = os.path.join(ROOT, "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

import pyese.jet as jet  # noqa: E402
from pyese.jethdr import constants as C  # noqa: E402
from pyese.jethdr.errors import JetError  # noqa: E402
from pyese.storage.log import log_format as F  # noqa: E402

KINDS = ("truncate", "flip", "zero", "append", "delete")
TARGETS = ("current", "archived", "checkpoint")
LOG_KB = 64

_LOG_ERRORS = frozenset({C.JET_errLogFileCorrupt, C.JET_errMissingLogFile,
                         C.JET_errCommittedLogFilesMissing, C.JET_errInvalidLogSequence,
                         C.JET_errBadLogSignature})
EXPECTED: dict[tuple[str, str], frozenset[int]] = {
    # ESE: a damaged checkpoint is JET_errCheckpointCorrupt (-533); a lost one is rebuilt
    # from the logs (the log file headers carry the attachments).
    **{("checkpoint", k): frozenset({C.JET_errCheckpointCorrupt})
       for k in ("truncate", "flip", "zero", "append")},
    ("checkpoint", "delete"): frozenset(),
    # ESE: logread.cxx, damage in a log that replay needs is JET_errLogFileCorrupt (-501);
    # a missing generation is JET_errMissingLogFile (-528); a database holding records the
    # log lost is JET_errCommittedLogFilesMissing (-582).
    **{(t, k): _LOG_ERRORS for t in ("current", "archived") for k in KINDS},
}


def payload(n: int, seed: int) -> bytes:
    """Row ``n``'s long value: 10 .. 5000 bytes, a function of (seed, n)."""
    rnd = random.Random(seed * 1_000_003 + n)
    return rnd.randbytes(10 + rnd.randrange(4990))


# --- the crashing child ------------------------------------------------------------------

def _instance(root: str, circular: bool, name: str = "ld") -> jet.JET_INSTANCE:
    inst = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, LOG_KB)
    if circular:
        jet.JetSetSystemParameter(inst, 0, jet.JET_paramCircularLog, 1)
    return inst


def child(root: str, *, circular: bool, commits: int, hold_after: int, seed: int) -> None:
    """Commit ``commits`` durable rows, print each acknowledged number, exit without JetTerm.
    From row ``hold_after`` on the applier is held (the rows are durable in the log only)."""
    import threading

    from pyese.engine.instance import logservice
    from pyese.storage.faults import FaultInjector

    inj = logservice.TEST_FAULTS = FaultInjector()
    inst = _instance(root, circular)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, os.path.join(root, "r.edb"))
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "V", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetCreateIndex(s, t, "P", jet.JET_bitIndexPrimary, "+Id\0\0")
    for n in range(commits):
        if n == hold_after:
            inj.hold("applier.apply", threading.Event())
        jet.JetBeginTransaction(s)
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, 1, struct.pack("<i", n))
        jet.JetSetColumn(s, t, 256, payload(n, seed))
        jet.JetUpdate(s, t)
        jet.JetCommitTransaction(s)
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()
    os._exit(0)


@dataclass
class Base:
    """A crashed instance directory and what its child acknowledged."""

    path: str
    circular: bool
    seed: int
    acknowledged: list[int]
    final_flush: int = 0
    """Offset in the current log where the final flush began."""
    data_end: int = 0
    """Offset in the current log after the last record."""


def make_base(path: str, *, circular: bool, seed: int, commits: int = 150,
              hold_after: int | None = None) -> Base:
    """Run the child in ``path`` (created) and describe the crash it left."""
    os.makedirs(path, exist_ok=True)
    rnd = random.Random(seed)
    if hold_after is None:
        hold_after = rnd.randrange(commits // 3, commits)
    env = dict(os.environ, PYTHONPATH=SRC)
    out = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", path, "--seed", str(seed),
         "--commits", str(commits), "--hold-after", str(hold_after)]
        + (["--circular"] if circular else []),
        env=env, capture_output=True, text=True, timeout=300, check=True)
    acked = [int(x) for x in out.stdout.split()]
    base = Base(path, circular, seed, acked)
    _locate_final_flush(base)
    return base


def _locate_final_flush(base: Base) -> None:
    cur = os.path.join(base.path, "edb.log")
    data = open(cur, "rb").read()
    pos = F.read_file_header(cur).size
    last_flush_start = pos
    while pos + F.RECORD_HEADER_SIZE <= len(data):
        crc, length, rectype = F.RECORD_HEADER.unpack_from(data, pos)
        end = pos + F.RECORD_HEADER_SIZE + length
        if end > len(data) or not F.record_crc_ok(data, pos, length, crc):
            break
        if rectype == F.REC_FLUSH:
            began = F.decode_flush(data[pos + F.RECORD_HEADER_SIZE:end])
            gen = F.read_file_header(cur).generation
            last_flush_start = began.offset if began.generation == gen else 0
        pos = end
    base.final_flush, base.data_end = last_flush_start, pos


# --- one case ------------------------------------------------------------------------------

@dataclass
class Case:
    target: str
    kind: str
    file: str = ""
    at: int = 0
    length: int = 0
    note: str = ""


@dataclass
class Outcome:
    verdict: str
    detail: str = ""
    code: int | None = None
    lost: int = 0


def _files(base_dir: str) -> dict[str, list[str]]:
    names = os.listdir(base_dir)
    archived = sorted(n for n in names if F.parse_archived_name("edb", n) is not None)
    return {"current": ["edb.log"] if "edb.log" in names else [],
            "archived": archived,
            "checkpoint": ["edb.chk"] if "edb.chk" in names else []}


def damage(case_dir: str, rnd: random.Random) -> Case:
    """Damage one file of ``case_dir`` at random; return what was done."""
    files = _files(case_dir)
    targets = [t for t in TARGETS if files[t]]
    target = rnd.choice(targets)
    kind = rnd.choice(KINDS)
    name = rnd.choice(files[target])
    path = os.path.join(case_dir, name)
    size = os.path.getsize(path)
    case = Case(target, kind, name)
    if target == "current" and rnd.random() < 0.7:
        # aim at the written part most of the time (the rest of the file is zeros)
        with open(path, "rb") as f:
            written = len(f.read().rstrip(b"\0")) or size
        hi = max(1, written)
    else:
        hi = max(1, size)
    if kind == "delete":
        os.unlink(path)
    elif kind == "truncate":
        case.at = rnd.randrange(0, hi)
        os.truncate(path, case.at)
    elif kind == "flip":
        case.at = rnd.randrange(0, hi)
        with open(path, "r+b") as f:
            f.seek(case.at)
            b = f.read(1)
            f.seek(case.at)
            f.write(bytes([b[0] ^ (1 << rnd.randrange(8))]))
    elif kind == "zero":
        case.at = rnd.randrange(0, hi)
        case.length = min(rnd.randrange(1, 4097), size - case.at)
        with open(path, "r+b") as f:
            f.seek(case.at)
            f.write(bytes(case.length))
    else:  # append
        case.length = rnd.randrange(1, 4097)
        with open(path, "ab") as f:
            f.write(rnd.randbytes(case.length))
    return case


def recover_and_judge(case_dir: str, base: Base, case: Case) -> Outcome:
    """JetInit in ``case_dir``, read r.edb back, judge against ``base``."""
    inst = _instance(case_dir, base.circular, name=f"ld{os.getpid()}{time.monotonic_ns()}")
    started = False
    try:
        jet.JetInit(inst)
        started = True
        s = jet.JetBeginSession(inst)
        path = os.path.join(case_dir, "r.edb")
        jet.JetAttachDatabase(s, path)
        t = jet.JetOpenTable(s, jet.JetOpenDatabase(s, path), "T")
        rows: dict[int, bytes] = {}
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
            while True:
                n = struct.unpack("<i", jet.JetRetrieveColumn(s, t, 1))[0]
                rows[n] = jet.JetRetrieveColumn(s, t, 256) or b""
                jet.JetMove(s, t, jet.JET_MoveNext)
        except JetError as exc:
            if exc.err != C.JET_errNoCurrentRecord:
                raise
        jet.JetEndSession(s)
    except JetError as exc:
        allowed = EXPECTED[(case.target, case.kind)]
        verdict = "jet-error" if exc.err in allowed else "unexpected-error"
        return Outcome(verdict, f"{exc}", exc.err)
    except Exception as exc:  # noqa: BLE001 - the defect this matrix exists to find
        return Outcome("exception", f"{type(exc).__name__}: {exc}")
    finally:
        if started:
            try:
                jet.JetTerm2(inst, jet.JET_bitTermAbrupt)
            except JetError:
                pass
    wrong = [n for n in base.acknowledged if rows.get(n) != payload(n, base.seed)]
    extra = sorted(set(rows) - set(base.acknowledged))
    if not wrong and not extra:
        return Outcome("recovered")
    detail = f"{len(wrong)} acknowledged rows missing or wrong, {len(extra)} unknown rows"
    if extra or not _undetectable(base, case):
        return Outcome("lost", detail, lost=len(wrong))
    return Outcome("undetectable", detail, lost=len(wrong))


def _undetectable(base: Base, case: Case) -> bool:
    """Damage no log format can tell from a crash (see the module docstring)."""
    if case.target != "current" or case.kind not in ("flip", "zero"):
        return False
    if case.at >= base.final_flush:
        return True  # inside the final flush: a torn write looks the same
    return case.kind == "zero" and case.at + case.length >= base.data_end


# --- the campaign --------------------------------------------------------------------------

@dataclass
class Tally:
    cases: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    lost_acknowledged: int = 0
    undetectable_rows: int = 0
    bases: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return bool(self.verdicts["lost"] or self.verdicts["exception"]
                    or self.verdicts["unexpected-error"])

    def report(self) -> str:
        v = self.verdicts
        lines = [f"log-damage matrix: {self.cases} cases over {self.bases} crashed bases",
                 f"  recovered, nothing acknowledged lost: {v['recovered']}",
                 f"  JET errors (as ESE gives them):       {v['jet-error']}  "
                 + ", ".join(f"{k}: {n}" for k, n in sorted(self.errors.items())),
                 f"  undetectable by design (final flush / zeroed end): {v['undetectable']} "
                 f"({self.undetectable_rows} rows)",
                 f"  unexpected JET errors:                {v['unexpected-error']}",
                 f"  non-JetError exceptions:              {v['exception']}",
                 f"  silent loss (cases / acknowledged rows): {v['lost']} / "
                 f"{self.lost_acknowledged}"]
        lines += [f"  FAIL {f}" for f in self.failures[:20]]
        return "\n".join(lines)


def campaign(seed: int, *, minutes: float = 0.0, cases: int | None = None,
        workdir: str | None = None, cases_per_base: int = 12,
        commits: int = 150) -> Tally:
    """Run the matrix until ``cases`` cases or ``minutes`` have passed (whichever is set
    and comes first); bases alternate between normal and circular logging."""
    rnd = random.Random(seed)
    tally = Tally()
    deadline = time.monotonic() + minutes * 60 if minutes else None
    own = workdir is None
    work = workdir or tempfile.mkdtemp(prefix="pyese-logdamage-")
    try:
        while True:
            if cases is not None and tally.cases >= cases:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if cases is None and deadline is None:
                break
            base_seed = rnd.randrange(1 << 30)
            circular = tally.bases % 2 == 1
            # the log names r.edb by its absolute path: every case runs where the child ran
            case_dir = os.path.join(work, "live")
            store = os.path.join(work, "base")
            shutil.rmtree(case_dir, ignore_errors=True)
            shutil.rmtree(store, ignore_errors=True)
            base = make_base(case_dir, circular=circular, seed=base_seed, commits=commits)
            shutil.copytree(case_dir, store)
            tally.bases += 1
            for _ in range(cases_per_base):
                if cases is not None and tally.cases >= cases:
                    break
                shutil.rmtree(case_dir, ignore_errors=True)
                shutil.copytree(store, case_dir)
                case = damage(case_dir, rnd)
                out = recover_and_judge(case_dir, base, case)
                tally.cases += 1
                tally.verdicts[out.verdict] += 1
                if out.verdict == "jet-error" and out.code is not None:
                    tally.errors[str(out.code)] += 1
                if out.verdict == "lost":
                    tally.lost_acknowledged += out.lost
                if out.verdict == "undetectable":
                    tally.undetectable_rows += out.lost
                if out.verdict in ("lost", "exception", "unexpected-error"):
                    tally.failures.append(
                        f"base seed {base_seed} circular={circular}: {case} -> {out}")
    finally:
        if own:
            shutil.rmtree(work, ignore_errors=True)
    return tally


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of ``tools/torture.py logdamage``."""
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=0.0)
    ap.add_argument("--cases", type=int, default=None,
                    help="stop after this many cases (default 24 without --minutes)")
    ap.add_argument("--commits", type=int, default=150, help="commits per crashed base")


def run(args: argparse.Namespace) -> int:
    """Run the matrix, print the figures; 1 if anything failed."""
    cases = args.cases
    if cases is None and not args.minutes:
        cases = 24
    tally = campaign(args.seed, minutes=args.minutes, cases=cases, commits=args.commits)
    print(tally.report())
    return 1 if tally.failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="logdamage", description=__doc__.split("\n")[0])
    add_arguments(ap)
    ap.add_argument("--child", metavar="DIR", help=argparse.SUPPRESS)
    ap.add_argument("--circular", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--hold-after", type=int, default=10**9, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        child(args.child, circular=args.circular, commits=args.commits,
              hold_after=args.hold_after, seed=args.seed)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

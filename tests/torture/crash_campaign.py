"""The crash-consistency campaign: SIGKILL a real child process at random moments, at
work and during recovery, and check every recovered state against a model.

Each round starts ``crash_child.py`` on the same directory. Its JetInit recovers from the
previous kill; it dumps what it recovered (every row of both databases read through each
index, with a digest of each long value, and the transaction markers) and prints
``ready``; then it runs the model's transactions (``crash_model.plan``) and acknowledges
each (``durable N``, ``lazy N``, ``rollback N``) once JetCommitTransaction or
JetRollback returned. The parent kills it:

- at work: after a random number of acknowledgements and a random pause, so the kill
  lands anywhere: inside a transaction, inside a commit, between the log flush and the
  applier's file commits, inside a checkpoint;
- during recovery: a random delay after the child announced JetInit (scaled to how long
  recovery takes), so the next recovery starts from a half-done one.

At each ``ready`` the dump is checked against the model (``verify``):

- *committed prefix*: the markers (one row per committed transaction in each database)
  are the transactions verified before plus a prefix of the ones run since (the one in
  flight at the kill may be in it), the same in both databases;
- *durable*: every acknowledged durable commit is inside that prefix (lazy ones may be
  lost, only as a suffix);
- *no partial transaction*: the rows equal the model's state after exactly that prefix;
- *indexes*: the unique index (``+tag``) and the descending index (``-txn+id``) list the
  same rows as the primary index, in the model's order;
- *long values*: each one's length and digest are the model's.

``run(root, seed, seconds)`` is called by the suite (fixed seed, a few rounds) and by
``tools/torture.py crash`` (as long as asked). A check that fails is an ``anomaly`` and
ends the run; a child that dies by itself is an ``error``.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

from tests.torture import crash_child as child_mod
from tests.torture import crash_model as M

CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "crash_child.py")


@dataclass
class Figures:
    rounds: int = 0
    kills_at_work: int = 0
    kills_in_recovery: int = 0
    """Kills that landed before the child's JetInit returned."""
    verified: int = 0
    """Recovered states checked."""
    acked_durable: int = 0
    acked_lazy: int = 0
    rollbacks: int = 0
    recovered_commits: int = 0
    """Committed transactions found after recovery (the final prefix)."""
    lost_durable: int = 0
    lost_lazy: int = 0
    """Acknowledged lazy commits not recovered (allowed: a suffix)."""
    inflight_recovered: int = 0
    """Transactions in flight at a kill (not acknowledged) found committed."""
    anomalies: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def add(self, other: Figures) -> None:
        for name, value in vars(other).items():
            if isinstance(value, int):
                setattr(self, name, getattr(self, name) + value)
        self.anomalies += other.anomalies
        self.errors += other.errors


class Anomaly(AssertionError):
    pass


@dataclass
class _Txn:
    n: int
    steps: list
    end: str
    acked: bool


class Campaign:
    """The model side: what was verified, what ran since."""

    def __init__(self, root: str, seed: int, fig: Figures) -> None:
        self.root = root
        self.seed = seed
        self.fig = fig
        self.state = M.empty_state()
        """The model after ``chain``."""
        self.chain: list[int] = []
        """Committed transactions verified present, in order."""
        self.pending: list[_Txn] = []
        """Transactions run since the last verification (acknowledged, or in flight)."""
        self.child_state = M.empty_state()
        """The state the running child works on (the model after the pending commits)."""
        self.next_n = 0

    # -- the child's output -------------------------------------------------------------

    def on_ready(self) -> None:
        with open(os.path.join(self.root, "dump.json")) as f:
            self.verify(json.load(f))
        self.child_state = M.copy_state(self.state)

    def on_ack(self, end: str, n: int) -> None:
        steps, planned = M.plan(self.seed, n, self.child_state)
        if planned != end:
            raise Anomaly(f"transaction {n}: the child ended it {end}, the plan {planned}")
        self.pending.append(_Txn(n, steps, end, True))
        if end == "durable":
            self.fig.acked_durable += 1
        elif end == "lazy":
            self.fig.acked_lazy += 1
        else:
            self.fig.rollbacks += 1
        if end != "rollback":
            self.child_state = M.apply(self.child_state, steps)
        self.next_n = n + 1

    def on_killed(self, worked: bool) -> None:
        """The child is dead; the transaction after its last acknowledgement may have
        committed (if it reached its work loop)."""
        if worked:
            n = self.next_n
            steps, end = M.plan(self.seed, n, self.child_state)
            self.pending.append(_Txn(n, steps, end, False))
            self.next_n = n + 1

    # -- the checks ---------------------------------------------------------------------

    def verify(self, dump: list[dict]) -> None:
        fig = self.fig
        markers = [d["markers"] for d in dump]
        if markers[0] != markers[1]:
            raise Anomaly(f"partial transaction: markers differ between the databases: "
                          f"{sorted(set(markers[0]) ^ set(markers[1]))[:10]}")
        got = markers[0]
        base = len(self.chain)
        if got[:base] != self.chain:
            missing = sorted(set(self.chain) - set(got))[:10]
            raise Anomaly(f"transactions verified before are gone: {missing}")
        candidates = [t for t in self.pending if t.end != "rollback"]
        extra = got[base:]
        k = len(extra)
        if extra != [t.n for t in candidates[:k]]:
            undone = sorted(set(extra) & {t.n for t in self.pending if t.end == "rollback"})
            if undone:
                raise Anomaly(f"rolled-back transactions {undone[:10]} are in the recovered "
                              f"databases")
            unknown = sorted(set(extra) - {t.n for t in self.pending})
            if unknown:
                raise Anomaly(f"transactions {unknown[:10]} never run since the last check "
                              f"are in the recovered databases")
            raise Anomaly(f"recovered transactions {extra[:10]} are not a prefix of the "
                          f"committed order {[t.n for t in candidates][:10]}")
        lost = candidates[k:]
        lost_durable = [t.n for t in lost if t.acked and t.end == "durable"]
        if lost_durable:
            fig.lost_durable += len(lost_durable)
            raise Anomaly(f"acknowledged durable commits lost: {lost_durable[:10]}")
        fig.lost_lazy += sum(1 for t in lost if t.acked and t.end == "lazy")
        fig.inflight_recovered += sum(1 for t in candidates[:k] if not t.acked)
        state = self.state
        for t in candidates[:k]:
            state = M.apply(state, t.steps)
        want = M.expected_dump(state)
        for name, (w, d) in zip(M.DBS, zip(want, dump, strict=True), strict=True):
            if d["rows"] != w["rows"]:
                diff = [r for r in d["rows"] if r not in w["rows"]][:3]
                gone = [r for r in w["rows"] if r not in d["rows"]][:3]
                raise Anomaly(f"{name}: rows differ from the model after transaction "
                              f"{(self.chain + extra or [None])[-1]}: unexpected {diff}, "
                              f"missing {gone}")
            for index in ("by_tag", "by_txn_desc"):
                if d[index] != w[index]:
                    raise Anomaly(f"{name}: index {index} lists {d[index][:8]}..., the "
                                  f"table scan gives {w[index][:8]}...")
        self.state = state
        self.chain += extra
        self.pending = []
        fig.verified += 1
        fig.recovered_commits = len(self.chain)


def _read_line(proc: subprocess.Popen, deadline: float) -> str:
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        raise RuntimeError(f"child exited ({proc.wait()}): {err[-2000:]}")
    if time.monotonic() > deadline:
        raise RuntimeError("child too slow")
    return line.strip()


def run(root: str, seed: int, seconds: float, *, max_rounds: int | None = None) -> Figures:
    """Run rounds for ``seconds`` (or ``max_rounds``) in directory ``root``; the figures,
    with at most one anomaly or error (the run stops at the first)."""
    fig = Figures()
    rng = random.Random(seed)
    child_mod.create(root)
    camp = Campaign(root, seed, fig)
    end = time.monotonic() + seconds
    recovery_ms = 50.0
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [os.path.join(os.path.dirname(CHILD), "..", "..", "src"),
         os.environ.get("PYTHONPATH", "")])}
    try:
        while time.monotonic() < end and (max_rounds is None or fig.rounds < max_rounds):
            fig.rounds += 1
            first = camp.next_n
            proc = subprocess.Popen([sys.executable, CHILD, root, str(seed), str(first)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                    env=env)
            deadline = time.monotonic() + 300
            lines: list[str] = []
            try:
                assert _read_line(proc, deadline) == "recovering"
                if fig.rounds > 1 and rng.random() < 0.3:
                    time.sleep(rng.uniform(0, recovery_ms / 1000 * 1.2))
                else:
                    line = _read_line(proc, deadline)
                    while line != "ready":
                        lines.append(line)
                        line = _read_line(proc, deadline)
                    lines.append(line)
                    for _ in range(rng.randint(0, 25)):
                        lines.append(_read_line(proc, deadline))
                    time.sleep(rng.choice((0, 0, rng.uniform(0, 0.002), rng.uniform(0, 0.05))))
            finally:
                if proc.poll() is None:
                    os.kill(proc.pid, signal.SIGKILL)
                # the child is dead: read what is left through the same buffered
                # readers (communicate() would skip what readline() already buffered)
                assert proc.stdout is not None and proc.stderr is not None
                rest = proc.stdout.read()
                err = proc.stderr.read()
                proc.wait()
                proc.stdout.close()
                proc.stderr.close()
            if proc.returncode != -signal.SIGKILL:
                raise RuntimeError(f"child exited {proc.returncode}: {err[-3000:]}")
            if rest and not rest.endswith("\n"):
                rest = rest[:rest.rfind("\n") + 1]  # a line cut by the kill
            lines += [x.strip() for x in rest.splitlines() if x.strip()]
            with open(os.path.join(root, "transcript.txt"), "a") as log:
                log.write(f"round {fig.rounds} first {first}: {' | '.join(lines)}\n")
            worked = False
            recovered = False
            for line in lines:
                word, _, arg = line.partition(" ")
                if word == "recovered":
                    recovered = True
                    ms = int(arg)
                    recovery_ms = 0.8 * recovery_ms + 0.2 * ms
                elif word == "ready":
                    camp.on_ready()
                    worked = True
                elif word in ("durable", "lazy", "rollback"):
                    camp.on_ack(word, int(arg))
            if recovered:
                fig.kills_at_work += 1
            else:
                fig.kills_in_recovery += 1
            camp.on_killed(worked)
        # the last word: recover in this process and check
        inst = child_mod.instance(root, "verify")
        child_mod.jet.JetInit(inst)
        s = child_mod.jet.JetBeginSession(inst)
        dbs = [child_mod.Db(s, os.path.join(root, name)) for name in M.DBS]
        dump = child_mod.dump(dbs)
        child_mod.jet.JetEndSession(s)
        child_mod.jet.JetTerm(inst)
        camp.verify(dump)
    except Anomaly as exc:
        fig.anomalies.append(str(exc))
    except Exception as exc:  # noqa: BLE001 - reported in the figures
        fig.errors.append(f"{type(exc).__name__}: {exc}")
    return fig

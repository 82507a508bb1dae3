"""The model of the crash campaign: schema, the transactions, their expected effects.

Two databases (``a.edb``, ``b.edb``), each with table ``T``::

    id   Long            primary index  +id
    txn  Long            descending index  -txn+id  (the transaction that last wrote it)
    tag  Text            unique index  +tag
    val  LongBinary      a long value, 0 .. 96 KiB, content derived from (txn, id, size)
    cnt  Long, escrow    JetEscrowUpdate deltas (default 0)

and table ``M`` (``n`` Long, primary): transaction ``n`` inserts row ``n`` into ``M`` of
*both* databases, so the markers name the committed transactions and show a partial one.

``plan(seed, n, state)`` is transaction ``n``: a deterministic function of the seed, the
number and the state it starts from (so the parent recomputes what the child did): random
inserts, replaces (new tag, new long value), deletes and escrow deltas over both
databases, some inside a nested level that commits or rolls back, then a durable or lazy
level-0 commit, or a rollback. ``apply(state, steps)`` is its effect on the model.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

DBS = ("a.edb", "b.edb")
MAX_ROWS = 40
"""Rows per database the plans keep around (inserts stop above it)."""


@dataclass(frozen=True)
class Row:
    txn: int
    tag: str
    size: int
    cnt: int


State = tuple[dict[int, Row], dict[int, Row]]
"""Per database: id -> row."""

# A step: ("insert"|"replace", db, id, Row) | ("delete", db, id) | ("escrow", db, id, delta)
# | ("begin",) | ("commit",) | ("rollback",)   (nested level 2)
Step = tuple


def value(txn: int, ident: int, size: int) -> bytes:
    """The long value transaction ``txn`` writes into row ``ident``."""
    seed = hashlib.blake2b(b"%d:%d" % (txn, ident), digest_size=32).digest()
    return (seed * (size // 32 + 1))[:size]


def digest(data: bytes | None) -> str:
    return hashlib.blake2b(data or b"", digest_size=8).hexdigest()


def empty_state() -> State:
    return ({}, {})


def copy_state(state: State) -> State:
    return (dict(state[0]), dict(state[1]))


def plan(seed: int, n: int, state: State) -> tuple[list[Step], str]:
    """Transaction ``n``'s steps and its end: "durable", "lazy" or "rollback"."""
    rng = random.Random(seed * 1_000_003 + n)
    work = copy_state(state)
    steps: list[Step] = []
    nested = False
    for _ in range(rng.randint(1, 8)):
        if not nested and rng.random() < 0.15:
            steps.append(("begin",))
            nested = True
            saved = copy_state(work)
        elif nested and rng.random() < 0.3:
            if rng.random() < 0.5:
                steps.append(("commit",))
            else:
                steps.append(("rollback",))
                work = saved
            nested = False
        db = rng.randrange(2)
        rows = work[db]
        roll = rng.random()
        size = rng.choice((0, 10, 300, 5000, 40_000, 98_000))
        if (roll < 0.35 and len(rows) < MAX_ROWS) or not rows:
            ident = n * 16 + len(steps) % 16
            while ident in rows:
                ident += 1
            row = Row(n, f"t{ident:08d}{0:08d}", size, 0)
            steps.append(("insert", db, ident, row))
            rows[ident] = row
            continue
        ident = rng.choice(sorted(rows))
        if roll < 0.65:
            row = Row(n, f"t{ident:08d}{n:08d}", size, rows[ident].cnt)
            steps.append(("replace", db, ident, row))
            rows[ident] = row
        elif roll < 0.8:
            steps.append(("delete", db, ident))
            del rows[ident]
        else:
            delta = rng.randint(-5, 9)
            steps.append(("escrow", db, ident, delta))
            old = rows[ident]
            rows[ident] = Row(old.txn, old.tag, old.size, old.cnt + delta)
    if nested:
        steps.append(("commit",))
    end_roll = rng.random()
    end = "rollback" if end_roll < 0.1 else "lazy" if end_roll < 0.55 else "durable"
    return steps, end


def apply(state: State, steps: list[Step]) -> State:
    """The state after a committed transaction's steps (nested rollbacks undone)."""
    work = copy_state(state)
    saved: State | None = None
    for step in steps:
        kind = step[0]
        if kind == "begin":
            saved = copy_state(work)
        elif kind == "commit":
            saved = None
        elif kind == "rollback":
            assert saved is not None
            work, saved = saved, None
        elif kind in ("insert", "replace"):
            work[step[1]][step[2]] = step[3]
        elif kind == "delete":
            del work[step[1]][step[2]]
        elif kind == "escrow":
            old = work[step[1]][step[2]]
            work[step[1]][step[2]] = Row(old.txn, old.tag, old.size, old.cnt + step[3])
    return work


def expected_dump(state: State) -> list[dict[str, list]]:
    """What ``crash_child.dump`` must report for ``state`` (markers aside)."""
    out = []
    for rows in state:
        out.append({
            "rows": [[i, r.txn, r.tag, r.cnt, r.size, digest(value(r.txn, i, r.size))]
                     for i, r in sorted(rows.items())],
            "by_tag": [i for i, _ in sorted(rows.items(), key=lambda kv: kv[1].tag)],
            "by_txn_desc": [i for i, _ in sorted(rows.items(),
                                                 key=lambda kv: (-kv[1].txn, kv[0]))],
        })
    return out

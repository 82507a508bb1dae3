"""Stress: 16 pool threads, 4 pooled sessions, 10,000 hand-overs of open transactions.

Each request takes a session from the pool and runs as three pool tasks, each possibly
on a different thread, handing the open transaction over with a session context
(ESE's ``JetSetSessionContext`` reference page, ME:
InitTermTests.VerifyJetSetSessionContextAllowsThreadMigration):

    task 1: SetSessionContext(ctx)  BeginTransaction  ResetSessionContext
    task 2: SetSessionContext(ctx)  nested Begin/Commit (the work)  ResetSessionContext
    task 3: SetSessionContext(ctx)  CommitTransaction  ResetSessionContext  -> pool

Every 7th request also misuses its transaction on purpose in task 2 (commit with the
context reset), which must be refused with JET_errSessionSharingViolation. The counts at
the end are exact: no other error anywhere.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import ThreadPoolExecutor

import pyese.jet as jet

THREADS = 16
SESSIONS = 4
HANDOVERS = 10_000
STEPS = 3


def test_context_handover_stress():
    inst = jet.JetCreateInstance("stress")
    jet.JetInit(inst)
    pool: queue.Queue[jet.JET_SESID] = queue.Queue()
    for _ in range(SESSIONS):
        pool.put(jet.JetBeginSession(inst))

    requests = -(-HANDOVERS // STEPS)
    lock = threading.Lock()
    done = threading.Condition(lock)
    counts = {"handovers": 0, "done": 0, "work": 0, "violations": 0, "migrated": 0}
    errors: list[BaseException] = []
    executor = ThreadPoolExecutor(max_workers=THREADS)

    def count(key: str, n: int = 1) -> None:
        with lock:
            counts[key] += n

    def step1(r: int, sesid: jet.JET_SESID) -> None:
        ctx = 0x10000 + r
        jet.JetSetSessionContext(sesid, ctx)
        jet.JetBeginTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        count("handovers")
        executor.submit(guard, step2, r, sesid, ctx, threading.get_ident())

    def step2(r: int, sesid: jet.JET_SESID, ctx: int, began_on: int) -> None:
        jet.JetSetSessionContext(sesid, ctx)
        jet.JetBeginTransaction(sesid)
        jet.JetCommitTransaction(sesid)
        if r % 7 == 0:
            jet.JetResetSessionContext(sesid)
            try:
                jet.JetCommitTransaction(sesid)
            except jet.SessionSharingViolationError:
                count("violations")
            jet.JetSetSessionContext(sesid, ctx)
        jet.JetResetSessionContext(sesid)
        count("work")
        count("handovers")
        executor.submit(guard, step3, r, sesid, ctx, began_on)

    def step3(r: int, sesid: jet.JET_SESID, ctx: int, began_on: int) -> None:
        jet.JetSetSessionContext(sesid, ctx)
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 1
        jet.JetCommitTransaction(sesid)
        jet.JetResetSessionContext(sesid)
        if threading.get_ident() != began_on:
            count("migrated")
        count("handovers")
        pool.put(sesid)
        with done:
            counts["done"] += 1
            done.notify_all()

    def guard(fn, *args) -> None:
        try:
            fn(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            with done:
                errors.append(exc)
                done.notify_all()

    def dispatcher() -> None:
        for r in range(requests):
            sesid = pool.get(timeout=30)
            executor.submit(guard, step1, r, sesid)

    d = threading.Thread(target=dispatcher, daemon=True)
    d.start()
    with done:
        ok = done.wait_for(lambda: counts["done"] == requests or errors, timeout=120)
    d.join(30)
    executor.shutdown(wait=True)

    assert not errors, errors[:3]
    assert ok
    assert counts["done"] == requests
    assert counts["handovers"] == requests * STEPS >= HANDOVERS
    assert counts["work"] == requests
    assert counts["violations"] == len(range(0, requests, 7))
    assert counts["migrated"] > 0  # transactions really moved between threads
    sessions = [pool.get_nowait() for _ in range(SESSIONS)]
    for sesid in sessions:
        assert jet.JetGetSessionInfo(sesid).ulTrxLevel == 0
        jet.JetEndSession(sesid)
    jet.JetTerm(inst)

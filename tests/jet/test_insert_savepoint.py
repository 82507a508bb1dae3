"""JetUpdate of an insert inside a transaction writes under a version-store savepoint
(``VersionStore.begin_savepoint``) instead of a nested level of its own. ESE wraps every
update in a level (recupd.cxx ErrRECInsert -> ErrDIRBeginTransaction), so that a failure
undoes exactly that update; the savepoint must leave the same state in every case.

The differential test runs one fixed-seed sequence of inserts (primary and unique-index
duplicates among them, a second session's uncommitted insert in the way), deletes,
replaces, nested levels, commits and rollbacks twice: with the savepoint, and with it
refused (the nested-level path), and compares every call's outcome and every read.
"""

from __future__ import annotations

import random
import struct

import pytest

import pyese.jet as jet
from pyese.engine.transactions.versionstore import VersionStore

from .helpers import expect

L = struct.Struct("<i")


def _setup(inst: jet.JET_INSTANCE, dbname: str = "sp.edb") -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, dbname)
    t = jet.JetCreateTable(s, db, "T")
    c = {
        "id": jet.JetAddColumn(s, t, "id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        "u": jet.JetAddColumn(s, t, "u", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)),
        "name": jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypText, cp=1200)),
        "tag": jet.JetAddColumn(s, t, "tag", jet.JET_COLUMNDEF(
            coltyp=jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged)),
    }
    jet.JetCreateIndex(s, t, "pk", jet.JET_bitIndexPrimary, "+id\0\0")
    jet.JetCreateIndex(s, t, "byu", jet.JET_bitIndexUnique, "+u\0\0")
    jet.JetCreateIndex(s, t, "byname", 0, "+name\0-id\0\0")
    jet.JetCloseTable(s, t)  # JetCreateTable opens it exclusively
    t = jet.JetOpenTable(s, db, "T")
    return s, db, t, c


def _dump(s: object, t: object, c: dict) -> list:
    out = []
    for index in ("pk", "byu", "byname"):
        jet.JetSetCurrentIndex(s, t, index)
        try:
            jet.JetMove(s, t, jet.JET_MoveFirst)
        except jet.JetError:
            out.append((index, []))
            continue
        rows = []
        while True:
            rows.append(tuple(jet.JetRetrieveColumn(s, t, c[k]) for k in ("id", "u", "name",
                                                                           "tag")))
            try:
                jet.JetMove(s, t, jet.JET_MoveNext)
            except jet.JetError:
                break
        out.append((index, rows))
    jet.JetSetCurrentIndex(s, t, "pk")
    return out


def _call(log: list, what: str, fn, *args) -> object:
    try:
        got = fn(*args)
    except jet.JetError as exc:
        log.append((what, exc.err))
        return None
    log.append((what, "ok"))
    return got


def _run(inst: jet.JET_INSTANCE, seed: int, dbname: str) -> list:
    s, db, t, c = _setup(inst, dbname)
    other = jet.JetBeginSession(inst)
    odb = jet.JetOpenDatabase(other, dbname)
    ot = jet.JetOpenTable(other, odb, "T")
    jet.JetBeginTransaction(other)  # another session's uncommitted insert: id 99, u 99
    jet.JetPrepareUpdate(other, ot, jet.JET_prepInsert)
    jet.JetSetColumn(other, ot, c["id"], L.pack(99))
    jet.JetSetColumn(other, ot, c["u"], L.pack(99))
    jet.JetUpdate(other, ot)
    rnd = random.Random(seed)
    log: list = []
    for step in range(160):
        op = rnd.random()
        if op < 0.12:
            _call(log, "begin", jet.JetBeginTransaction, s)
        elif op < 0.2:
            _call(log, "commit", jet.JetCommitTransaction, s, jet.JET_bitCommitLazyFlush)
        elif op < 0.25:
            _call(log, "rollback", jet.JetRollback, s, 0)
        elif op < 0.75:
            i = rnd.choice([rnd.randrange(12), 99])
            u = rnd.choice([rnd.randrange(12), 99])
            _call(log, "prep", jet.JetPrepareUpdate, s, t, jet.JET_prepInsert)
            _call(log, "set id", jet.JetSetColumn, s, t, c["id"], L.pack(i))
            if rnd.random() < 0.9:
                _call(log, "set u", jet.JetSetColumn, s, t, c["u"], L.pack(u))
            _call(log, "set name", jet.JetSetColumn, s, t, c["name"],
                  f"n{rnd.randrange(5)}".encode("utf-16-le"))
            _call(log, "set tag", jet.JetSetColumn, s, t, c["tag"], bytes([step & 0xFF]))
            _call(log, "update", jet.JetUpdate, s, t)
            if rnd.random() < 0.5:  # a failed insert may stay prepared: cancel it
                _call(log, "cancel", jet.JetPrepareUpdate, s, t, jet.JET_prepCancel)
        elif op < 0.87:
            jet.JetMakeKey(s, t, L.pack(rnd.randrange(12)), jet.JET_bitNewKey)
            _call(log, "seek", jet.JetSeek, s, t, jet.JET_bitSeekEQ)
            if log[-1][1] == "ok":
                _call(log, "delete", jet.JetDelete, s, t)
        else:
            jet.JetMakeKey(s, t, L.pack(rnd.randrange(12)), jet.JET_bitNewKey)
            _call(log, "seek", jet.JetSeek, s, t, jet.JET_bitSeekEQ)
            if log[-1][1] == "ok":
                _call(log, "prep replace", jet.JetPrepareUpdate, s, t, jet.JET_prepReplace)
                _call(log, "set u", jet.JetSetColumn, s, t, c["u"],
                      L.pack(rnd.randrange(12)))
                _call(log, "replace", jet.JetUpdate, s, t)
                _call(log, "cancel", jet.JetPrepareUpdate, s, t, jet.JET_prepCancel)
        if step % 8 == 0:
            log.append(("dump", _dump(s, t, c)))
    _call(log, "rollback all", jet.JetRollback, s, jet.JET_bitRollbackAll)
    jet.JetRollback(other, 0)
    log.append(("final", _dump(s, t, c)))
    return log


@pytest.mark.parametrize("seed", [1, 2])
def test_savepoint_and_nested_level_give_the_same_calls_and_reads(
        inst: jet.JET_INSTANCE, monkeypatch: pytest.MonkeyPatch, seed: int) -> None:
    taken = []
    real = VersionStore.begin_savepoint

    def counting(self: VersionStore, session: object) -> object:
        got = real(self, session)  # type: ignore[arg-type]
        if got is not None:
            taken.append(1)
        return got

    monkeypatch.setattr(VersionStore, "begin_savepoint", counting)
    fast = _run(inst, seed, "fast.edb")
    assert len(taken) > 20  # the savepoint path ran
    monkeypatch.setattr(VersionStore, "begin_savepoint", lambda self, session: None)
    slow = _run(inst, seed, "slow.edb")
    assert fast == slow
    outcomes = {o for _what, o in fast if not isinstance(o, list)}
    assert jet.JET_errKeyDuplicate in outcomes  # the undo path ran too


def test_failed_insert_undoes_its_record_and_keeps_earlier_writes(
        inst: jet.JET_INSTANCE) -> None:
    s, db, t, c = _setup(inst)

    def insert(i: int, u: int, name: str = "a") -> None:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        jet.JetSetColumn(s, t, c["id"], L.pack(i))
        jet.JetSetColumn(s, t, c["u"], L.pack(u))
        jet.JetSetColumn(s, t, c["name"], name.encode("utf-16-le"))
        jet.JetUpdate(s, t)

    insert(1, 10)
    jet.JetBeginTransaction(s)
    insert(2, 20)
    # deleted at this level, then re-inserted with a unique value that collides: the
    # insert's record version (over this level's delete) and nothing else is undone
    jet.JetMakeKey(s, t, L.pack(1), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    jet.JetDelete(s, t)
    with expect(jet.JET_errKeyDuplicate):
        insert(1, 20, "b")
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    assert [r[:2] for r in _dump(s, t, c)[0][1]] == [(L.pack(2), L.pack(20))]
    jet.JetMakeKey(s, t, L.pack(1), jet.JET_bitNewKey)
    with expect(jet.JET_errRecordNotFound):
        jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    insert(1, 11, "c")  # the key is free at this level again
    jet.JetRollback(s, 0)
    assert [r[:3] for r in _dump(s, t, c)[0][1]] == [
        (L.pack(1), L.pack(10), "a".encode("utf-16-le"))]

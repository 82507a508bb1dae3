"""Recovery: replay from the checkpoint, idempotence, missing and mismatched databases,
and the committed-prefix property under arbitrary crash points."""

from __future__ import annotations

import os
import shutil
import tempfile

import pytest
from crash_child import create_db, db_items, open_db
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import AttachInfo, Checkpoint, checkpoint_path, write_checkpoint
from pyese.storage.log.log_reader import LogReader
from pyese.storage.log.log_writer import LogWriter
from pyese.storage.log.recovery import recover
from pyese.storage.ops import OP_DELETE, OP_PUT, Op

OBJ = 7


def make_dbs(d, names=("a.db", "b.db")):
    out = []
    for name in names:
        db = create_db(os.path.join(d, name))
        out.append((db.path, db.header.signature))
        db.close()
    return out


def write_log(d, dbs, txns, *, attach=True, term=False, file_size_kb=5120):
    """Log ATTACH for each db then one COMMIT per txn (ops_by_dbnum); no database is touched,
    as if the process died before the applier ran. Returns the commit positions."""
    log = LogWriter.open(d, file_size_kb=file_size_kb)
    if attach:
        for dbnum, (path, sig) in enumerate(dbs, start=1):
            log.append(F.REC_ATTACH, F.encode_attach(dbnum, sig, path))
    positions = [log.append(F.REC_COMMIT, F.encode_commit(i, t)) for i, t in enumerate(txns)]
    log.flush()
    log.close(clean=term)
    return positions


def test_fresh_instance(tmp_path):
    r = recover(str(tmp_path), str(tmp_path))
    assert r.fresh and r.attached == () and r.end_lgpos == LGPOS(0, 0)


def test_replays_commits_into_both_databases_and_marks_them_clean(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    txns = [{1: [Op(OP_PUT, OBJ, b"a", b"1")], 2: [Op(OP_PUT, OBJ, b"b", b"2")]},
            {2: [Op(OP_DELETE, OBJ, b"b"), Op(OP_PUT, OBJ, b"c", b"3")]}]
    positions = write_log(d, dbs, txns, term=True)
    r = recover(d, d)
    assert not r.fresh and not r.torn and r.clean_end
    assert [(a.dbnum, a.path, a.signature) for a in r.attached] == \
        [(1, dbs[0][0], dbs[0][1]), (2, dbs[1][0], dbs[1][1])]
    assert r.ops_applied == 4 and r.end_lgpos > positions[-1]
    assert db_items(dbs[0][0]) == {b"a": b"1"}
    assert db_items(dbs[1][0]) == {b"c": b"3"}
    for path, _sig in dbs:
        with open_db(path, read_only=True) as db:
            # ESE: recovery leaves the databases consistent (clean shutdown)
            assert db.header.state == C.JET_dbstateCleanShutdown
            assert db.header.log_signature == r.log_signature


def test_recovery_is_idempotent(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"k%d" % i, b"%d" % i)]} for i in range(30)])
    r1 = recover(d, d)
    state = db_items(dbs[0][0])
    r2 = recover(d, d)
    assert db_items(dbs[0][0]) == state and len(state) == 30
    assert r1.ops_applied == 30 and r2.ops_applied == 0
    assert r1.end_lgpos == r2.end_lgpos


def test_replay_starts_at_the_checkpoint(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    positions = write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"k%d" % i, b"v")]} for i in range(10)])
    sig = F.read_file_header(os.path.join(d, "edb.log")).signature
    write_checkpoint(checkpoint_path(d, "edb"),
                     Checkpoint(positions[5], sig, (AttachInfo(1, *dbs[0]),)))
    r = recover(d, d)
    assert r.start_lgpos == positions[5]
    assert r.records_replayed == 4  # commits 6..9 (ESE replays from the checkpoint)
    assert sorted(db_items(dbs[0][0])) == [b"k%d" % i for i in range(6, 10)]


def test_checkpoint_without_logs_is_missing_log_file(tmp_path):
    d = str(tmp_path)
    write_checkpoint(checkpoint_path(d, "edb"), Checkpoint(LGPOS(3, 64), b"s" * 16))
    with pytest.raises(JetError) as ei:
        recover(d, d)
    assert ei.value.err == C.JET_errMissingLogFile


def test_checkpoint_of_another_log_stream(tmp_path):
    d = str(tmp_path)
    write_log(d, [], [])
    write_checkpoint(checkpoint_path(d, "edb"), Checkpoint(LGPOS(1, 64), b"s" * 16))
    with pytest.raises(JetError) as ei:
        recover(d, d)
    assert ei.value.err == C.JET_errBadCheckpointSignature


def test_missing_database_is_attached_database_mismatch(tmp_path):
    # ESE: logredo.cxx ErrLGIAttachedDatabaseMismatch -> JET_errAttachedDatabaseMismatch;
    # JET_bitReplayIgnoreMissingDB continues with the databases present
    d = str(tmp_path)
    dbs = make_dbs(d)
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"a", b"1")], 2: [Op(OP_PUT, OBJ, b"b", b"2")]}])
    moved = os.path.join(d, "elsewhere.db")
    shutil.move(dbs[1][0], moved)
    with pytest.raises(JetError) as ei:
        recover(d, d)
    assert ei.value.err == C.JET_errAttachedDatabaseMismatch
    r = recover(d, d, ignore_missing_db=True)
    assert [a.dbnum for a in r.attached] == [1] and [a.dbnum for a in r.skipped] == [2]
    assert db_items(dbs[0][0]) == {b"a": b"1"}


def test_missing_database_detached_later_in_the_log_is_fine(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    log = LogWriter.open(d)
    for dbnum, (path, sig) in enumerate(dbs, start=1):
        log.append(F.REC_ATTACH, F.encode_attach(dbnum, sig, path))
    log.append(F.REC_COMMIT, F.encode_commit(1, {2: [Op(OP_PUT, OBJ, b"b", b"2")]}))
    log.append(F.REC_DETACH, F.encode_detach(2))
    log.append(F.REC_COMMIT, F.encode_commit(2, {1: [Op(OP_PUT, OBJ, b"a", b"1")]}))
    log.close()
    os.unlink(dbs[1][0])
    r = recover(d, d)
    assert [a.dbnum for a in r.attached] == [1]
    assert db_items(dbs[0][0]) == {b"a": b"1"}


def test_database_with_another_signature_is_not_touched(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"a", b"1")], 2: [Op(OP_PUT, OBJ, b"b", b"2")]}])
    os.unlink(dbs[1][0])
    impostor = create_db(dbs[1][0])  # same path, new signature
    impostor.close()
    before = open(dbs[1][0], "rb").read()
    with pytest.raises(JetError) as ei:
        recover(d, d)
    # ESE: a signature mismatch defers the attachment (redoattachDefer): never touched
    assert ei.value.err == C.JET_errAttachedDatabaseMismatch
    assert open(dbs[1][0], "rb").read() == before
    assert db_items(dbs[1][0]) == {}


def test_database_from_another_log_stream_is_replayed_from_its_attach(tmp_path):
    # the ATTACH reached the log, then the process died before the header named this log:
    # the database's applied position (gen 90 of an old log) must not hide the new records
    d = str(tmp_path)
    dbs = make_dbs(d, ("a.db",))
    with open_db(dbs[0][0]) as db:
        db.set_state(C.JET_dbstateDirtyShutdown, log_signature=b"o" * 16)
        db.apply([Op(OP_PUT, OBJ, b"old", b"0")], LGPOS(90, 100))
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"new", b"1")]}])
    r = recover(d, d)
    assert r.ops_applied == 1
    assert db_items(dbs[0][0]) == {b"old": b"0", b"new": b"1"}


def test_read_only_recovery_reports_without_writing(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"a", b"1")]}])
    r = recover(d, d, read_only=True)
    assert r.ops_applied == 1 and db_items(dbs[0][0]) == {}


def test_corrupt_archived_log_stops_recovery(tmp_path):
    d = str(tmp_path)
    dbs = make_dbs(d)
    write_log(d, dbs, [{1: [Op(OP_PUT, OBJ, b"k%d" % i, b"x" * 300)]} for i in range(12)],
              file_size_kb=1)
    p = os.path.join(d, "edb00002.log")
    data = bytearray(open(p, "rb").read())
    data[F.FILE_HEADER_SIZE + 30] ^= 1
    open(p, "wb").write(bytes(data))
    with pytest.raises(JetError) as ei:
        recover(d, d)
    assert ei.value.err == C.JET_errLogFileCorrupt


# --- the committed-prefix property --------------------------------------------------------

_key = st.sampled_from([b"k%d" % i for i in range(6)])
_db_ops = st.lists(st.one_of(st.tuples(st.just(OP_PUT), _key, st.binary(min_size=0, max_size=8)),
                             st.tuples(st.just(OP_DELETE), _key, st.none())), max_size=4)
_txn = st.tuples(_db_ops, _db_ops)


def _model(records):
    dbs = {1: {}, 2: {}}
    for ops_by_db in records:
        for dbnum, ops in ops_by_db.items():
            for op in ops:
                if op.kind == OP_PUT:
                    dbs[dbnum][op.key] = op.value
                else:
                    dbs[dbnum].pop(op.key, None)
    return dbs


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(txns=st.lists(_txn, min_size=1, max_size=10), cut=st.floats(0, 1), applied=st.floats(0, 1))
def test_recovered_state_is_exactly_the_committed_prefix(txns, cut, applied):
    with tempfile.TemporaryDirectory() as d:
        dbs = make_dbs(d)
        logged = []
        for i, (a, b) in enumerate(txns):
            marker = Op(OP_PUT, OBJ, b"trx%03d" % i, b"1")
            logged.append({1: [Op(k, OBJ, key, v) for k, key, v in a] + [marker],
                           2: [Op(k, OBJ, key, v) for k, key, v in b] + [marker]})
        positions = write_log(d, dbs, logged)
        path = os.path.join(d, "edb.log")
        whole = LogReader(d)
        first = LGPOS(1, F.read_file_header(path).size)
        attach_end = [r.lgpos for r in whole.records(first)][2].offset
        assert whole.end_lgpos is not None
        size = whole.end_lgpos.offset  # the records' end (the preallocated rest is zeros)
        # the crash keeps an arbitrary byte prefix of the log past the ATTACH records
        keep = attach_end + int(cut * (size - attach_end))
        with open(path, "r+b") as f:  # a torn write: the preallocated file keeps its size
            f.seek(keep)
            changed = any(f.read(size - keep))  # a record's last bytes may be zeros already
            f.seek(keep)
            f.write(bytes(size - keep))
        boundaries = {p.offset for p in positions} | {attach_end, size}
        survivors = [i for i, p in enumerate(positions) if p.offset <= keep]
        # the applier may have applied any prefix of the durable records before the crash
        n_applied = int(applied * len(survivors))
        for dbnum, (dbpath, _sig) in enumerate(dbs, start=1):
            with open_db(dbpath) as db:
                for i in survivors[:n_applied]:
                    db.apply(logged[i][dbnum], positions[i])
        r = recover(d, d)
        expect = _model([logged[i] for i in survivors])
        got = {1: db_items(dbs[0][0]), 2: db_items(dbs[1][0])}
        assert got == expect
        markers = [{k for k in got[n] if k.startswith(b"trx")} for n in (1, 2)]
        assert markers[0] == markers[1] == {b"trx%03d" % i for i in survivors}
        assert r.torn == (keep not in boundaries and changed)
        # and again: idempotent
        recover(d, d)
        assert {1: db_items(dbs[0][0]), 2: db_items(dbs[1][0])} == expect

"""pyese.storage.database.dbfile: creating, opening, locking, header state, snapshots, integrity."""

from __future__ import annotations

import gzip
import hashlib
import os
import random
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import lmdb
import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.database.longkeys import DIRECT_MOST, bucket_key, encode_bucket
from pyese.storage.lgpos import LGPOS, LGPOS_MIN
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op

EDB_DIR = Path("/work/shared/testdata/edb")
SRC = str(Path(__file__).resolve().parents[2] / "src")


def err_of(excinfo) -> int:
    return excinfo.value.err


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "db.pyese"


def make_db(path: Path, n: int = 0) -> None:
    with DatabaseFile.create(path) as db:
        if n:
            db.apply([Op(OP_PUT, 1, b"k%05d" % i, b"v" * 1000) for i in range(n)], LGPOS(1, 1))


# -- create ---------------------------------------------------------------------------


def test_create_new_file_is_just_created_with_random_signature(tmp_path):
    a = DatabaseFile.create(tmp_path / "a.db", page_size=4096)
    b = DatabaseFile.create(tmp_path / "b.db")
    try:
        assert a.header.state == C.JET_dbstateJustCreated
        assert a.header.page_size == 4096 and b.header.page_size == 8192
        assert a.header.applied_lgpos == LGPOS_MIN and a.header.log_signature is None
        assert len(a.header.signature) == 16 and a.header.signature != b.header.signature
        assert a.header.creation_time > 116444736000000000  # FILETIME after 1970
        assert a.check() == [] and a.file_size() > 0 and not a.read_only
    finally:
        a.close()
        b.close()


def test_create_existing_file_is_database_duplicate(db_path):
    # ESE: db.cxx ErrDBCreateDatabase, "check if database file already exists"
    db_path.write_bytes(b"precious")
    with pytest.raises(JetError) as e:
        DatabaseFile.create(db_path)
    assert err_of(e) == C.JET_errDatabaseDuplicate
    assert db_path.read_bytes() == b"precious"


def test_create_overwrite_replaces_file(db_path):
    make_db(db_path, 3)
    old = DatabaseFile.open(db_path)
    sig = old.header.signature
    with pytest.raises(JetError) as e:  # in use: cannot be deleted (ErrIODeleteDatabase)
        DatabaseFile.create(db_path, overwrite=True)
    assert err_of(e) == C.JET_errFileAccessDenied
    old.close()
    with DatabaseFile.create(db_path, overwrite=True) as db:
        assert db.header.signature != sig
        with db.snapshot() as snap:
            assert list(snap.iterate(1)) == []


def test_create_bad_arguments(tmp_path):
    with pytest.raises(JetError) as e:  # os/error.cxx: ERROR_PATH_NOT_FOUND -> InvalidPath
        DatabaseFile.create(tmp_path / "missing" / "x.db")
    assert err_of(e) == C.JET_errInvalidPath
    with pytest.raises(JetError) as e:  # db.cxx: empty name -> JET_errDatabaseInvalidPath
        DatabaseFile.create("")
    assert err_of(e) == C.JET_errDatabaseInvalidPath
    with pytest.raises(JetError) as e:
        DatabaseFile.create(tmp_path / "x.db", page_size=5000)
    assert err_of(e) == C.JET_errInvalidParameter
    assert not (tmp_path / "x.db").exists()


def test_create_failure_leaves_no_file(db_path):
    def boom(point):
        if point == "create.before_header":
            raise RuntimeError("injected")

    with pytest.raises(RuntimeError):
        DatabaseFile.create(db_path, faults=boom)
    assert not db_path.exists() and not Path(str(db_path) + "-lock").exists()


# -- open: missing, foreign and damaged files --------------------------------------------


def test_open_missing_file_and_directory(tmp_path):
    with pytest.raises(JetError) as e:
        DatabaseFile.open(tmp_path / "nope.db")
    assert err_of(e) == C.JET_errFileNotFound
    with pytest.raises(JetError) as e:
        DatabaseFile.open(tmp_path / "nodir" / "nope.db")
    assert err_of(e) == C.JET_errInvalidPath
    with pytest.raises(JetError) as e:
        DatabaseFile.open(tmp_path)
    assert err_of(e) == C.JET_errFileAccessDenied


def _bad_file(kind: str, path: Path, tmp_path: Path) -> None:
    if kind == "empty":
        path.write_bytes(b"")
    elif kind == "zeros":
        path.write_bytes(bytes(1 << 20))
    elif kind == "random":
        path.write_bytes(random.Random(7).randbytes(1 << 20))
    elif kind in ("truncated", "one-page"):
        good = tmp_path / "good.db"
        make_db(good, 200)
        data = good.read_bytes()
        path.write_bytes(data[: len(data) // 2] if kind == "truncated" else data[:4096])
    elif kind == "sqlite":
        con = sqlite3.connect(path)
        con.execute("create table t(x)")
        con.execute("insert into t values (1)")
        con.commit()
        con.close()
    elif kind == "foreign-lmdb":
        env = lmdb.open(str(path), subdir=False, max_dbs=2)
        with env.begin(write=True) as txn:
            txn.put(b"key", b"value")
        env.close()
        os.unlink(str(path) + "-lock")
    elif kind == "genuine-edb":
        path.write_bytes(gzip.decompress((EDB_DIR / "basic.edb.gz").read_bytes()))


@pytest.mark.parametrize("read_only", [False, True])
@pytest.mark.parametrize(
    ("kind", "code"),
    [
        # ESE: db.cxx ErrDBReadHeaderCheckConsistency: a header that is no database header
        # -> JET_errDatabaseCorrupted; a database of a format not read -> InvalidDatabaseVersion
        ("empty", C.JET_errDatabaseCorrupted),
        ("zeros", C.JET_errDatabaseCorrupted),
        ("random", C.JET_errDatabaseCorrupted),
        ("truncated", C.JET_errDatabaseCorrupted),
        ("one-page", C.JET_errDatabaseCorrupted),
        ("sqlite", C.JET_errDatabaseCorrupted),
        ("foreign-lmdb", C.JET_errDatabaseCorrupted),
        ("genuine-edb", C.JET_errInvalidDatabaseVersion),
    ],
)
def test_open_rejects_non_database_without_touching_it(tmp_path, kind, code, read_only):
    path = tmp_path / "bad.db"
    _bad_file(kind, path, tmp_path)
    before = sha(path)
    with pytest.raises(JetError) as e:
        DatabaseFile.open(path, read_only=read_only)
    assert err_of(e) == code, e.value
    assert sha(path) == before
    assert not Path(str(path) + "-lock").exists()


# -- locking and permissions ---------------------------------------------------------------


def test_second_open_in_same_process_is_denied(db_path):
    # ESE opens a writable database exclusively; the OS's sharing violation maps to
    # JET_errFileAccessDenied (os/error.cxx ErrOSErrFromWin32Err).
    make_db(db_path)
    first = DatabaseFile.open(db_path)
    for ro in (False, True):
        with pytest.raises(JetError) as e:
            DatabaseFile.open(db_path, read_only=ro)
        assert err_of(e) == C.JET_errFileAccessDenied
    first.close()
    first.close()  # idempotent
    DatabaseFile.open(db_path, read_only=True).close()


def test_open_from_another_process_is_denied_while_open(db_path):
    make_db(db_path)
    code = (
        "import sys\n"
        "from pyese.storage.database.dbfile import DatabaseFile\n"
        "from pyese.jethdr.errors import JetError\n"
        "try:\n"
        "    DatabaseFile.open(sys.argv[1]).close()\n"
        "    print('opened')\n"
        "except JetError as e:\n"
        "    print(e.err)\n"
    )
    env = dict(os.environ, PYTHONPATH=SRC)

    def child() -> str:
        out = subprocess.run(
            [sys.executable, "-c", code, str(db_path)], env=env, capture_output=True, text=True
        )
        return out.stdout.strip()

    with DatabaseFile.open(db_path):
        assert child() == str(C.JET_errFileAccessDenied)
    assert child() == "opened"


def test_read_only_file(db_path):
    make_db(db_path, 5)
    os.chmod(db_path, 0o444)
    before = sha(db_path)
    with pytest.raises(JetError) as e:  # JetAttachDatabase: read-only attribute set
        DatabaseFile.open(db_path)
    assert err_of(e) == C.JET_errDatabaseFileReadOnly
    with DatabaseFile.open(db_path, read_only=True) as db:
        assert db.read_only
        with db.snapshot() as snap:
            assert len(list(snap.iterate(1))) == 5
        with pytest.raises(JetError) as e:
            db.apply([Op(OP_PUT, 1, b"x", b"y")], LGPOS(9, 9))
        assert err_of(e) == C.JET_errDatabaseFileReadOnly
        with pytest.raises(JetError) as e:
            db.set_state(C.JET_dbstateCleanShutdown)
        assert err_of(e) == C.JET_errDatabaseFileReadOnly
        assert db.check() == []
    assert sha(db_path) == before


# -- header state ------------------------------------------------------------------------


def test_set_state_is_durable_and_read_back(db_path):
    sig = bytes(range(16))
    with DatabaseFile.create(db_path) as db:
        db.set_state(C.JET_dbstateDirtyShutdown, log_signature=sig, lgpos=LGPOS(3, 512))
        assert db.header.attach_lgpos == LGPOS(3, 512)
        assert db.header.applied_lgpos == LGPOS(3, 512)  # a new log sequence restarts it
        db.apply([Op(OP_PUT, 1, b"a", b"1")], LGPOS(3, 1024))
        db.set_state(C.JET_dbstateCleanShutdown, lgpos=LGPOS(3, 2048))
    with DatabaseFile.open(db_path) as db:
        h = db.header
        assert h.state == C.JET_dbstateCleanShutdown and h.log_signature == sig
        assert h.applied_lgpos == LGPOS(3, 1024)
        assert h.consistent_lgpos == h.detach_lgpos == LGPOS(3, 2048)
        assert h.attach_lgpos == LGPOS(3, 512)
        with pytest.raises(JetError) as e:
            db.set_state(42)
        assert err_of(e) == C.JET_errInvalidParameter
        with pytest.raises(JetError) as e:
            db.set_state(C.JET_dbstateDirtyShutdown, log_signature=b"short")
        assert err_of(e) == C.JET_errInvalidParameter


# -- apply ---------------------------------------------------------------------------------


def test_apply_skips_batches_already_applied(db_path):
    with DatabaseFile.create(db_path) as db:
        assert db.apply([Op(OP_PUT, 1, b"k", b"new")], LGPOS(2, 0))
        assert not db.apply([Op(OP_PUT, 1, b"k", b"old")], LGPOS(1, 0))  # replayed record
        assert not db.apply([Op(OP_PUT, 1, b"k", b"old")], LGPOS(2, 0))
        assert db.header.applied_lgpos == LGPOS(2, 0)
        with db.snapshot() as snap:
            assert snap.get(1, b"k") == b"new"
            assert snap.applied_lgpos == LGPOS(2, 0)


@pytest.mark.parametrize(
    "op",
    [
        Op(99, 1, b"k", b"v"),
        Op(OP_PUT, -1, b"k", b"v"),
        Op(OP_PUT, 1 << 32, b"k", b"v"),
        Op(OP_PUT, 1, b"k" * 4201, b"v"),
        Op(OP_PUT, 1, b"k", None),
        Op(OP_DELETE, 1, "text", None),
    ],
)
def test_apply_rejects_malformed_ops_and_changes_nothing(db_path, op):
    with DatabaseFile.create(db_path) as db:
        with pytest.raises(JetError) as e:
            db.apply([Op(OP_PUT, 1, b"first", b"v"), op], LGPOS(1, 1))
        assert err_of(e) == C.JET_errInvalidParameter
        assert db.header.applied_lgpos == LGPOS_MIN
        with db.snapshot() as snap:
            assert snap.get(1, b"first") is None


def test_failed_apply_is_rolled_back(db_path):
    def boom(point):
        if point == "apply.before_commit":
            raise RuntimeError("injected")

    with DatabaseFile.create(db_path, faults=boom) as db:
        with pytest.raises(RuntimeError):
            db.apply([Op(OP_PUT, 1, b"k", b"v")], LGPOS(1, 1))
        assert db.header.applied_lgpos == LGPOS_MIN
        with db.snapshot() as snap:
            assert snap.get(1, b"k") is None


def test_map_grows_transparently(db_path):
    with DatabaseFile.create(db_path, map_size=1 << 20) as db:
        value = b"x" * 100_000
        for i in range(8):  # grows before applies once half the map is used
            db.apply([Op(OP_PUT, 1, b"%d" % i, value)], LGPOS(1, i + 1), durable=False)
        db.apply([Op(OP_PUT, 2, b"big", b"y" * (6 << 20))], LGPOS(2, 0))  # MapFull, retried
        with db.snapshot() as snap:
            assert len(snap.get(2, b"big")) == 6 << 20
            assert len(list(snap.iterate(1))) == 8
        assert db.check() == []


def test_map_growth_waits_for_open_snapshots(db_path):
    reached = threading.Event()
    db = DatabaseFile.create(db_path, map_size=1 << 20, faults=None)
    db._faults = lambda p: reached.set() if p == "grow.wait" else None
    snap = db.snapshot()
    result = []
    t = threading.Thread(
        target=lambda: result.append(db.apply([Op(OP_PUT, 1, b"b", b"z" * (4 << 20))], LGPOS(1, 1)))
    )
    t.start()
    reached.wait()  # the applier is waiting for snapshots to close
    assert snap.get(1, b"b") is None
    snap.close()
    t.join()
    assert result == [True]
    with db.snapshot() as s2:
        assert len(s2.get(1, b"b")) == 4 << 20
    db.close()


def test_map_growth_times_out_when_a_snapshot_stays_open(db_path):
    with DatabaseFile.create(db_path, map_size=1 << 20) as db:
        db.resize_timeout = 0.01
        with db.snapshot():
            with pytest.raises(JetError) as e:
                db.apply([Op(OP_PUT, 1, b"b", b"z" * (4 << 20))], LGPOS(1, 1))
            assert err_of(e) == C.JET_errOutOfDatabaseSpace
        assert db.header.applied_lgpos == LGPOS_MIN
        assert db.apply([Op(OP_PUT, 1, b"b", b"z" * (4 << 20))], LGPOS(1, 1))



def test_map_growth_closes_idle_snapshots_first(db_path):
    # DatabaseFile.release_idle: the owner of snapshots kept idle between uses (the
    # engine's parked level-0 snapshots) closes them; the resize does not wait for them.
    with DatabaseFile.create(db_path, map_size=1 << 20) as db:
        db.resize_timeout = 0.01
        idle = [db.snapshot()]
        seen_resizing = []

        def release() -> None:
            seen_resizing.append(db._resizing)  # nothing is parked again meanwhile
            while idle:
                idle.pop().close()

        db.release_idle = release
        assert db.apply([Op(OP_PUT, 1, b"b", b"z" * (4 << 20))], LGPOS(1, 1))
        assert seen_resizing and all(seen_resizing)
        assert not db._resizing
        with db.snapshot() as snap:
            assert len(snap.get(1, b"b")) == 4 << 20

# -- snapshots -----------------------------------------------------------------------------


def test_snapshot_isolation(db_path):
    with DatabaseFile.create(db_path) as db:
        db.apply([Op(OP_PUT, 1, b"a", b"1"), Op(OP_PUT, 2, b"b", b"2")], LGPOS(1, 1))
        old = db.snapshot()
        db.apply(
            [Op(OP_PUT, 1, b"a", b"changed"), Op(OP_DELETE_TREE, 2), Op(OP_PUT, 3, b"c", b"3")],
            LGPOS(1, 2),
        )
        assert old.get(1, b"a") == b"1" and old.get(2, b"b") == b"2" and old.get(3, b"c") is None
        assert old.applied_lgpos == LGPOS(1, 1)
        with db.snapshot() as new:
            assert new.get(1, b"a") == b"changed" and new.get(2, b"b") is None
            assert new.applied_lgpos == LGPOS(1, 2)
        old.close()
        old.close()
        with pytest.raises(JetError) as e:
            old.get(1, b"a")
        assert err_of(e) == C.JET_errInvalidParameter


def test_snapshot_used_from_other_threads(db_path):
    with DatabaseFile.create(db_path) as db:
        long_key = b"L" * (DIRECT_MOST + 10)
        db.apply([Op(OP_PUT, 1, b"%03d" % i, b"v%d" % i) for i in range(50)], LGPOS(1, 1))
        db.apply([Op(OP_PUT, 1, long_key, b"long")], LGPOS(1, 2))
        snap = db.snapshot()  # opened on this thread
        cur = snap.cursor(1)
        assert cur.first() == (b"000", b"v0")
        db.apply([Op(OP_DELETE_TREE, 1)], LGPOS(1, 3))
        n = 8
        barrier = threading.Barrier(n)
        results: list[object] = [None] * n

        def reader(i: int) -> None:
            barrier.wait()
            own = snap.cursor(1)
            results[i] = (list(snap.iterate(1)), own.last(), snap.get(1, long_key))

        threads = [threading.Thread(target=reader, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        want = [(b"%03d" % i, b"v%d" % i) for i in range(50)] + [(long_key, b"long")]
        assert all(r == (want, (long_key, b"long"), b"long") for r in results)
        moved: list[object] = []
        t = threading.Thread(target=lambda: moved.append(cur.next()))  # cursor made elsewhere
        t.start()
        t.join()
        assert moved == [(b"001", b"v1")]
        snap.close()


def test_many_snapshots_at_once(db_path):
    with DatabaseFile.create(db_path) as db:
        db.apply([Op(OP_PUT, 1, b"k", b"v")], LGPOS(1, 1))
        snaps = [db.snapshot() for _ in range(1000)]
        assert all(s.get(1, b"k") == b"v" for s in snaps[::97])
        for s in snaps:
            s.close()


def test_close_invalidates_open_snapshots(db_path):
    db = DatabaseFile.create(db_path)
    snap = db.snapshot()
    db.close()
    with pytest.raises(JetError) as e:
        snap.cursor(1)
    assert err_of(e) == C.JET_errInvalidParameter
    snap.close()
    with pytest.raises(JetError):
        db.snapshot()


# -- integrity check -----------------------------------------------------------------------


def test_check_reports_damaged_buckets_and_order(db_path):
    make_db(db_path, 3)
    env = lmdb.open(str(db_path), subdir=False, max_dbs=4)
    trees = env.open_db(b"trees")
    with env.begin(write=True, db=trees) as txn:
        long_key = b"q" * (DIRECT_MOST + 3)
        txn.put(bucket_key(1, long_key), encode_bucket([(b"b", b"1"), (b"a", b"2")]))
        txn.put(bucket_key(2, long_key), b"\x05\x00\x00\x00junk")
        txn.put(b"\x00\x00\x00\x03" + b"z" * 505, b"bad length")
    env.close()
    with DatabaseFile.open(db_path) as db:
        problems = db.check()
    assert any("out of order" in p for p in problems)
    assert any("bucket" in p and "objid" not in p for p in problems)
    assert any("LMDB key of 509 bytes" in p for p in problems)

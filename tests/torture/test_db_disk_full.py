"""A full volume under a database file is JET_errDiskFull, not JET_errDiskIO (issue 12, item 7).

ESE maps ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL to ``JET_errDiskFull`` (-1808) for
database files (os/error.cxx ``ErrOSErrFromWin32Err``). LMDB reports a full volume as ENOSPC
when a write wrote nothing and as EIO when the write was short (``mdb_page_flush``), and the
last write onto a full volume is usually short; ``lmdberrors.raise_lmdb`` tells the two apart by
the room left on the volume. LMDB's map-full (MDB_MAP_FULL) is not a full disk (the map is
grown; see ``test_dbfile``).

The real-disk test mounts a 2 MiB tmpfs (root only; skipped otherwise); the seam tests run
everywhere.
"""

from __future__ import annotations

import errno
import os
import struct
import subprocess

import lmdb
import pytest

import pyese.jet as jet
from pyese.engine.instance import logservice
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.faults import FaultInjector
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_PUT, Op


def _instance(logdir: str) -> jet.JET_INSTANCE:
    i = jet.JetCreateInstance("full")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramSystemPath, 0, logdir + "/")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramLogFilePath, 0, logdir + "/")
    jet.JetInit(i)
    return i


def _fill(s, t, limit: int = 2000) -> JetError:
    for n in range(limit):
        try:
            jet.JetBeginTransaction(s)
            jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
            jet.JetSetColumn(s, t, 1, struct.pack("<i", n))
            jet.JetSetColumn(s, t, 256, os.urandom(50_000))
            jet.JetUpdate(s, t)
            jet.JetCommitTransaction(s)
        except JetError as exc:
            return exc
    raise AssertionError("the volume never filled")


def _table(s, path: str):
    db = jet.JetCreateDatabase(s, path)
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "V", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    return t


@pytest.fixture
def small_volume(tmp_path):
    mnt = tmp_path / "small"
    mnt.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(mnt)],
                       capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount tmpfs: {r.stderr.decode().strip()}")
    yield mnt
    subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_real_full_volume_under_database_is_disk_full(small_volume, tmp_path):
    logdir = tmp_path / "log"
    logdir.mkdir()
    i = _instance(str(logdir))
    s = jet.JetBeginSession(i)
    t = _table(s, str(small_volume / "f.edb"))
    err = _fill(s, t)
    assert err.err == C.JET_errDiskFull, err
    jet.JetTerm2(i, jet.JET_bitTermAbrupt)


def test_lmdb_disk_error_through_the_dbfile_seam_is_disk_full(tmp_path):
    def boom(point: str) -> None:
        if point == "apply.before_commit":
            raise lmdb.DiskError("mdb_txn_commit", errno.ENOSPC)

    db = DatabaseFile.create(str(tmp_path / "a.db"), faults=boom)
    try:
        with pytest.raises(JetError) as ei:
            db.apply([Op(OP_PUT, 1, b"k", b"v")], LGPOS(1, 100))
        assert ei.value.err == C.JET_errDiskFull
    finally:
        db.close()


def test_eio_with_room_on_the_volume_stays_disk_io(tmp_path):
    # a short write onto a volume with room left is a real I/O error
    def boom(point: str) -> None:
        if point == "apply.before_commit":
            raise lmdb.Error("mdb_txn_commit: Input/output error")

    db = DatabaseFile.create(str(tmp_path / "a.db"), faults=boom)
    try:
        with pytest.raises(JetError) as ei:
            db.apply([Op(OP_PUT, 1, b"k", b"v")], LGPOS(1, 100))
        assert ei.value.err == C.JET_errDiskIO
    finally:
        db.close()


def test_enospc_at_the_applier_seam_reaches_the_committer_as_disk_full(tmp_path, monkeypatch):
    inj = FaultInjector()
    monkeypatch.setattr(logservice, "TEST_FAULTS", inj)
    i = _instance(str(tmp_path))
    s = jet.JetBeginSession(i)
    t = _table(s, str(tmp_path / "f.edb"))
    inj.arm("applier.apply", lambda: OSError(errno.ENOSPC, "No space left on device"),
            times=-1)
    err = _fill(s, t)
    assert err.err == C.JET_errDiskFull, err
    jet.JetTerm2(i, jet.JET_bitTermAbrupt)

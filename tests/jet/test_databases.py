"""Database files through the JET API: create, attach, detach, open, close, information."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys

import pytest

from pyese import jet


def make_instance(root, name="db", **extra):
    inst = jet.JetCreateInstance(name)
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(root) + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(root) + "\\")
    for pid, value in extra.items():
        jet.JetSetSystemParameter(inst, 0, getattr(jet, pid), 0, value)
    jet.JetInit(inst)
    return inst


@pytest.fixture
def ses(tmp_path):
    (tmp_path / "a").mkdir()
    inst = make_instance(tmp_path / "a")
    return inst, jet.JetBeginSession(inst), tmp_path


def test_create_attach_open_close_detach(ses):
    inst, s, root = ses
    path = str(root / "one.db")
    dbid = jet.JetCreateDatabase(s, path)
    assert isinstance(dbid, jet.JET_DBID)
    assert jet.JetGetDatabaseInfo(s, dbid, jet.JET_DbInfoFilename) == path
    assert jet.JetGetDatabaseInfo(s, dbid, jet.JET_DbInfoPageSize) == 8192
    misc = jet.JetGetDatabaseInfo(s, dbid, jet.JET_DbInfoMisc)
    assert misc.dbstate == jet.JET_dbstateDirtyShutdown  # attached: dirty (db.cxx ~2969)
    assert jet.JetGetInstanceInfo()[0].szDatabaseFileName == [path]
    # ESE: db.cxx FMP::ErrNewAndWriteLatch, attached by this instance -> warning
    assert jet.JetAttachDatabase(s, path) == jet.JET_wrnDatabaseAttached
    assert jet.JetOpenDatabase(s, path) == dbid
    with pytest.raises(jet.DatabaseInUseError):
        jet.JetDetachDatabase(s, path)
    jet.JetCloseDatabase(s, dbid)
    jet.JetCloseDatabase(s, dbid)
    with pytest.raises(jet.InvalidDatabaseIdError):
        jet.JetCloseDatabase(s, dbid)
    jet.JetDetachDatabase(s, path)
    assert (
        jet.JetGetDatabaseFileInfo(path, jet.JET_DbInfoMisc).dbstate == jet.JET_dbstateCleanShutdown
    )
    with pytest.raises(jet.DatabaseNotFoundError):
        jet.JetOpenDatabase(s, path)
    with pytest.raises(jet.DatabaseNotFoundError):
        jet.JetDetachDatabase(s, path)
    assert jet.JetAttachDatabase(s, path) == 0
    dbid = jet.JetOpenDatabase(s, path)
    jet.JetEndSession(s)  # closes the session's databases
    s2 = jet.JetBeginSession(inst)
    with pytest.raises(jet.InvalidDatabaseIdError):
        jet.JetGetDatabaseInfo(s2, dbid, jet.JET_DbInfoFilename)
    jet.JetDetachDatabase(s2, None)
    assert jet.JetGetInstanceInfo()[0].szDatabaseFileName == []


def test_errors_in_transaction(ses):
    # ESE: db.cxx ~1698, ~4080, ~5371 (scenario 23)
    _, s, root = ses
    path = str(root / "t.db")
    jet.JetCreateDatabase(s, path)
    jet.JetBeginTransaction(s)
    for call in (
        lambda: jet.JetCreateDatabase(s, str(root / "u.db")),
        lambda: jet.JetAttachDatabase(s, path),
        lambda: jet.JetDetachDatabase(s, path),
    ):
        with pytest.raises(jet.InTransactionError):
            call()
    jet.JetRollback(s)


def test_file_errors(ses):
    _, s, root = ses
    path = str(root / "e.db")
    jet.JetCreateDatabase(s, path)
    with pytest.raises(jet.DatabaseDuplicateError):
        jet.JetCreateDatabase(s, path)
    with pytest.raises(jet.JetError) as e:
        jet.JetAttachDatabase(s, str(root / "missing.db"))
    assert e.value.err == jet.JET_errFileNotFound
    with pytest.raises(jet.JetError) as e:
        jet.JetCreateDatabase(s, str(root / "nodir" / "x.db"))
    assert e.value.err == jet.JET_errInvalidPath
    with pytest.raises(jet.JetError) as e:
        jet.JetGetDatabaseFileInfo(str(root / "missing.db"), jet.JET_DbInfoMisc)
    assert e.value.err == jet.JET_errFileNotFound
    with pytest.raises(jet.InvalidGrbitError):
        jet.JetOpenDatabase(s, path, None, 0x100000)
    dbid = jet.JetOpenDatabase(s, path)
    with pytest.raises(jet.JetError) as e:
        jet.JetGetDatabaseInfo(s, dbid, 999)
    assert e.value.err == jet.JET_errInvalidParameter


@pytest.mark.parametrize(
    "content", [b"", bytes(65536), os.urandom(20000), b"SQLite format 3\x00" + bytes(4080)]
)
def test_bad_files_are_refused_and_untouched(ses, content):
    _, s, root = ses
    path = root / "bad.db"
    path.write_bytes(content)
    digest = hashlib.sha256(content).hexdigest()
    with pytest.raises(jet.JetError) as e:
        jet.JetAttachDatabase(s, str(path))
    # not pyese's format: judged by the genuine-file reader, as the CLI judges it (issue 14)
    assert e.value.err == jet.JET_errReadVerifyFailure
    assert "not an ESE database" in str(e.value)
    with pytest.raises(jet.JetError):
        jet.JetGetDatabaseFileInfo(str(path), jet.JET_DbInfoMisc)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    assert not os.path.exists(str(path) + "-lock")  # LMDB never opened it


def test_read_only_file_and_read_only_attach(ses):
    _, s, root = ses
    path = str(root / "ro.db")
    jet.JetCreateDatabase(s, path)
    jet.JetCloseDatabase(s, jet.JetOpenDatabase(s, path))
    jet.JetCloseDatabase(s, 1)
    jet.JetDetachDatabase(s, path)
    os.chmod(path, 0o444)
    try:
        with pytest.raises(jet.DatabaseFileReadOnlyError):  # ESE: db.cxx ErrDBAttachDatabase
            jet.JetAttachDatabase(s, path)
        assert jet.JetAttachDatabase(s, path, jet.JET_bitDbReadOnly) == 0
        dbid = jet.JetOpenDatabase(s, path)
        assert jet.JetGetDatabaseInfo(s, dbid, jet.JET_DbInfoOptions) == jet.JET_bitDbReadOnly
        from pyese.engine.instance.database import database_of
        from pyese.engine.instance.instance import SYSTEM

        session = SYSTEM.find_session(s)
        vs = session.instance.services.parts["version_store"]
        with pytest.raises(jet.PermissionDeniedError):
            vs.put(session, database_of(session, dbid), 1, b"k", b"v")
    finally:
        os.chmod(path, 0o644)


def test_exclusive_open(ses):
    inst, s, root = ses
    path = str(root / "x.db")
    dbid = jet.JetCreateDatabase(s, path, None, 0)
    s2 = jet.JetBeginSession(inst)
    jet.JetOpenDatabase(s2, path)
    with pytest.raises(jet.DatabaseInUseError):
        jet.JetOpenDatabase(s, path, None, jet.JET_bitDbExclusive)
    jet.JetCloseDatabase(s2, dbid)
    jet.JetOpenDatabase(s, path, None, jet.JET_bitDbExclusive)
    with pytest.raises(jet.DatabaseLockedError):
        jet.JetOpenDatabase(s2, path)


def test_dirty_database_and_recovery(tmp_path):
    # ESE: db.cxx ~2785 (dirty attach refused), tm.cxx ~1013 (JetInit recovers; scenario 36)
    a = make_instance(tmp_path, "one")
    s = jet.JetBeginSession(a)
    path = str(tmp_path / "d.db")
    dbid = jet.JetCreateDatabase(s, path)
    from pyese.engine.instance.database import database_of
    from pyese.engine.instance.instance import SYSTEM

    session = SYSTEM.find_session(s)
    vs = session.instance.services.parts["version_store"]
    vs.put(session, database_of(session, dbid), 3, b"k", b"v")
    with pytest.raises(jet.DirtyShutdownError):
        jet.JetTerm2(a, jet.JET_bitTermDirty)
    assert (
        jet.JetGetDatabaseFileInfo(path, jet.JET_DbInfoMisc).dbstate == jet.JET_dbstateDirtyShutdown
    )
    other = tmp_path / "other"
    other.mkdir()
    b = make_instance(other, "two")
    with pytest.raises(jet.JetError) as e:
        jet.JetAttachDatabase(jet.JetBeginSession(b), path)
    assert e.value.err == jet.JET_errDatabaseDirtyShutdown
    jet.JetTerm(b)
    c = make_instance(tmp_path, "three")  # recovers
    s = jet.JetBeginSession(c)
    assert jet.JetAttachDatabase(s, path) == 0
    dbid = jet.JetOpenDatabase(s, path)
    session = SYSTEM.find_session(s)
    vs = session.instance.services.parts["version_store"]
    assert vs.get(session, database_of(session, dbid), 3, b"k") == b"v"
    jet.JetCloseDatabase(s, dbid)
    jet.JetTerm(c)


def test_two_instances(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    a = make_instance(tmp_path / "a", "a")
    with pytest.raises(jet.JetError) as e:  # ESE: jetapi.cxx ~4903
        make_instance(tmp_path / "a", "a2")
    assert e.value.err == jet.JET_errSystemPathInUse
    b = make_instance(tmp_path / "b", "b")
    sa, sb = jet.JetBeginSession(a), jet.JetBeginSession(b)
    path = str(tmp_path / "shared.db")
    jet.JetCreateDatabase(sa, path)
    with pytest.raises(jet.JetError) as e:  # ESE: db.cxx FMP::ErrNewAndWriteLatch
        jet.JetAttachDatabase(sb, path)
    assert e.value.err == jet.JET_errDatabaseSharingViolation
    code = (
        "import sys; from pyese import jet\n"
        "inst = jet.JetCreateInstance('p')\n"
        "jet.JetSetSystemParameter(inst, 0, jet.JET_paramRecovery, 0, 'off')\n"
        "jet.JetInit(inst)\n"
        "s = jet.JetBeginSession(inst)\n"
        "try:\n    jet.JetAttachDatabase(s, sys.argv[1])\n"
        "except jet.JetError as e:\n    print(e.err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, path],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=str(tmp_path),
    )
    assert out.stdout.strip() == str(jet.JET_errFileAccessDenied), out.stderr


def test_init_failure_leaves_nothing_open(tmp_path):
    missing = tmp_path / "nope"
    inst = jet.JetCreateInstance("f")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(missing))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(missing))
    with pytest.raises(jet.JetError) as e:
        jet.JetInit(inst)
    assert e.value.err == jet.JET_errInvalidPath
    assert not missing.exists()
    inst = jet.JetCreateInstance("h")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, str(missing))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, str(missing))
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramCreatePathIfNotExist, 1, None)
    jet.JetInit(inst)
    assert (missing / "edb.log").exists()
    jet.JetTerm(inst)

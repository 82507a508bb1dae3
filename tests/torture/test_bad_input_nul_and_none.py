"""Bad input is a JET error, never a Python exception from inside the engine (issue 12, item 6).

A C caller cannot put a NUL inside a file name, and no file system accepts one; ESE reports
a name the operating system rejects as ``JET_errInvalidPath`` (os/error.cxx,
``ErrOSErrFromWin32Err``: ERROR_INVALID_NAME -> JET_errInvalidPath), which is also what
pyese's ``JetInit`` gives for a NUL in ``JET_paramSystemPath``. ``JET_ENUMCOLUMNID`` holds a
ULONG array: an item that is no integer cannot exist in C, so it is ``JET_errInvalidParameter``
(the error jetapi.cxx gives for malformed structures), and an itagSequence of 0 stays
``JET_errBadItagSequence`` (fldenum.cxx).
"""

from __future__ import annotations

import pytest

import pyese.jet as jet
from pyese.storage.database.dbfile import DatabaseFile
from tests.jet.helpers import expect

BAD = "x\0y.edb"


@pytest.fixture
def ses():
    i = jet.JetCreateInstance("nul")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    db = jet.JetCreateDatabase(s, "ok.edb")
    t = jet.JetCreateTable(s, db, "T")
    jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, 1, b"\1\0\0\0")
    jet.JetUpdate(s, t)
    jet.JetMove(s, t, jet.JET_MoveFirst)
    yield s, t
    jet.JetTerm2(i, jet.JET_bitTermAbrupt)


@pytest.mark.parametrize("call", [
    lambda s: jet.JetAttachDatabase(s, BAD),
    lambda s: jet.JetAttachDatabase2(s, BAD, 0, 0),
    lambda s: jet.JetCreateDatabase(s, BAD),
    lambda s: jet.JetCreateDatabase2(s, BAD, 0, 0),
    lambda s: jet.JetOpenDatabase(s, BAD),
    lambda s: jet.JetDetachDatabase(s, BAD),
    lambda s: jet.JetGetDatabaseFileInfo(BAD, jet.JET_DbInfoFilename),
], ids=["Attach", "Attach2", "Create", "Create2", "Open", "Detach", "GetDatabaseFileInfo"])
def test_nul_in_database_name_is_invalid_path(ses, call, tmp_path):
    s, _t = ses
    with expect(jet.JET_errInvalidPath):
        call(s)
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".edb") == ["ok.edb"]


def test_nul_in_path_at_the_storage_layer(tmp_path):
    for opener in (DatabaseFile.open, DatabaseFile.create):
        with expect(jet.JET_errInvalidPath):
            opener(str(tmp_path / BAD))


@pytest.mark.parametrize("tags", [[None, 1], ["1"], [1.0], "12", 7, [True]])
def test_enumcolumnid_tag_sequence_must_hold_ints(ses, tags):
    s, t = ses
    with expect(jet.JET_errInvalidParameter):
        jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=1, rgtagSequence=tags)])


def test_enumcolumnid_columnid_must_be_int_and_itag_zero_is_skipped(ses):
    s, t = ses
    with expect(jet.JET_errInvalidParameter):
        jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid="1")])
    # ESE fldenum.cxx ErrRECEnumerateReqColumns: a requested itagSequence of 0 is not an
    # error, the value is reported JET_wrnColumnSkipped
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=1, rgtagSequence=[0])])
    assert out[0].err == jet.JET_wrnColumnNull or \
        out[0].rgEnumColumnValue[0].err == jet.JET_wrnColumnSkipped
    out = jet.JetEnumerateColumns(s, t, [jet.JET_ENUMCOLUMNID(columnid=1, rgtagSequence=[1])])
    assert out[0].columnid == 1

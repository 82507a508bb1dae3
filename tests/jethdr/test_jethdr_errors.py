"""The error classes made from ESE's error table (errors.py over _errtable.py)."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr import errors as E
from pyese.jethdr._errtable import ALIASES, ERRORS

ERRDATA_ROWS = [row for row in ERRORS if not row[3].startswith("header-")]
ERROR_ROWS = [row for row in ERRORS if row[0] < 0]


def _rule(name: str) -> str:
    for prefix in ("JET_err", "JET_wrn"):
        if name.startswith(prefix):
            return name[len(prefix):] + "Error"
    raise AssertionError(name)


@pytest.mark.parametrize("code,name,category,kind,meaning", ERROR_ROWS, ids=lambda v: str(v))
def test_every_error_code_has_its_class(code, name, category, kind, meaning):
    cls = E.error_class(code)
    assert cls.err == code
    assert cls.name == name
    assert cls.__name__ == _rule(name)
    assert getattr(E, _rule(name)) is cls
    assert cls.meaning == meaning
    assert issubclass(cls, E.CATEGORY_CLASSES[category])
    assert cls.__module__ == "pyese.jethdr.errors"


def test_every_row_has_a_meaning():
    missing = [name for _code, name, _cat, _kind, meaning in ERRORS if not meaning]
    assert missing == []


def test_codes_are_unique_in_the_table():
    codes = [row[0] for row in ERRORS]
    assert len(codes) == len(set(codes))


def test_message_names_code_and_meaning():
    exc = E.JetError.from_code(C.JET_errSessionSharingViolation)
    assert type(exc) is E.SessionSharingViolationError
    assert exc.err == -1910
    assert str(exc) == (
        "JET_errSessionSharingViolation (-1910): Multiple threads are using the same session"
    )
    detailed = E.JetError.from_code(C.JET_errWriteConflict, "table T")
    assert str(detailed) == (
        "JET_errWriteConflict (-1102): Write lock failed due to outstanding write lock [table T]"
    )
    assert detailed.detail == "table T"


def test_code_class_constructed_without_code_uses_its_own():
    exc = E.WriteConflictError()
    assert exc.err == C.JET_errWriteConflict
    assert str(exc).startswith("JET_errWriteConflict (-1102): ")


# ESE: _errstr/errorhierarchy.cxx, rgerrorHierarchies (JET_ERRCAT tree).
CATEGORY_PARENTS = [
    (E.OperationError, E.JetError),
    (E.FatalError, E.OperationError),
    (E.JetIOError, E.OperationError),
    (E.ResourceError, E.OperationError),
    (E.JetMemoryError, E.ResourceError),
    (E.QuotaError, E.ResourceError),
    (E.DiskError, E.ResourceError),
    (E.DataError, E.JetError),
    (E.CorruptionError, E.DataError),
    (E.InconsistentError, E.DataError),
    (E.FragmentationError, E.DataError),
    (E.ApiError, E.JetError),
    (E.UsageError, E.ApiError),
    (E.StateError, E.ApiError),
    (E.ObsoleteError, E.ApiError),
]


@pytest.mark.parametrize("child,parent", CATEGORY_PARENTS)
def test_category_tree_matches_ese(child, parent):
    assert child.__bases__ == (parent,)


def test_category_classes_catch_their_members():
    with pytest.raises(E.UsageError) as info:
        E.raise_error(C.JET_errSessionSharingViolation, "two threads")
    assert isinstance(info.value, E.SessionSharingViolationError)
    with pytest.raises(E.StateError):
        E.raise_error(C.JET_errWriteConflict)
    with pytest.raises(E.DiskError):
        E.raise_error(C.JET_errDiskFull)
    with pytest.raises(E.ResourceError):
        E.raise_error(C.JET_errOutOfMemory)
    with pytest.raises(E.CorruptionError):
        E.raise_error(C.JET_errReadVerifyFailure)
    with pytest.raises(E.ApiError):
        E.raise_error(C.JET_errInvalidSesid)
    assert not issubclass(E.SessionSharingViolationError, E.StateError)
    assert not issubclass(E.DiskFullError, E.DataError)


def test_unknown_category_codes_are_obsolete():
    # ESE: errdata.txt gives obsolete codes JET_errcatUnknown; ManagedEsent derives their
    # exceptions from EsentObsoleteException (e.g. EsentRfsFailureException).
    assert issubclass(E.RfsFailureError, E.ObsoleteError)
    unknown = [row for row in ERROR_ROWS if row[2] == "Unknown"]
    assert unknown and all(issubclass(E.error_class(r[0]), E.ObsoleteError) for r in unknown)


def test_header_only_codes_hang_off_the_root():
    assert E.VersionStoreEntryTooBigError.__bases__ == (E.JetError,)
    assert E.error_class(C.JET_errVersionStoreEntryTooBig).err == -1065


def test_wrn_nyi_is_an_error_class():
    # ESE counts JET_wrnNyi (-1) as an error: jethdr.w esent_err_severity "error ... including
    # JET_wrnNyi".
    assert E.error_class(C.JET_wrnNyi) is E.NyiError
    assert issubclass(E.NyiError, E.UsageError)
    assert E.error_name(-1) == "JET_wrnNyi"


def test_aliases_share_a_class():
    assert E.ColumnIllegalNullError is E.NullInvalidError
    assert E.DatabaseInconsistentError is E.DatabaseDirtyShutdownError
    assert E.IndexTuplesOneColumnOnlyError is E.IndexTuplesTooManyColumnsError
    assert E.IndexTuplesTextColumnsOnlyError is E.IndexTuplesTextBinaryColumnsOnlyError
    for name, code in ALIASES:
        if code < 0:
            assert getattr(E, _rule(name)) is E.error_class(code)
    exc = E.JetError.from_code(C.JET_errColumnIllegalNull)
    assert exc.name == "JET_errNullInvalid"


@pytest.mark.parametrize("code", [row[0] for row in ERROR_ROWS])
def test_pickle_round_trip(code):
    exc = E.JetError.from_code(code, "why")
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is type(exc)
    assert (back.err, back.detail, str(back)) == (exc.err, exc.detail, str(exc))


def test_unknown_code_gives_plain_readable_jeterror():
    exc = E.JetError.from_code(-12345, "from a newer ESE")
    assert type(exc) is E.JetError
    assert exc.err == -12345
    assert str(exc) == "JET_err-12345 (-12345): unknown error [from a newer ESE]"
    back = pickle.loads(pickle.dumps(exc))
    assert type(back) is E.JetError and str(back) == str(exc)
    with pytest.raises(E.JetError) as info:
        E.raise_error(-12345)
    assert type(info.value) is E.JetError
    assert E.error_name(-12345) == "JET_err-12345"


def test_warnings_are_names_not_classes():
    assert E.error_name(C.JET_wrnColumnNull) == "JET_wrnColumnNull"
    assert E.WARNINGS[C.JET_wrnColumnNull] == ("JET_wrnColumnNull", "Column is NULL-valued")
    assert E.error_class(C.JET_wrnColumnNull) is E.JetError
    with pytest.raises(AttributeError):
        E.NoSuchThingError  # noqa: B018


SHARED = Path(__file__).resolve().parents[3] / "shared" / "ese"


@pytest.mark.skipif(not (SHARED / "errors.tsv").exists(), reason="reference tables absent")
def test_table_is_regenerated_from_errdata():
    rows = []
    for line in (SHARED / "errors.tsv").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            code, cat, name, kind = line.split("\t")
            rows.append((int(code), name, cat, kind))
    assert [(c, n, cat, k) for c, n, cat, k, _m in ERRDATA_ROWS] == rows


def test_success_has_a_name_but_no_class():
    assert E.error_name(C.JET_errSuccess) == "JET_errSuccess"
    assert E.WARNINGS[0] == ("JET_errSuccess", "Successful Operation")

"""Every name API.md section 2 fixes is there, with the keyword arguments it names.

API.md (the shared contract, read-only) names the layer's classes, methods and keyword
arguments; this test lists them as the contract spells them and checks each against the
package, so that a rename or a dropped argument fails here, not in a user's program.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, MutableMapping

import pytest

import pyese
import pyese.aio
import pyese.jet as jet
import pyese.values

CONTRACT: list[tuple[object, str, tuple[str, ...]]] = [
    # Instance and databases
    (pyese.Instance, "__init__", ("path", "name", "circular_log")),
    (pyese.Instance, "__enter__", ()),
    (pyese.Instance, "__exit__", ()),
    (pyese.Instance, "close", ()),
    (pyese.Instance, "open_database", ("filename", "create", "read_only")),
    (pyese.Database, "create_table", ("name", "columns", "indexes")),
    (pyese.Database, "table_names", ()),
    (pyese.Database, "drop_table", ("name",)),
    (pyese.Database, "columns", ()),
    (pyese.Database, "indexes", ()),
    (pyese.Column, "__init__", ("type", "not_null", "autoincrement", "multi_valued", "default",
                                "escrow", "version", "max_size", "fixed", "tagged", "cp")),
    (pyese.Index, "__init__", ("key", "primary", "unique")),
    # Transactions
    (pyese.Instance, "transaction", ("lazy", "read_only")),
    (pyese.Instance, "run", ("fn", "retries")),
    (pyese.Transaction, "commit", ()),
    (pyese.Transaction, "rollback", ()),
    (pyese.Transaction, "savepoint", ()),
    (pyese.Transaction, "table", ("name", "database")),
    (pyese.Transaction, "__enter__", ()),
    (pyese.Transaction, "__exit__", ()),
    # Tables
    (pyese.Table, "insert", ("row",)),
    (pyese.Table, "get", ("key", "index")),
    (pyese.Table, "find", ("key", "index")),
    (pyese.Table, "range", ("index", "start", "stop", "reverse", "columns")),
    (pyese.Table, "update", ("key", "changes", "index")),
    (pyese.Table, "delete", ("key", "index")),
    (pyese.Table, "escrow", ("key", "column", "delta", "index")),
    (pyese.Table, "__len__", ()),
    (pyese.Table, "__iter__", ()),
    # PersistentDict
    (pyese.PersistentDict, "__init__", ("path", "key_type", "value_type")),
    (pyese.PersistentDict, "range", ("start", "stop")),
    (pyese.PersistentDict, "flush", ()),
    (pyese.PersistentDict, "close", ()),
    (pyese.PersistentDict, "__enter__", ()),
    (pyese.PersistentDict, "__exit__", ()),
    # pyese.aio
    (pyese.aio.Instance, "__aenter__", ()),
    (pyese.aio.Instance, "__aexit__", ()),
    (pyese.aio.Instance, "transaction", ()),
    (pyese.aio.Instance, "open_database", ()),
    (pyese.aio.Transaction, "table", ("name",)),
    (pyese.aio.Table, "insert", ("row",)),
    (pyese.aio.Table, "get", ("key", "index")),
    (pyese.aio.Table, "range", ("index", "start", "stop", "reverse", "columns")),
]

COLTYPS = ["Long", "LongLong", "Text", "LongText", "Binary", "LongBinary", "Bit",
           "UnsignedByte", "Short", "UnsignedShort", "UnsignedLong", "Currency", "IEEESingle",
           "IEEEDouble", "DateTime", "GUID"]

KEYWORD_ONLY = {("Instance", "__init__"): ("name", "circular_log"),
                ("Instance", "open_database"): ("create", "read_only"),
                ("Instance", "transaction"): ("lazy", "read_only"),
                ("Instance", "run"): ("retries",),
                ("Transaction", "table"): ("database",),
                ("Table", "get"): ("index",), ("Table", "find"): ("index",),
                ("Table", "range"): ("index", "start", "stop", "reverse", "columns"),
                ("Table", "update"): ("index",), ("Table", "delete"): ("index",),
                ("Table", "escrow"): ("index",),
                ("Column", "__init__"): ("not_null", "autoincrement", "multi_valued",
                                         "default", "escrow", "version", "max_size", "fixed",
                                         "tagged", "cp"),
                ("Index", "__init__"): ("primary", "unique"),
                ("PersistentDict", "__init__"): ("key_type", "value_type")}


@pytest.mark.parametrize("owner,name,params", CONTRACT,
                         ids=[f"{o.__module__}.{o.__qualname__}.{n}"  # type: ignore[attr-defined]
                              for o, n, _ in CONTRACT])
def test_contract_name_and_keywords(owner: type, name: str, params: tuple[str, ...]) -> None:
    fn = getattr(owner, name)
    assert callable(fn)
    if not params:
        return
    sig = inspect.signature(fn)
    for p in params:
        assert p in sig.parameters, f"{owner.__qualname__}.{name} lacks {p}"
    for p in KEYWORD_ONLY.get((owner.__qualname__, name), ()):
        assert sig.parameters[p].kind is inspect.Parameter.KEYWORD_ONLY, (name, p)


def test_coltyps_python_types_and_row() -> None:
    for n in COLTYPS:
        assert int(getattr(pyese, n)) == getattr(jet, f"JET_coltyp{n}"), n
    assert issubclass(pyese.Row, Mapping) and isinstance(pyese.Row.bookmark, property)
    assert issubclass(pyese.PersistentDict, MutableMapping)
    # pyese.values is the conversion the layer's values follow
    raw = pyese.values.from_python(jet.JET_coltypLongLong, -5)
    assert pyese.values.to_python(jet.JET_coltypLongLong, raw) == -5


def test_errors_are_the_jet_classes_themselves() -> None:
    # "Errors are pyese.jet's exception classes (pyese.WriteConflictError,
    # pyese.KeyDuplicateError, ... re-exported)"; the layer adds three of its own
    own = {"InstanceClosedError", "PoolTimeoutError", "TransactionEndedError"}
    exported = [n for n in pyese.__all__ if n.endswith("Error")]
    assert {"WriteConflictError", "KeyDuplicateError", "SessionSharingViolationError"} <= set(
        exported)
    for n in exported:
        if n in own:
            assert issubclass(getattr(pyese, n), Exception)
        else:
            assert getattr(pyese, n) is getattr(jet, n), n
            assert issubclass(getattr(pyese, n), jet.JetError), n

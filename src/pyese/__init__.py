"""pyese: Microsoft's Extensible Storage Engine (ESE, "JET Blue") rebuilt in Python.

``pyese.jet`` is the JET API, one function per ESE function, with ESE's names, constants
and error codes. ``pyese`` itself is the Pythonic layer on top of it::

    with pyese.Instance("data") as inst:
        db = inst.open_database("app.edb")
        db.create_table("people", {"id": pyese.Column(int, autoincrement=True),
                                   "name": str},
                        indexes={"pk": pyese.Index("+id", primary=True)})
        with inst.transaction() as tx:
            tx.table("people").insert({"name": "Ada"})

Everything it writes is an ordinary ESE database that ``pyese.jet`` opens. Errors the
engine raises are ``pyese.jet``'s classes, re-exported here (``pyese.WriteConflictError``).
"""

from pyese import _buildmode  # noqa: F401  (first: picks compiled or pure, docs/compiled.md)
from pyese._errors import InstanceClosedError, PoolTimeoutError, TransactionEndedError
from pyese._instance import Database, Instance
from pyese._schema import (
    GUID,
    Binary,
    Bit,
    Coltyp,
    Column,
    ColumnInfo,
    Currency,
    DateTime,
    IEEEDouble,
    IEEESingle,
    Index,
    IndexInfo,
    Long,
    LongBinary,
    LongLong,
    LongText,
    Short,
    Text,
    UnsignedByte,
    UnsignedLong,
    UnsignedLongLong,
    UnsignedShort,
)
from pyese._table import Row, Table
from pyese._temptable import TempTable
from pyese._transaction import Transaction
from pyese.jet import (
    ApiError,
    ColumnNotFoundError,
    CorruptionError,
    DatabaseFileReadOnlyError,
    DataError,
    FatalError,
    IndexNotFoundError,
    JetError,
    KeyDuplicateError,
    NoCurrentRecordError,
    NullInvalidError,
    ObjectNotFoundError,
    OperationError,
    PermissionDeniedError,
    RecordNotFoundError,
    ResourceError,
    SessionSharingViolationError,
    StateError,
    TableDuplicateError,
    TransTooDeepError,
    UsageError,
    VersionStoreOutOfMemoryError,
    WriteConflictError,
    WriteConflictPrimaryIndexError,
)
from pyese.persistentdict import PersistentDict

__version__ = "0.1.0"

__all__ = [
    "GUID",
    "ApiError",
    "Binary",
    "Bit",
    "Coltyp",
    "Column",
    "ColumnInfo",
    "ColumnNotFoundError",
    "CorruptionError",
    "Currency",
    "DataError",
    "Database",
    "DatabaseFileReadOnlyError",
    "DateTime",
    "FatalError",
    "IEEEDouble",
    "IEEESingle",
    "Index",
    "IndexInfo",
    "IndexNotFoundError",
    "Instance",
    "InstanceClosedError",
    "JetError",
    "KeyDuplicateError",
    "Long",
    "LongBinary",
    "LongLong",
    "LongText",
    "NoCurrentRecordError",
    "NullInvalidError",
    "ObjectNotFoundError",
    "OperationError",
    "PermissionDeniedError",
    "PersistentDict",
    "PoolTimeoutError",
    "RecordNotFoundError",
    "ResourceError",
    "Row",
    "SessionSharingViolationError",
    "Short",
    "StateError",
    "Table",
    "TableDuplicateError",
    "TempTable",
    "Text",
    "Transaction",
    "TransTooDeepError",
    "TransactionEndedError",
    "UnsignedByte",
    "UnsignedLong",
    "UnsignedLongLong",
    "UnsignedShort",
    "UsageError",
    "VersionStoreOutOfMemoryError",
    "WriteConflictError",
    "WriteConflictPrimaryIndexError",
    "__version__",
]

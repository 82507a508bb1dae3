"""ESE's errors as Python exceptions: one class per error code, one per ESE error category.

Every negative ``JET_ERR`` surfaces as :class:`JetError` or a subclass. The classes are
made from one table (``_errtable.ERRORS``, generated from ESE's ``errdata.txt``), the way
ESE builds its own error strings and ManagedEsent its exception classes:

- a category class per node of ESE's category tree::

      JetError (ESE "Error")
      +-- OperationError > FatalError, JetIOError,
      |                    ResourceError > JetMemoryError, QuotaError, DiskError
      +-- DataError      > CorruptionError, InconsistentError, FragmentationError
      +-- ApiError       > UsageError, StateError, ObsoleteError

  (``IO`` and ``Memory`` get a ``Jet`` prefix so that they do not shadow Python's built-ins).
  This is ESE's ``JET_ERRCAT`` tree as ``errorhierarchy.cxx`` builds it (``rgerrorHierarchies``):
  the comment above that table, and the header line of our ``errors.tsv``, say
  "Mishandling" where the enum and the table say ``JET_errcatInconsistent``. Codes
  whose category is ``JET_errcatUnknown`` (all obsolete) derive from ``ObsoleteError``,
  as ManagedEsent's ``EsentObsoleteException`` subclasses do; the few codes the header
  defines but ``errdata.txt`` leaves out have no category and derive from ``JetError``;
- a code class per negative code, named after the code without ``JET_err`` (or
  ``JET_wrn``, for ``JET_wrnNyi`` = -1, which ESE counts as an error) plus ``Error``
  (``JET_errWriteConflict`` -> ``WriteConflictError``), derived from its category class.
  The header's second names for a code (``JET_errColumnIllegalNull`` =
  ``JET_errNullInvalid``) name the same class (``ColumnIllegalNullError is NullInvalidError``).

``error_class(code)`` maps a code to its class and ``JetError.from_code(code)`` builds the
exception; ``str(exc)`` reads ``JET_errWriteConflict (-1102): <meaning>``.
"""

from __future__ import annotations

from typing import NoReturn

from pyese.jethdr._errtable import ALIASES, ERRORS


class JetError(Exception):
    """An ESE error. ``err`` is the (negative) ``JET_ERR`` code, ``name`` its ESE name."""

    err: int = -1
    name: str = "JET_err"
    meaning: str = ""
    category: str = "Error"

    def __init__(self, err: int | None = None, detail: str | None = None) -> None:
        if err is None:
            err = type(self).err
        cls_for_code = _BY_CODE.get(err)
        name = cls_for_code.name if cls_for_code is not None else f"JET_err{err}"
        meaning = cls_for_code.meaning if cls_for_code is not None else "unknown error"
        self.err = err
        self.name = name
        self.meaning = meaning
        self.detail = detail
        text = f"{name} ({err}): {meaning}"
        if detail:
            text = f"{text} [{detail}]"
        super().__init__(text)

    @classmethod
    def from_code(cls, err: int, detail: str | None = None) -> JetError:
        """Build the exception of the class registered for ``err``."""
        return error_class(err)(err, detail)

    def __reduce__(self):  # pickling keeps the class and the code
        return (type(self), (self.err, self.detail))


class OperationError(JetError):
    category = "Operation"


class FatalError(OperationError):
    category = "Fatal"


class JetIOError(OperationError):
    category = "IO"


class ResourceError(OperationError):
    category = "Resource"


class JetMemoryError(ResourceError):
    category = "Memory"


class QuotaError(ResourceError):
    category = "Quota"


class DiskError(ResourceError):
    category = "Disk"


class DataError(JetError):
    category = "Data"


class CorruptionError(DataError):
    category = "Corruption"


class InconsistentError(DataError):
    category = "Inconsistent"


class FragmentationError(DataError):
    category = "Fragmentation"


class ApiError(JetError):
    category = "Api"


class UsageError(ApiError):
    category = "Usage"


class StateError(ApiError):
    category = "State"


class ObsoleteError(ApiError):
    category = "Obsolete"


CATEGORY_CLASSES: dict[str, type[JetError]] = {
    "Error": JetError,
    "Operation": OperationError,
    "Fatal": FatalError,
    "IO": JetIOError,
    "Resource": ResourceError,
    "Memory": JetMemoryError,
    "Quota": QuotaError,
    "Disk": DiskError,
    "Data": DataError,
    "Corruption": CorruptionError,
    "Inconsistent": InconsistentError,
    "Fragmentation": FragmentationError,
    "Api": ApiError,
    "Usage": UsageError,
    "State": StateError,
    "Obsolete": ObsoleteError,
    "Unknown": ObsoleteError,
}

_BY_CODE: dict[int, type[JetError]] = {}
ERROR_CLASSES: dict[str, type[JetError]] = {}
WARNINGS: dict[int, tuple[str, str]] = {}
"""Codes >= 0, and ``JET_wrnNyi``: code -> (name, meaning)."""


def _class_name(name: str) -> str:
    return name[len("JET_err"):] + "Error"  # "JET_err" and "JET_wrn" are both 7 long


def _build() -> None:
    for code, name, category, _kind, meaning in ERRORS:
        if code >= 0 or not name.startswith("JET_err"):
            WARNINGS[code] = (name, meaning)
        if code >= 0:
            continue
        if code in _BY_CODE:
            # Aliases (e.g. JET_errDatabaseInconsistent = JET_errDatabaseDirtyShutdown):
            # the first name in ESE's table owns the class; the alias names the same class.
            ERROR_CLASSES[_class_name(name)] = _BY_CODE[code]
            continue
        base = CATEGORY_CLASSES.get(category, JetError)
        cls = type(
            _class_name(name),
            (base,),
            {
                "err": code,
                "name": name,
                "meaning": meaning,
                "category": category,
                "__doc__": f"{name} ({code}): {meaning or 'ESE error'} [category {category}]",
                "__module__": __name__,
            },
        )
        _BY_CODE[code] = cls
        ERROR_CLASSES[cls.__name__] = cls
    for name, code in ALIASES:
        if code < 0 and code in _BY_CODE:
            ERROR_CLASSES[_class_name(name)] = _BY_CODE[code]


_build()
globals().update(ERROR_CLASSES)


def error_class(err: int) -> type[JetError]:
    """The exception class for error code ``err`` (``JetError`` for an unknown code)."""
    return _BY_CODE.get(err, JetError)


def raise_error(err: int, detail: str | None = None) -> NoReturn:
    """Raise the exception for ``err``."""
    raise error_class(err)(err, detail)


def error_name(err: int) -> str:
    """ESE's name for a code (error or warning), or ``JET_err<code>`` if unknown."""
    cls = _BY_CODE.get(err)
    if cls is not None:
        return cls.name
    if err in WARNINGS:
        return WARNINGS[err][0]
    return f"JET_err{err}"


def __getattr__(name: str) -> type[JetError]:  # for type checkers: dynamic classes
    try:
        return ERROR_CLASSES[name]
    except KeyError:
        raise AttributeError(name) from None

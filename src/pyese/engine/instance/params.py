"""System parameters (ESE's ``sysparamtable``): ids, kinds, defaults, scope and locks.

Every ``JET_param*`` id of ESE's header is known. ``pyese.engine.instance.sysparam_table`` holds
ESE's table row for each (``sysparamtable.g.cxx``): ``JetGetSystemParameter`` returns
ESE's default until the parameter is set, and ``JetSetSystemParameter`` checks the value
against ESE's range. Four groups behave differently:

- *computed* parameters (ESE's CUSTOM_PARAM with ``IllegalSet``) and *read-only* ones
  (READONLY_PARAM) come from the engine: ``JET_paramKeyMost``,
  ``JET_paramLVChunkSizeMost``, ``JET_paramRecordSizeMost`` follow the page size,
  ``JET_paramMaxColtyp`` is ``JET_coltypMax``, ``JET_paramTransactionLevel`` is the
  session's level, ``JET_paramErrorToString`` names an error. Setting one gives
  ``JET_errInvalidParameter``;
- *folder* and *path* parameters (``JET_paramSystemPath``, ``JET_paramLogFilePath``,
  ``JET_paramTempPath``, ...) keep the full path of what was set, a folder with its
  trailing separator, as ESE does (the default ``".\\"`` reads back as set);
- ids ESE retired (ILLEGAL_PARAM) give ``JET_errInvalidParameter``, like unknown ids;
- the rest are kept and returned. ``HONOURED`` lists the ones whose value changes what
  pyese does; the others are accepted and kept because they tune parts pyese does not
  have (a buffer cache, event logging, flighting, ...).

Every parameter ESE marks "may not write after global init" (``g`` in the table) refuses a
new value with ``JET_errAlreadyInitialized`` once a run mode is set (an instance exists), and
one marked "may not write after instance init" (``i``) once its instance is up: ESE's
``CJetParam::ValidateSet`` (``check_write_lock``).

The defaults of ``JET_paramEnableShrinkDatabase``, ``JET_paramStageFlighting`` and
``JET_paramPersistedLostFlushDetection`` come from ESE's ``sysparam.xml``, which the source
index does not hold: they read back 0, unverified. Pointers (``JET_paramPrintFunction``) and
ESE's live cache counters (``JET_paramCacheSize``, ``...Requests``, ``...Hits``) are 0
because pyese has no such function or cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from pyese.engine.instance.sysparam_table import ILLEGAL_IDS, KEY_MOST, LV_CHUNK_SIZE, ROWS
from pyese.engine.records.record import max_record_size
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"
POINTER = "pointer"
_STRING_KINDS = ("string", "folder", "path")
_UNBOUNDED = 0xFFFFFFFFFFFFFFFF
"""ESE's -1 maximum: the largest JET_API_PTR."""


@dataclass(frozen=True)
class ParamDef:
    """One system parameter: id, kind, default, scope, locks and range (ESE's row)."""

    paramid: int
    name: str
    kind: str
    default: object
    is_global: bool = False
    locked_after_init: bool = False
    minimum: int = 0
    maximum: int = 0x7FFFFFFF
    how: str = "normal"
    """normal, ignored, readonly, computed or custom (see ``sysparam_table``)."""
    locked_after_global_init: bool = False

    @property
    def read_only(self) -> bool:
        return self.how in ("readonly", "computed")

    @property
    def is_string(self) -> bool:
        return self.kind in _STRING_KINDS


def _from_row(row: tuple) -> ParamDef | None:  # type: ignore[type-arg]
    name, how, kind, flags, minimum, maximum, default = row
    paramid = getattr(C, name, None)
    if paramid is None:
        return None
    if isinstance(default, int) and default < 0:
        default &= _UNBOUNDED
    return ParamDef(paramid, name, kind, default, is_global="G" in flags,
                    locked_after_init="i" in flags, minimum=minimum,
                    maximum=_UNBOUNDED if maximum is None else maximum, how=how,
                    locked_after_global_init="g" in flags)


PARAMS: dict[int, ParamDef] = {
    d.paramid: d for d in (_from_row(r) for r in ROWS) if d is not None
}

UNICODE_INDEX = "unicodeindex"
UNICODE_INDEX_DEFAULT = (0x0409, 0x00030401)
"""JET_paramUnicodeIndexDefault's default, as ``(lcid, dwMapFlags)``: en-US and
LCMAP_SORTKEY | NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH (Microsoft's
parameter reference; the same as an index created without a Unicode definition)."""

_uid = PARAMS[C.JET_paramUnicodeIndexDefault]
PARAMS[C.JET_paramUnicodeIndexDefault] = ParamDef(
    _uid.paramid, _uid.name, UNICODE_INDEX, UNICODE_INDEX_DEFAULT,
    is_global=_uid.is_global, locked_after_init=_uid.locked_after_init, how=_uid.how)

HONOURED = frozenset(
    getattr(C, n)
    for n in (
        "JET_paramSystemPath",
        "JET_paramLogFilePath",
        "JET_paramBaseName",
        "JET_paramMaxSessions",
        "JET_paramMaxVerPages",
        "JET_paramLogFileSize",
        "JET_paramCommitDefault",
        "JET_paramCircularLog",
        "JET_paramRecovery",
        "JET_paramDatabasePageSize",
        "JET_paramCreatePathIfNotExist",
        "JET_paramMaxInstances",
        "JET_paramTempPath",
        "JET_paramMaxTemporaryTables",
        "JET_paramEnableTempTableVersioning",
        "JET_paramOSSnapshotTimeout",
        "JET_paramZeroDatabaseDuringBackup",
    )
)
"""Parameters whose value changes what the engine does (each pinned by
``tests/jet/test_params_table.py``; the temporary-table three by ``tests/temptable/``
(test_open, test_transactions, test_lifecycle), ``JET_paramOSSnapshotTimeout`` by
``tests/backup/test_snapshot.py``, ``JET_paramZeroDatabaseDuringBackup`` by
``tests/backup/test_scrub.py``)."""


def _known_ids() -> dict[int, str]:
    ids: dict[int, str] = {}
    for name in dir(C):
        if name.startswith("JET_param") and not name.endswith("MaxValueInvalid"):
            value = getattr(C, name)
            if isinstance(value, int) and 0 <= value < C.JET_paramMaxValueInvalid:
                ids.setdefault(value, name)
    return ids


KNOWN_IDS = _known_ids()


def definition(paramid: int) -> ParamDef:
    """The definition of ``paramid``; ``JET_errInvalidParameter`` if ESE has no such id
    (or retired it)."""
    if not isinstance(paramid, int) or isinstance(paramid, bool):
        raise_error(C.JET_errInvalidParameter, "paramid must be an int")
    d = PARAMS.get(paramid)
    if d is not None:
        return d
    name = KNOWN_IDS.get(paramid)
    if name is None or paramid in ILLEGAL_IDS:
        raise_error(C.JET_errInvalidParameter, f"unknown system parameter id {paramid}")
    return ParamDef(paramid, name, INTEGER, 0, maximum=_UNBOUNDED)


def full_path(value: str, folder: bool) -> str:
    """ESE's path completion for folder and path parameters: the absolute path, a folder
    with its trailing separator. Windows separators are accepted on any OS."""
    if not value:
        return value
    text = value.replace("\\", "/") if os.sep == "/" else value
    trailing = text.endswith(("/", os.sep))
    full = os.path.abspath(text)
    if folder or trailing:
        full = full.rstrip(os.sep) + os.sep
    return full


def coerce(d: ParamDef, lParam: object, szParam: str | None) -> object:
    """Validate a value for ``d``; ``JET_errInvalidParameter`` when the parameter cannot be
    set (read-only or computed), or the value is out of range or of the wrong kind."""
    if d.read_only:
        raise_error(C.JET_errInvalidParameter, f"{d.name} is read-only")
    if d.is_string:
        if szParam is None or not isinstance(szParam, str):
            raise_error(C.JET_errInvalidParameter, f"{d.name} takes a string (szParam)")
        if d.paramid == C.JET_paramBaseName and len(szParam) != 3:
            # ESE: sysparam.cxx, base names are exactly three characters
            raise_error(C.JET_errInvalidParameter, "JET_paramBaseName must be 3 characters")
        if d.paramid == C.JET_paramRecovery and szParam.lower() not in ("on", "off"):
            raise_error(C.JET_errInvalidParameter, 'JET_paramRecovery is "on" or "off"')
        if len(szParam) > max(d.maximum, len(d.default) if isinstance(d.default, str) else 0):
            raise_error(C.JET_errInvalidParameter, f"{d.name} is at most {d.maximum} long")
        if d.kind in ("folder", "path"):
            return full_path(szParam, d.kind == "folder")
        return szParam
    if d.kind == POINTER:
        if lParam is None or callable(lParam):
            return lParam
    if d.kind == UNICODE_INDEX:
        return unicode_index(lParam)
    if isinstance(lParam, bool):
        lParam = int(lParam)
    if not isinstance(lParam, int):
        raise_error(C.JET_errInvalidParameter, f"{d.name} takes an integer (lParam)")
    if lParam < 0:
        lParam &= _UNBOUNDED  # C passes a JET_API_PTR
    if d.kind == BOOLEAN:
        return 1 if lParam else 0
    if lParam < d.minimum or lParam > d.maximum:
        raise_error(
            C.JET_errInvalidParameter,
            f"{d.name} = {lParam} is outside {d.minimum}..{d.maximum}",
        )
    if d.kind == "blocksize" and lParam & (lParam - 1):
        raise_error(C.JET_errInvalidParameter, f"{d.name} must be a power of two")
    return lParam


def check_write_lock(d: ParamDef, lParam: object, current: object, *, global_init: bool,
                     instance_init: bool) -> None:
    """ESE's ``CJetParam::ValidateSet`` locks, checked before the value's range: a value
    equal to the current one is accepted whatever the locks (ESE returns early); otherwise
    ``JET_errAlreadyInitialized`` when ``d`` may not be written after global init and
    ``global_init`` (a run mode is set), or may not be written after instance init and
    ``instance_init`` (the instance is up). Read-only and computed parameters are left to
    ``coerce`` (ESE's ``IllegalSet`` gives ``JET_errInvalidParameter`` without these checks).
    """
    if d.read_only:
        return
    if d.kind == POINTER:
        if lParam is current:
            return
    elif not d.is_string and isinstance(lParam, int) and isinstance(current, int) \
            and lParam & _UNBOUNDED == current:
        # ESE compares the raw JET_API_PTR; strings compare by pointer, so never equal
        return
    if d.locked_after_global_init and global_init:
        raise_error(C.JET_errAlreadyInitialized, f"{d.name} may not be set after global init")
    if d.locked_after_init and instance_init:
        raise_error(C.JET_errAlreadyInitialized, f"{d.name} may not be set after JetInit")


def unicode_index(value: object) -> tuple[int, int]:
    """A JET_paramUnicodeIndexDefault value, ``(lcid, dwMapFlags)``, checked as ESE's setter
    is documented to check it: a missing JET_UNICODEINDEX, an invalid LCID or LCMapString
    flags ESE does not accept (ErrNORMCheckLCMapFlags) give ``JET_errInvalidParameter``.
    pyese cannot ask the OS which locales exist (ESE: IsValidLocale); it takes an LCID as
    valid when it has a primary language (the low ten bits are not 0) and fits 32 bits."""
    from pyese.engine.records.keys_text import check_lcmap_flags
    from pyese.jethdr.errors import JetError

    if not isinstance(value, tuple) or len(value) != 2 or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise_error(C.JET_errInvalidParameter, "JET_paramUnicodeIndexDefault takes a "
                    "JET_UNICODEINDEX")
    lcid, flags = value
    if not 0 < lcid <= 0xFFFFFFFF or not lcid & 0x3FF:
        raise_error(C.JET_errInvalidParameter, f"LCID {lcid:#x}")
    if not 0 <= flags <= 0xFFFFFFFF:
        raise_error(C.JET_errInvalidParameter, f"LCMapString flags {flags:#x}")
    try:
        flags = check_lcmap_flags(flags)
    except JetError as exc:
        raise JetError.from_code(C.JET_errInvalidParameter, str(exc)) from exc
    return lcid, flags


def computed_value(d: ParamDef, page_size: int) -> int | None:
    """The engine's value of a computed or read-only parameter for ``page_size``, or None
    when the parameter is not one of those that depend on nothing else."""
    if d.paramid == C.JET_paramKeyMost:
        return KEY_MOST.get(page_size, C.JET_cbKeyMostMost)
    if d.paramid == C.JET_paramLVChunkSizeMost:
        return LV_CHUNK_SIZE.get(page_size, 0)
    if d.paramid == C.JET_paramRecordSizeMost:
        return max_record_size(page_size)
    if d.how in ("readonly", "computed") and isinstance(d.default, int):
        return d.default
    return None


class ParamSet:
    """A set of parameter values (the global set, or one instance's copy of it)."""

    def __init__(self, values: dict[int, object] | None = None) -> None:
        self._values: dict[int, object] = dict(values or {})

    def get(self, paramid: int) -> Any:
        if paramid in self._values:
            return self._values[paramid]
        return definition(paramid).default

    def set(self, paramid: int, value: object) -> None:
        self._values[paramid] = value

    def copy(self) -> ParamSet:
        return ParamSet(self._values)

    # Typed accessors for the parameters the engine honours.
    @property
    def max_sessions(self) -> int:
        return int(self.get(C.JET_paramMaxSessions))

    @property
    def max_ver_pages(self) -> int:
        return int(self.get(C.JET_paramMaxVerPages))

    @property
    def system_path(self) -> str:
        return str(self.get(C.JET_paramSystemPath))

    @property
    def log_file_path(self) -> str:
        return str(self.get(C.JET_paramLogFilePath))

    @property
    def temp_path(self) -> str:
        return str(self.get(C.JET_paramTempPath))

    @property
    def base_name(self) -> str:
        return str(self.get(C.JET_paramBaseName))

    @property
    def circular_log(self) -> bool:
        return bool(self.get(C.JET_paramCircularLog))

    @property
    def recovery(self) -> bool:
        return str(self.get(C.JET_paramRecovery)).lower() != "off"

    @property
    def log_file_size_kb(self) -> int:
        return int(self.get(C.JET_paramLogFileSize))

    @property
    def commit_default(self) -> int:
        return int(self.get(C.JET_paramCommitDefault))

    @property
    def create_path_if_not_exist(self) -> bool:
        return bool(self.get(C.JET_paramCreatePathIfNotExist))

    @property
    def page_size(self) -> int:
        return int(self.get(C.JET_paramDatabasePageSize))

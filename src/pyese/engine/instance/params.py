"""System parameters (ESE's ``sysparamtable``): ids, defaults, scope and when they lock.

Every ``JET_param*`` id of ESE's header is known: ``JetSetSystemParameter`` stores it and
``JetGetSystemParameter`` returns it. The ones the engine honours (``HONOURED``) change
behaviour; the rest are accepted and kept, because they have no meaning in pyese
(``JET_paramNoInformationEvent``, cache sizes, event sources, ...). An id ESE does not
define gives ``JET_errInvalidParameter``.

Defaults follow ESE's ``sysparamtable.g.cxx`` (core-semantics §1.9).
"""

from __future__ import annotations

from dataclasses import dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

STRING = "string"
INTEGER = "integer"
BOOLEAN = "boolean"


@dataclass(frozen=True)
class ParamDef:
    """One system parameter: id, kind, default, scope, and whether init locks it."""

    paramid: int
    name: str
    kind: str
    default: int | str
    is_global: bool = False
    locked_after_init: bool = False
    minimum: int = 0
    maximum: int = 0x7FFFFFFF


def _p(name: str, kind: str, default: int | str, **kw: object) -> ParamDef:
    return ParamDef(getattr(C, name), name, kind, default, **kw)  # type: ignore[arg-type]


_DEFS = [
    _p("JET_paramSystemPath", STRING, ".\\", locked_after_init=True),
    _p("JET_paramTempPath", STRING, "tmp.edb", locked_after_init=True),
    _p("JET_paramLogFilePath", STRING, ".\\", locked_after_init=True),
    _p("JET_paramBaseName", STRING, "edb", locked_after_init=True),
    _p("JET_paramEventSource", STRING, ""),
    _p("JET_paramMaxSessions", INTEGER, 16, locked_after_init=True, minimum=0, maximum=30000),
    _p("JET_paramMaxOpenTables", INTEGER, 300, locked_after_init=True),
    _p("JET_paramMaxCursors", INTEGER, 1024, locked_after_init=True),
    _p("JET_paramMaxVerPages", INTEGER, 64, locked_after_init=True, minimum=1),
    _p("JET_paramPreferredVerPages", INTEGER, 0, locked_after_init=True),
    _p("JET_paramMaxTemporaryTables", INTEGER, 20, locked_after_init=True),
    _p("JET_paramEnableTempTableVersioning", BOOLEAN, 1, locked_after_init=True, maximum=1),
    _p("JET_paramLogFileSize", INTEGER, 5120, locked_after_init=True, minimum=16),
    _p("JET_paramLogBuffers", INTEGER, 126, locked_after_init=True),
    _p("JET_paramCommitDefault", INTEGER, 0),
    _p("JET_paramCircularLog", BOOLEAN, 0, locked_after_init=True, maximum=1),
    _p("JET_paramDbExtensionSize", INTEGER, 256),
    _p("JET_paramCacheSizeMax", INTEGER, 8192, is_global=True),
    _p("JET_paramCacheSizeMin", INTEGER, 0, is_global=True),
    _p("JET_paramCheckpointDepthMax", INTEGER, 20 * 1024 * 1024),
    _p("JET_paramRecovery", STRING, "on", locked_after_init=True),
    _p("JET_paramNoInformationEvent", BOOLEAN, 0, maximum=1),
    _p("JET_paramDatabasePageSize", INTEGER, 8192, is_global=True, minimum=2048, maximum=32768),
    _p("JET_paramCreatePathIfNotExist", BOOLEAN, 0, maximum=1),
    _p("JET_paramMaxInstances", INTEGER, 16, is_global=True, minimum=1, maximum=10240),
    _p("JET_paramMaxTransactionSize", INTEGER, 100, minimum=1, maximum=100),
    _p("JET_paramLegacyFileNames", INTEGER, 0x1, locked_after_init=True),
    _p("JET_paramEnableIndexChecking", INTEGER, 0, is_global=True),
    _p("JET_paramUnicodeIndexDefault", INTEGER, 0, is_global=True),
    _p("JET_paramIndexTuplesLengthMin", INTEGER, 3),
    _p("JET_paramEnableAdvanced", BOOLEAN, 0, is_global=True, maximum=1),
    _p("JET_paramConfiguration", INTEGER, 0, is_global=True),
    _p("JET_paramOSSnapshotTimeout", INTEGER, 70000, is_global=True),  # ESE sp 98, ms
]

PARAMS: dict[int, ParamDef] = {d.paramid: d for d in _DEFS}

HONOURED = frozenset(
    getattr(C, n)
    for n in (
        "JET_paramSystemPath",
        "JET_paramTempPath",
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
        "JET_paramMaxTransactionSize",
        "JET_paramOSSnapshotTimeout",
    )
)
"""Parameters whose value changes what the engine does."""


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
    """The definition of ``paramid``; ``JET_errInvalidParameter`` if ESE has no such id."""
    if not isinstance(paramid, int) or isinstance(paramid, bool):
        raise_error(C.JET_errInvalidParameter, "paramid must be an int")
    d = PARAMS.get(paramid)
    if d is not None:
        return d
    name = KNOWN_IDS.get(paramid)
    if name is None:
        raise_error(C.JET_errInvalidParameter, f"unknown system parameter id {paramid}")
    return ParamDef(paramid, name, INTEGER, 0, maximum=0xFFFFFFFFFFFFFFFF)


def coerce(d: ParamDef, lParam: int, szParam: str | None) -> int | str:
    """Validate a value for ``d``; ``JET_errInvalidParameter`` when out of range or wrong kind."""
    if d.kind == STRING:
        if szParam is None or not isinstance(szParam, str):
            raise_error(C.JET_errInvalidParameter, f"{d.name} takes a string (szParam)")
        if d.paramid == C.JET_paramBaseName and len(szParam) != 3:
            # ESE: sysparam.cxx, base names are exactly three characters
            raise_error(C.JET_errInvalidParameter, "JET_paramBaseName must be 3 characters")
        if d.paramid == C.JET_paramRecovery and szParam.lower() not in ("on", "off"):
            raise_error(C.JET_errInvalidParameter, 'JET_paramRecovery is "on" or "off"')
        return szParam
    if isinstance(lParam, bool):
        lParam = int(lParam)
    if not isinstance(lParam, int):
        raise_error(C.JET_errInvalidParameter, f"{d.name} takes an integer (lParam)")
    if d.kind == BOOLEAN:
        return 1 if lParam else 0
    if lParam < d.minimum or lParam > d.maximum:
        raise_error(
            C.JET_errInvalidParameter,
            f"{d.name} = {lParam} is outside {d.minimum}..{d.maximum}",
        )
    return lParam


class ParamSet:
    """A set of parameter values (the global set, or one instance's copy of it)."""

    def __init__(self, values: dict[int, int | str] | None = None) -> None:
        self._values: dict[int, int | str] = dict(values or {})

    def get(self, paramid: int) -> int | str:
        if paramid in self._values:
            return self._values[paramid]
        return definition(paramid).default

    def set(self, paramid: int, value: int | str) -> None:
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

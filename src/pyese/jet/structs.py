"""The structures the JET API takes and returns, with ESE's names letter for letter.

Each class here is one ``typedef struct`` of ESE's public header (``jethdr.w``), as a
mutable dataclass whose fields carry ESE's field names, so that code written against
Microsoft's reference pages reads the same in Python::

    JET_COLUMNDEF(coltyp=C.JET_coltypLong, grbit=C.JET_bitColumnFixed)
    JET_TABLECREATE(szTableName="t", rgcolumncreate=[JET_COLUMNCREATE(szColumnName="a", ...)])

Conversion rule, C to Python:

- **Every field is keyword-only and has a default** (C's zero-initialised struct): 0 for
  numbers and grbits, ``None`` for strings, buffers, pointers to a single struct and
  handles, an empty list for arrays.
- **``cbStruct`` is dropped**: the class says which struct (and which version) it is.
- **Pointer + count pairs become one Python value**: ``rgcolumncreate`` + ``cColumns``
  is a ``list[JET_COLUMNCREATE]``, ``pvDefault`` + ``cbDefault`` is ``bytes``, ``szKey`` +
  ``cbKey`` is a ``str``. The count stays readable as a read-only property with ESE's
  name (``tablecreate.cColumns``), computed from the value. Buffer *capacities* that bound
  an output (``JET_RETRIEVECOLUMN.cbData``) are kept as fields, ``None`` meaning "no limit".
- **Strings** (``sz...``) are ``str``; a key definition keeps ESE's own ``"\\0"``-separated,
  double-``"\\0"``-terminated form (``"+Name\\0-Age\\0\\0"``). Column data and defaults are
  ``bytes`` in ESE's binary form.
- **Output fields** that ESE fills in (``columnid`` and ``err`` of JET_COLUMNCREATE,
  ``err`` of the index create structs, ``tableid`` and ``cCreated`` of the table create
  structs, ``cbActual`` of JET_RETRIEVECOLUMN, ...) are ordinary mutable fields the engine
  writes back into the caller's object, as ESE does.
- **Unions** keep every arm as its own field (``lcid`` and ``pidxunicode``; ``cbVarSegMac``
  and ``ptuplelimits``); the struct's ``grbit`` says which one ESE reads, as in C.
- **Bit fields** inside a byte (JET_LOGTIME's ``fTimeIsUTC``) are read-only properties
  over the byte that holds them.
- **Handles** (``tableid``, ``hInstanceId``) hold whatever the jet layer's handle objects
  are; this module does not define them.
- **Versions**: where a later ESE struct only appends fields to an earlier one
  (JET_DBINFOMISC..7, JET_THREADSTATS..4, JET_RECSIZE2, JET_INDEXCREATE2), the class
  subclasses the earlier one; otherwise versions are unrelated classes.

The ``_A``/``_W`` split of C does not exist here: strings are Python strings.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


def _nchars(s: str | None) -> int:
    return 0 if s is None else len(s)


def _nbytes(b: bytes | None) -> int:
    return 0 if b is None else len(b)


# --- columns -------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_COLUMNDEF:
    """A column's definition (JetAddColumn in, JetGetColumnInfo out)."""

    columnid: int = 0
    coltyp: int = 0
    wCountry: int = 0
    langid: int = 0
    cp: int = 0
    wCollate: int = 0
    cbMax: int = 0
    grbit: int = 0


@dataclass(kw_only=True, slots=True)
class JET_COLUMNBASE:
    """A column's definition plus where it was defined (JET_ColInfoBase)."""

    columnid: int = 0
    coltyp: int = 0
    wCountry: int = 0
    langid: int = 0
    cp: int = 0
    wFiller: int = 0
    cbMax: int = 0
    grbit: int = 0
    szBaseTableName: str = ""
    szBaseColumnName: str = ""


@dataclass(kw_only=True, slots=True)
class JET_COLUMNCREATE:
    """One column for JetCreateTableColumnIndex; ``columnid`` and ``err`` are outputs."""

    szColumnName: str | None = None
    coltyp: int = 0
    cbMax: int = 0
    grbit: int = 0
    pvDefault: bytes | None = None
    cp: int = 0
    columnid: int = 0
    err: int = 0

    @property
    def cbDefault(self) -> int:
        return _nbytes(self.pvDefault)


@dataclass(kw_only=True, slots=True)
class JET_USERDEFINEDDEFAULT:
    """A user-defined default value, passed as a JET_COLUMNCREATE's default."""

    szCallback: str | None = None
    pbUserData: bytes | None = None
    szDependantColumns: str | None = None

    @property
    def cbUserData(self) -> int:
        return _nbytes(self.pbUserData)


# --- indexes -------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_CONDITIONALCOLUMN:
    """A column an index is conditional on (JET_bitIndexColumnMustBeNull/NonNull)."""

    szColumnName: str | None = None
    grbit: int = 0


@dataclass(kw_only=True, slots=True)
class JET_UNICODEINDEX:
    """Locale (as an LCID) and LCMapString flags of a Unicode index."""

    lcid: int = 0
    dwMapFlags: int = 0


@dataclass(kw_only=True, slots=True)
class JET_UNICODEINDEX2:
    """Locale (as a locale name) and LCMapString flags of a Unicode index."""

    szLocaleName: str | None = None
    dwMapFlags: int = 0


@dataclass(kw_only=True, slots=True)
class JET_TUPLELIMITS:
    """Substring lengths of a tuple index (JET_bitIndexTupleLimits)."""

    chLengthMin: int = 0
    chLengthMax: int = 0
    chToIndexMax: int = 0
    cchIncrement: int = 0
    ichStart: int = 0


@dataclass(kw_only=True, slots=True)
class JET_SPACEHINTS:
    """Space allocation hints for a B-tree (table, index or long-value tree)."""

    ulInitialDensity: int = 0
    cbInitial: int = 0
    grbit: int = 0
    ulMaintDensity: int = 0
    ulGrowth: int = 0
    cbMinExtent: int = 0
    cbMaxExtent: int = 0


@dataclass(kw_only=True, slots=True)
class JET_INDEXCREATE:
    """One index for JetCreateIndex2 / JetCreateTableColumnIndex; ``err`` is an output.

    ``lcid`` is read unless ``grbit`` has JET_bitIndexUnicode (then ``pidxunicode``);
    ``cbVarSegMac`` unless JET_bitIndexTupleLimits (then ``ptuplelimits``).
    """

    szIndexName: str | None = None
    szKey: str | None = None
    grbit: int = 0
    ulDensity: int = 0
    lcid: int = 0
    pidxunicode: JET_UNICODEINDEX | None = None
    cbVarSegMac: int = 0
    ptuplelimits: JET_TUPLELIMITS | None = None
    rgconditionalcolumn: list[JET_CONDITIONALCOLUMN] = field(default_factory=list)
    err: int = 0
    cbKeyMost: int = 0

    @property
    def cbKey(self) -> int:
        """Length of ``szKey`` in characters, terminating nulls included."""
        return _nchars(self.szKey)

    @property
    def cConditionalColumn(self) -> int:
        return len(self.rgconditionalcolumn)


@dataclass(kw_only=True, slots=True)
class JET_INDEXCREATE2(JET_INDEXCREATE):
    """JET_INDEXCREATE plus space hints (JetCreateIndex3, JET_TABLECREATE3)."""

    pSpacehints: JET_SPACEHINTS | None = None


@dataclass(kw_only=True, slots=True)
class JET_INDEXCREATE3:
    """One index for JetCreateIndex4 / JET_TABLECREATE4: locale by name, no ``lcid``."""

    szIndexName: str | None = None
    szKey: str | None = None
    grbit: int = 0
    ulDensity: int = 0
    pidxunicode: JET_UNICODEINDEX2 | None = None
    cbVarSegMac: int = 0
    ptuplelimits: JET_TUPLELIMITS | None = None
    rgconditionalcolumn: list[JET_CONDITIONALCOLUMN] = field(default_factory=list)
    err: int = 0
    cbKeyMost: int = 0
    pSpacehints: JET_SPACEHINTS | None = None

    @property
    def cbKey(self) -> int:
        """Length of ``szKey`` in characters, terminating nulls included."""
        return _nchars(self.szKey)

    @property
    def cConditionalColumn(self) -> int:
        return len(self.rgconditionalcolumn)


# --- tables --------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class _TableCreateBase:
    szTableName: str | None = None
    szTemplateTableName: str | None = None
    ulPages: int = 0
    ulDensity: int = 0
    rgcolumncreate: list[JET_COLUMNCREATE] = field(default_factory=list)
    grbit: int = 0
    tableid: Any = None
    cCreated: int = 0

    rgindexcreate: list[Any] = field(default_factory=list)
    """Redeclared by each version with its own index-create structure."""

    @property
    def cColumns(self) -> int:
        return len(self.rgcolumncreate)

    @property
    def cIndexes(self) -> int:
        return len(self.rgindexcreate)


@dataclass(kw_only=True, slots=True)
class JET_TABLECREATE(_TableCreateBase):
    """A table with its columns and indexes (JetCreateTableColumnIndex).

    Outputs: ``tableid`` (the opened table), ``cCreated`` (table + columns + indexes
    created), and each column's and index's ``columnid``/``err``.
    """

    rgindexcreate: list[JET_INDEXCREATE] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class JET_TABLECREATE2(_TableCreateBase):
    """JET_TABLECREATE plus a callback (JetCreateTableColumnIndex2)."""

    rgindexcreate: list[JET_INDEXCREATE] = field(default_factory=list)
    szCallback: str | None = None
    cbtyp: int = 0


@dataclass(kw_only=True, slots=True)
class JET_TABLECREATE3(_TableCreateBase):
    """JET_TABLECREATE2 with JET_INDEXCREATE2 indexes and space hints (...Index3)."""

    rgindexcreate: list[JET_INDEXCREATE2] = field(default_factory=list)
    szCallback: str | None = None
    cbtyp: int = 0
    pSeqSpacehints: JET_SPACEHINTS | None = None
    pLVSpacehints: JET_SPACEHINTS | None = None
    cbSeparateLV: int = 0


@dataclass(kw_only=True, slots=True)
class JET_TABLECREATE4(_TableCreateBase):
    """JET_TABLECREATE3 with JET_INDEXCREATE3 indexes (JetCreateTableColumnIndex4)."""

    rgindexcreate: list[JET_INDEXCREATE3] = field(default_factory=list)
    szCallback: str | None = None
    cbtyp: int = 0
    pSeqSpacehints: JET_SPACEHINTS | None = None
    pLVSpacehints: JET_SPACEHINTS | None = None
    cbSeparateLV: int = 0


@dataclass(kw_only=True, slots=True)
class JET_TABLECREATE5(JET_TABLECREATE4):
    """JET_TABLECREATE4 plus the separated long-value chunk size (JetCreateTableColumnIndex5)."""

    cbLVChunkMax: int = 0


@dataclass(kw_only=True, slots=True)
class JET_OPENTEMPORARYTABLE:
    """A temporary table request (JetOpenTemporaryTable); outputs ``prgcolumnid``, ``tableid``."""

    prgcolumndef: list[JET_COLUMNDEF] = field(default_factory=list)
    pidxunicode: JET_UNICODEINDEX | None = None
    grbit: int = 0
    prgcolumnid: list[int] = field(default_factory=list)
    cbKeyMost: int = 0
    cbVarSegMac: int = 0
    tableid: Any = None

    @property
    def ccolumn(self) -> int:
        return len(self.prgcolumndef)


@dataclass(kw_only=True, slots=True)
class JET_OPENTEMPORARYTABLE2:
    """JET_OPENTEMPORARYTABLE with the locale given by name (JetOpenTemporaryTable2)."""

    prgcolumndef: list[JET_COLUMNDEF] = field(default_factory=list)
    pidxunicode: JET_UNICODEINDEX2 | None = None
    grbit: int = 0
    prgcolumnid: list[int] = field(default_factory=list)
    cbKeyMost: int = 0
    cbVarSegMac: int = 0
    tableid: Any = None

    @property
    def ccolumn(self) -> int:
        return len(self.prgcolumndef)


# --- record data ---------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_RETRIEVECOLUMN:
    """One column value for JetRetrieveColumns.

    Inputs: ``columnid``, ``cbData`` (most bytes to return; ``None`` = all), ``grbit``,
    ``ibLongValue``, ``itagSequence``. Outputs: ``pvData``, ``cbActual`` (full size of the
    value), ``columnidNextTagged``, ``err`` (0, a warning such as JET_wrnColumnNull /
    JET_wrnBufferTruncated, or an error).
    """

    columnid: int = 0
    pvData: bytes | None = None
    cbData: int | None = None
    cbActual: int = 0
    grbit: int = 0
    ibLongValue: int = 0
    itagSequence: int = 0
    columnidNextTagged: int = 0
    err: int = 0


@dataclass(kw_only=True, slots=True)
class JET_SETCOLUMN:
    """One column value for JetSetColumns; ``err`` is an output."""

    columnid: int = 0
    pvData: bytes | None = None
    grbit: int = 0
    ibLongValue: int = 0
    itagSequence: int = 0
    err: int = 0

    @property
    def cbData(self) -> int:
        return _nbytes(self.pvData)


@dataclass(kw_only=True, slots=True)
class JET_RETINFO:
    """Extra JetRetrieveColumn input; ``columnidNextTagged`` is an output."""

    ibLongValue: int = 0
    itagSequence: int = 0
    columnidNextTagged: int = 0


@dataclass(kw_only=True, slots=True)
class JET_SETINFO:
    """Extra JetSetColumn input: offset into a long value, which multi-value."""

    ibLongValue: int = 0
    itagSequence: int = 0


@dataclass(kw_only=True, slots=True)
class JET_ENUMCOLUMNID:
    """A column (and which of its values) to enumerate with JetEnumerateColumns."""

    columnid: int = 0
    rgtagSequence: list[int] = field(default_factory=list)

    @property
    def ctagSequence(self) -> int:
        return len(self.rgtagSequence)


@dataclass(kw_only=True, slots=True)
class JET_ENUMCOLUMNVALUE:
    """One value of an enumerated column (JetEnumerateColumns output)."""

    itagSequence: int = 0
    err: int = 0
    pvData: bytes | None = None

    @property
    def cbData(self) -> int:
        return _nbytes(self.pvData)


@dataclass(kw_only=True, slots=True)
class JET_ENUMCOLUMN:
    """One enumerated column (JetEnumerateColumns output).

    ESE's union: ``rgEnumColumnValue`` unless ``err`` is JET_wrnColumnSingleValue, in which
    case the one value is in ``pvData``.
    """

    columnid: int = 0
    err: int = 0
    rgEnumColumnValue: list[JET_ENUMCOLUMNVALUE] = field(default_factory=list)
    pvData: bytes | None = None

    @property
    def cEnumColumnValue(self) -> int:
        return len(self.rgEnumColumnValue)

    @property
    def cbData(self) -> int:
        return _nbytes(self.pvData)


@dataclass(kw_only=True, slots=True)
class JET_RECSIZE:
    """A record's size (JetGetRecordSize output)."""

    cbData: int = 0
    cbLongValueData: int = 0
    cbOverhead: int = 0
    cbLongValueOverhead: int = 0
    cNonTaggedColumns: int = 0
    cTaggedColumns: int = 0
    cLongValues: int = 0
    cMultiValues: int = 0


@dataclass(kw_only=True, slots=True)
class JET_RECSIZE2(JET_RECSIZE):
    """JET_RECSIZE plus compression figures (JetGetRecordSize2 output)."""

    cCompressedColumns: int = 0
    cbDataCompressed: int = 0
    cbLongValueDataCompressed: int = 0


# --- navigation ----------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_RECPOS:
    """Approximate position of a record (JetGetRecordPosition out, JetGotoPosition in)."""

    centriesLT: int = 0
    centriesInRange: int = 0
    centriesTotal: int = 0


@dataclass(kw_only=True, slots=True)
class JET_RECPOS2:
    """JET_RECPOS with 64-bit counts (JetGetRecordPosition2 / JetGotoPosition2)."""

    centriesLTDeprecated: int = 0
    centriesInRangeDeprecated: int = 0
    centriesTotalDeprecated: int = 0
    centriesLT: int = 0
    centriesTotal: int = 0


@dataclass(kw_only=True, slots=True)
class JET_INDEXID:
    """An opaque index hint (JetGetIndexInfo JET_IdxInfoIndexId, JetSetCurrentIndex4)."""

    rgbIndexId: bytes = b""


@dataclass(kw_only=True, slots=True)
class JET_INDEXRANGE:
    """An index range for JetIntersectIndexes."""

    tableid: Any = None
    grbit: int = 0


@dataclass(kw_only=True, slots=True)
class JET_INDEX_COLUMN:
    """A column value and relational operator (JetSetCursorFilter, JET_INDEX_RANGE)."""

    columnid: int = 0
    relop: int = 0
    pv: bytes | None = None
    grbit: int = 0

    @property
    def cb(self) -> int:
        return _nbytes(self.pv)


@dataclass(kw_only=True, slots=True)
class JET_INDEX_RANGE:
    """Start and end key columns of a range (JetPrereadIndexRanges)."""

    rgStartColumns: list[JET_INDEX_COLUMN] = field(default_factory=list)
    rgEndColumns: list[JET_INDEX_COLUMN] = field(default_factory=list)

    @property
    def cStartColumns(self) -> int:
        return len(self.rgStartColumns)

    @property
    def cEndColumns(self) -> int:
        return len(self.rgEndColumns)


# --- metadata lists ------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_OBJECTINFO:
    """A table's information (JetGetObjectInfo JET_ObjInfo)."""

    objtyp: int = 0
    dtCreate: float = 0.0
    dtUpdate: float = 0.0
    grbit: int = 0
    flags: int = 0
    cRecord: int = 0
    cPage: int = 0


@dataclass(kw_only=True, slots=True)
class JET_OBJECTLIST:
    """A temporary table of objects and the columnids of its columns (JET_ObjInfoList)."""

    tableid: Any = None
    cRecord: int = 0
    columnidcontainername: int = 0
    columnidobjectname: int = 0
    columnidobjtyp: int = 0
    columniddtCreate: int = 0
    columniddtUpdate: int = 0
    columnidgrbit: int = 0
    columnidflags: int = 0
    columnidcRecord: int = 0
    columnidcPage: int = 0


@dataclass(kw_only=True, slots=True)
class JET_COLUMNLIST:
    """A temporary table of column definitions and its columnids (JET_ColInfoList)."""

    tableid: Any = None
    cRecord: int = 0
    columnidPresentationOrder: int = 0
    columnidcolumnname: int = 0
    columnidcolumnid: int = 0
    columnidcoltyp: int = 0
    columnidCountry: int = 0
    columnidLangid: int = 0
    columnidCp: int = 0
    columnidCollate: int = 0
    columnidcbMax: int = 0
    columnidgrbit: int = 0
    columnidDefault: int = 0
    columnidBaseTableName: int = 0
    columnidBaseColumnName: int = 0
    columnidDefinitionName: int = 0


@dataclass(kw_only=True, slots=True)
class JET_INDEXLIST:
    """A temporary table of index segments and its columnids (JET_IdxInfoList)."""

    tableid: Any = None
    cRecord: int = 0
    columnidindexname: int = 0
    columnidgrbitIndex: int = 0
    columnidcKey: int = 0
    columnidcEntry: int = 0
    columnidcPage: int = 0
    columnidcColumn: int = 0
    columnidiColumn: int = 0
    columnidcolumnid: int = 0
    columnidcoltyp: int = 0
    columnidCountry: int = 0
    columnidLangid: int = 0
    columnidCp: int = 0
    columnidCollate: int = 0
    columnidgrbitColumn: int = 0
    columnidcolumnname: int = 0
    columnidLCMapFlags: int = 0


# --- sessions, instances, threads ----------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_SESSIONINFO:
    """A session's transaction state (JetGetSessionInfo)."""

    ulTrxBegin0: int = 0
    ulTrxLevel: int = 0
    ulProcid: int = 0
    ulFlags: int = 0
    ulTrxContext: int = 0


@dataclass(kw_only=True, slots=True)
class JET_INSTANCE_INFO:
    """A running instance and its attached databases (JetGetInstanceInfo)."""

    hInstanceId: Any = None
    szInstanceName: str | None = None
    szDatabaseFileName: list[str] = field(default_factory=list)
    szDatabaseDisplayName: list[str] = field(default_factory=list)
    szDatabaseSLVFileName_Obsolete: list[str] = field(default_factory=list)

    @property
    def cDatabases(self) -> int:
        return len(self.szDatabaseFileName)


@dataclass(kw_only=True, slots=True)
class JET_THREADSTATS:
    """Per-thread counters (JetGetThreadStats)."""

    cPageReferenced: int = 0
    cPageRead: int = 0
    cPagePreread: int = 0
    cPageDirtied: int = 0
    cPageRedirtied: int = 0
    cLogRecord: int = 0
    cbLogRecord: int = 0


@dataclass(kw_only=True, slots=True)
class JET_THREADSTATS2(JET_THREADSTATS):
    cusecPageCacheMiss: int = 0
    cPageCacheMiss: int = 0


@dataclass(kw_only=True, slots=True)
class JET_THREADSTATS3(JET_THREADSTATS2):
    cSeparatedLongValueRead: int = 0
    cusecLongValuePageCacheMiss: int = 0
    cLongValuePageCacheMiss: int = 0


@dataclass(kw_only=True, slots=True)
class JET_THREADSTATS4(JET_THREADSTATS3):
    cSeparatedLongValueCreated: int = 0
    cPageUniqueCacheHits: int = 0
    cPageUniqueCacheRequests: int = 0
    cDatabaseReads: int = 0
    cSumDatabaseReadQueueDepthImpact: int = 0
    cSumDatabaseReadQueueDepth: int = 0
    cusecWait: int = 0
    cWait: int = 0
    cNodesFlagDeleted: int = 0
    cbNodesFlagDeleted: int = 0
    cPageTableAllocated: int = 0
    cPageTableReleased: int = 0
    cPageUpdateAllocated: int = 0
    cPageUpdateReleased: int = 0
    cPageUniqueModified: int = 0


# --- logs, signatures, database header -----------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_LOGTIME:
    """A time stamp as ESE stores it: year - 1900, month 1-12, ...; two flag bytes.

    ``bFiller1`` holds ``fTimeIsUTC`` (bit 0) and ``bMillisecondsLow`` (bits 1-7);
    ``bFiller2`` holds ``bMillisecondsHigh`` (bits 1-3).
    """

    bSeconds: int = 0
    bMinutes: int = 0
    bHours: int = 0
    bDay: int = 0
    bMonth: int = 0
    bYear: int = 0
    bFiller1: int = 0
    bFiller2: int = 0

    @property
    def fTimeIsUTC(self) -> bool:
        return bool(self.bFiller1 & 1)

    @property
    def bMillisecondsLow(self) -> int:
        return (self.bFiller1 >> 1) & 0x7F

    @property
    def bMillisecondsHigh(self) -> int:
        return (self.bFiller2 >> 1) & 0x07


@dataclass(kw_only=True, slots=True)
class JET_LGPOS:
    """A log position: generation, sector within the log file, byte within the sector."""

    ib: int = 0
    isec: int = 0
    lGeneration: int = 0


@dataclass(kw_only=True, slots=True)
class JET_SIGNATURE:
    """A database or log signature: random number, creation time, computer name."""

    ulRandom: int = 0
    logtimeCreate: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    szComputerName: str = ""


@dataclass(kw_only=True, slots=True)
class JET_BKINFO:
    """A backup's mark (log position and time) and its log generation range."""

    lgposMark: JET_LGPOS = field(default_factory=JET_LGPOS)
    logtimeMark: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    genLow: int = 0
    genHigh: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC:
    """A database header (JetGetDatabaseFileInfo JET_DbInfoMisc)."""

    ulVersion: int = 0
    ulUpdate: int = 0
    signDb: JET_SIGNATURE = field(default_factory=JET_SIGNATURE)
    dbstate: int = 0
    lgposConsistent: JET_LGPOS = field(default_factory=JET_LGPOS)
    logtimeConsistent: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    logtimeAttach: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    lgposAttach: JET_LGPOS = field(default_factory=JET_LGPOS)
    logtimeDetach: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    lgposDetach: JET_LGPOS = field(default_factory=JET_LGPOS)
    signLog: JET_SIGNATURE = field(default_factory=JET_SIGNATURE)
    bkinfoFullPrev: JET_BKINFO = field(default_factory=JET_BKINFO)
    bkinfoIncPrev: JET_BKINFO = field(default_factory=JET_BKINFO)
    bkinfoFullCur: JET_BKINFO = field(default_factory=JET_BKINFO)
    fShadowingDisabled: int = 0
    fUpgradeDb: int = 0
    dwMajorVersion: int = 0
    dwMinorVersion: int = 0
    dwBuildNumber: int = 0
    lSPNumber: int = 0
    cbPageSize: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC2(JET_DBINFOMISC):
    genMinRequired: int = 0
    genMaxRequired: int = 0
    logtimeGenMaxCreate: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulRepairCount: int = 0
    logtimeRepair: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulRepairCountOld: int = 0
    ulECCFixSuccess: int = 0
    logtimeECCFixSuccess: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulECCFixSuccessOld: int = 0
    ulECCFixFail: int = 0
    logtimeECCFixFail: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulECCFixFailOld: int = 0
    ulBadChecksum: int = 0
    logtimeBadChecksum: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulBadChecksumOld: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC3(JET_DBINFOMISC2):
    genCommitted: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC4(JET_DBINFOMISC3):
    bkinfoCopyPrev: JET_BKINFO = field(default_factory=JET_BKINFO)
    bkinfoDiffPrev: JET_BKINFO = field(default_factory=JET_BKINFO)


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC5(JET_DBINFOMISC4):
    ulIncrementalReseedCount: int = 0
    logtimeIncrementalReseed: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulIncrementalReseedCountOld: int = 0
    ulPagePatchCount: int = 0
    logtimePagePatch: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    ulPagePatchCountOld: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC6(JET_DBINFOMISC5):
    logtimeChecksumPrev: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    logtimeChecksumStart: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    cpgDatabaseChecked: int = 0


@dataclass(kw_only=True, slots=True)
class JET_DBINFOMISC7(JET_DBINFOMISC6):
    logtimeLastReAttach: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    lgposLastReAttach: JET_LGPOS = field(default_factory=JET_LGPOS)


@dataclass(kw_only=True, slots=True)
class JET_COMMIT_ID:
    """The id of a commit (JetCommitTransaction2 output, durable-commit callback)."""

    signLog: JET_SIGNATURE = field(default_factory=JET_SIGNATURE)
    reserved: int = 0
    commitId: int = 0


@dataclass(kw_only=True, slots=True)
class JET_OPERATIONCONTEXT:
    """A session's operation context (``JET_sesparamOperationContext``): who is calling,
    for ESE's tracing; pyese keeps it and hands it back."""

    ulUserID: int = 0
    nOperationID: int = 0
    nOperationType: int = 0
    nClientType: int = 0
    fFlags: int = 0


# --- restore -------------------------------------------------------------------------


@dataclass(kw_only=True, slots=True)
class JET_RSTMAP:
    """Maps a database name in the logs to the file to restore it to."""

    szDatabaseName: str | None = None
    szNewDatabaseName: str | None = None


@dataclass(kw_only=True, slots=True)
class JET_RSTINFO:
    """Restore / recovery options for JetInit3: database map, where to stop, progress."""

    rgrstmap: list[JET_RSTMAP] = field(default_factory=list)
    lgposStop: JET_LGPOS = field(default_factory=JET_LGPOS)
    logtimeStop: JET_LOGTIME = field(default_factory=JET_LOGTIME)
    pfnStatus: Callable[..., int] | None = None

    @property
    def crstmap(self) -> int:
        return len(self.rgrstmap)


@dataclass(kw_only=True, slots=True)
class JET_RECOVERYCONTROL:
    """What a ``JET_snpRecoveryControl`` notification carries (jethdr.w): ``errDefault``,
    the answer ESE takes when the callback returns it, and the instance; for
    ``JET_sntOpenLog`` the ``OpenLog`` member (``lGenNext``, ``fCurrentLog``, ``eReason``,
    ``wszLogFile``); for ``JET_sntMissingLog`` the ``MissingLog`` member (``lGenMissing``,
    ``fCurrentLog``, ``eNextAction``, ``wszLogFile``); for ``JET_sntAttachedDb`` and
    ``JET_sntDetachingDb`` ``wszDbPath``; for ``JET_sntOpenLog`` and ``JET_sntBeginUndo``
    the databases (``cdbinfomisc``, ``rgdbinfomisc``: a ``JET_DBINFOMISC`` each, as redo
    left them). The union's members are flattened into one structure."""

    errDefault: int = 0
    instance: object = None
    lGenNext: int = 0
    fCurrentLog: bool = False
    eReason: int = 0
    wszLogFile: str | None = None
    lGenMissing: int = 0
    eNextAction: int = 0
    wszDbPath: str | None = None
    cdbinfomisc: int = 0
    rgdbinfomisc: list[Any] = field(default_factory=list)


STRUCTS: tuple[type, ...] = tuple(
    obj
    for name, obj in list(globals().items())
    if name.startswith("JET_") and isinstance(obj, type)
)
"""Every structure class of this module."""

__all__ = [
    "JET_BKINFO",
    "JET_COLUMNBASE",
    "JET_COLUMNCREATE",
    "JET_COLUMNDEF",
    "JET_COLUMNLIST",
    "JET_COMMIT_ID",
    "JET_CONDITIONALCOLUMN",
    "JET_DBINFOMISC",
    "JET_DBINFOMISC2",
    "JET_DBINFOMISC3",
    "JET_DBINFOMISC4",
    "JET_DBINFOMISC5",
    "JET_DBINFOMISC6",
    "JET_DBINFOMISC7",
    "JET_ENUMCOLUMN",
    "JET_ENUMCOLUMNID",
    "JET_ENUMCOLUMNVALUE",
    "JET_INDEXCREATE",
    "JET_INDEXCREATE2",
    "JET_INDEXCREATE3",
    "JET_INDEXID",
    "JET_INDEXLIST",
    "JET_INDEXRANGE",
    "JET_INDEX_COLUMN",
    "JET_INDEX_RANGE",
    "JET_INSTANCE_INFO",
    "JET_LGPOS",
    "JET_LOGTIME",
    "JET_OBJECTINFO",
    "JET_OBJECTLIST",
    "JET_OPENTEMPORARYTABLE",
    "JET_OPENTEMPORARYTABLE2",
    "JET_OPERATIONCONTEXT",
    "JET_RECOVERYCONTROL",
    "JET_RECPOS",
    "JET_RECPOS2",
    "JET_RECSIZE",
    "JET_RECSIZE2",
    "JET_RETINFO",
    "JET_RETRIEVECOLUMN",
    "JET_RSTINFO",
    "JET_RSTMAP",
    "JET_SESSIONINFO",
    "JET_SETCOLUMN",
    "JET_SETINFO",
    "JET_SIGNATURE",
    "JET_SPACEHINTS",
    "JET_TABLECREATE",
    "JET_TABLECREATE2",
    "JET_TABLECREATE3",
    "JET_TABLECREATE4",
    "JET_TABLECREATE5",
    "JET_THREADSTATS",
    "JET_THREADSTATS2",
    "JET_THREADSTATS3",
    "JET_THREADSTATS4",
    "JET_TUPLELIMITS",
    "JET_UNICODEINDEX",
    "JET_UNICODEINDEX2",
    "JET_USERDEFINEDDEFAULT",
    "STRUCTS",
]

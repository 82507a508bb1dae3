"""The database header (``DBFILEHDR``) of a genuine ESE file: page 0, and its shadow on page 1.

ESE: ``dev/ese/src/inc/daedef.hxx`` (``DBFILEHDR``, ``LOGTIME``, ``SIGNATURE``, ``BKINFO``) and
``dev/ese/src/ese/_osu/fileu.cxx`` (``ErrUtilReadSpecificShadowedHeader``).

Byte layout (little-endian), the fields pyese reads::

      0 ulChecksum      4 ulMagic (0x89abcdef)   8 ulVersion (0x620)   12 attrib
     16 dbtimeDirtied  24 signDb (ulRandom, LOGTIME logtimeCreate, szComputerName[16])
     52 dbstate        56 lgposConsistent   64 logtimeConsistent
     72 logtimeAttach  80 lgposAttach       88 logtimeDetach        96 lgposDetach
    104 dbid          108 signLog          136/160/184 bkinfoFullPrev/IncPrev/FullCur
    208 ulDbFlags     212 objidLast        216 dwMajorVersion .. 228 lSPNumber
    232 ulDaeUpdateMajor (format revision)  236 cbPageSize (0 = 4 KiB)
    296 lGenMinRequired  300 lGenMaxRequired  340 ulCreateVersion  344 ulCreateUpdate
    400 ulBadChecksum  416 lGenMaxCommitted  640 lGenMinConsistent  644 ulDaeUpdateMinor
    667 filetype (JET_filetypeDatabase = 1)

How the header is elected (``ErrUtilReadSpecificShadowedHeader``): for every candidate page
size from 2 KiB to 32 KiB, the copy at offset 0 (primary) and the copy at offset ``cb``
(shadow) are checksummed over ``cb`` bytes with the old XOR checksum; a copy is good when
its checksum verifies and its ``cbPageSize`` (0 meaning 4 KiB) equals the candidate. No good
copy -> ``JET_errReadVerifyFailure``. A good primary wins; a good shadow alone is used and
the primary reported bad. Then (``ErrDBReadHeaderCheckConsistency``) the magic must be
``ulDAEMagic`` (else ``JET_errInvalidDatabase``) and the file type a database
(else ``JET_errFileInvalidType``).
"""

from __future__ import annotations

import datetime as _dt
import struct
from dataclasses import dataclass, field
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.edb.checksum import checksum_old_format

DAE_MAGIC = 0x89ABCDEF
"""``ulDAEMagic``."""

PAGE_SIZES = (2048, 4096, 8192, 16384, 32768)
"""Candidate page sizes ESE probes (``cbPageCandidateMin`` .. ``g_cbPageMax``)."""

CB_PAGE_DEFAULT = 4096
"""``g_cbPageDefault``: what a ``cbPageSize`` of 0 means."""

_DBSTATE_NAMES = {
    C.JET_dbstateJustCreated: "JET_dbstateJustCreated",
    C.JET_dbstateDirtyShutdown: "JET_dbstateDirtyShutdown",
    C.JET_dbstateCleanShutdown: "JET_dbstateCleanShutdown",
    C.JET_dbstateBeingConverted: "JET_dbstateBeingConverted",
    C.JET_dbstateForceDetach: "JET_dbstateForceDetach",
    C.JET_dbstateIncrementalReseedInProgress: "JET_dbstateIncrementalReseedInProgress",
    C.JET_dbstateDirtyAndPatchedShutdown: "JET_dbstateDirtyAndPatchedShutdown",
    C.JET_dbstateRevertInProgress: "JET_dbstateRevertInProgress",
}


@dataclass(frozen=True)
class LogTime:
    """ESE's ``LOGTIME``: an 8-byte broken-down UTC time (year since 1900, month 1-12)."""

    seconds: int
    minutes: int
    hours: int
    day: int
    month: int
    year: int
    milliseconds: int
    utc: bool

    @classmethod
    def parse(cls, b: bytes) -> LogTime:
        ms = (b[6] >> 1) | (((b[7] >> 1) & 0x7) << 7)
        return cls(b[0], b[1], b[2], b[3], b[4], b[5], ms, bool(b[6] & 1))

    @property
    def is_null(self) -> bool:
        return self.day == 0 and self.month == 0 and self.year == 0

    def to_datetime(self) -> _dt.datetime | None:
        """The time as an aware UTC datetime, or None when null or out of range."""
        if self.is_null:
            return None
        try:
            return _dt.datetime(
                1900 + self.year, self.month, self.day, self.hours, self.minutes,
                self.seconds, min(self.milliseconds, 999) * 1000, tzinfo=_dt.UTC,
            )
        except ValueError:
            return None

    def __str__(self) -> str:
        when = self.to_datetime()
        return "null" if when is None else when.isoformat()


@dataclass(frozen=True)
class Lgpos:
    """ESE's ``LGPOS`` as stored: (generation, sector, byte in sector)."""

    generation: int
    isec: int
    ib: int

    @classmethod
    def parse(cls, b: bytes, off: int) -> Lgpos:
        ib, isec, gen = struct.unpack_from("<HHi", b, off)
        return cls(gen, isec, ib)

    def __str__(self) -> str:
        return f"{self.generation:08X}:{self.isec:04X}:{self.ib:04X}"


@dataclass(frozen=True)
class Signature:
    """ESE's ``SIGNATURE``: random number, creation time, computer name."""

    random: int
    create_time: LogTime
    computer_name: str

    @classmethod
    def parse(cls, b: bytes, off: int) -> Signature:
        (rnd,) = struct.unpack_from("<I", b, off)
        name = b[off + 12 : off + 28].split(b"\0", 1)[0].decode("latin-1")
        return cls(rnd, LogTime.parse(b[off + 4 : off + 12]), name)

    def __str__(self) -> str:
        return f"Create time:{self.create_time} Rand:{self.random} Computer:{self.computer_name}"


@dataclass(frozen=True)
class EdbHeader:
    """The elected database header of a genuine ESE file (read-only view).

    ``primary_bad`` / ``shadow_bad`` report which copy failed its checksum or differs.
    """

    checksum: int
    magic: int
    version: int
    attrib: int
    dbtime_dirtied: int
    signature: Signature
    dbstate: int
    lgpos_consistent: Lgpos
    logtime_consistent: LogTime
    logtime_attach: LogTime
    lgpos_attach: Lgpos
    logtime_detach: LogTime
    lgpos_detach: Lgpos
    dbid: int
    log_signature: Signature
    db_flags: int
    objid_last: int
    os_version: tuple[int, int, int, int]
    update_major: int
    page_size: int
    repair_count: int
    gen_min_required: int
    gen_max_required: int
    create_version: int
    create_update: int
    bad_checksum_count: int
    gen_max_committed: int
    gen_min_consistent: int
    update_minor: int
    filetype: int
    primary_bad: bool = False
    shadow_bad: bool = False
    raw: bytes = field(default=b"", repr=False)

    @property
    def format_version(self) -> str:
        """ESE's "Format ulVersion, ulDaeUpdateMajor" rendering, e.g. ``0x620,20``."""
        return f"0x{self.version:x},{self.update_major}"

    @property
    def dbstate_name(self) -> str:
        return _DBSTATE_NAMES.get(self.dbstate, f"dbstate {self.dbstate}")

    @property
    def is_clean(self) -> bool:
        return self.dbstate == C.JET_dbstateCleanShutdown

    @property
    def is_dirty(self) -> bool:
        """Dirty shutdown: ESE would require recovery before attaching (the engine warns)."""
        return self.dbstate in (C.JET_dbstateDirtyShutdown, C.JET_dbstateDirtyAndPatchedShutdown)

    @property
    def creation_time(self) -> _dt.datetime | None:
        return self.signature.create_time.to_datetime()

    def as_dict(self) -> dict[str, Any]:
        """Flat rendering for ``pyese info`` (JSON-friendly)."""
        return {
            "checksum": f"0x{self.checksum:08x}",
            "magic": f"0x{self.magic:08x}",
            "format_version": self.format_version,
            "format_revision_minor": self.update_minor,
            "engine_create_version": f"0x{self.create_version:x},{self.create_update}",
            "page_size": self.page_size,
            "dbstate": self.dbstate_name,
            "dbtime_dirtied": self.dbtime_dirtied,
            "db_signature": str(self.signature),
            "log_signature": str(self.log_signature),
            "creation_time": str(self.signature.create_time),
            "lgpos_consistent": str(self.lgpos_consistent),
            "logtime_consistent": str(self.logtime_consistent),
            "lgpos_attach": str(self.lgpos_attach),
            "logtime_attach": str(self.logtime_attach),
            "lgpos_detach": str(self.lgpos_detach),
            "logtime_detach": str(self.logtime_detach),
            "dbid": self.dbid,
            "objid_last": self.objid_last,
            "os_version": ".".join(str(v) for v in self.os_version),
            "log_required": f"{self.gen_min_required}-{self.gen_max_required}",
            "log_committed": self.gen_max_committed,
            "repair_count": self.repair_count,
            "bad_checksum_count": self.bad_checksum_count,
            "filetype": self.filetype,
            "primary_header_bad": self.primary_bad,
            "shadow_header_bad": self.shadow_bad,
        }

    def __str__(self) -> str:
        return "\n".join(f"{k:>24}: {v}" for k, v in self.as_dict().items())


def parse_header(raw: bytes, *, primary_bad: bool = False, shadow_bad: bool = False) -> EdbHeader:
    """Decode a ``DBFILEHDR`` (no checksum or magic checks: see :func:`elect_header`)."""
    if len(raw) < 672:
        raise_error(C.JET_errInvalidDatabase, "database header shorter than DBFILEHDR")
    u32 = lambda off: struct.unpack_from("<I", raw, off)[0]  # noqa: E731
    i32 = lambda off: struct.unpack_from("<i", raw, off)[0]  # noqa: E731
    cb_page = u32(236) or CB_PAGE_DEFAULT
    return EdbHeader(
        checksum=u32(0),
        magic=u32(4),
        version=u32(8),
        attrib=i32(12),
        dbtime_dirtied=struct.unpack_from("<q", raw, 16)[0],
        signature=Signature.parse(raw, 24),
        dbstate=u32(52),
        lgpos_consistent=Lgpos.parse(raw, 56),
        logtime_consistent=LogTime.parse(raw[64:72]),
        logtime_attach=LogTime.parse(raw[72:80]),
        lgpos_attach=Lgpos.parse(raw, 80),
        logtime_detach=LogTime.parse(raw[88:96]),
        lgpos_detach=Lgpos.parse(raw, 96),
        dbid=u32(104),
        log_signature=Signature.parse(raw, 108),
        db_flags=u32(208),
        objid_last=u32(212),
        os_version=(u32(216), u32(220), u32(224), i32(228)),
        update_major=u32(232),
        page_size=cb_page,
        repair_count=u32(240),
        gen_min_required=i32(296),
        gen_max_required=i32(300),
        create_version=u32(340),
        create_update=u32(344),
        bad_checksum_count=u32(400),
        gen_max_committed=i32(416),
        gen_min_consistent=i32(640),
        update_minor=u32(644),
        filetype=u32(667),
        primary_bad=primary_bad,
        shadow_bad=shadow_bad,
        raw=bytes(raw),
    )


def _good_copy(buf: bytes, index: int, cb: int) -> bool:
    page = buf[index * cb : (index + 1) * cb]
    if len(page) < cb:
        return False
    if int.from_bytes(page[:4], "little") != checksum_old_format(page):
        return False
    cb_stored = int.from_bytes(page[236:240], "little")
    if cb_stored == 0:
        cb_stored = CB_PAGE_DEFAULT
    return cb_stored == cb


NOT_ESE = "not an ESE database: no 0x89abcdef signature"
"""The detail of the error for a file that carries no ESE header at all."""

TEMP_DATABASE = ("ESE's temporary database (temp.edb, JET_filetypeTempDatabase): scratch space "
                 "ESE recreates at every start, its pages never checksummed; it holds no "
                 "tables to read")


def _has_magic(buf: bytes) -> bool:
    magic = DAE_MAGIC.to_bytes(4, "little")
    return any(buf[off + 4 : off + 8] == magic for off in (0, *PAGE_SIZES))


def elect_header(buf: bytes, *, allow_temp: bool = False) -> EdbHeader:
    """Elect and decode the header from the first ``2 * 32 KiB`` bytes of a file.

    Raises ``JET_errReadVerifyFailure`` (no good copy; the detail says "not an ESE database"
    when neither copy carries ESE's signature: an empty or foreign file),
    ``JET_errInvalidDatabase`` (bad magic or version) or ``JET_errFileInvalidType`` (not a
    database file; ESE's temporary database is named as such unless ``allow_temp``).
    """

    # ESE: fileu.cxx, ErrUtilReadSpecificShadowedHeader (candidate loop, then election)
    cb_primary = cb_shadow = 0
    for cb in PAGE_SIZES:
        if _good_copy(buf, 0, cb):
            cb_primary = cb
        if _good_copy(buf, 1, cb):
            cb_shadow = cb
    if not cb_primary and not cb_shadow:
        # ESE's verdict (JET_errReadVerifyFailure) comes before the magic is looked at;
        # the detail says whether the file is an ESE file at all
        if not _has_magic(buf):
            raise_error(C.JET_errReadVerifyFailure,
                        NOT_ESE + (" (empty file)" if not buf else ""))
        raise_error(
            C.JET_errReadVerifyFailure,
            "no database header (primary or shadow) with a valid checksum",
        )
    primary_bad = shadow_bad = False
    if cb_primary:
        cb = cb_primary
        index = 0
        if not cb_shadow or cb_shadow != cb_primary or buf[:cb] != buf[cb : 2 * cb]:
            shadow_bad = True
    else:
        cb = cb_shadow
        index = 1
        primary_bad = True
    hdr = parse_header(buf[index * cb : (index + 1) * cb], primary_bad=primary_bad,
                       shadow_bad=shadow_bad)
    # ESE: dbapi.cxx, ErrDBReadHeaderCheckConsistency
    if hdr.magic != DAE_MAGIC:
        raise_error(C.JET_errInvalidDatabase, f"bad header magic 0x{hdr.magic:08x}")
    if hdr.filetype == C.JET_filetypeTempDatabase and not allow_temp:
        raise_error(C.JET_errFileInvalidType, TEMP_DATABASE)
    if hdr.filetype not in (C.JET_filetypeDatabase, C.JET_filetypeTempDatabase):
        raise_error(C.JET_errFileInvalidType, f"header file type {hdr.filetype} is not a database")
    if hdr.version != 0x620:
        raise_error(C.JET_errInvalidDatabaseVersion, f"format version 0x{hdr.version:x}")
    return hdr


"""Space hints (``JET_SPACEHINTS``) as ESE checks and stores them (``cat.cxx``).

ESE lets a caller describe how a tree should allocate space: initial density and size,
maintenance density, growth, extent sizes and a few create / retrieve / delete hints.
pyese's trees share one LMDB database, so the hints change nothing about allocation; they
are checked, kept in the catalog exactly as ESE keeps them, and read back
(``JetGetTableIndexInfo(JET_IdxInfoCreateIndex2/3)``).

**Checks** (cat.cxx ErrCATCheckJetSpaceHints, with the correction JetCreateTableColumnIndex
and JetCreateIndex allow): the byte counts are rounded up to whole pages; a cbInitial of one
page becomes 0 (the default); a density of 0 becomes 80 (ulFILEDefaultDensity); a density
outside 20..100 is JET_errDensityInvalid, a maintenance density outside 20..100 (0 is the
default) too; unknown grbits are JET_errInvalidGrbit; TableScanForward with
TableScanBackward, a growth under 100% or of 500-fold or more, an extent of 16 MB or more
(cbSecondaryExtentMost) and a minimum extent above the maximum are JET_errSpaceHintsInvalid.

**Catalog form** (cat.cxx ErrCATIMarshallExtendedSpaceHints, PulCATIGetExtendedHintsStart):
version byte 1, then little-endian 32-bit fields with the trailing zeros dropped, nothing at
all when every field is zero. A table row keeps the density and initial pages in its own
columns, so its ``SpaceHints`` start at ``grbit``; an index or long-value row starts at
``cbInitial``; a table's deferred long-value hints (``SpaceDeferredLVHints``) start at
``ulInitialDensity``.
"""

from __future__ import annotations

import struct
from dataclasses import astuple, dataclass

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

DEFAULT_DENSITY = 80
"""ulFILEDefaultDensity."""
CB_SECONDARY_EXTENT_MOST = 16 * 1024 * 1024
"""cbSecondaryExtentMost: "For now we only allow 16 MBs as the min or max extent"."""
VERSION = 1
"""bCATExtendedSpaceHintsVersion (PERSISTED)."""

GRBITS = (C.JET_bitSpaceHintsUtilizeParentSpace | C.JET_bitCreateHintAppendSequential
          | C.JET_bitCreateHintHotpointSequential | C.JET_bitRetrieveHintReserve1
          | C.JET_bitRetrieveHintTableScanForward | C.JET_bitRetrieveHintTableScanBackward
          | C.JET_bitRetrieveHintReserve2 | C.JET_bitRetrieveHintReserve3
          | C.JET_bitDeleteHintTableSequential | C.JET_bitSpaceHintsUtilizeExactExtents)

TABLE, INDEX, DEFERRED_LV = "table", "index", "deferred-lv"
_START = {TABLE: 2, INDEX: 1, DEFERRED_LV: 0}
"""Where the stored fields start, as an index into SpaceHints' fields."""


@dataclass(frozen=True)
class SpaceHints:
    """The fields of a JET_SPACEHINTS, in its order (cbStruct left out)."""

    ulInitialDensity: int = 0
    cbInitial: int = 0
    grbit: int = 0
    ulMaintDensity: int = 0
    ulGrowth: int = 0
    cbMinExtent: int = 0
    cbMaxExtent: int = 0


def _pages_up(cb: int, page_size: int) -> int:
    return -(-cb // page_size) * page_size


def check(hints: SpaceHints, page_size: int) -> SpaceHints:
    """Validate and correct ``hints`` (ErrCATCheckJetSpaceHints with fAllowCorrection);
    the errors of the module docstring, in ESE's order."""
    for value in astuple(hints):
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 0xFFFFFFFF:
            raise_error(C.JET_errInvalidParameter, "space hints are unsigned 32-bit ints")
    cb_initial = _pages_up(hints.cbInitial, page_size)
    cb_min = _pages_up(hints.cbMinExtent, page_size)
    cb_max = _pages_up(hints.cbMaxExtent, page_size)
    if cb_initial == page_size:
        cb_initial = 0
    density = hints.ulInitialDensity or DEFAULT_DENSITY
    if not 20 <= density <= 100:
        raise_error(C.JET_errDensityInvalid, f"ulInitialDensity {density}")
    if hints.ulMaintDensity and not 20 <= hints.ulMaintDensity <= 100:
        raise_error(C.JET_errDensityInvalid, f"ulMaintDensity {hints.ulMaintDensity}")
    if hints.grbit & ~GRBITS:
        raise_error(C.JET_errInvalidGrbit, f"space hints grbit {hints.grbit:#x}")
    if hints.grbit & C.JET_bitRetrieveHintTableScanForward \
            and hints.grbit & C.JET_bitRetrieveHintTableScanBackward:
        raise_error(C.JET_errSpaceHintsInvalid, "table scan forward and backward")
    if (hints.ulGrowth and hints.ulGrowth < 100) or hints.ulGrowth >= 500 * 100:
        raise_error(C.JET_errSpaceHintsInvalid, f"ulGrowth {hints.ulGrowth}")
    if cb_min >= CB_SECONDARY_EXTENT_MOST or cb_max >= CB_SECONDARY_EXTENT_MOST \
            or cb_min > cb_max:
        raise_error(C.JET_errSpaceHintsInvalid, "extent sizes")
    return SpaceHints(density, cb_initial, hints.grbit, hints.ulMaintDensity, hints.ulGrowth,
                      cb_min, cb_max)


def marshal(hints: SpaceHints, kind: str) -> bytes | None:
    """The catalog bytes of ``hints`` for a row of ``kind`` (TABLE, INDEX, DEFERRED_LV);
    None when there is nothing to store."""
    fields = list(astuple(hints))[_START[kind]:]
    while fields and fields[-1] == 0:
        fields.pop()
    if not fields:
        return None
    return bytes([VERSION]) + struct.pack(f"<{len(fields)}I", *fields)


def unmarshal(raw: bytes | None, kind: str, density: int = 0, cb_initial: int = 0
              ) -> SpaceHints:
    """The hints a catalog row holds: ``raw`` (its SpaceHints bytes, or None) completed
    with the row's own density / initial size. JET_errCatalogCorrupted for a bad version
    or size (ErrCATIUnmarshallExtendedSpaceHints)."""
    fields = [density, cb_initial, 0, 0, 0, 0, 0]
    if raw:
        if raw[0] != VERSION or (len(raw) - 1) % 4:
            raise_error(C.JET_errCatalogCorrupted, "extended space hints")
        values = struct.unpack(f"<{(len(raw) - 1) // 4}I", raw[1:])
        start = _START[kind]
        if start + len(values) > len(fields):
            raise_error(C.JET_errCatalogCorrupted, "too many extended space hints")
        fields[start:start + len(values)] = values
    return SpaceHints(*fields)


__all__ = ["DEFERRED_LV", "INDEX", "TABLE", "SpaceHints", "check", "marshal", "unmarshal"]

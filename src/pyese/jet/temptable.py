"""JET functions that open temporary tables: ``JetOpenTempTable`` 1-3, ``JetOpenTemporaryTable``
1-2 (ESE ``sortapi.cxx`` ErrIsamOpenTempTable).

Each checks its arguments, enters the gate and calls ``engine.temp.open_temp_table``. The
returned ``JET_TABLEID`` is an ordinary table handle: JetPrepareUpdate / JetSetColumn /
JetUpdate fill the table, JetMove / JetSeek / JetRetrieveColumn read it, JetCloseTable
drops it; which calls a handle accepts depends on the table's regime (a sort being filled,
a sorted sort, or a materialized table), as ``engine.temp.cursor`` explains.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.instance.gate import session_call
from pyese.engine.temp import ColumnRequest, open_temp_table
from pyese.jet import _args
from pyese.jet.handles import JET_COLUMNID, JET_SESID, JET_TABLEID
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

LCID_DEFAULT = 0x0409
"""ESE's default locale (en-US): an lcid of 0 means it (JetOpenTempTable2)."""


def _columns(prgcolumndef: Any) -> list[ColumnRequest]:
    from pyese.jet.structs import JET_COLUMNDEF

    defs = _args.struct_list(prgcolumndef, JET_COLUMNDEF, "prgcolumndef")
    return [ColumnRequest(coltyp=_args.integer(d.coltyp, "coltyp"),
                          cbMax=_args.integer(d.cbMax, "cbMax"),
                          grbit=_args.grbit(d.grbit), cp=_args.integer(d.cp, "cp"))
            for d in defs]


def _grbit(grbit: object) -> int:
    return _args.grbit(grbit)


def _open(sesid: Any, prgcolumndef: Any, grbit: int, *, lcid: int = 0,
          map_flags: int | None = None, cb_key_most: int = 0,
          cb_var_seg_mac: int = 0) -> tuple[JET_TABLEID, list[JET_COLUMNID]]:
    columns = _columns(prgcolumndef)
    g = _grbit(grbit)
    with session_call(sesid) as session:
        cur, ids = open_temp_table(session, columns, g, lcid=lcid, map_flags=map_flags,
                                   cb_key_most=cb_key_most, cb_var_seg_mac=cb_var_seg_mac)
        return JET_TABLEID(cur.tableid), [JET_COLUMNID(i) for i in ids]


def JetOpenTempTable(sesid: JET_SESID | int, prgcolumndef: Any,
                     grbit: int = 0) -> tuple[JET_TABLEID, list[JET_COLUMNID]]:
    """Open a temporary table with one key (the columns with ``JET_bitColumnTTKey``, in
    order; ``JET_bitColumnTTDescending`` for descending segments); returns the cursor
    and one columnid per ``JET_COLUMNDEF``.

    Grbits: ``JET_bitTTIndexed`` (seeks), ``JET_bitTTUnique`` (remove duplicates, also on a
    forward-only sort), ``JET_bitTTUpdatable`` (updates after the insert phase),
    ``JET_bitTTScrollable`` (backward moves), ``JET_bitTTSortNullsHigh``,
    ``JET_bitTTForceMaterialization`` / ``JET_bitTTErrorOnDuplicateInsertion`` (a B-tree at
    once: a duplicate insert fails with JET_errKeyDuplicate), ``JET_bitTTForwardOnly``
    (never materialized; keeps duplicates unless Unique), ``JET_bitTTIntrinsicLVsOnly``
    (long values do not force materialization), ``JET_bitTTDotNetGuid``.
    Errors: ``JET_errTooManySorts``, ``JET_errCannotMaterializeForwardOnlySort``,
    ``JET_errTooManyColumns``, ``JET_errInvalidCodePage``, ``JET_errInvalidColumnType``,
    ``JET_errInvalidParameter``, ``JET_errTempPathInUse``.
    """
    return _open(sesid, prgcolumndef, grbit)


def JetOpenTempTable2(sesid: JET_SESID | int, prgcolumndef: Any, lcid: int,
                      grbit: int = 0) -> tuple[JET_TABLEID, list[JET_COLUMNID]]:
    """``JetOpenTempTable`` with the locale of Unicode key columns (0: en-US)."""
    lc = _args.integer(lcid, "lcid")
    return _open(sesid, prgcolumndef, grbit, lcid=lc or LCID_DEFAULT)


def JetOpenTempTable3(sesid: JET_SESID | int, prgcolumndef: Any, pidxunicode: Any = None,
                      grbit: int = 0) -> tuple[JET_TABLEID, list[JET_COLUMNID]]:
    """``JetOpenTempTable`` with a ``JET_UNICODEINDEX`` (lcid and LCMapString flags) for
    Unicode key columns; ``JET_errInvalidLCMapStringFlags`` for flags ESE refuses."""
    from pyese.jet.structs import JET_UNICODEINDEX

    lcid, flags = 0, None
    if pidxunicode is not None:
        _args.struct(pidxunicode, JET_UNICODEINDEX, "pidxunicode")
        lcid = _args.integer(pidxunicode.lcid, "lcid")
        flags = _args.integer(pidxunicode.dwMapFlags, "dwMapFlags")
    return _open(sesid, prgcolumndef, grbit, lcid=lcid or LCID_DEFAULT, map_flags=flags)


def _open_temporary(sesid: Any, ott: Any, cls: type, unicode_cls: type) -> None:
    _args.struct(ott, cls, "popentemporarytable")
    lcid, flags = 0, None
    uni = ott.pidxunicode
    if uni is not None:
        _args.struct(uni, unicode_cls, "pidxunicode")
        lcid = _args.integer(getattr(uni, "lcid", 0), "lcid")
        flags = _args.integer(uni.dwMapFlags, "dwMapFlags")
        locale = getattr(uni, "szLocaleName", None)
        if locale is not None and not isinstance(locale, str):
            raise_error(C.JET_errInvalidParameter, "szLocaleName must be a str")
    cb_key_most = _args.integer(ott.cbKeyMost, "cbKeyMost")
    cb_var_seg_mac = _args.integer(ott.cbVarSegMac, "cbVarSegMac")
    ott.tableid = None
    tableid, ids = _open(sesid, ott.prgcolumndef, ott.grbit, lcid=lcid or LCID_DEFAULT,
                         map_flags=flags, cb_key_most=cb_key_most,
                         cb_var_seg_mac=cb_var_seg_mac)
    ott.prgcolumnid = ids
    ott.tableid = tableid


def JetOpenTemporaryTable(sesid: JET_SESID | int, popentemporarytable: Any) -> None:
    """``JetOpenTempTable3`` from a ``JET_OPENTEMPORARYTABLE``, with ``cbKeyMost`` (0: 255;
    else ``JET_cbKeyMostMin`` .. the page's most) and ``cbVarSegMac`` (0: cbKeyMost;
    at most cbKeyMost): ``JET_errInvalidParameter`` outside those. Writes ``tableid`` and
    ``prgcolumnid``."""
    from pyese.jet.structs import JET_OPENTEMPORARYTABLE, JET_UNICODEINDEX

    _open_temporary(sesid, popentemporarytable, JET_OPENTEMPORARYTABLE, JET_UNICODEINDEX)


def JetOpenTemporaryTable2(sesid: JET_SESID | int, popentemporarytable: Any) -> None:
    """``JetOpenTemporaryTable`` with a ``JET_OPENTEMPORARYTABLE2`` (the locale by name in
    a ``JET_UNICODEINDEX2``)."""
    from pyese.jet.structs import JET_OPENTEMPORARYTABLE2, JET_UNICODEINDEX2

    _open_temporary(sesid, popentemporarytable, JET_OPENTEMPORARYTABLE2, JET_UNICODEINDEX2)


__all__ = [
    "JetOpenTempTable",
    "JetOpenTempTable2",
    "JetOpenTempTable3",
    "JetOpenTemporaryTable",
    "JetOpenTemporaryTable2",
]

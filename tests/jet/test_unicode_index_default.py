"""JET_paramUnicodeIndexDefault as a JET_UNICODEINDEX.

Microsoft's parameter reference: the parameter is a JET_UNICODEINDEX, the default LCID is
en-US with LCMAP_SORTKEY | NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH, and
JetSetSystemParameter gives JET_errInvalidParameter for a NULL JET_UNICODEINDEX, an invalid
LCID or unsupported LCMapString flags. ESE applies it to indexes created without a Unicode
definition (pinst->m_wszLocaleNameDefault / m_dwLCMapFlagsDefault).
"""

from __future__ import annotations

import pyese.jet as jet

from .helpers import expect

LCMAP_SORTKEY = 0x00000400
DEFAULT_FLAGS = 0x00030401


def test_default_and_round_trip():
    i = jet.JetCreateInstance("u")
    got, sz = jet.JetGetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault)
    assert (got.lcid, got.dwMapFlags, sz) == (0x0409, DEFAULT_FLAGS, None)
    jet.JetSetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault,
                              jet.JET_UNICODEINDEX(lcid=0x040C, dwMapFlags=LCMAP_SORTKEY))
    got, _ = jet.JetGetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault)
    assert (got.lcid, got.dwMapFlags) == (0x040C, LCMAP_SORTKEY)


def test_checks():
    i = jet.JetCreateInstance("u")
    for bad in (None, 5, jet.JET_UNICODEINDEX(lcid=0, dwMapFlags=DEFAULT_FLAGS),
                jet.JET_UNICODEINDEX(lcid=0x0409, dwMapFlags=0x10000000)):
        with expect(jet.JET_errInvalidParameter):
            jet.JetSetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault, bad)
    got, _ = jet.JetGetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault)
    assert (got.lcid, got.dwMapFlags) == (0x0409, DEFAULT_FLAGS)


def _unique_text_index(inst) -> tuple[object, object, object]:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "u.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "name", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText,
                                                          cp=1200, cbMax=100))
    jet.JetCreateIndex(s, t, "byname", jet.JET_bitIndexUnique, "+name\0\0", 100)
    jet.JetCommitTransaction(s, 0)
    return s, t, c


def _insert(s, t, c, text: str) -> None:
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, text.encode("utf-16-le"), 0)
    jet.JetUpdate(s, t)


def test_indexes_without_a_unicode_definition_take_the_default():
    # case-sensitive default: "a" and "A" are different keys of the unique index
    i = jet.JetCreateInstance("u")
    jet.JetSetSystemParameter(i, None, jet.JET_paramUnicodeIndexDefault,
                              jet.JET_UNICODEINDEX(lcid=0x0409, dwMapFlags=LCMAP_SORTKEY))
    jet.JetInit(i)
    s, t, c = _unique_text_index(i)
    _insert(s, t, c, "a")
    _insert(s, t, c, "A")
    rows = jet.JetGetTableIndexInfo(s, t, "byname", jet.JET_IdxInfoList)
    assert rows[0].LCMapFlags == LCMAP_SORTKEY
    jet.JetEndSession(s, 0)
    jet.JetTerm(i)


def test_the_default_default_ignores_case(inst):
    s, t, c = _unique_text_index(inst)
    _insert(s, t, c, "a")
    with expect(jet.JET_errKeyDuplicate):
        _insert(s, t, c, "A")
    rows = jet.JetGetTableIndexInfo(s, t, "byname", jet.JET_IdxInfoList)
    assert rows[0].LCMapFlags == DEFAULT_FLAGS

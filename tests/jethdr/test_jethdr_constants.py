"""A sample of constants against the values in ESE's header, read there, not from our table.

ESE: dev/ese/published/inc/jethdr.w (and the esent.h it publishes).
"""

from __future__ import annotations

import pytest

from pyese.jethdr import constants as C

HEADER_VALUES = [
    ("JET_errSessionSharingViolation", -1910),
    ("JET_errWriteConflict", -1102),
    ("JET_errRecordNotFound", -1601),
    ("JET_errKeyDuplicate", -1605),
    ("JET_errDatabaseBufferDependenciesCorrupted", -255),
    ("JET_errColumnIllegalNull", -1504),  # = JET_errNullInvalid
    ("JET_wrnColumnNull", 1004),
    ("JET_wrnSeekNotEqual", 1039),
    ("JET_wrnRecordFoundGreater", 1039),  # = JET_wrnSeekNotEqual
    ("JET_bitCommitLazyFlush", 0x00000001),
    ("JET_bitWaitLastLevel0Commit", 0x00000002),
    ("JET_coltypLong", 4),
    ("JET_coltypLongText", 12),
    ("JET_coltypGUID", 16),
    ("JET_coltypUnsignedShort", 17),
    ("JET_MoveFirst", 0x80000000),
    ("JET_MoveLast", 0x7FFFFFFF),
    ("JET_MovePrevious", -1),
    ("JET_cbKeyMostMost", 2000),
    ("JET_cbKeyMost4KBytePage", 1000),
    ("JET_ccolMost", 0x0000FEE0),
    ("JET_ccolKeyMost", 16),
    ("JET_bitIndexUnique", 0x00000001),
    ("JET_bitIndexPrimary", 0x00000002),
    ("JET_bitIndexKeyMost", 0x00008000),
    ("JET_bitSeekGE", 0x00000008),
    ("JET_bitSetIndexRange", 0x00000020),
    ("JET_bitColumnTagged", 0x00000002),
    ("JET_bitColumnMultiValued", 0x00000400),
    ("JET_bitTableCreateFixedDDL", 0x00000001),
    ("JET_bitRetrieveCopy", 0x00000001),
    ("JET_bitSetSeparateLV", 0x00000040),
    ("JET_paramDatabasePageSize", 64),
    ("JET_paramCircularLog", 17),
    ("JET_dbstateCleanShutdown", 3),
    ("JET_objtypTable", 1),
    ("JET_OnlineDefragAll", 0xFFFF),
    ("JET_bitStopServiceResume", 0x80000000),
    ("JET_bitResizeDatabaseOnlyShrink", 0x00000002),
    ("JET_dbparamDbSizeMaxPages", 8193),
    ("JET_snpBackup", 9),
    ("JET_sntProgress", 0),
]


@pytest.mark.parametrize("name,value", HEADER_VALUES)
def test_constant_has_header_value(name, value):
    assert getattr(C, name) == value


def test_constants_are_plain_ints():
    values = [v for k, v in vars(C).items() if k.startswith("JET_")]
    assert len(values) > 1500
    assert all(type(v) is int for v in values)

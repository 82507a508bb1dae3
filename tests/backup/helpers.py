"""Helpers of the backup tests: instances in their own directory, a one-table database."""

from __future__ import annotations

import os
import re
import struct
from dataclasses import dataclass

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError


def expect(code: int):
    """``with expect(C.JET_errX):`` -- the block raises the JetError with that code."""
    return pytest.raises(JetError, match=rf"\({re.escape(str(code))}\)")


def make_instance(path: str, name: str = "i", *, init: bool = True,
                  circular: bool = False, log_kb: int = 0) -> jet.JET_INSTANCE:
    """An instance whose logs, checkpoint and temp files live in ``path``."""
    os.makedirs(path, exist_ok=True)
    inst = jet.JetCreateInstance(name)
    base = path.rstrip("/") + "/"
    jet.JetSetSystemParameter(inst, 0, C.JET_paramLogFilePath, 0, base)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramSystemPath, 0, base)
    jet.JetSetSystemParameter(inst, 0, C.JET_paramTempPath, 0, base)
    if circular:
        jet.JetSetSystemParameter(inst, 0, C.JET_paramCircularLog, 1, None)
    if log_kb:
        jet.JetSetSystemParameter(inst, 0, C.JET_paramLogFileSize, log_kb, None)
    if init:
        jet.JetInit(inst)
    return inst


@dataclass
class Db:
    """An open database with table ``t`` (``k`` Long primary key, ``v`` LongBinary)."""

    sesid: object
    dbid: object
    tableid: object
    k: int
    v: int

    def put(self, key: int, value: bytes, *, lazy: bool = False) -> None:
        jet.JetBeginTransaction(self.sesid)
        jet.JetPrepareUpdate(self.sesid, self.tableid, C.JET_prepInsert)
        jet.JetSetColumn(self.sesid, self.tableid, self.k, struct.pack("<i", key))
        jet.JetSetColumn(self.sesid, self.tableid, self.v, value)
        jet.JetUpdate(self.sesid, self.tableid)
        jet.JetCommitTransaction(self.sesid, C.JET_bitCommitLazyFlush if lazy else 0)

    def rows(self) -> dict[int, bytes]:
        return read_rows(self.sesid, self.tableid, self.k, self.v)


def read_rows(sesid: object, tableid: object, k: int, v: int) -> dict[int, bytes]:
    out: dict[int, bytes] = {}
    try:
        jet.JetMove(sesid, tableid, C.JET_MoveFirst, 0)
    except JetError as exc:
        if exc.err == C.JET_errNoCurrentRecord:
            return out
        raise
    while True:
        key = jet.JetRetrieveColumn(sesid, tableid, k)
        val = jet.JetRetrieveColumn(sesid, tableid, v)
        assert key is not None
        out[struct.unpack("<i", key)[0]] = val or b""
        try:
            jet.JetMove(sesid, tableid, C.JET_MoveNext, 0)
        except JetError as exc:
            if exc.err == C.JET_errNoCurrentRecord:
                return out
            raise


def create_db(inst: object, path: str) -> Db:
    sesid = jet.JetBeginSession(inst)
    dbid = jet.JetCreateDatabase(sesid, path)
    jet.JetBeginTransaction(sesid)
    tableid = jet.JetCreateTable(sesid, dbid, "t")
    k = jet.JetAddColumn(sesid, tableid, "k", jet.JET_COLUMNDEF(coltyp=C.JET_coltypLong))
    v = jet.JetAddColumn(sesid, tableid, "v", jet.JET_COLUMNDEF(coltyp=C.JET_coltypLongBinary))
    jet.JetCreateIndex(sesid, tableid, "pk", C.JET_bitIndexPrimary, "+k\0\0")
    jet.JetCommitTransaction(sesid, 0)
    return Db(sesid, dbid, tableid, int(k), int(v))


def open_db(inst: object, path: str) -> Db:
    sesid = jet.JetBeginSession(inst)
    w = jet.JetAttachDatabase(sesid, path)
    assert w in (0, C.JET_wrnDatabaseAttached)
    dbid = jet.JetOpenDatabase(sesid, path)
    tableid = jet.JetOpenTable(sesid, dbid, "t")
    k = jet.JetGetTableColumnInfo(sesid, tableid, "k", C.JET_ColInfo).columnid
    v = jet.JetGetTableColumnInfo(sesid, tableid, "v", C.JET_ColInfo).columnid
    return Db(sesid, dbid, tableid, int(k), int(v))


def close_db(db: Db) -> None:
    jet.JetCloseTable(db.sesid, db.tableid)
    jet.JetEndSession(db.sesid, 0)


def stream_backup(inst: object, dest: str, *, incremental: bool = False,
                  truncate: bool = True) -> jet.JET_LOGINFO:
    """A whole streaming backup into ``dest`` as a client would make one; returns the
    log range. Databases are written under their base names with a ``.pat`` beside."""
    os.makedirs(dest, exist_ok=True)
    jet.JetBeginExternalBackupInstance(inst, C.JET_bitBackupIncremental if incremental else 0)
    if not incremental:
        for path in jet.JetGetAttachInfoInstance(inst):
            _copy(inst, path, os.path.join(dest, os.path.basename(path)))
            open(os.path.join(dest, os.path.basename(path) + ".pat"), "wb").close()
    names, info = jet.JetGetLogInfoInstance2(inst)
    for name in names:
        _copy(inst, name, os.path.join(dest, os.path.basename(name)))
    if truncate:
        jet.JetTruncateLogInstance(inst)
    jet.JetEndExternalBackupInstance(inst)
    return info


def _copy(inst: object, src: str, dest: str) -> int:
    h, low, high = jet.JetOpenFileInstance(inst, src)
    n = 0
    with open(dest, "wb") as f:
        while True:
            data = jet.JetReadFileInstance(inst, h)
            if not data:
                break
            f.write(data)
            n += len(data)
    jet.JetCloseFileInstance(inst, h)
    assert n == low | (high << 32)
    return n

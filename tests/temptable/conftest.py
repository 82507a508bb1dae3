"""Fixtures of the temporary-table tests: an initialised instance and a session."""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import Any

import pytest

import pyese.jet as jet

LONG = jet.JET_coltypLong


@pytest.fixture
def inst() -> Iterator[jet.JET_INSTANCE]:
    i = jet.JetCreateInstance("tt")
    jet.JetSetSystemParameter(i, jet.JET_sesidNil, jet.JET_paramRecovery, 0, "off")
    jet.JetInit(i)
    yield i


@pytest.fixture
def ses(inst: jet.JET_INSTANCE) -> jet.JET_SESID:
    return jet.JetBeginSession(inst)


def key_payload_columns(descending: bool = False) -> list[jet.JET_COLUMNDEF]:
    """(Long key, Binary payload): the shape most tests use."""
    kg = jet.JET_bitColumnTTKey | (jet.JET_bitColumnTTDescending if descending else 0)
    return [jet.JET_COLUMNDEF(coltyp=LONG, grbit=kg),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypBinary, cbMax=255)]


def open_kp(ses: Any, grbit: int, descending: bool = False) -> tuple[Any, list[Any]]:
    return jet.JetOpenTempTable(ses, key_payload_columns(descending), grbit)


def insert(ses: Any, t: Any, ids: list[Any], key: int | None, payload: bytes = b"p") -> bytes:
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    if key is not None:
        jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", key))
    jet.JetSetColumn(ses, t, ids[1], payload)
    try:
        return jet.JetUpdate(ses, t)
    except jet.JetError:
        jet.JetPrepareUpdate(ses, t, jet.JET_prepCancel)
        raise


def current(ses: Any, t: Any, ids: list[Any]) -> tuple[int | None, bytes | None]:
    raw = jet.JetRetrieveColumn(ses, t, ids[0])
    return (struct.unpack("<i", raw)[0] if raw is not None else None,
            jet.JetRetrieveColumn(ses, t, ids[1]))


def scan(ses: Any, t: Any, ids: list[Any]) -> list[tuple[int | None, bytes | None]]:
    """Every record from MoveFirst to the end."""
    out = []
    try:
        jet.JetMove(ses, t, jet.JET_MoveFirst)
    except jet.NoCurrentRecordError:
        return out
    while True:
        out.append(current(ses, t, ids))
        try:
            jet.JetMove(ses, t, jet.JET_MoveNext)
        except jet.NoCurrentRecordError:
            return out


def seek(ses: Any, t: Any, key: int, grbit: int) -> int:
    jet.JetMakeKey(ses, t, struct.pack("<i", key), jet.JET_bitNewKey)
    return jet.JetSeek(ses, t, grbit)

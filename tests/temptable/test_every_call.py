"""Every JET function that takes a table handle, called on a temporary table's cursor in
each regime, answers with a JET error or a result, never a Python traceback: the
function tables of ESE (``sortapi.cxx`` vtfndefTTSortIns / TTSortRet / TTBase) are
applied to calls added to pyese later too."""

from __future__ import annotations

import inspect
import struct

import pytest

import pyese.jet as jet

from .conftest import key_payload_columns

SAMPLES = {
    "columnid": 1, "cRow": 1, "grbit": 0, "prep": jet.JET_prepInsert,
    "pvData": b"\1\0\0\0", "pvBookmark": b"\0\0\0\0", "szIndexName": None,
    "szColumnName": "x", "crecMax": 0, "pv": b"\1\0\0\0",
    "precpos": jet.JET_RECPOS(centriesLT=0, centriesTotal=1), "pvSecondaryKey": b"k",
    "pvPrimaryBookmark": b"b", "pretrievecolumn": [], "psetcolumn": [], "lDensity": 100,
    "szKey": "+a\0\0", "columndef": jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong),
    "szNameNew": "y", "szName": "x", "pindexcreate": [], "itagSequence": 1,
    "pindexid": None, "ls": 1, "cbtyp": jet.JET_cbtypBeforeInsert,
    "pCallback": lambda *a: 0, "pvContext": None, "hCallbackId": 1,
    "rgColumnFilters": [],
}
FUNCTIONS = []
for _name in sorted(dir(jet)):
    _f = getattr(jet, _name)
    if not _name.startswith("Jet") or not callable(_f) or _name == "JetCloseTable":
        continue
    try:
        _params = list(inspect.signature(_f).parameters.items())
    except (TypeError, ValueError):
        continue
    if len(_params) >= 2 and _params[0][0] == "sesid" and _params[1][0] == "tableid":
        FUNCTIONS.append(_name)
STATES = [("filling", jet.JET_bitTTIndexed), ("sorted", jet.JET_bitTTIndexed),
          ("sorted", jet.JET_bitTTForceMaterialization)]
"""TTSortIns, TTSortRet and TTBase."""


def _args(name: str) -> list[object] | None:
    out = []
    for pname, p in list(inspect.signature(getattr(jet, name)).parameters.items())[2:]:
        if pname in SAMPLES:
            out.append(SAMPLES[pname])
        elif p.default is inspect.Parameter.empty:
            return None
        else:
            break
    return out


@pytest.mark.parametrize("state,grbit", STATES)
def test_no_call_escapes_as_a_python_error(ses, state, grbit):
    assert len(FUNCTIONS) > 40
    escaped = []
    for name in FUNCTIONS:
        args = _args(name)
        if args is None:
            continue
        t, ids = jet.JetOpenTempTable(ses, key_payload_columns(), grbit)
        if state == "sorted":
            jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
            jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 1))
            jet.JetUpdate(ses, t)
            jet.JetMove(ses, t, jet.JET_MoveFirst)
        try:
            getattr(jet, name)(ses, t, *args)
        except jet.JetError:
            pass
        except Exception as exc:  # noqa: BLE001 - what the test looks for
            escaped.append(f"{name}: {type(exc).__name__}: {exc}")
        try:
            jet.JetCloseTable(ses, t)
        except jet.JetError:
            pass
    assert escaped == []

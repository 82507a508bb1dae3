"""dissect.esedb as a live oracle: every value of every table, canonical for comparison.

Canonical form, per column a list of values in itagSequence order ([] = NULL): Bit bool,
integers and Currency int, IEEE floats float, DateTime the raw 64-bit pattern as a signed int
(dissect's form), GUID its string, Text str, Binary hex.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from pyese.jethdr import constants as C
from pyese.values import to_python


def canon_pyese(coltyp: int, raw: bytes, cp: int) -> Any:
    """One stored value (pyese bytes) in canonical form."""
    if coltyp == C.JET_coltypDateTime:
        return struct.unpack("<q", raw)[0]
    v = to_python(coltyp, raw, cp)
    if coltyp == C.JET_coltypGUID:
        return str(v)
    if isinstance(v, bytes):
        return v.hex()
    return v


def canon_dissect(v: Any) -> list[Any]:
    if v is None:
        return []
    vals = v if isinstance(v, list) else [v]
    return [bytes(x).hex() if isinstance(x, bytes | bytearray) else
            (str(x) if type(x).__name__ == "UUID" else x) for x in vals]


def dissect_tables(path: Path, limit: int | None = None) -> dict[str, list[dict[str, list[Any]]]]:
    """{table name: first ``limit`` records as {column: canonical values}} by dissect.esedb."""
    from itertools import islice

    from dissect.esedb import EseDB

    out: dict[str, list[dict[str, list[Any]]]] = {}
    with open(path, "rb") as fh:
        db = EseDB(fh)
        for t in db.tables():
            names = [c.name for c in t.columns]
            out[t.name] = [{n: canon_dissect(r.get(n)) for n in names}
                           for r in islice(t.records(), limit)]
    return out

"""Regenerate tests/genuine/<sample>.json from the oracles (run by hand, not by pytest).

    .venv/bin/python tests/genuine/make_fixtures.py /path/to/gunzipped/edb/dir

Reads every record of every user table with dissect.esedb (all values, multi-values
included) and libesedb-python (``pyesedb``: single values only, its Python binding does not
expose multi-values), converts each value to a canonical JSON form and records where the
two disagree. Canonical form, per column a list of values in itagSequence order ([] = NULL):
Bit bool, integer types and Currency int, IEEE types float, DateTime the OLE date float,
GUID its string, Text str, Binary hex.

``expected`` is the oracles' value where they agree. Where an oracle is wrong the resolution
below names the ESE behaviour that decides it.
"""

from __future__ import annotations

import json
import struct
import sys
import uuid
from pathlib import Path

SAMPLES = ("basic", "binary", "default", "index", "multi", "text")

TEXT = (10, 12)
BINARY = (9, 11)


def _canon_dissect(coltyp: int, v):
    if v is None:
        return []
    vals = v if isinstance(v, list) else [v]
    out = []
    for x in vals:
        if coltyp == 8:  # dissect returns the DateTime double's raw int64 bits
            x = struct.unpack("<d", struct.pack("<q", x))[0]
        elif coltyp == 16:
            x = str(x)
        elif isinstance(x, bytes | bytearray):
            x = bytes(x).hex()
        out.append(x)
    return out


def _canon_libesedb(rec, i: int, coltyp: int):
    if rec.is_multi_value(i):
        return None  # not exposed by libesedb-python
    if rec.is_long_value(i):
        lv = rec.get_value_data_as_long_value(i)
        raw = lv.get_data() if lv is not None else None
    else:
        raw = rec.get_value_data(i)
    if raw is None or (raw == b"" and coltyp not in TEXT + BINARY):
        return []
    if raw == b"" and coltyp in (11, 12):
        return []  # libesedb reports an absent long value as empty data
    if coltyp == 1:
        return [rec.get_value_data_as_boolean(i)]
    if coltyp in (2, 3, 4, 5, 14, 15, 17, 18):
        fmt = {2: "<B", 3: "<h", 4: "<i", 5: "<q", 14: "<I", 15: "<q", 17: "<H", 18: "<Q"}
        return [struct.unpack(fmt[coltyp], raw)[0]]
    if coltyp in (6, 7):
        return [rec.get_value_data_as_floating_point(i)]
    if coltyp == 8:
        return [struct.unpack("<d", raw)[0]]
    if coltyp == 16:
        return [str(uuid.UUID(bytes_le=raw))]
    if coltyp in TEXT:
        return [rec.get_value_data_as_string(i)]
    return [raw.hex()]


def main(src: str) -> None:
    import pyesedb
    from dissect.esedb import EseDB

    out_dir = Path(__file__).parent
    for name in SAMPLES:
        path = Path(src) / f"{name}.edb"
        db = EseDB(path.open("rb"))
        dtable = db.table(name)
        lf = pyesedb.file()
        lf.open(str(path))
        ltable = lf.get_table_by_name(name)
        records = []
        disagreements = []
        for n, drec in enumerate(dtable.records()):
            lrec = ltable.get_record(n)
            row = {}
            for i, col in enumerate(dtable.columns):
                d = _canon_dissect(int(col.type), drec.get(col.name))
                lv = _canon_libesedb(lrec, i, int(col.type))
                row[col.name] = d
                if lv is not None and lv != d:
                    disagreements.append({"record": n, "column": col.name,
                                          "dissect": d, "libesedb": lv})
            records.append(row)
        doc = {"sample": name, "table": name, "oracles": ["dissect.esedb 3.18",
               f"libesedb-python {pyesedb.get_version()}"],
               "records": records, "disagreements": disagreements}
        (out_dir / f"{name}.json").write_text(json.dumps(doc, indent=1, ensure_ascii=False) + "\n")
        print(name, len(records), "records,", len(disagreements), "disagreements")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/edb")

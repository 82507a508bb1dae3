"""Windows 11 23H2+ catalogs, and catalogs from Windows versions pyese does not know yet.

ESE's MSysObjects (``cat.hxx`` fidMSO_*, ``_cat.cxx`` rgcdescMSO) has 13 fixed columns since
Windows 11 23H2: ``PgnoFDPLastSetTime`` (fid 13, fidMSO_FixedLast, iMSO 28), a FILETIME
written when ``JET_paramFlight_EnablePgnoFDPLastSetTime`` is on. The genuine
``qmgr-win11-24h2.db`` (BITS, Windows 11 24H2, 16 KiB pages) carries it in every catalog
row; its own catalog rows describe it as JET_coltypDateTime, 8 bytes.

A catalog row with columns rgcdescMSO does not define (a future Windows' additions) still
loads: the unknown columns are skipped and counted (``Catalog.unknown_columns``), as
``check`` reports them.
"""

from __future__ import annotations

import datetime as dt
import struct
from itertools import islice
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.records.record import CB_RECORD_HEADER
from pyese.engine.schema.catalog import Catalog
from pyese.engine.schema.sysobjects import (
    MSO_COLUMNS,
    decode_row,
    encode_row,
    fidMSO_PgnoFDPLastSetTime,
    read_catalog,
    sysobjColumn,
    sysobjTable,
)
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from pyese.values import filetime_to_datetime
from tests.genuine.oracle import canon_pyese, dissect_tables
from tests.genuine.samples import SAMPLES_DIR, gunzip_real_world


@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_real_world(tmp_path_factory.mktemp("real"))


def test_rgcdescmso_has_every_column_ese_ever_added() -> None:
    # cat.hxx: fixed 1..fidMSO_FixedLast (13), var 128..fidMSO_VarLast (137),
    # tagged 256..fidMSO_TaggedLast (261); idataMSOMax = 29 columns
    fids = sorted(c.columnid for c in MSO_COLUMNS)
    assert fids == list(range(1, 14)) + list(range(128, 138)) + list(range(256, 262))
    assert len(MSO_COLUMNS) == 29
    assert MSO_COLUMNS[28].name == "PgnoFDPLastSetTime"  # iMSO_PgnoFDPLastSetTime = 28


def test_win11_24h2_catalog_loads_with_its_13th_fixed_column(real: dict[str, Path]) -> None:
    with EdbFile.open(real["qmgr"]) as edb:
        snap = edb.snapshot()
        catalog = Catalog.load(snap, edb.page_size)
        assert catalog.unknown_columns == {}
        assert {"Jobs", "Files"} <= set(catalog.names())
        stamped = 0
        for _, data in snap.iterate(2):
            row = decode_row(data, edb.page_size)
            ft = row.get("PgnoFDPLastSetTime")
            if ft:
                when = filetime_to_datetime(int(ft))  # type: ignore[arg-type]
                assert dt.datetime(2024, 1, 1) < when.replace(tzinfo=None) < dt.datetime(
                    2025, 1, 1)
                stamped += 1
        assert stamped > 0
        # the file's own description of MSysObjects agrees with rgcdescMSO's 13th column
        mso = catalog.table("MSysObjects")
        col = mso.column("PgnoFDPLastSetTime")
        assert col.columnid == fidMSO_PgnoFDPLastSetTime
        assert col.coltyp == C.JET_coltypDateTime


@pytest.mark.parametrize("short", ["qmgr", "srudb"])
def test_every_value_equals_dissect(real: dict[str, Path], short: str) -> None:
    pytest.importorskip("dissect.esedb")
    limit = 400 if short == "srudb" else None  # SRUDB: the first 400 of each table (speed)
    expected = dissect_tables(real[short], limit)
    compared = 0
    with EdbFile.open(real[short]) as edb:
        snap = edb.snapshot()
        catalog = Catalog.load(snap, edb.page_size)
        assert sorted(expected) == sorted(catalog.names())
        for name, records in expected.items():
            table = catalog.table(name)
            got = [
                {c.name: [canon_pyese(c.coltyp, b, c.cp) for b in v.values(c.columnid)]
                 for c in table.column_list()}
                for v in islice(TableReader(snap, table).records(), limit)
            ]
            assert len(got) == len(records), name
            for g, e in zip(got, records):
                for col, values in e.items():
                    assert g[col] == values, (name, col)
                    compared += len(values)
    assert compared > (1000 if short == "qmgr" else 20_000)


def test_jet_api_attaches_and_reads_a_win11_file(real: dict[str, Path]) -> None:
    inst = jet.JetCreateInstance("w11")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        path = str(real["qmgr"])
        jet.JetAttachDatabase(s, path, jet.JET_bitDbReadOnly)
        db = jet.JetOpenDatabase(s, path)
        t = jet.JetOpenTable(s, db, "Jobs", None, jet.JET_bitTableReadOnly)
        jet.JetMove(s, t, jet.JET_MoveFirst)
        cid = jet.JetGetTableColumnInfo(s, t, "Id", jet.JET_ColInfo).columnid
        assert len(jet.JetRetrieveColumn(s, t, cid)) == 16
        jet.JetCloseTable(s, t)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm(inst)


# ------------------------------------------------------------------ unknown columns


def _future_row(page_size: int, *, fixed: bool, var: bool, tagged: bool) -> bytes:
    """A table row as a later catalog would write it: known columns + unknown ones."""
    base = encode_row({"ObjidTable": 9, "Type": sysobjTable, "Id": 9, "Name": "T",
                       "ColtypOrPgnoFDP": 40, "SpaceUsage": 80, "Flags": 0,
                       "PagesOrLocale": 1, "RootFlag": 1, "PgnoFDPLastSetTime": 7},
                      page_size)
    ffl, fvl, ib_end = struct.unpack_from("<BBH", base)
    assert ffl == 13
    fixed_data = base[CB_RECORD_HEADER:ib_end - 2]
    bitmap = bytearray(base[ib_end - 2:ib_end])
    rest = base[ib_end:]
    if fixed:  # fid 14, 4 bytes, not null: bitmap grows to cover it (still 2 bytes)
        fixed_data += b"\x11\x22\x33\x44"
        bitmap[1] &= ~(1 << 5) & 0xFF
        ffl = 14
    # variable area: offsets for 128..fvl, then data
    cvar = fvl - 127
    offs = list(struct.unpack_from(f"<{cvar}H", rest))
    vdata = rest[2 * cvar:2 * cvar + (offs[-1] & 0x7FFF)]
    tag_area = rest[2 * cvar + (offs[-1] & 0x7FFF):]
    if var:  # unknown fid 138 (after SortID 137): NULL 129..137, a value at 138
        last = offs[-1] & 0x7FFF
        offs += [last | 0x8000] * (137 - fvl) + [last + 3]
        vdata += b"new"
        fvl = 138
    if tagged:  # unknown tagged fid 262 with a 2-byte value (small page: no header)
        assert tag_area == b""
        tag_area = struct.pack("<HH", 262, 4) + b"\xab\xcd"
    hdr = struct.pack("<BBH", ffl, fvl, CB_RECORD_HEADER + len(fixed_data) + len(bitmap))
    return hdr + fixed_data + bytes(bitmap) + struct.pack(f"<{len(offs)}H", *offs) + vdata \
        + tag_area


@pytest.mark.parametrize("kinds", [(1, 0, 0), (0, 1, 0), (0, 0, 1), (1, 1, 1)])
def test_a_row_with_unknown_columns_still_loads(kinds: tuple[int, int, int]) -> None:
    fixed, var, tagged = map(bool, kinds)
    data = _future_row(4096, fixed=fixed, var=var, tagged=tagged)
    row = decode_row(data, 4096)
    assert (row.objid_table, row.sysobj, row.name) == (9, sysobjTable, "T")
    assert row.get("PgnoFDPLastSetTime") == 7
    assert row.get("ColtypOrPgnoFDP") == 40
    want = [f for f, k in ((14, fixed), (138, var), (262, tagged)) if k]
    assert list(row.unknown) == want
    col = encode_row({"ObjidTable": 9, "Type": sysobjColumn, "Id": 1, "Name": "c",
                      "ColtypOrPgnoFDP": C.JET_coltypLong, "SpaceUsage": 4, "Flags": 0,
                      "PagesOrLocale": 0}, 4096)
    unknown: dict[int, int] = {}
    schemas = read_catalog([data, col], 4096, unknown)
    assert schemas["T"].table.pgno_fdp == 40
    assert 1 in schemas["T"].columns
    assert unknown == dict.fromkeys(want, 1)


def test_a_truncated_catalog_row_is_corruption_not_a_crash() -> None:
    data = _future_row(4096, fixed=True, var=True, tagged=True)
    for cut in range(len(data)):
        try:
            decode_row(data[:cut], 4096)
        except JetError as err:
            assert err.err == C.JET_errDatabaseCorrupted

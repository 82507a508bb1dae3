"""RowDecoder (engine/genuine/rowdecode.py) gives what the per-column path gives.

The per-column path is ``RecordView.values`` (``RecordLayout.retrieve_ex`` per value) and,
typed, ``pyese.values.to_python`` per value: the whole-record decoder must return the same
values, defaults and NULLs for every record of the genuine samples, in any column order,
and reach the same verdict on damaged records (a JetError, or the same values).
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese.engine.cursors.tablescan import RecordView, TableReader
from pyese.engine.genuine.rowdecode import RowDecoder, resolver
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from pyese.typedvalues import PYTHON_VALUES
from pyese.values import to_python
from tests.genuine.samples import REAL_WORLD, SAMPLES, SAMPLES_DIR

FILES = [f"{n}.edb" for n in SAMPLES] + sorted(REAL_WORLD.values())
PER_TABLE = 150
"""Records compared per table (SRUM tables hold thousands; the first ones suffice)."""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("rowdecode")
    paths = {}
    for name in FILES:
        p = out / name
        p.write_bytes(gzip.decompress((SAMPLES_DIR / f"{name}.gz").read_bytes()))
        paths[name] = p
    return paths


def _per_column(view: RecordView, columns: list, typed: bool) -> list:
    """The per-column path's value of each column, shaped as RowDecoder shapes it."""
    out = []
    for col in columns:
        vals = view.values(col.columnid)
        if typed:
            vals = [to_python(col.coltyp, v, col.cp) for v in vals]
        multi = bool(col.grbit & C.JET_bitColumnMultiValued)
        if not vals:
            out.append(None)
        elif len(vals) == 1 and not multi:
            out.append(vals[0])
        else:
            out.append(vals)
    return out


def _tables(path: Path) -> Iterator[tuple[TableReader, list]]:
    with EdbFile.open(path) as edb:
        snap = edb.snapshot()
        for table in Catalog.load(snap, edb.page_size):
            yield TableReader(snap, table), table.column_list()


@pytest.mark.parametrize("name", FILES)
def test_every_record_decodes_as_the_per_column_path(files: dict[str, Path], name: str) -> None:
    compared = 0
    for reader, columns in _tables(files[name]):
        orders = [columns, columns[::-1], columns[1::3]]
        decoders = [(RowDecoder(reader.layout, cols,
                                typing=PYTHON_VALUES if typed else None), cols, typed)
                    for cols in orders for typed in (False, True)]
        resolve = resolver(reader.lv)
        for i, view in enumerate(reader.records()):
            if i >= PER_TABLE:
                break
            for dec, cols, typed in decoders:
                assert dec.values(view.data, resolve) == _per_column(view, cols, typed), (
                    name, reader.table.name, i)
                compared += len(cols)
    assert compared > 0


def _verdict(fn) -> object:
    try:
        return fn()
    except JetError as err:
        return ("JetError", err.err)


@pytest.fixture(scope="module")
def user_tables(files: dict[str, Path]) -> Iterator[dict[str, tuple]]:
    """{sample: (reader, columns, views)} of the samples' user tables, files kept open."""
    out = {}
    opened = []
    for name in ("basic", "multi", "text", "binary"):
        edb = EdbFile.open(files[f"{name}.edb"])
        opened.append(edb)
        snap = edb.snapshot()
        table = Catalog.load(snap, edb.page_size).table(name)
        reader = TableReader(snap, table)
        out[name] = (reader, table.column_list(), list(reader.records()))
    yield out
    for edb in opened:
        edb.close()


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_damaged_records_get_the_per_column_verdict(user_tables: dict[str, tuple],
                                                   data) -> None:
    # every damage ends in a JetError or in values, never another exception; where the
    # per-column path reads every column without error, the decoder gives its values
    name = data.draw(st.sampled_from(sorted(user_tables)))
    reader, columns, views = user_tables[name]
    view = views[data.draw(st.integers(0, len(views) - 1))]
    rec = bytearray(view.data)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["byte", "cut"]))
        if kind == "byte" and rec:
            rec[data.draw(st.integers(0, len(rec) - 1))] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del rec[data.draw(st.integers(0, len(rec))):]
    damaged = reader.view(view.bookmark, bytes(rec))
    dec = RowDecoder(reader.layout, columns)
    got = _verdict(lambda: dec.values(damaged.data, resolver(reader.lv)))
    want = _verdict(lambda: _per_column(damaged, columns, False))
    assert isinstance(got, list) or got[0] == "JetError"  # type: ignore[index]
    if isinstance(want, list):
        assert got == want

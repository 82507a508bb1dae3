"""The ``dump`` path decodes records a batch at a time: exactly what it gave one at a time.

``cli_forensic.typed_rows`` decodes :data:`~pyese.cli_forensic.BATCH` records per
``RowDecoder.values_many`` call (DateTime columns through ``pyese._codec.ole_datetime``)
and falls back to one record at a time for a batch holding a record that does not decode.
Here its rows, skip reports and errors, in order, are compared with the path it replaced
(written out below: ``RowDecoder.values`` per record with ``typedvalues.PYTHON_VALUES``):
every table of every genuine sample and of the real-world files, with and without the
dump's options, and with records damaged (bytes set, truncated, garbage headers) and a
walk that fails part-way, strict and ``--tolerant``.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pyese.cli_forensic import BATCH, MARK, _utc, typed_rows
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.genuine.rowdecode import RowDecoder, resolver
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb import EdbFile
from pyese.typedvalues import PYTHON_VALUES
from pyese.values import filetime_to_datetime
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_real_world, gunzip_samples

pytestmark = pytest.mark.skipif(not SAMPLES_DIR.is_dir(), reason="genuine samples not present")

Event = tuple[str, Any]


def _canon(row: dict[str, Any]) -> list[tuple[str, str, str]]:
    """A row with each value's type: ``1 == True``, ``nan != nan`` must not hide a change."""
    return [(k, type(v).__name__, repr(v)) for k, v in row.items()]


def reference(reader: Any, columns: list[Any], events: list[Event], *,
              filetime: frozenset[str] = frozenset(), tolerant: bool = False,
              keep_nuls: bool = True, utf16: frozenset[str] = frozenset(),
              mark: bool = False) -> None:
    """The one-record-at-a-time ``typed_rows`` this change replaced, its rows, skips and
    error appended to ``events`` in order."""
    decoder = RowDecoder(reader.layout, columns, typing=PYTHON_VALUES)
    names = [col.name for col in columns]
    posts: list[tuple[int, Callable[[Any], Any]]] = []
    for pos, col in enumerate(columns):
        name = col.name.lower()
        if name in filetime:
            posts.append((pos, lambda v: _utc(filetime_to_datetime(v))
                          if isinstance(v, int) else v))
        elif name in utf16:
            posts.append((pos, lambda v: v.decode("utf-16-le", "replace").rstrip("\x00")
                          if isinstance(v, bytes) else v))
        elif not keep_nuls and col.coltyp in (C.JET_coltypText, C.JET_coltypLongText):
            posts.append((pos, lambda v: v.rstrip("\x00")))
    resolve = resolver(reader.lv)
    try:
        for view in reader.records():
            try:
                vals = decoder.values(view.data, resolve)
                for pos, fn in posts:
                    v = vals[pos]
                    if v is not None:
                        vals[pos] = [fn(x) for x in v] if isinstance(v, list) else fn(v)
                row = dict(zip(names, vals))
                if mark:
                    row[MARK] = getattr(view, "status", "live")
            except JetError as err:
                if not tolerant:
                    raise
                events.append(("skip", f"skipped record {view.bookmark.hex()}: {err}"))
                continue
            events.append(("row", _canon(row)))
    except JetError as err:
        events.append(("error", str(err)))


def batched(reader: Any, columns: list[Any], events: list[Event], **opts: Any) -> None:
    """``typed_rows``' rows, skips and error appended to ``events`` in order."""
    try:
        for row in typed_rows(reader, columns, on_skip=lambda m: events.append(("skip", m)),
                              **opts):
            events.append(("row", _canon(row)))
    except JetError as err:
        events.append(("error", str(err)))


def _options(table: Any) -> dict[str, Any]:
    """Every option of the dump at once: FILETIME on the 64-bit integer columns, UTF-16
    on the binary ones, NULs cut, records marked."""
    cols = table.column_list()
    return {
        "filetime": frozenset(c.name.lower() for c in cols
                              if c.coltyp in (C.JET_coltypLongLong, C.JET_coltypCurrency)),
        "utf16": frozenset(c.name.lower() for c in cols
                           if c.coltyp in (C.JET_coltypBinary, C.JET_coltypLongBinary)),
        "keep_nuls": False, "mark": True,
    }


class Damaged(TableReader):
    """A table's records with some damaged (``damage``: record index -> new bytes), and
    optionally a walk that fails with ``JET_errReadVerifyFailure`` after ``fail_after``."""

    damage: dict[int, bytes]
    fail_after: int | None

    def records(self, start: bytes = b"", stop: bytes | None = None) -> Iterator[Any]:
        for i, view in enumerate(TableReader.records(self, start, stop)):
            if self.fail_after is not None and i == self.fail_after:
                raise_error(C.JET_errReadVerifyFailure, "page damaged (test)")
            data = self.damage.get(i)
            yield view if data is None else self.view(view.bookmark, data)


def _mutate(rng: random.Random, data: bytes) -> bytes:
    """One damage of a record, as the fuzzer makes them (tests/genuine/fuzz.py)."""
    kind = rng.randrange(4)
    if kind == 0 and data:
        return data[:rng.randrange(len(data))]  # truncated
    if kind == 1:
        return bytes([rng.randrange(256) for _ in range(4)]) + data[4:]  # garbage header
    if kind == 2 and data:
        b = bytearray(data)
        for _ in range(3):
            b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    return data + bytes(rng.randrange(256) for _ in range(rng.randrange(1, 9)))  # extended


def _files(tmp_path: Path) -> list[Path]:
    out = gunzip_samples(tmp_path)
    files = [out / f"{name}.edb" for name in SAMPLES]
    files += [p for p in gunzip_real_world(tmp_path).values() if p.exists()]
    return [p for p in files if p.exists()]


def test_every_table_gives_the_rows_it_gave(tmp_path: Path) -> None:
    tables = records = 0
    for path in _files(tmp_path):
        with EdbFile.open(path) as edb:
            snap = edb.snapshot()
            for table in Catalog.load(snap, edb.page_size):
                cols = table.column_list()
                for opts in ({}, _options(table)):
                    want: list[Event] = []
                    got: list[Event] = []
                    reference(TableReader(snap, table), cols, want, **opts)
                    batched(TableReader(snap, table), cols, got, **opts)
                    assert got == want, (path.name, table.name, opts)
                tables += 1
                records += sum(1 for e in want if e[0] == "row")
    assert tables >= 40 and records > 2 * BATCH  # batches of several pages were compared


@pytest.mark.parametrize("tolerant", [True, False])
def test_damaged_records_give_the_same_rows_skips_and_errors(tmp_path: Path,
                                                             tolerant: bool) -> None:
    rng = random.Random(20261202)
    compared = skips = 0
    for path in _files(tmp_path):
        with EdbFile.open(path) as edb:
            snap = edb.snapshot()
            for table in Catalog.load(snap, edb.page_size):
                n = sum(1 for _ in TableReader(snap, table).records())
                if not n:
                    continue
                for trial in range(3):
                    damage = {i: _mutate(rng, view.data)
                              for i, view in enumerate(TableReader(snap, table).records())
                              if rng.random() < 0.05 or i == trial * BATCH}
                    fail_after = rng.randrange(n + 1) if trial == 2 else None
                    opts = _options(table) if trial == 1 else {}
                    want: list[Event] = []
                    got: list[Event] = []
                    for out, fn in ((want, reference), (got, batched)):
                        reader = Damaged(snap, table)
                        reader.damage, reader.fail_after = damage, fail_after
                        fn(reader, table.column_list(), out, tolerant=tolerant, **opts)
                    assert got == want, (path.name, table.name, trial)
                    compared += 1
                    skips += sum(1 for e in want if e[0] == "skip")
    assert compared > 30
    if tolerant:
        assert skips > 10  # the damage reached the decoder, and was skipped alike

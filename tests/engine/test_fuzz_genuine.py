"""Damaged genuine files never crash a read path: only JetErrors (issue 14).

A short, fixed-seed run of the fuzzer in ``tests/genuine/fuzz.py`` over the shared samples
(records, leaf nodes, page headers and TAG arrays, database headers, single-bit rot), in strict
and tolerant mode; the long run is ``tools/fuzz_edb.py --seed N --minutes M``. Plus the
targeted cases the issue reported: garbage record headers, offsets past the record, a
damaged LID reference.
"""

from __future__ import annotations

import random
import signal
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from pyese.cli import typed_rows
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.records.record import LID64_FLAG, lv_root_key
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from tests.genuine.fuzz import KINDS, Sample, load_sample, read_record, run_case
from tests.genuine.samples import SAMPLES_DIR


@pytest.fixture(scope="module")
def samples() -> list[Sample]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    names = ("basic", "binary", "multi", "text", "index", "qmgr-win11-24h2")
    return [load_sample(p) for p in sorted(SAMPLES_DIR.glob("*.gz"))
            if p.name.split(".")[0] in names]


@pytest.fixture
def alarm() -> Iterator[None]:
    """A case running 20 s is a hang: SIGALRM turns it into a failure."""
    def hang(_s: int, _f: object) -> None:
        raise AssertionError("fuzz case hung")
    old = signal.signal(signal.SIGALRM, hang)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


@seed(14)
@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(case_seed=st.integers(0, 2**64 - 1),
       kind=st.sampled_from([k for k in KINDS if k != "jet"]))
def test_fuzz_every_read_path_raises_only_jet_errors(
    samples: list[Sample], alarm: None, tmp_path_factory: pytest.TempPathFactory,
    case_seed: int, kind: str,
) -> None:
    signal.alarm(20)
    out = run_case(random.Random(case_seed), samples, kind,
                   tmp_path_factory.getbasetemp() / "fuzz.edb")
    signal.alarm(0)
    assert out.finding is None, out.finding


@pytest.mark.parametrize("case_seed", [1, 2])
def test_fuzz_the_jet_api_raises_only_jet_errors(
    samples: list[Sample], alarm: None, tmp_path: Path, case_seed: int,
) -> None:
    signal.alarm(30)
    out = run_case(random.Random(case_seed), samples, "jet", tmp_path / "fuzz.edb")
    signal.alarm(0)
    assert out.finding is None, out.finding


def _sample_table(samples: list[Sample], tmp_path: Path, name: str):
    s = next(x for x in samples if x.name.startswith(name))
    p = tmp_path / s.name
    p.write_bytes(s.raw)
    edb = EdbFile.open(p)
    snap = edb.snapshot()
    return edb, snap, Catalog.load(snap, edb.page_size).table(name)


@pytest.mark.parametrize("header", [b"\xff\xff\xff\xff", b"\x00\x00\x00\x00",
                                    b"\x7f\x80\x10\x00", b"\x03\xff\x00\x01"])
def test_garbage_record_headers_are_corruption(samples, tmp_path, header: bytes) -> None:
    edb, snap, table = _sample_table(samples, tmp_path, "multi")
    with edb:
        reader = TableReader(snap, table)
        view = next(reader.records())
        bad = reader.view(view.bookmark, header + view.data[4:])
        with pytest.raises(JetError) as ei:
            read_record(table, bad)
        assert ei.value.err == C.JET_errDatabaseCorrupted


def test_every_truncation_of_every_record_is_corruption_or_a_value(samples, tmp_path) -> None:
    for name in ("multi", "binary", "text"):
        edb, snap, table = _sample_table(samples, tmp_path, name)
        with edb:
            reader = TableReader(snap, table)
            for view in reader.records():
                for cut in range(0, len(view.data), max(1, len(view.data) // 40)):
                    try:
                        read_record(table, reader.view(b"", view.data[:cut]))
                    except JetError as err:
                        assert err.err in (C.JET_errDatabaseCorrupted, C.JET_errLVCorrupted,
                                           C.JET_errDecompressionFailed,
                                           C.JET_errInvalidBufferSize), err


def test_a_damaged_lid_reference_is_corruption() -> None:
    # lv.hxx: a LID is a LID32 (< 2^31) or a LID64 with its high bit set
    assert lv_root_key(5) == b"\x00\x00\x00\x05"
    assert lv_root_key(LID64_FLAG | 5) == struct.pack(">Q", LID64_FLAG | 5)
    for bad in (1 << 40, -1, 1 << 70):
        with pytest.raises(JetError) as ei:
            lv_root_key(bad)
        assert ei.value.err == C.JET_errDatabaseCorrupted


def test_tolerant_rows_skip_and_report_a_damaged_record(samples, tmp_path) -> None:
    edb, snap, table = _sample_table(samples, tmp_path, "basic")
    with edb:
        reader = TableReader(snap, table)

        class Damaged(TableReader):
            def records(self, start=b"", stop=None):  # type: ignore[override]
                for i, view in enumerate(reader.records(start, stop)):
                    yield view if i else self.view(view.bookmark, b"\xff\xff" + view.data[2:])

        skipped: list[str] = []
        rows = list(typed_rows(Damaged(snap, table), table.column_list(), tolerant=True,
                               on_skip=skipped.append))
        assert len(rows) == 1
        assert len(skipped) == 1 and "JET_errDatabaseCorrupted" in skipped[0]
        with pytest.raises(JetError):
            list(typed_rows(Damaged(snap, table), table.column_list()))

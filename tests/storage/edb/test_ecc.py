"""Single-bit rot corrected by ESE's ECC checksum, in memory (issue 14).

ESE (``checksumu.cxx`` ChecksumAndPossiblyFixPage / TryFixPage / FTryFixBlock, ``checksum.cxx``
FECCErrorIsCorrectable / IbitCorrupted) corrects one flipped bit per checksum block of a page
in the new checksum format as it reads it: the ECC half of the checksum addresses the bit.
pyese does the same on its in-memory copy; the file is never written; the correction is
reported in ``EdbFile.corrected_pages``. Two flipped bits in one block, a flip of the
checksum-format flag, or a page in the old format are not correctable: JET_errReadVerifyFailure.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile, Page
from pyese.storage.edb.checksum import IBIT_NEW_CHECKSUM_FORMAT_FLAG, fix_page

SAMPLES = Path("/work/shared/testdata/edb")


def _raw(name: str) -> bytes:
    p = SAMPLES / f"{name}.gz"
    if not p.is_file():
        pytest.skip("genuine ESE samples not available")
    return gzip.decompress(p.read_bytes())


def _pages(raw: bytes, cb: int) -> list[int]:
    out = []
    for pgno in range(1, len(raw) // cb - 1):
        buf = raw[(pgno + 1) * cb:(pgno + 2) * cb]
        if any(buf) and int.from_bytes(buf[36:40], "little") & 0x2000:
            out.append(pgno)
    return out


@pytest.mark.parametrize(("name", "cb"), [("basic.edb", 4096), ("qmgr-win11-24h2.db", 16384)])
def test_every_single_bit_flip_is_corrected(name: str, cb: int) -> None:
    raw = _raw(name)
    rng = random.Random(14)
    pages = _pages(raw, cb)
    for pgno in rng.sample(pages, 4):
        good = raw[(pgno + 1) * cb:(pgno + 2) * cb]
        for ibit in rng.sample(range(8 * cb), 150) + [0, 63, 64, 8 * 40 + 5, 8 * cb - 1]:
            if ibit == IBIT_NEW_CHECKSUM_FORMAT_FLAG:
                continue
            bad = bytearray(good)
            bad[ibit >> 3] ^= 1 << (ibit & 7)
            if ibit < 64:
                # the header block's own stored checksum: its ECC half still matches, so
                # FECCErrorIsCorrectable says no (ESE refuses the page)
                with pytest.raises(JetError) as ei:
                    Page(bytes(bad), pgno)
                assert ei.value.err == C.JET_errReadVerifyFailure
                continue
            page = Page(bytes(bad), pgno)  # verifies: corrected, not refused
            assert page._buf == good, (pgno, ibit)
            # a flip in a large page's stored checksums of blocks 1-3 is corrected through
            # the header block, which covers them (TryFixPage fixes the expected value)
            assert page.corrected_bit == ibit


def test_two_flips_in_one_block_and_the_format_flag_are_not_correctable() -> None:
    raw = _raw("basic.edb")
    pgno = _pages(raw, 4096)[3]
    good = raw[(pgno + 1) * 4096:(pgno + 2) * 4096]
    bad = bytearray(good)
    bad[100] ^= 0x01
    bad[2000] ^= 0x10
    assert fix_page(bytearray(bad), pgno) is None
    with pytest.raises(JetError) as ei:
        Page(bytes(bad), pgno)
    assert ei.value.err == C.JET_errReadVerifyFailure
    flag = bytearray(good)
    flag[IBIT_NEW_CHECKSUM_FORMAT_FLAG >> 3] ^= 1 << (IBIT_NEW_CHECKSUM_FORMAT_FLAG & 7)
    with pytest.raises(JetError) as ei:
        Page(bytes(flag), pgno)
    assert ei.value.err == C.JET_errReadVerifyFailure


def test_large_pages_correct_one_bit_per_block() -> None:
    raw = _raw("qmgr-win11-24h2.db")
    cb = 16384
    pgno = _pages(raw, cb)[5]
    good = raw[(pgno + 1) * cb:(pgno + 2) * cb]
    bad = bytearray(good)
    for blk in range(4):
        bad[blk * 4096 + 1000] ^= 0x04
    assert Page(bytes(bad), pgno)._buf == good


def test_rot_is_corrected_in_memory_reported_and_never_written(tmp_path: Path) -> None:
    raw = bytearray(_raw("multi.edb"))
    p = tmp_path / "multi.edb"
    p.write_bytes(raw)
    with EdbFile.open(p) as edb:
        snap = edb.snapshot()
        table = Catalog.load(snap, edb.page_size).table("multi")
        expected = [v.data for v in TableReader(snap, table).records()]
        leaf = next(pg.pgno for pg in edb.tree_pages(table.objid) if pg.is_leaf)
    off = (leaf + 1) * 4096 + 3000
    raw[off] ^= 0x20
    p.write_bytes(raw)
    before = p.read_bytes()
    with EdbFile.open(p) as edb:
        snap = edb.snapshot()
        table = Catalog.load(snap, edb.page_size).table("multi")
        assert [v.data for v in TableReader(snap, table).records()] == expected
        assert edb.corrected_pages == {leaf: 3000 * 8 + 5}
    assert p.read_bytes() == before

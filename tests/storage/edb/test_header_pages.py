"""Header election, page verification and checksums on genuine Windows databases."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile, Page, read_header
from pyese.storage.edb.checksum import (
    checksum_new_format,
    checksum_old_format,
    page_checksums,
)
from pyese.storage.edb.page import fPageNewChecksumFormat

SAMPLES = ("basic", "binary", "default", "index", "multi", "text")


@pytest.mark.parametrize("name", SAMPLES)
def test_header_fields(edb_dir: Path, expected: dict, name: str) -> None:
    exp = expected["samples"][name]
    hdr = read_header(edb_dir / f"{name}.edb")
    assert hdr.page_size == exp["page_size"] == 4096
    assert hdr.dbstate == C.JET_dbstateCleanShutdown == exp["dbstate"]
    assert hdr.is_clean and not hdr.is_dirty
    assert hdr.creation_time == dt.datetime.fromisoformat(exp["creation_time"])
    assert hdr.format_version == exp["format_version"] == "0x620,20"
    assert hdr.objid_last == exp["objid_last"]
    assert not hdr.primary_bad and not hdr.shadow_bad
    info = hdr.as_dict()
    assert info["dbstate"] == "JET_dbstateCleanShutdown" and info["page_size"] == 4096
    assert "JET_dbstateCleanShutdown" in str(hdr)
    # a clean database: consistent position == detach position (libesedb format doc, notes)
    assert hdr.lgpos_consistent == hdr.lgpos_detach


def test_header_matches_dissect(edb_dir: Path) -> None:
    esedb = pytest.importorskip("dissect.esedb.c_esedb")
    for name in SAMPLES:
        raw = (edb_dir / f"{name}.edb").read_bytes()
        theirs = esedb.c_esedb.DBFILEHDR(raw)
        ours = read_header(edb_dir / f"{name}.edb")
        assert ours.dbstate == theirs.dbstate
        assert ours.objid_last == theirs.objidLast
        assert ours.update_major == theirs.ulDaeUpdateMajor
        assert ours.signature.random == theirs.signDb.ulRandom
        assert ours.dbtime_dirtied == theirs.dbtimeDirtied


def test_primary_header_bad_falls_back_to_shadow(edb_dir: Path, tmp_path: Path) -> None:
    # ESE: fileu.cxx ErrUtilReadSpecificShadowedHeader -> shadowedHeaderPrimaryBad
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    raw[100] ^= 0xFF
    p = tmp_path / "primary_bad.edb"
    p.write_bytes(raw)
    hdr = read_header(p)
    assert hdr.primary_bad and not hdr.shadow_bad
    assert hdr.dbstate == C.JET_dbstateCleanShutdown
    raw[4096 + 100] ^= 0xFF  # both bad -> JET_errReadVerifyFailure
    p.write_bytes(raw)
    with pytest.raises(JetError) as ei:
        read_header(p)
    assert ei.value.err == C.JET_errReadVerifyFailure


def test_shadow_bad_reported(edb_dir: Path, tmp_path: Path) -> None:
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    raw[4096 + 200] ^= 0x01
    p = tmp_path / "shadow_bad.edb"
    p.write_bytes(raw)
    hdr = read_header(p)
    assert hdr.shadow_bad and not hdr.primary_bad


@pytest.mark.parametrize("name", SAMPLES)
def test_every_initialised_page_verifies(edb_dir: Path, name: str) -> None:
    with EdbFile.open(edb_dir / f"{name}.edb") as edb:
        n_ok = 0
        for pgno, page in edb.iterate_pages():
            if isinstance(page, Page):
                n_ok += 1
                assert page.flags & fPageNewChecksumFormat
            else:
                # ESE: cpage.cxx ErrCheckForUninitializedPage_ (all-zero page)
                assert page.err == C.JET_errPageNotInitialized, (pgno, page)
        assert n_ok > 20


def test_flipped_byte_is_read_verify_failure_naming_the_page(edb_dir: Path, tmp_path: Path) -> None:
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    pgno = 13  # a leaf of MSysObjects
    # two bits in one block: beyond ESE's ECC (a single flipped bit is corrected, test_ecc.py)
    raw[(pgno + 1) * 4096 + 1000] ^= 0x11
    p = tmp_path / "flipped.edb"
    p.write_bytes(raw)
    with EdbFile.open(p) as edb:
        with pytest.raises(JetError) as ei:
            edb.read_page(pgno)
        # ESE: cpage.cxx ErrValidatePage -> ErrReadVerifyFailure_
        assert ei.value.err == C.JET_errReadVerifyFailure
        assert f"page {pgno}" in str(ei.value)
        with pytest.raises(JetError) as ei:
            list(edb.snapshot().iterate(2))
        assert ei.value.err == C.JET_errReadVerifyFailure
    with EdbFile.open(p, tolerant=True) as edb:
        nodes = list(edb.snapshot().iterate(2))
        assert [s.pgno for s in edb.skipped_pages] == [pgno]
        assert edb.skipped_pages[0].err == C.JET_errReadVerifyFailure
        # page 14 (the other leaf) is still read
        assert len(nodes) == 87 - 59


def test_old_format_checksum_is_seeded_xor() -> None:
    page = bytes(4096)
    assert checksum_old_format(page) == 0x89ABCDEF
    page = b"\xff\xff\xff\xff" + bytes(4092)  # the first DWORD is excluded
    assert checksum_old_format(page) == 0x89ABCDEF
    page = bytes(4) + b"\x01\x00\x00\x00" + bytes(4088)
    assert checksum_old_format(page) == 0x89ABCDEE


def test_old_format_page_checksum_includes_pgno() -> None:
    # ESE: checksumu.cxx LongChecksumFromShortChecksum: (pgno << 32) | xor
    page = bytearray(4096)
    page[36:40] = (0x2).to_bytes(4, "little")  # leaf, no fPageNewChecksumFormat
    page[4:8] = (7).to_bytes(4, "little")  # the pgno half is itself XOR-ed (only DWORD 0 is not)
    xor = checksum_old_format(bytes(page))
    page[0:4] = xor.to_bytes(4, "little")
    stored, computed = page_checksums(bytes(page), 7)
    assert stored == computed
    stored, computed = page_checksums(bytes(page), 8)
    assert stored != computed


def test_ecc_detects_every_single_bit_flip(edb_dir: Path) -> None:
    raw = (edb_dir / "index.edb").read_bytes()
    pgno = 15
    page = raw[(pgno + 1) * 4096 : (pgno + 2) * 4096]
    good = checksum_new_format(page, pgno)
    assert good == int.from_bytes(page[:8], "little")
    seen = set()
    for ibit in range(64, 4096 * 8, 997):
        b = bytearray(page)
        b[ibit // 8] ^= 1 << (ibit % 8)
        bad = checksum_new_format(bytes(b), pgno)
        assert bad != good
        # ESE: checksum.cxx IbitCorrupted: the ECC difference names the flipped bit
        ecc = (bad ^ good) >> 32
        assert ecc & 0xFFFF == ibit
        seen.add(ecc)
    assert len(seen) > 30


def test_large_page_checksum_blocks() -> None:
    # ESE: checksumu.cxx ComputePageChecksum: 16 KiB pages are 4 blocks of 4 KiB; the header
    # block (whose checksum skips its own first 8 bytes) stores blocks 1..3 at offsets 40..63
    page = bytearray(16384)
    page[36:40] = (0x2002).to_bytes(4, "little")
    page[64:68] = (9).to_bytes(4, "little")
    for i in range(100, 16384, 37):
        page[i] = i & 0xFF
    subs = [checksum_new_format(bytes(page[i : i + 4096]), 9, False) for i in (4096, 8192, 12288)]
    for k, c in enumerate(subs):
        page[40 + 8 * k : 48 + 8 * k] = c.to_bytes(8, "little")
    page[0:8] = checksum_new_format(bytes(page[:4096]), 9, True).to_bytes(8, "little")
    stored, computed = page_checksums(bytes(page), 9)
    assert stored == computed and len(stored) == 4
    page[15000] ^= 1
    stored, computed = page_checksums(bytes(page), 9)
    assert stored[3] != computed[3] and stored[:3] == computed[:3]


def test_new_itag_state_layout(edb_dir: Path) -> None:
    # Windows 11 24H2: itagState = itagMicFree | ctagReserved << 12 (CPAGE::InitItagState,
    # dissect.esedb PR #46; libesedb issues #75/#78)
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    pgno = 13
    page = bytearray(raw[(pgno + 1) * 4096 : (pgno + 2) * 4096])
    before = Page(bytes(page), pgno).nodes()
    itag = int.from_bytes(page[34:36], "little")
    page[34:36] = (itag | (1 << 12)).to_bytes(2, "little")  # ctagReserved = 1: same lines
    page[0:8] = checksum_new_format(bytes(page), pgno).to_bytes(8, "little")
    assert Page(bytes(page), pgno).nodes() == before
    page[34:36] = (itag | (2 << 12)).to_bytes(2, "little")  # 2 reserved tags: one line fewer
    page[0:8] = checksum_new_format(bytes(page), pgno).to_bytes(8, "little")
    p2 = Page(bytes(page), pgno)
    assert p2.ctag_reserved == 2 and p2.itag_mic_free == itag
    assert p2.nodes() == before[1:]

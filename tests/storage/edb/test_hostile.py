"""Damaged, foreign and hostile inputs: only JetErrors, no hangs, no reads past the file.

The fuzz tests mutate genuine pages and whole files; every crasher found goes to
``corpus/`` and is replayed by ``test_corpus_replays``. Set ``PYESE_FUZZ_EXAMPLES`` for longer
runs.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile, Page, read_header
from pyese.storage.edb.checksum import checksum_new_format

EXAMPLES = int(os.environ.get("PYESE_FUZZ_EXAMPLES", "60"))
CORPUS = Path(__file__).parent / "corpus"


def _walk_everything(path: Path, tolerant: bool) -> None:
    with EdbFile.open(path, tolerant=tolerant, cache_pages=16) as edb:
        for _pgno, page in edb.iterate_pages():
            if isinstance(page, Page):
                page.nodes()
                if page.is_root and not page.is_space_tree:
                    edb.map_tree(page.objid, page.pgno)
        snap = edb.snapshot()
        for objid in edb.trees:
            try:
                list(snap.iterate(objid))
                cur = snap.cursor(objid)
                cur.last()
                cur.prev()
                cur.seek_ge(b"\x7f\x80")
                cur.seek_le(b"\x7f\x80")
            except JetError:
                if tolerant and objid in (2, 3):
                    pass


@pytest.mark.parametrize(
    ("content", "err"),
    [
        (b"", C.JET_errReadVerifyFailure),
        (b"\0" * 8192, C.JET_errReadVerifyFailure),
        (os.urandom(65536), C.JET_errReadVerifyFailure),
        (b"SQLite format 3\0" + b"\1" * 8000, C.JET_errReadVerifyFailure),
    ],
)
def test_not_a_database(tmp_path: Path, content: bytes, err: int) -> None:
    # ESE: fileu.cxx ErrUtilReadSpecificShadowedHeader: no good header -> ReadVerifyFailure
    p = tmp_path / "x.edb"
    p.write_bytes(content)
    with pytest.raises(JetError) as ei:
        EdbFile.open(p)
    assert ei.value.err == err


def test_real_sqlite_and_lmdb_files(tmp_path: Path) -> None:
    db = tmp_path / "s.sqlite"
    con = sqlite3.connect(db)
    con.execute("create table t(x)")
    con.executemany("insert into t values (?)", [(i,) for i in range(500)])
    con.commit()
    con.close()
    lmdb = pytest.importorskip("lmdb")
    env = lmdb.open(str(tmp_path / "l.mdb"), subdir=False)
    with env.begin(write=True) as txn:
        txn.put(b"k", b"v")
    env.close()
    for p in (db, tmp_path / "l.mdb"):
        with pytest.raises(JetError) as ei:
            EdbFile.open(p)
        assert ei.value.err == C.JET_errReadVerifyFailure


def test_missing_and_directory(tmp_path: Path) -> None:
    with pytest.raises(JetError) as ei:
        EdbFile.open(tmp_path / "nope.edb")
    assert ei.value.err == C.JET_errFileNotFound
    with pytest.raises(JetError) as ei:
        read_header(tmp_path)
    assert ei.value.err in (C.JET_errInvalidPath, C.JET_errFileAccessDenied)


def test_bad_magic_is_invalid_database(edb_dir: Path, tmp_path: Path) -> None:
    from pyese.storage.edb.checksum import checksum_old_format

    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    for base in (0, 4096):
        raw[base + 4 : base + 8] = b"ABCD"
        xor = checksum_old_format(bytes(raw[base : base + 4096]))
        raw[base : base + 4] = xor.to_bytes(4, "little")
    p = tmp_path / "magic.edb"
    p.write_bytes(raw)
    with pytest.raises(JetError) as ei:
        EdbFile.open(p)
    # ESE: dbapi.cxx ErrDBReadHeaderCheckConsistency
    assert ei.value.err == C.JET_errInvalidDatabase


def test_truncated_file(edb_dir: Path, tmp_path: Path) -> None:
    raw = (edb_dir / "basic.edb").read_bytes()
    p = tmp_path / "trunc.edb"
    p.write_bytes(raw[: 14 * 4096 + 100])  # MSysObjects' second leaf (page 14) is cut off
    with EdbFile.open(p) as edb:
        assert edb.page_count == 12
        with pytest.raises(JetError) as ei:
            list(edb.snapshot().iterate(2))
        assert ei.value.err == C.JET_errDatabaseCorrupted
        with pytest.raises(JetError) as ei:
            edb.read_page(13)
        assert ei.value.err == C.JET_errFileIOBeyondEOF
    with EdbFile.open(p, tolerant=True) as edb:
        assert list(edb.snapshot().iterate(2)) == []
        assert {s.pgno for s in edb.skipped_pages} == {13, 14}


def _rechecksum(page: bytearray, pgno: int) -> None:
    page[0:8] = checksum_new_format(bytes(page), pgno).to_bytes(8, "little")


def test_child_cycle_is_detected(edb_dir: Path, tmp_path: Path) -> None:
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    # make MSysObjects' root point at itself: a cycle
    off = 5 * 4096
    page = bytearray(raw[off : off + 4096])
    root = Page(bytes(page), 4)
    start, cb, _ = root._load_tags()[1]
    page[start + cb - 4 : start + cb] = (4).to_bytes(4, "little")
    _rechecksum(page, 4)
    raw[off : off + 4096] = page
    p = tmp_path / "cycle.edb"
    p.write_bytes(raw)
    with EdbFile.open(p) as edb:
        with pytest.raises(JetError) as ei:
            list(edb.snapshot().iterate(2))
        assert ei.value.err == C.JET_errDatabaseCorrupted


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_page_parser(edb_dir: Path, data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(["basic", "index", "multi"]))
    raw = (edb_dir / f"{name}.edb").read_bytes()
    pgno = data.draw(st.sampled_from([4, 7, 10, 13, 15, 16, 19, 24, 29, 30, 31, 32]))
    page = bytearray(raw[(pgno + 1) * 4096 : (pgno + 2) * 4096])
    for _ in range(data.draw(st.integers(1, 8))):
        i = data.draw(st.integers(0, 4095))
        page[i] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        _rechecksum(page, pgno)  # get past the checksum into the structure checks
    try:
        p = Page(bytes(page), pgno)
        for n in p.nodes():
            assert isinstance(n.key, bytes)
        if not p.is_leaf:
            for i in range(p.clines):
                p.child_pgno(i)
    except JetError:
        pass


@settings(max_examples=max(10, EXAMPLES // 3), deadline=None,
          suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fuzz_tree_walk(edb_dir: Path, tmp_path_factory: pytest.TempPathFactory,
                        data: st.DataObject) -> None:
    raw = bytearray((edb_dir / "index.edb").read_bytes())
    for _ in range(data.draw(st.integers(1, 6))):
        pgno = data.draw(st.sampled_from([4, 7, 10, 13, 15, 16, 19, 24, 29, 30, 31]))
        off = (pgno + 1) * 4096
        page = bytearray(raw[off : off + 4096])
        i = data.draw(st.integers(0, 4095))
        page[i] = data.draw(st.integers(0, 255))
        if data.draw(st.booleans()):
            _rechecksum(page, pgno)
        raw[off : off + 4096] = page
    p = tmp_path_factory.mktemp("fz") / "f.edb"
    p.write_bytes(raw)
    for tolerant in (False, True):
        try:
            _walk_everything(p, tolerant)
        except JetError:
            pass


def test_corpus_replays(tmp_path: Path) -> None:
    for f in sorted(CORPUS.glob("*.bin")):
        p = tmp_path / f.name
        p.write_bytes(f.read_bytes())
        for tolerant in (False, True):
            try:
                _walk_everything(p, tolerant)
            except JetError:
                pass

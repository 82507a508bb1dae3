"""Attaching genuine Windows databases (issue 7): read-only, dirty, damaged, foreign files.

- without JET_bitDbReadOnly: JET_errDatabaseFileReadOnly (pyese cannot write the format; ESE
  returns this code for a file it cannot open for writing, db.cxx ErrDBAttachDatabase);
- writes on the read-only attachment: JET_errPermissionDenied (ESE fcreate.cxx:
  FReadOnlyAttach() -> JET_errPermissionDenied; its cursors are not updatable);
- nothing is ever written to the file or beside it;
- dirty shutdown: attached with JET_wrnDatabaseRepaired and a DirtyShutdownWarning;
- a page failing its checksum: JET_errReadVerifyFailure for the read touching it, skipped
  with JET_bitDbPyeseTolerant; truncated, zero-filled or foreign files: clear errors.
"""

from __future__ import annotations

import os
import shutil
import struct
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

import pyese.jet as jet
from pyese.engine.instance.database import DirtyShutdownWarning, JET_bitDbPyeseTolerant
from pyese.engine.schema.catalog import Catalog
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile
from pyese.storage.edb.checksum import checksum_new_format, checksum_old_format
from tests.genuine.samples import SAMPLES_DIR, gunzip_samples

from .helpers import expect

RO = jet.JET_bitDbReadOnly
CB = 4096


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_samples(tmp_path_factory.mktemp("edb"))


@pytest.fixture
def gdir(samples: Path, tmp_path: Path) -> Path:
    """A private directory holding copies of the samples (tests damage their copies)."""
    d = tmp_path / "genuine"
    d.mkdir()
    for p in samples.iterdir():
        shutil.copy2(p, d / p.name)
    return d


@pytest.fixture
def ses(inst) -> Iterator[object]:
    s = jet.JetBeginSession(inst)
    yield s
    jet.JetEndSession(s)


def _state(d: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(d.iterdir())}


def _table_tree(path: Path, table: str, index: str | None = None) -> tuple[int, int]:
    """(objid, pgnoFDP) of a table's tree (or one of its index trees)."""
    with EdbFile.open(path) as edb:
        t = Catalog.load(edb.snapshot(), edb.page_size).table(table)
        if index is None:
            return t.objid, t.pgno_fdp
        ix = t.index(index)
        return ix.objid, edb.pgno_fdp(ix.objid)


def test_attach_needs_read_only_and_nothing_is_ever_written(ses, gdir: Path) -> None:
    before = _state(gdir)
    path = str(gdir / "index.edb")
    with expect(jet.JET_errDatabaseFileReadOnly):
        jet.JetAttachDatabase(ses, path)
    with expect(jet.JET_errDatabaseFileReadOnly):
        jet.JetAttachDatabase2(ses, path, 0, 0)
    assert jet.JetAttachDatabase(ses, path, RO) == 0
    assert jet.JetAttachDatabase(ses, path, RO) == jet.JET_wrnDatabaseAttached
    db = jet.JetOpenDatabase(ses, path)
    t = jet.JetOpenTable(ses, db, "index")  # opened without ReadOnly: still not updatable
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    # every write is refused (ESE: read-only attachment -> JET_errPermissionDenied)
    for prep in (jet.JET_prepInsert, jet.JET_prepReplace):
        with expect(jet.JET_errPermissionDenied):
            jet.JetPrepareUpdate(ses, t, prep)
    with expect(jet.JET_errPermissionDenied):
        jet.JetDelete(ses, t)
    with expect(jet.JET_errPermissionDenied):
        jet.JetCreateTable(ses, db, "New")
    with expect(jet.JET_errPermissionDenied):
        jet.JetAddColumn(ses, t, "c", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetBeginTransaction(ses)
    with expect(jet.JET_errPermissionDenied):
        jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetMove(ses, t, jet.JET_MoveFirst)  # reads inside a transaction work
    jet.JetCommitTransaction(ses, 0)
    cols = jet.JetGetTableColumnInfo(ses, t, None, jet.JET_ColInfoList)
    assert not any(c.grbit & jet.JET_bitColumnUpdatable for c in cols)
    with expect(jet.JET_errDatabaseInUse):
        jet.JetDetachDatabase(ses, path)
    jet.JetCloseTable(ses, t)
    with expect(jet.JET_errPermissionDenied):
        jet.JetDeleteTable(ses, db, "index")
    jet.JetCloseDatabase(ses, db)
    jet.JetDetachDatabase(ses, path)
    assert _state(gdir) == before  # no byte, no mtime, no new file (no lock, no log)


def test_term_with_a_genuine_file_attached_writes_nothing(gdir: Path) -> None:
    before = _state(gdir)
    inst = jet.JetCreateInstance("g")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    for name in ("basic", "multi"):
        jet.JetAttachDatabase(s, str(gdir / f"{name}.edb"), RO)
    db = jet.JetOpenDatabase(s, str(gdir / "basic.edb"))
    t = jet.JetOpenTable(s, db, "basic", None, jet.JET_bitTableReadOnly)
    jet.JetMove(s, t, jet.JET_MoveLast)
    jet.JetEndSession(s)
    jet.JetTerm(inst)
    assert _state(gdir) == before


def _set_dbstate(path: Path, state: int) -> None:
    raw = bytearray(path.read_bytes())
    for copy in (0, 1):
        off = copy * CB
        raw[off + 52:off + 56] = struct.pack("<I", state)
        raw[off:off + 4] = struct.pack("<I", checksum_old_format(bytes(raw[off:off + CB])))
    path.write_bytes(raw)


def test_dirty_shutdown_attaches_with_a_warning(ses, gdir: Path) -> None:
    path = gdir / "basic.edb"
    _set_dbstate(path, jet.JET_dbstateDirtyShutdown)
    before = _state(gdir)
    with pytest.warns(DirtyShutdownWarning, match="dirty"):
        rc = jet.JetAttachDatabase(ses, str(path), RO)
    assert rc == jet.JET_wrnDatabaseRepaired
    db = jet.JetOpenDatabase(ses, str(path))
    t = jet.JetOpenTable(ses, db, "basic")
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetCloseTable(ses, t)
    jet.JetCloseDatabase(ses, db)
    jet.JetDetachDatabase(ses, str(path))
    # still not writable
    with expect(jet.JET_errDatabaseFileReadOnly):
        jet.JetAttachDatabase(ses, str(path))
    assert _state(gdir) == before
    # a clean file gives no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jet.JetAttachDatabase(ses, str(gdir / "text.edb"), RO) == 0


def _break_page(path: Path, pgno: int) -> None:
    raw = bytearray(path.read_bytes())
    off = (pgno + 1) * CB
    raw[off + CB - 20] ^= 0x5A  # one byte of the page body: the checksum no longer matches
    path.write_bytes(raw)


def _scan(s, t) -> int:
    n = 0
    try:
        jet.JetMove(s, t, jet.JET_MoveFirst)
        while True:
            n += 1
            jet.JetMove(s, t, jet.JET_MoveNext)
    except JetError as e:
        if e.err != jet.JET_errNoCurrentRecord:
            raise
    return n


def test_bad_page_fails_the_read_that_touches_it_and_tolerant_mode_skips_it(
        ses, gdir: Path) -> None:
    path = gdir / "index.edb"
    objid, pgno = _table_tree(path, "index", "IxLong")
    _break_page(path, pgno)
    before = _state(gdir)
    assert jet.JetAttachDatabase(ses, str(path), RO) == 0  # the catalog pages are fine
    db = jet.JetOpenDatabase(ses, str(path))
    t = jet.JetOpenTable(ses, db, "index")
    assert _scan(ses, t) == 1  # the table's own pages are fine
    jet.JetSetCurrentIndex(ses, t, "IxLong")
    with expect(jet.JET_errReadVerifyFailure):
        jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetSetCurrentIndex(ses, t, "IxShort")
    assert _scan(ses, t) == 1  # other indexes are untouched
    jet.JetCloseTable(ses, t)
    jet.JetCloseDatabase(ses, db)
    jet.JetDetachDatabase(ses, str(path))
    # tolerant: the bad page is skipped (the index reads as empty) and listed
    assert jet.JetAttachDatabase(ses, str(path), RO | JET_bitDbPyeseTolerant) == 0
    db = jet.JetOpenDatabase(ses, str(path))
    t = jet.JetOpenTable(ses, db, "index")
    jet.JetSetCurrentIndex(ses, t, "IxLong")
    assert _scan(ses, t) == 0
    jet.JetSetCurrentIndex(ses, t, "IxShort")
    assert _scan(ses, t) == 1
    from pyese.engine.instance.database import find_attached_anywhere

    attached = find_attached_anywhere(str(path))
    assert attached is not None
    assert [p.pgno for p in attached.file.skipped_pages] == [pgno]
    assert attached.file.skipped_pages[0].err == jet.JET_errReadVerifyFailure
    jet.JetCloseTable(ses, t)
    jet.JetCloseDatabase(ses, db)
    jet.JetDetachDatabase(ses, str(path))
    assert _state(gdir) == before


def test_bad_catalog_page_fails_the_attach(ses, gdir: Path) -> None:
    path = gdir / "basic.edb"
    _break_page(path, 4)  # MSysObjects' root
    with expect(jet.JET_errReadVerifyFailure):
        jet.JetAttachDatabase(ses, str(path), RO)
    # the failed attach leaves nothing attached: a second try fails the same way
    with expect(jet.JET_errReadVerifyFailure):
        jet.JetAttachDatabase(ses, str(path), RO)


def test_truncated_files_fail_only_the_tables_they_cut(ses, gdir: Path, samples: Path) -> None:
    # one opener, one verdict (issue 14): the JET API attaches what the CLI reads; damage
    # local to one table fails that table only, with the code the CLI gives
    src = (samples / "multi.edb").read_bytes()
    _objid, pgno = _table_tree(samples / "multi.edb", "multi")
    (gdir / "half_page.edb").write_bytes(src[: 40 * CB + 100])  # not a whole number of pages
    assert jet.JetAttachDatabase(ses, str(gdir / "half_page.edb"), RO) == 0
    db = jet.JetOpenDatabase(ses, str(gdir / "half_page.edb"))
    t = jet.JetOpenTable(ses, db, "multi")
    assert _scan(ses, t) == 2
    jet.JetCloseTable(ses, t)
    jet.JetCloseDatabase(ses, db)
    (gdir / "short.edb").write_bytes(src[: (pgno + 1) * CB])  # the table's root is cut off
    assert jet.JetAttachDatabase(ses, str(gdir / "short.edb"), RO) == 0
    db = jet.JetOpenDatabase(ses, str(gdir / "short.edb"))
    with expect(jet.JET_errDatabaseCorrupted) as ei:
        t = jet.JetOpenTable(ses, db, "multi")
        jet.JetMove(ses, t, jet.JET_MoveFirst)
    assert "beyond the file" in str(ei.value)
    t = jet.JetOpenTable(ses, db, "MSysObjects")  # the rest of the file reads
    assert _scan(ses, t) > 10
    jet.JetCloseTable(ses, t)
    jet.JetCloseDatabase(ses, db)
    # only the headers: the catalog's pages are beyond the end of the file
    (gdir / "headers.edb").write_bytes(src[: 2 * CB])
    with pytest.raises(JetError) as ei:
        jet.JetAttachDatabase(ses, str(gdir / "headers.edb"), RO)
    assert ei.value.err in (jet.JET_errDatabaseCorrupted, jet.JET_errFileIOBeyondEOF)
    assert "catalog" in str(ei.value)
    # tolerant mode attaches what is there
    assert jet.JetAttachDatabase(ses, str(gdir / "short.edb"),
                                 RO | JET_bitDbPyeseTolerant) == jet.JET_wrnDatabaseAttached


@pytest.mark.parametrize("content", [b"", bytes(1 << 20), b"SQLite format 3\x00" + bytes(8192)])
def test_zero_filled_and_foreign_files(ses, tmp_path: Path, content: bytes) -> None:
    # the verdict the CLI gives (ESE fileu.cxx: no good header -> JET_errReadVerifyFailure),
    # saying the file is not ESE at all
    d = tmp_path / "foreign"
    d.mkdir()
    path = d / "x.edb"
    path.write_bytes(content)
    before = _state(d)
    with expect(jet.JET_errReadVerifyFailure) as ei:
        jet.JetAttachDatabase(ses, str(path), RO)
    assert "not an ESE database: no 0x89abcdef signature" in str(ei.value)
    assert _state(d) == before


def test_damaged_header_copies(ses, gdir: Path) -> None:
    # ESE elects the header from its two copies (fileu.cxx): one good copy is enough,
    # none is JET_errReadVerifyFailure.
    path = gdir / "basic.edb"
    raw = bytearray(path.read_bytes())
    raw[:CB] = bytes(CB)  # primary header zeroed: the shadow serves
    path.write_bytes(raw)
    assert jet.JetAttachDatabase(ses, str(path), RO) == 0
    jet.JetDetachDatabase(ses, str(path))
    raw[CB + 100] ^= 0xFF  # shadow broken too
    path.write_bytes(raw)
    with expect(jet.JET_errReadVerifyFailure):
        jet.JetAttachDatabase(ses, str(path), RO)


def test_database_info_of_a_genuine_file(ses, gdir: Path) -> None:
    path = str(gdir / "binary.edb")
    jet.JetAttachDatabase(ses, path, RO)
    db = jet.JetOpenDatabase(ses, path)
    assert jet.JetGetDatabaseInfo(ses, db, jet.JET_DbInfoPageSize) == CB
    assert jet.JetGetDatabaseInfo(ses, db, jet.JET_DbInfoOptions) == RO
    assert jet.JetGetDatabaseInfo(ses, db, jet.JET_DbInfoFilesize) == \
        os.path.getsize(path) // CB
    assert jet.JetGetDatabaseInfo(ses, db, jet.JET_DbInfoFilename) == path


def test_checksum_helper_matches_the_samples(samples: Path) -> None:
    # the damage above relies on pages being checked: a sample page verifies as stored
    raw = (samples / "basic.edb").read_bytes()
    pgno = 4
    page = raw[(pgno + 1) * CB:(pgno + 2) * CB]
    assert int.from_bytes(page[:8], "little") == checksum_new_format(page, pgno)


def test_database_info_misc_of_a_genuine_file(gdir: Path, ses) -> None:
    # JET_DbInfoMisc on a genuine file comes from its DBFILEHDR (ESE db.cxx
    # ErrIsamGetDatabaseInfo copies the header fields), not from pyese's header.
    from pyese.storage.edb.reader import read_header

    for path in sorted(gdir.glob("*.edb")):
        hdr = read_header(path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                jet.JetAttachDatabase(ses, str(path), RO)
        except JetError:
            continue  # damaged-on-purpose samples are covered above
        dbid = jet.JetOpenDatabase(ses, str(path), None, RO)
        misc = jet.JetGetDatabaseInfo(ses, dbid, jet.JET_DbInfoMisc)
        assert misc.cbPageSize == hdr.page_size
        assert misc.dbstate == hdr.dbstate
        assert misc.ulVersion == hdr.version
        assert misc.lgposConsistent.lGeneration == hdr.lgpos_consistent.generation
        assert jet.JetGetDatabaseInfo(ses, dbid, jet.JET_DbInfoPageSize) == hdr.page_size
        jet.JetCloseDatabase(ses, dbid)
        jet.JetDetachDatabase(ses, str(path))

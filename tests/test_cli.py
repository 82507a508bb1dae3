"""The pyese command line on genuine Windows databases: main([...]) with capsys."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from pyese.cli import main
from tests.genuine.samples import SAMPLES_DIR, fixture, gunzip_samples


@pytest.fixture(scope="module")
def edb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_samples(tmp_path_factory.mktemp("edb"))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    rc = main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_info(edb_dir: Path, capsys) -> None:
    rc, out, err = _run(capsys, "info", str(edb_dir / "basic.edb"))
    assert rc == 0 and err == ""
    assert "0x620,20" in out and "4096" in out and "JET_dbstateCleanShutdown" in out
    rc, out, _ = _run(capsys, "info", "--json", str(edb_dir / "basic.edb"))
    assert json.loads(out)["page_size"] == 4096


def test_info_warns_on_dirty_shutdown(edb_dir: Path, tmp_path: Path, capsys) -> None:
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    # dbstate lives at offset 52 of DBFILEHDR (daedef.hxx); a rewritten state breaks the
    # checksum, so recompute it for both copies
    from pyese.storage.edb import checksum as cks

    for copy in (0, 4096):
        raw[copy + 52 : copy + 56] = (2).to_bytes(4, "little")  # JET_dbstateDirtyShutdown
        page = bytes(raw[copy : copy + 4096])
        raw[copy : copy + 4] = cks.header_checksum(page)[1].to_bytes(4, "little")
    path = tmp_path / "dirty.edb"
    path.write_bytes(bytes(raw))
    rc, out, err = _run(capsys, "info", str(path))
    assert rc == 0
    assert "DirtyShutdown" in out
    assert err.startswith("pyese: warning:") and len(err.strip().splitlines()) == 1


def test_tables(edb_dir: Path, capsys) -> None:
    rc, out, _ = _run(capsys, "tables", str(edb_dir / "index.edb"))
    assert rc == 0
    assert "MSysObjects" in out and "index  (objid" in out
    assert "LongUnicode" in out and "LongText cp1200" in out
    assert "IxLongUnicode" in out and "+LongUnicode" in out and "[primary]" in out
    rc, out, _ = _run(capsys, "tables", str(edb_dir / "multi.edb"), "--table", "multi")
    assert "MSysObjects" not in out and "multi-valued" in out


def test_dump_jsonl_matches_the_oracles(edb_dir: Path, capsys) -> None:
    rc, out, err = _run(capsys, "dump", str(edb_dir / "basic.edb"), "basic")
    assert rc == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    expected = fixture("basic")["records"]
    assert len(rows) == len(expected) == 2
    assert rows[0]["GUID"] == expected[0]["GUID"][0]
    assert rows[0]["DateTime"] == "1999-03-01T00:00:00"
    assert rows[1]["GUID"] is None
    assert rows[0]["Currency"] == expected[0]["Currency"][0]


def test_dump_multi_values_columns_and_limit(edb_dir: Path, capsys) -> None:
    rc, out, _ = _run(capsys, "dump", str(edb_dir / "multi.edb"), "multi",
                      "--columns", "Id,Short,LongCompressedASCII", "--limit", "1")
    rows = [json.loads(line) for line in out.splitlines()]
    assert len(rows) == 1 and list(rows[0]) == ["Id", "Short", "LongCompressedASCII"]
    exp = fixture("multi")["records"][0]
    assert rows[0]["Short"] == exp["Short"]
    assert rows[0]["LongCompressedASCII"] == exp["LongCompressedASCII"]


def test_dump_csv(edb_dir: Path, capsys) -> None:
    rc, out, _ = _run(capsys, "dump", str(edb_dir / "multi.edb"), "multi", "--format", "csv",
                      "--columns", "Id,Short,Binary")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["Id", "Short", "Binary"]
    exp = fixture("multi")["records"][0]
    assert rows[1][1] == ";".join(str(v) for v in exp["Short"])
    assert rows[1][2].split(";") == exp["Binary"]
    assert rows[2][1] == ""  # NULL


def test_dump_filetime_option(edb_dir: Path, capsys) -> None:
    rc, out, _ = _run(capsys, "dump", str(edb_dir / "basic.edb"), "basic",
                      "--columns", "LongLong", "--filetime", "LongLong")
    # -13371337 ticks is before 1601: left as the integer
    assert json.loads(out.splitlines()[0]) == {"LongLong": -13371337}
    rc, _, err = _run(capsys, "dump", str(edb_dir / "basic.edb"), "basic", "--filetime", "Id")
    assert rc == 1 and "JET_errInvalidColumnType" in err


def test_check(edb_dir: Path, capsys) -> None:
    rc, out, err = _run(capsys, "check", str(edb_dir / "multi.edb"))
    assert rc == 0 and "multi: 2 records" in out and "no problems" in out


def test_check_reports_a_corrupt_page(edb_dir: Path, tmp_path: Path, capsys) -> None:
    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    pgno = 31  # the user table's root (pgnoFDP from the catalog)
    off = (pgno + 1) * 4096
    raw[off + 200] ^= 0xFF
    path = tmp_path / "corrupt.edb"
    path.write_bytes(bytes(raw))
    rc, out, err = _run(capsys, "check", str(path))
    assert rc == 1
    assert "JET_errReadVerifyFailure" in err and "31" in err
    rc, out, err = _run(capsys, "dump", str(path), "basic")
    assert rc == 1 and len(err.strip().splitlines()) == 1
    rc, out, err = _run(capsys, "dump", "--tolerant", str(path), "basic")
    assert rc == 0 and "skipped page 31" in err


@pytest.mark.parametrize("content", [b"", b"\x00" * 100_000, b"SQLite format 3\x00" * 500])
def test_bad_files_print_one_line(tmp_path: Path, capsys, content: bytes) -> None:
    path = tmp_path / "bad.edb"
    path.write_bytes(content)
    for cmd in ("info", "tables", "check"):
        rc, out, err = _run(capsys, cmd, str(path))
        assert rc == 1
        # the JET API's verdict too (tests/jet/test_genuine_attach.py), said plainly
        assert err.startswith("pyese: not an ESE database: no 0x89abcdef signature")
        assert "(JET_errReadVerifyFailure -1018)" in err
        assert len(err.strip().splitlines()) == 1


def test_truncated_file_and_missing_things(edb_dir: Path, tmp_path: Path, capsys) -> None:
    path = tmp_path / "trunc.edb"
    path.write_bytes((edb_dir / "basic.edb").read_bytes()[:20_000])
    rc, _, err = _run(capsys, "dump", str(path), "basic")
    assert rc == 1 and err.startswith("pyese: JET_err") and len(err.splitlines()) == 1
    rc, _, err = _run(capsys, "dump", str(edb_dir / "basic.edb"), "nope")
    assert rc == 1 and "JET_errObjectNotFound" in err
    rc, _, err = _run(capsys, "dump", str(edb_dir / "basic.edb"), "basic", "--columns", "x")
    assert rc == 1 and "JET_errColumnNotFound" in err
    rc, _, err = _run(capsys, "info", str(tmp_path / "missing.edb"))
    assert rc == 1 and "JET_errFileNotFound" in err


@pytest.mark.parametrize("cmd", ["demo", "info", "tables", "dump", "check", "export", "backup",
                                 "restore"])
def test_every_subcommand_has_help(cmd: str, capsys) -> None:
    with pytest.raises(SystemExit) as ei:
        main([cmd, "--help"])
    assert ei.value.code == 0
    assert "usage: pyese " + cmd in capsys.readouterr().out

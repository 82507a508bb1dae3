"""pyese.Instance and Database (API.md section 2, "Instance and databases")."""

from __future__ import annotations

import datetime
import os
import shutil
import uuid
from pathlib import Path

import pytest

import pyese
import pyese.jet as jet
from tests.genuine.samples import SAMPLES_DIR, gunzip_samples


def test_instance_directory_holds_log_checkpoint_and_database(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b"  # created when absent
    with pyese.Instance(path) as inst:
        inst.open_database("x.edb")
        assert not inst.closed
    names = os.listdir(path)
    assert "x.edb" in names and "edb.chk" in names
    assert any(n.endswith(".log") for n in names)
    assert inst.closed


def test_name_and_every_path_in_the_directory(tmp_path: Path) -> None:
    # API.md section 2: the directory holds the logs, the checkpoint and the temporary
    # database; name= names the ESE instance
    path = tmp_path / "inst"
    with pyese.Instance(path, name="mine") as inst:
        assert inst.name == "mine"
        want = os.path.join(str(path), "")
        for param in ("SystemPath", "LogFilePath", "TempPath"):
            assert os.path.join(str(inst.get_param(param)), "") == want, param
    with pyese.Instance(path) as a, pyese.Instance(tmp_path / "other") as b:
        assert a.name != b.name  # a default name is unique in the process


def test_params_by_name_in_any_case(tmp_path: Path) -> None:
    with pyese.Instance(tmp_path, max_sessions=7, MaxVerPages=333, LOG_FILE_SIZE=256,
                        circular_log=False) as inst:
        assert inst.get_param("max_sessions") == 7
        assert inst.get_param("maxverpages") == 333
        assert inst.get_param("LogFileSize") == 256
        assert inst.get_param("CircularLog") == 0
        assert inst.pool.max_sessions == 7


def test_unknown_param_is_a_type_error_with_suggestions(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="MaxVerPagez.*maxverpages"):
        pyese.Instance(tmp_path, MaxVerPagez=1)
    assert not os.path.exists(tmp_path / "edb.chk")  # nothing started


def test_close_is_exit_and_closed_instance_is_refused(tmp_path: Path) -> None:
    inst = pyese.Instance(tmp_path)
    db = inst.open_database("x.edb")
    db.create_table("t", {"a": int})
    inst.close()
    inst.close()  # twice is fine
    with pytest.raises(pyese.InstanceClosedError):
        inst.transaction()
    with pytest.raises(pyese.InstanceClosedError):
        inst.open_database("y.edb")
    with pytest.raises(pyese.InstanceClosedError):
        db.table_names()


def test_reopen_keeps_data(tmp_path: Path) -> None:
    with pyese.Instance(tmp_path) as inst:
        db = inst.open_database("x.edb")
        db.create_table("t", {"k": pyese.Long, "v": str}, {"pk": pyese.Index("k", primary=True)})
        with inst.transaction() as tx:
            tx.table("t").insert({"k": 1, "v": "one"})
    with pyese.Instance(tmp_path) as inst:
        db = inst.open_database("x.edb", create=False)
        assert db.table_names() == ["t"]
        with inst.transaction() as tx:
            assert tx.table("t").get(1) == {"k": 1, "v": "one"}


def test_open_database_create_false_and_same_file_twice(tmp_path: Path) -> None:
    with pyese.Instance(tmp_path) as inst:
        with pytest.raises(FileNotFoundError):
            inst.open_database("nope.edb", create=False)
        a = inst.open_database("x.edb")
        assert inst.open_database(str(tmp_path / "x.edb")) is a
        assert inst.databases == [a]


def test_create_table_every_coltyp_and_python_shorthand(inst: pyese.Instance) -> None:
    db = inst.open_database("t.edb")
    cols = {t.name: t for t in pyese.Coltyp}
    db.create_table("all", {**{f"c{n}": t for n, t in cols.items()},
                            "k": pyese.Column(pyese.Long, autoincrement=True),
                            "pint": int, "pstr": str, "pbytes": bytes, "pfloat": float,
                            "pbool": bool, "pdt": datetime.datetime, "puuid": uuid.UUID},
                    {"pk": pyese.Index("+k", primary=True)})
    info = {c.name: c for c in db.columns("all")}
    for n, t in cols.items():
        assert info[f"c{n}"].type is t
    assert [info[n].type for n in ("pint", "pstr", "pbytes", "pfloat", "pbool", "pdt",
                                   "puuid")] == [pyese.LongLong, pyese.LongText,
                                                 pyese.LongBinary, pyese.IEEEDouble,
                                                 pyese.Bit, pyese.DateTime, pyese.GUID]
    assert info["pstr"].cp == 1200
    assert info["k"].autoincrement
    values = {"cBit": True, "cUnsignedByte": 255, "cShort": -2, "cLong": -3,
              "cCurrency": 125000, "cIEEESingle": 1.5, "cIEEEDouble": 2.25,
              "cDateTime": datetime.datetime(2024, 2, 29, 12, 30, 1),
              "cBinary": b"\x00\x01", "cText": "h\u00e9", "cLongBinary": b"x" * 10000,
              "cLongText": "long " * 3000, "cUnsignedLong": 2**32 - 1,
              "cLongLong": -2**63, "cGUID": uuid.UUID(int=12345),
              "cUnsignedShort": 65535, "cUnsignedLongLong": 2**64 - 1,
              "pint": 7, "pstr": "s", "pbytes": b"", "pfloat": -0.5, "pbool": False,
              "pdt": datetime.datetime(1899, 12, 29, 6, 0), "puuid": uuid.UUID(int=1)}
    with inst.transaction() as tx:
        t = tx.table("all")
        row = t.insert(values)
        again = t.get(row["k"])
    assert again is not None
    for name, v in values.items():
        assert again[name] == v, name
        assert type(again[name]) is type(v), name
    assert dict(row) == dict(again)


def test_index_spellings_and_catalog(inst: pyese.Instance) -> None:
    db = inst.open_database("t.edb")
    db.create_table("t", {"a": pyese.Long, "b": str, "c": pyese.Long},
                    {"pk": pyese.Index(["a"], primary=True), "s": "+b\0-c\0\0",
                     "l": ["b", "-c"], "u": pyese.Index("+c", unique=True, ignore_null=True)})
    idx = {i.name: i for i in db.indexes("t")}
    assert idx["pk"].primary and idx["pk"].key == ["+a"]
    assert idx["s"].key == ["+b", "-c"] == idx["l"].key
    assert idx["u"].unique and not idx["u"].primary
    assert idx["l"].columns == ["b", "c"]
    with pytest.raises(TypeError):  # API.md: Index(key, *, primary=False, ...)
        pyese.Index("+a", True)  # type: ignore[misc]
    with pytest.raises(TypeError):  # and Column(type, *, not_null=False, ...)
        pyese.Column(pyese.Long, True)  # type: ignore[misc]


def test_table_names_drop_table_and_unknown_names(inst: pyese.Instance) -> None:
    db = inst.open_database("t.edb")
    db.create_table("one", {"a": int})
    db.create_table("two", {"a": int})
    with inst.transaction() as tx:  # a cached cursor must not block the drop
        tx.table("one").insert({"a": 1})
    assert sorted(db.table_names()) == ["one", "two"]
    db.drop_table("one")
    assert db.table_names() == ["two"]
    with pytest.raises(pyese.ObjectNotFoundError, match="'one'.*tables: two"):
        db.drop_table("one")
    with pytest.raises(pyese.ObjectNotFoundError, match="tables: two"):
        db.columns("one")
    with inst.transaction() as tx, pytest.raises(pyese.ObjectNotFoundError,
                                                 match="no table 'one'.*tables: two"):
        tx.table("one")
    with pytest.raises(pyese.TableDuplicateError):
        db.create_table("two", {"a": int})
    with pytest.raises(TypeError, match="not a column type"):
        db.create_table("three", {"a": list})


def test_two_databases_need_database_argument(inst: pyese.Instance) -> None:
    a = inst.open_database("a.edb")
    b = inst.open_database("b.edb")
    a.create_table("t", {"x": int})
    b.create_table("t", {"x": int})
    with inst.transaction() as tx:
        with pytest.raises(ValueError, match="2 databases are open"):
            tx.table("t")
        tx.table("t", database=a).insert({"x": 1})
    with inst.transaction() as tx:
        assert len(tx.table("t", database=a)) == 1
        assert len(tx.table("t", database=b)) == 0


@pytest.fixture(scope="module")
def genuine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    return gunzip_samples(tmp_path_factory.mktemp("edb"))


def test_genuine_edb_opens_read_only(genuine: Path, tmp_path: Path) -> None:
    shutil.copy(genuine / "basic.edb", tmp_path / "basic.edb")
    with pyese.Instance(tmp_path / "inst") as inst:
        with pytest.raises(jet.DatabaseFileReadOnlyError):
            inst.open_database(tmp_path / "basic.edb")
        db = inst.open_database(tmp_path / "basic.edb", read_only=True)
        assert "basic" in db.table_names()
        with inst.transaction(read_only=True) as tx:
            t = tx.table("basic")
            rows = list(t)
            assert len(rows) == len(t) == 2
            some = list(t.range(columns=[db.columns("basic")[0].name]))
            assert len(some) == 2 and len(some[0]) == 1
            with pytest.raises(pyese.PermissionDeniedError):
                t.insert({})

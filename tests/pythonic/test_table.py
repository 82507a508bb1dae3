"""Tables and rows (API.md section 2, "Tables"), and bad input."""

from __future__ import annotations

import datetime
import struct
from collections.abc import Mapping

import pytest

import pyese
import pyese.jet as jet


@pytest.fixture
def filled(inst: pyese.Instance, db: pyese.Database) -> pyese.Instance:
    with inst.transaction() as tx:
        t = tx.table("people")
        for i, name in enumerate(["dan", "ann", "bob", "ann", "cid"]):
            t.insert({"name": name, "age": 20 + i, "tags": [name, "x"] if i % 2 else []})
    return inst


def test_insert_returns_the_row_as_stored(inst: pyese.Instance, db: pyese.Database) -> None:
    with inst.transaction() as tx:
        t = tx.table("people")
        a = t.insert({"name": "ada", "tags": ["a", "b"]})
        b = t.insert({"name": "bea", "visits": 5, "photo": b""})
    assert dict(a) == {"id": 1, "name": "ada", "age": None, "tags": ["a", "b"],
                       "visits": 0, "photo": None}
    assert b["id"] == 2 and b["visits"] == 5 and b["photo"] == b""
    assert isinstance(a, Mapping) and isinstance(a.bookmark, bytes)


def test_row_is_a_read_only_mapping(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        row = tx.table("people").get(1)
    assert row is not None
    with pytest.raises(KeyError):
        row["nope"]
    with pytest.raises(TypeError):
        row["name"] = "x"  # type: ignore[index]
    assert set(row) == {"id", "name", "age", "tags", "visits", "photo"}
    assert row.get("nope", 7) == 7 and "name" in row and len(row) == 6
    assert row == {**row}


def test_version_column_is_filled_in(inst: pyese.Instance) -> None:
    db = inst.open_database("v.edb")
    db.create_table("t", {"k": pyese.Long, "ver": pyese.Column(pyese.Long, version=True)},
                    {"pk": pyese.Index("+k", primary=True)})
    with inst.transaction() as tx:
        t = tx.table("t", database=db)
        r = t.insert({"k": 1})
        assert r["ver"] is not None
        assert t.get(1) == r
        db.create_table("u", {"k": pyese.Long, "x": pyese.Long,
                              "ver": pyese.Column(pyese.Long, version=True)},
                        {"pk": pyese.Index("+k", primary=True)})
    with inst.transaction() as tx:
        u = tx.table("u", database=db)
        r = u.insert({"k": 1, "x": 0})
        assert u.update(1, {"x": 1})["ver"] != r["ver"]


def test_get_primary_secondary_and_tuple_keys(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        assert t.get(3)["name"] == "bob"
        assert t.get(99) is None
        assert t.get(("ann", 23), index="byname")["id"] == 4
        assert t.get(("ann", 99), index="byname") is None
        assert 3 in t and 99 not in t


def test_find_every_equal_entry(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        assert [r["age"] for r in t.find("ann", index="byname")] == [23, 21]  # -age
        assert [r["id"] for r in t.find(("ann", 21), index="byname")] == [2]
        assert list(t.find("zed", index="byname")) == []


def test_range_bounds_prefixes_reverse_and_columns(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        assert [r["id"] for r in t] == [1, 2, 3, 4, 5]
        assert [r["id"] for r in t.range(start=2, stop=4)] == [2, 3]  # stop exclusive
        assert [r["id"] for r in t.range(start=2, stop=4, reverse=True)] == [3, 2]
        assert [r["id"] for r in t.range(reverse=True)] == [5, 4, 3, 2, 1]
        names = [(r["name"], r["age"]) for r in t.range(index="byname")]
        assert names == [("ann", 23), ("ann", 21), ("bob", 22), ("cid", 24), ("dan", 20)]
        # prefixes of the key's columns
        assert [r["name"] for r in t.range(index="byname", start="b", stop="d")] == [
            "bob", "cid"]
        assert [r["age"] for r in t.range(index="byname", start="ann", stop="bob")] == [
            23, 21]
        assert [r["age"] for r in t.range(index="byname", start=("ann", 21))] == [
            21, 22, 24, 20]
        assert [r["name"] for r in t.range(index="byname", stop="bob", reverse=True)] == [
            "ann", "ann"]
        proj = list(t.range(start=4, columns=["name"]))
        assert [dict(r) for r in proj] == [{"name": "ann"}, {"name": "cid"}]
        assert list(t.range(start=10)) == [] and list(t.range(stop=1)) == []
        assert [r["tags"] for r in t.range(stop=3)] == [[], ["ann", "x"]]


def test_range_survives_other_calls_and_large_tables(inst: pyese.Instance,
                                                     db: pyese.Database) -> None:
    assert db.insert_many("people", ({"name": f"n{i:04d}", "age": i} for i in range(700)),
                          lazy=True) == 700
    with inst.transaction() as tx:
        t = tx.table("people")
        seen = []
        for r in t.range(index="byname"):
            seen.append(r["age"])
            if r["age"] % 100 == 0:
                assert t.get(r["id"]) == r  # moves the table's cursor, not the range's
        assert seen == list(range(700))
        it = t.range()
        next(it)
        assert len(t) == 700
    with pytest.raises(pyese.TransactionEndedError):
        list(it)  # the range ended with its transaction


def test_update_delete_escrow(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        r = t.update(2, {"age": 99, "tags": ["only"]})
        assert r["age"] == 99 and r["tags"] == ["only"] and r["name"] == "ann"
        assert t.update(4, {"tags": ["p", "q", "r"]})["tags"] == ["p", "q", "r"]
        assert t.update(4, {"tags": []})["tags"] == []
        assert t.escrow(1, "visits", 5) == 0
        assert t.escrow(1, "visits", -2) == 5
        assert t.get(1)["visits"] == 3
        t.delete(3)
        assert t.get(3) is None and len(t) == 4
        for fn in (lambda: t.update(3, {"age": 1}), lambda: t.delete(3),
                   lambda: t.escrow(3, "visits", 1)):
            with pytest.raises(KeyError):
                fn()
        with pytest.raises(TypeError, match="not an escrow column"):
            t.escrow(1, "age", 1)


def test_failed_update_leaves_the_row_as_it_was(filled: pyese.Instance) -> None:
    # Bad input (issue 13): nothing half-written reaches the database; here a valid change
    # beside a bad one in the same update, which must not be applied alone
    with filled.transaction() as tx:
        t = tx.table("people")
        before = dict(t.get(2))
        with pytest.raises(TypeError, match=r"column 'age' \(Long\) expects int"):
            t.update(2, {"name": "zed", "age": "old"})
        with pytest.raises(pyese.ColumnNotFoundError, match="'agee'.*columns: "):
            t.update(2, {"name": "zed", "agee": 1})
        with pytest.raises(TypeError, match="multi-valued"):
            t.update(2, {"name": "zed", "tags": "abc"})
        assert dict(t.get(2)) == before
        assert t.update(2, {"name": "zed"})["name"] == "zed"  # the cursor is still usable
    with filled.transaction() as tx:
        assert tx.table("people").get(2)["name"] == "zed"


def test_bookmark_goes_back_to_the_row_through_jet(filled: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        row = t.get(4)
        assert row is not None and row.bookmark is not None
        with tx.entered():
            cur = jet.JetOpenTable(tx.sesid, jet.JetOpenDatabase(tx.sesid, t.database.filename),
                                   "people")
            jet.JetGotoBookmark(tx.sesid, cur, row.bookmark)
            cid = jet.JetGetTableColumnInfo(tx.sesid, cur, "name").columnid
            assert jet.JetRetrieveColumn(tx.sesid, cur, cid).decode("utf-16-le") == "ann"
            jet.JetCloseTable(tx.sesid, cur)


def test_wrong_type_names_column_and_type_and_writes_nothing(inst: pyese.Instance,
                                                             db: pyese.Database) -> None:
    with inst.transaction() as tx:
        t = tx.table("people")
        with pytest.raises(TypeError, match=r"column 'age' \(Long\) expects int, not str"):
            t.insert({"name": "x", "age": "12"})
        with pytest.raises(TypeError, match=r"column 'name' \(LongText\) expects str"):
            t.insert({"name": b"x"})
        with pytest.raises(TypeError, match="multi-valued"):
            t.insert({"tags": "abc"})
        with pytest.raises(OverflowError, match="'age'"):
            t.insert({"age": 2**40})
        with pytest.raises(TypeError, match="'id'"):
            t.get("one")
        assert len(t) == 0
        t.insert({"name": "fine"})  # the transaction is still usable
    with inst.transaction() as tx:
        assert [r["name"] for r in tx.table("people")] == ["fine"]


def test_unknown_column_and_index_list_what_exists(inst: pyese.Instance,
                                                   db: pyese.Database) -> None:
    with inst.transaction() as tx:
        t = tx.table("people")
        with pytest.raises(pyese.ColumnNotFoundError, match="'nmae'.*columns: .*name"):
            t.insert({"nmae": "x"})
        with pytest.raises(pyese.ColumnNotFoundError, match="'nope'"):
            list(t.range(columns=["nope"]))
        with pytest.raises(pyese.IndexNotFoundError, match="indexes: .*byname"):
            t.get("x", index="byage")
        with pytest.raises(ValueError, match="2 key column"):
            t.get(("a", 1, 2), index="byname")
        assert len(t) == 0


def test_duplicate_key_cancels_the_insert(inst: pyese.Instance) -> None:
    db = inst.open_database("d.edb")
    db.create_table("t", {"k": pyese.Long, "v": str}, {"pk": pyese.Index("+k", primary=True)})
    with inst.transaction() as tx:
        t = tx.table("t")
        t.insert({"k": 1, "v": "a"})
        with pytest.raises(pyese.KeyDuplicateError):
            t.insert({"k": 1, "v": "b"})
        t.insert({"k": 2, "v": "c"})
    with inst.transaction() as tx:
        assert [dict(r) for r in tx.table("t")] == [{"k": 1, "v": "a"}, {"k": 2, "v": "c"}]


def test_not_null_and_defaults(inst: pyese.Instance) -> None:
    db = inst.open_database("n.edb")
    db.create_table("t", {"k": pyese.Column(pyese.Long, not_null=True),
                          "d": pyese.Column(pyese.DateTime,
                                            default=datetime.datetime(2000, 1, 1))})
    info = {c.name: c for c in db.columns("t")}
    assert info["k"].not_null and info["d"].default == datetime.datetime(2000, 1, 1)
    with inst.transaction() as tx:
        t = tx.table("t")
        with pytest.raises(pyese.NullInvalidError):
            t.insert({"d": None})
        assert t.insert({"k": 1})["d"] == datetime.datetime(2000, 1, 1)
        assert len(t) == 1


def test_insert_many_splits_to_fit_the_version_store(tmp_path) -> None:
    with pyese.Instance(tmp_path, max_ver_pages=1) as inst:  # a 32 KiB version store
        db = inst.open_database("x.edb")
        db.create_table("t", {"k": pyese.Long, "p": bytes},
                        {"pk": pyese.Index("+k", primary=True)})
        with pytest.raises(pyese.VersionStoreOutOfMemoryError), inst.transaction() as tx:
            for i in range(1200):
                tx.table("t").insert({"k": i, "p": b"x" * 200})
        rows = ({"k": i, "p": b"x" * 200} for i in range(1200))
        assert db.insert_many("t", rows, lazy=True) == 1200
        with inst.transaction() as tx:
            assert len(tx.table("t")) == 1200
        with pytest.raises(TypeError) as err:
            db.insert_many("t", [{"k": 5000}, {"k": "bad"}])
        assert err.value.inserted == 0  # type: ignore[attr-defined]
        with inst.transaction() as tx:
            assert tx.table("t").get(5000) is None  # the failing batch rolled back whole


def test_update_replaces_long_and_tagged_values(inst: pyese.Instance) -> None:
    # JET_SETCOLUMN.itagSequence 0 would add a second instance to a tagged column: the
    # layer sets instance 1 of a single-valued column.
    db = inst.open_database("u.edb")
    db.create_table("t", {"k": pyese.Long, "v": str, "b": bytes},
                    {"pk": pyese.Index("+k", primary=True)})
    with inst.transaction() as tx:
        tx.table("t").insert({"k": 1, "v": "1", "b": b"1"})
    with inst.transaction() as tx:
        assert dict(tx.table("t").update(1, {"v": "one", "b": b"x" * 5000})) == {
            "k": 1, "v": "one", "b": b"x" * 5000}
    with inst.transaction() as tx:
        assert dict(tx.table("t").get(1)) == {"k": 1, "v": "one", "b": b"x" * 5000}


def test_bookmarks_of_read_rows(filled: pyese.Instance, inst: pyese.Instance) -> None:
    with filled.transaction() as tx:
        t = tx.table("people")
        ins = t.insert({"name": "eve"})
        got = t.get(ins["id"])
        proj = [r for r in t.range(start=ins["id"], columns=["name"])]
        assert dict(proj[0]) == {"name": "eve"}  # the primary key read for it stays hidden
        assert got.bookmark == ins.bookmark == proj[0].bookmark
        assert t.update(ins["id"], {"age": 1}).bookmark == ins.bookmark
        late = t.get(1)
        bm1 = t.get(1).bookmark
    # get and range read the bookmark with the row (PyeseRetrieveRows): usable after
    assert late.bookmark == bm1
    db = inst.open_database("seq.edb")
    db.create_table("s", {"x": int})  # no primary index: ESE's sequential bookmarks
    with inst.transaction() as tx:
        s = tx.table("s", database=db)
        a = s.insert({"x": 1})
        rows = list(s)
    assert rows[0].bookmark == a.bookmark


def test_insert_paths_store_what_the_row_says(inst: pyese.Instance) -> None:
    """``insert`` takes one ``PyeseInsertRows`` call when ESE fills nothing in, and
    ``insert_many`` splits its rows into runs for ``PyeseInsertValues`` (None = "not set")
    and ``PyeseInsertRows`` (a zero-length value, a column with a default, a multi-valued
    column): every path stores the same thing, read back through the JET API too."""
    db = inst.open_database("paths.edb")
    db.create_table("t", {"k": pyese.Long, "s": str, "b": bytes,
                          "d": pyese.Column(pyese.Long, default=7),
                          "m": pyese.Column(str, multi_valued=True)},
                    {"pk": pyese.Index("+k", primary=True)})
    rows = [{"k": 0, "s": "a", "b": b"x"}, {"k": 1, "s": None, "b": b"y"},
            {"k": 2, "s": "", "b": b""}, {"k": 3, "s": "c", "b": None},
            {"b": b"z", "k": 4, "s": "d"}, {"k": 5, "d": None}, {"k": 6, "d": 9},
            {"k": 7, "m": ["p", "q"]}, {"k": 8, "s": "e", "b": b"w"}]
    want = {0: ("a", b"x", 7, []), 1: (None, b"y", 7, []), 2: ("", b"", 7, []),
            3: ("c", None, 7, []), 4: ("d", b"z", 7, []), 5: (None, None, None, []),
            6: (None, None, 9, []), 7: (None, None, 7, ["p", "q"]),
            8: ("e", b"w", 7, [])}
    with inst.transaction() as tx:
        t = tx.table("t")
        for row in rows:
            got = t.insert({**row, "k": row["k"] + 100})
            assert (got["s"], got["b"], got["d"], got["m"]) == want[row["k"]]
            assert t.get(row["k"] + 100) == got
    assert db.insert_many("t", rows, batch=4) == len(rows)
    with inst.transaction(read_only=True) as tx:
        for k, (s, b, d, m) in want.items():
            for key in (k, k + 100):
                r = tx.table("t").get(key)
                assert r is not None and (r["s"], r["b"], r["d"], r["m"]) == (s, b, d, m)
        with tx.entered():  # the JET API sees a zero-length value, not a NULL
            tableid = jet.JetOpenTable(tx.sesid, jet.JetOpenDatabase(
                tx.sesid, db.filename, None, 0), "t", None, 0)
            cid = jet.JetGetTableColumnInfo(tx.sesid, tableid, "b").columnid
            jet.JetMakeKey(tx.sesid, tableid, struct.pack("<i", 2), jet.JET_bitNewKey)
            jet.JetSeek(tx.sesid, tableid, jet.JET_bitSeekEQ)
            assert jet.JetRetrieveColumn(tx.sesid, tableid, cid) == b""
            jet.JetCloseTable(tx.sesid, tableid)
    with pytest.raises(TypeError, match="'s'"):  # checked before anything is written
        db.insert_many("t", [{"k": 50, "s": "ok"}, {"k": 51, "s": 3}])
    with inst.transaction(read_only=True) as tx:
        assert tx.table("t").get(50) is None

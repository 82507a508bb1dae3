"""``tx.temp_table``: ESE's forward-only sort (``JetOpenTempTable3``) through the layer."""

from __future__ import annotations

import datetime
import random
import threading
import uuid

import pytest

import pyese


@pytest.fixture
def tx(db: pyese.Database):
    with db.instance.transaction() as t:
        yield t


def test_rows_come_back_in_key_order(tx):
    with tx.temp_table({"name": str, "n": int}, key="n") as t:
        t.insert_many([{"name": "c", "n": 3}, {"name": "a", "n": 1}, {"name": "b", "n": 2}])
        t.insert({"name": "z", "n": -7})
        rows = list(t)
    assert [r["n"] for r in rows] == [-7, 1, 2, 3]
    assert [dict(r) for r in rows][1] == {"name": "a", "n": 1}
    assert isinstance(rows[0], pyese.Row)


def test_descending_key(tx):
    t = tx.temp_table({"n": pyese.Long}, key="-n")
    t.insert_many({"n": n} for n in [5, -2, 9, 0])
    assert [r["n"] for r in t] == [9, 5, 0, -2]


def test_multi_column_key_in_key_order_not_column_order(tx):
    t = tx.temp_table({"name": str, "age": int}, key=["-age", "+name"])
    data = [("bob", 30), ("al", 30), ("cy", 40), ("al", 20)]
    t.insert_many({"name": n, "age": a} for n, a in data)
    assert [(r["name"], r["age"]) for r in t] == [("cy", 40), ("al", 30), ("bob", 30),
                                                  ("al", 20)]
    assert list(next(iter(t))) == ["name", "age"]  # a Row's names in the order given


def test_duplicates_kept_without_unique(tx):
    t = tx.temp_table({"k": int, "v": str}, key="k")
    t.insert_many([{"k": 1, "v": "b"}, {"k": 1, "v": "a"}, {"k": 0, "v": "x"}])
    # ties by record bytes (docs/temptables.md): "a" before "b"
    assert [(r["k"], r["v"]) for r in t] == [(0, "x"), (1, "a"), (1, "b")]


def test_unique_keeps_one_row_per_key_the_first_in_sort_order(tx):
    # JET_bitTTUnique removes duplicates after sorting (key, then record bytes: ESE sort.cxx
    # ErrSORTEndInsert -> CspairSORTIUnique, or the final merge of its runs), so the
    # survivor is the row whose record sorts first, not the one inserted first.
    t = tx.temp_table({"k": int, "v": str}, key="k", unique=True)
    t.insert_many([{"k": 1, "v": "b"}, {"k": 2, "v": "q"}, {"k": 1, "v": "a"}])
    assert [(r["k"], r["v"]) for r in t] == [(1, "a"), (2, "q")]


def test_wrong_type_names_the_column_and_writes_nothing(tx):
    t = tx.temp_table({"k": int, "v": str}, key="k")
    with pytest.raises(TypeError, match="'v'"):
        t.insert_many([{"k": 1, "v": "ok"}, {"k": 2, "v": 3}])
    with pytest.raises(pyese.ColumnNotFoundError, match="'nope'"):
        t.insert({"k": 1, "nope": 1})
    assert list(t) == []


def test_bad_definitions(tx):
    with pytest.raises(ValueError, match="'x'"):
        tx.temp_table({"k": int}, key="x")
    with pytest.raises(ValueError, match="at least one"):
        tx.temp_table({"k": int}, key=[])
    with pytest.raises(ValueError, match="autoincrement"):
        tx.temp_table({"k": pyese.Column(int, autoincrement=True)}, key="k")


def test_insert_after_reading_is_refused(tx):
    t = tx.temp_table({"k": int}, key="k")
    t.insert({"k": 1})
    assert [r["k"] for r in t] == [1]
    with pytest.raises(pyese.jet.IllegalOperationError):
        t.insert({"k": 2})


def test_closed_with_the_transaction(db):
    with db.instance.transaction() as tx:
        t = tx.temp_table({"k": int}, key="k")
        t.insert({"k": 1})
    assert t.closed
    with pytest.raises(pyese.TransactionEndedError):
        list(t)
    tx2 = db.instance.transaction()
    t2 = tx2.temp_table({"k": int}, key="k")
    tx2.rollback()
    assert t2.closed
    with pytest.raises(pyese.TransactionEndedError):
        tx2.temp_table({"k": int}, key="k")


def test_close_then_use(tx):
    t = tx.temp_table({"k": int}, key="k")
    t.close()
    t.close()
    with pytest.raises(ValueError, match="closed"):
        t.insert({"k": 1})


def test_ten_thousand_rows_sorted_as_python_sorts(tx):
    rnd = random.Random(15)
    rows = [(rnd.randrange(-50, 50), "".join(rnd.choices("abcdefgh", k=rnd.randrange(1, 6))))
            for _ in range(10_000)]
    t = tx.temp_table({"k": int, "s": str}, key=["k", "-s"])
    t.insert_many({"k": k, "s": s} for k, s in rows)
    got = [(r["k"], r["s"]) for r in t]
    # "-s": descending text, a longer string before its prefix
    assert got == sorted(rows, key=lambda p: (p[0], [-ord(c) for c in p[1]] + [0]))
    u = tx.temp_table({"k": int}, key="k", unique=True)
    u.insert_many({"k": k} for k, _ in rows)
    assert [r["k"] for r in u] == sorted({k for k, _ in rows})


def test_long_values_and_other_types_round_trip(tx):
    # JET_bitTTIntrinsicLVsOnly: long text / binary stay in the sort's records, so the
    # forward-only sort is not refused (JET_errCannotMaterializeForwardOnlySort).
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    u = uuid.UUID(int=12345)
    t = tx.temp_table({"k": float, "blob": bytes, "text": str, "when": datetime.datetime,
                       "id": uuid.UUID, "ok": bool}, key="-k")
    big = "x" * 5000
    t.insert({"k": 1.5, "blob": b"\0" * 3000, "text": big, "when": when, "id": u, "ok": True})
    t.insert({"k": 2.5, "blob": b"", "text": "", "ok": False})
    rows = [dict(r) for r in t]
    assert rows == [
        {"k": 2.5, "blob": b"", "text": "", "when": None, "id": None, "ok": False},
        {"k": 1.5, "blob": b"\0" * 3000, "text": big, "when": when, "id": u, "ok": True}]


def test_another_thread_inside_the_transaction_is_refused(tx):
    t = tx.temp_table({"k": int}, key="k")
    errors = []
    with tx.entered():
        th = threading.Thread(target=lambda: _try(errors, lambda: t.insert({"k": 1})))
        th.start()
        th.join()
    assert len(errors) == 1 and isinstance(errors[0], pyese.SessionSharingViolationError)
    assert list(t) == []


def _try(errors, fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001 - collected for the assertion
        errors.append(e)

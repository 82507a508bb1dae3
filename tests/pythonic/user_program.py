"""A user's program: type-checked with ``mypy --strict`` by test_typing.py (not run)."""

from __future__ import annotations

import asyncio
import datetime

import pyese
import pyese.aio
import pyese.jet as jet


def sync_user(path: str) -> int:
    with pyese.Instance(path, max_sessions=8) as inst:
        db: pyese.Database = inst.open_database("a.edb")
        db.create_table("t", {"id": pyese.Column(int, autoincrement=True), "name": str,
                              "when": datetime.datetime},
                        indexes={"pk": pyese.Index("+id", primary=True), "n": ["+name"]})
        with inst.transaction() as tx:
            t: pyese.Table = tx.table("t")
            row: pyese.Row = t.insert({"name": "x"})
            ident: int = row["id"]
            found = t.get(ident)
            if found is not None:
                print(found.bookmark, len(t))
            with tx.savepoint():
                for r in t.range(index="n", start="a", columns=["name"]):
                    print(r["name"])
        try:
            inst.run(lambda tx: tx.table("t").update(1, {"name": "y"}))
        except (pyese.WriteConflictError, jet.KeyDuplicateError) as exc:
            code: int = exc.err
            print(code)
        info: list[pyese.ColumnInfo] = db.columns("t")
        coldef: jet.JET_COLUMNDEF = jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong)
        print(info, coldef)
    with pyese.PersistentDict(path + "/d", key_type=int, value_type=str) as d:
        d[1] = "a"
        value: str = d[1]
        for k, v in d.range(0, 5):
            print(k + 1, v.upper(), value)
        return len(d)


async def async_user(path: str) -> None:
    async with pyese.aio.Instance(path) as inst:
        db = await inst.open_database("a.edb")
        await db.create_table("t", {"k": int})
        async with inst.transaction() as tx:
            t = tx.table("t")
            row: pyese.Row = await t.insert({"k": 1})
            async for r in t.range():
                print(r["k"], row)
        tx2 = await inst.transaction()
        await tx2.commit()


if __name__ == "__main__":
    sync_user("/tmp/x")
    asyncio.run(async_user("/tmp/y"))

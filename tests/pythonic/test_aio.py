"""pyese.aio: the layer awaitable, every call on worker threads."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import pyese
import pyese.aio


async def _setup(inst: pyese.aio.Instance) -> pyese.aio.Database:
    db = await inst.open_database("app.edb")
    await db.create_table("orders", {"id": pyese.Long, "cents": pyese.Currency,
                                     "seen": pyese.Column(pyese.Long, escrow=True,
                                                          default=0)},
                          {"pk": pyese.Index("+id", primary=True)})
    return db


def test_gather_of_many_transactions(tmp_path: Path) -> None:
    async def main() -> None:
        async with pyese.aio.Instance(tmp_path, max_sessions=8, max_workers=6) as inst:
            db = await _setup(inst)
            assert await db.table_names() == ["orders"]
            loop_thread = threading.get_ident()
            threads: dict[int, set[int]] = {}

            def where(i: int) -> None:
                threads.setdefault(i, set()).add(threading.get_ident())

            async def order(i: int) -> int:
                async with inst.transaction(lazy=True) as tx:
                    t = tx.table("orders")
                    await t.insert({"id": i, "cents": i * 100})
                    for _ in range(3):  # several calls: each on any worker
                        await asyncio.sleep(0)
                        row = await t.get(i)
                        assert row is not None
                        await asyncio.get_running_loop().run_in_executor(
                            inst._executor, where, i)
                    await t.escrow(i, "seen", 1)
                return i

            done = await asyncio.gather(*(order(i) for i in range(60)))
            assert sorted(done) == list(range(60))
            assert all(loop_thread not in s for s in threads.values())
            async with inst.transaction(read_only=True) as tx:
                t = tx.table("orders")
                rows = [r async for r in t.range()]
                assert [r["id"] for r in rows] == list(range(60))
                assert all(r["seen"] == 1 for r in rows)
                assert await t.count() == 60
                assert [r["id"] async for r in t.range(start=10, stop=13, reverse=True)] == [
                    12, 11, 10]
                assert [r["id"] async for r in t.range(start=5, batch=2)][:3] == [5, 6, 7]

    asyncio.run(main())


def test_one_transaction_moves_between_workers(tmp_path: Path) -> None:
    async def main() -> None:
        async with pyese.aio.Instance(tmp_path, max_workers=4) as inst:
            await _setup(inst)
            tx = await inst.transaction()
            t = tx.table("orders")
            seen = set()
            for i in range(40):
                await t.insert({"id": i})
                seen.add(tx.sync.sesid)  # same session throughout
            # concurrent awaits on one transaction are serialized, not refused
            await asyncio.gather(*(t.update(i, {"cents": 1}) for i in range(40)))
            async with tx.savepoint():
                await t.delete(0)
            with pytest.raises(KeyError):
                async with tx.savepoint():
                    await t.delete(1)
                    raise KeyError(1)
            await tx.commit()
            assert not tx.active and len(seen) == 1
            async with inst.transaction() as tx2:
                t2 = tx2.table("orders")
                assert await t2.get(0) is None and (await t2.get(1))["cents"] == 1

    asyncio.run(main())


def test_run_retries_and_errors_propagate(tmp_path: Path) -> None:
    async def main() -> None:
        async with pyese.aio.Instance(tmp_path) as inst:
            await _setup(inst)
            async with inst.transaction() as tx:
                await tx.table("orders").insert({"id": 1, "cents": 0})
            calls = []

            async def bump(tx: pyese.aio.Transaction) -> int:
                calls.append(1)
                if len(calls) == 1:
                    async with inst.transaction() as other:
                        await other.table("orders").update(1, {"cents": 10})
                t = tx.table("orders")
                row = await t.get(1)
                assert row is not None
                return int((await t.update(1, {"cents": row["cents"] + 1}))["cents"])

            assert await inst.run(bump) == 11 and len(calls) == 2
            with pytest.raises(pyese.KeyDuplicateError):
                async with inst.transaction() as tx:
                    await tx.table("orders").insert({"id": 1})
            with pytest.raises(TypeError, match="'cents'"):
                async with inst.transaction() as tx:
                    await tx.table("orders").insert({"id": 2, "cents": "x"})

    asyncio.run(main())


class _RoundRobin(ThreadPoolExecutor):
    """An executor whose every call goes to the next of three single-thread pools: one
    transaction's consecutive calls land on different worker threads for certain."""

    def __init__(self) -> None:
        super().__init__(1)
        self.pools = [ThreadPoolExecutor(1, thread_name_prefix=f"rr{i}") for i in range(3)]
        self.turn = 0
        self.threads: list[int] = []

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        pool = self.pools[self.turn % 3]
        self.turn += 1

        def run() -> object:
            self.threads.append(threading.get_ident())
            return fn(*args, **kwargs)
        return pool.submit(run)

    def shutdown(self, wait: bool = True, **kw: object) -> None:  # type: ignore[override]
        for p in self.pools:
            p.shutdown(wait)
        super().shutdown(wait)


def test_every_call_of_one_transaction_on_another_worker(tmp_path: Path) -> None:
    # API.md section 2, pyese.aio: "one transaction's calls may land on different worker
    # threads: session contexts carry the transaction from one to the next". Here each
    # call goes to the next of three workers, never the event loop's thread.
    ex = _RoundRobin()

    async def main() -> None:
        loop_thread = threading.get_ident()
        async with pyese.aio.Instance(tmp_path, executor=ex) as inst:
            await _setup(inst)
            ex.threads.clear()
            async with inst.transaction() as tx:
                t = tx.table("orders")
                for i in range(6):
                    await t.insert({"id": i, "cents": i})
                await t.update(2, {"cents": 20})
                await t.escrow(3, "seen", 4)
                rows = [r["cents"] async for r in t.range()]
            used = set(ex.threads)
            assert len(used) == 3 and loop_thread not in used
            assert rows == [0, 1, 20, 3, 4, 5]
            async with inst.transaction() as tx:  # committed, as one transaction
                t = tx.table("orders")
                assert (await t.get(3))["seen"] == 4 and await t.count() == 6
            with pytest.raises(KeyError):
                async with inst.transaction() as tx:
                    await tx.table("orders").insert({"id": 9})
                    raise KeyError(9)
            async with inst.transaction() as tx:
                assert await tx.table("orders").get(9) is None  # rolled back on a worker

    try:
        asyncio.run(main())
    finally:
        ex.shutdown()

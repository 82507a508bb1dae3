"""Long randomized run: PersistentDict against a dict, several threads, with reopens.

``python tools/persistentdict_soak.py --seed 7 --seconds 300``. Each round runs
``--threads`` threads, each owning its own slice of keys (so the model stays exact)
while sharing one PersistentDict, doing random set / del / pop / setdefault / get over
short, case-variant and long (prefix-sharing, over 176 bytes) keys; then the dictionary
is flushed, closed, reopened and compared item by item, in key order, with the model.
The suite runs a short fixed-seed version (tests/pythonic/test_persistentdict_model.py).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import pyese  # noqa: E402


def keyspace(rng: random.Random, owner: int) -> list[str]:
    base = ["a", "A", "a ", "\u00e9", "e\u0301", "", "ss", "\u00df"]
    long = ["x" * 200 + str(i) for i in range(5)] + ["x" * 176, "x" * 177]
    return [f"{owner}:{k}" for k in base + long] + [
        f"{owner}:{rng.randrange(1000)}" for _ in range(20)]


def worker(d: pyese.PersistentDict[str, str | None], model: dict[str, str | None],
           keys: list[str], rng: random.Random, ops: int) -> None:
    for _ in range(ops):
        k = rng.choice(keys)
        op = rng.randrange(5)
        if op == 0:
            v = rng.choice([None, "", "v" * rng.randrange(100)])
            d[k] = v
            model[k] = v
        elif op == 1:
            try:
                del d[k]
                assert k in model
                del model[k]
            except KeyError:
                assert k not in model
        elif op == 2:
            assert d.pop(k, "?") == model.pop(k, "?")
        elif op == 3:
            assert d.setdefault(k, "s") == model.setdefault(k, "s")
        else:
            assert d.get(k, "?") == model.get(k, "?")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--ops", type=int, default=200, help="ops per thread per round")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    path = tempfile.mkdtemp(prefix="pd-soak-")
    model: dict[str, str | None] = {}
    deadline = time.monotonic() + a.seconds
    rounds = 0
    while time.monotonic() < deadline:
        d: pyese.PersistentDict[str, str | None] = pyese.PersistentDict(
            path, lazy=rng.random() < 0.5, max_sessions=a.threads)
        try:
            parts: list[dict[str, str | None]] = [{} for _ in range(a.threads)]
            for k, v in model.items():
                parts[int(k.split(":")[0])][k] = v
            errors: list[BaseException] = []

            def run(*args: object, errors: list[BaseException] = errors) -> None:
                try:
                    worker(*args)  # type: ignore[arg-type]
                except BaseException as exc:
                    errors.append(exc)

            threads = [threading.Thread(target=run, args=(
                d, parts[i], keyspace(random.Random(a.seed * 1000 + i), i),
                random.Random(rng.random()), a.ops)) for i in range(a.threads)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            if errors:
                raise errors[0]
            model = {k: v for p in parts for k, v in p.items()}
            d.flush()
        finally:
            d.close()
        with pyese.PersistentDict(path) as again:
            assert list(again.items()) == sorted(model.items()), "mismatch after reopen"
        rounds += 1
        print(f"round {rounds}: {len(model)} keys ok", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

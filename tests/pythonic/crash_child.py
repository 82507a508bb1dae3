"""Child of test_crash.py: durable writes through the layer, each acknowledged on stdout
after it returned; the parent kills this process with SIGKILL at a random moment."""

from __future__ import annotations

import sys

import pyese


def main(root: str) -> None:
    with pyese.Instance(f"{root}/inst") as inst, pyese.PersistentDict(f"{root}/dict") as d:
        db = inst.open_database("app.edb")
        if "t" not in db.table_names():
            db.create_table("t", {"k": pyese.Long, "v": str},
                            {"pk": pyese.Index("+k", primary=True)})
        i = 0
        while True:
            with inst.transaction() as tx:
                tx.table("t").insert({"k": i, "v": f"row {i}"})
            print(f"t {i}", flush=True)
            d[f"key {i}"] = f"value {i}"
            print(f"d {i}", flush=True)
            i += 1


if __name__ == "__main__":
    main(sys.argv[1])

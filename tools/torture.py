"""Long torture runs: ``python tools/torture.py NAME --seed N --minutes M [options]``.

NAME is a module in tools/torture/ (``logdamage``, ``fuzz``, ...); its ``main(argv)`` gets
the remaining arguments and its return value is the exit status (non-zero: a failure was
found). ``python tools/torture.py`` lists the modules.
"""

from __future__ import annotations

import importlib.util
import os
import sys

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torture")


def main(argv: list[str]) -> int:
    names = sorted(n[:-3] for n in os.listdir(HERE) if n.endswith(".py") and n[0] != "_")
    if not argv or argv[0] not in names:
        print(__doc__.strip())
        print("modules:", ", ".join(names))
        return 2
    spec = importlib.util.spec_from_file_location(f"torture_{argv[0]}",
                                                  os.path.join(HERE, argv[0] + ".py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Long torture runs, one subcommand each: ``python tools/torture.py NAME [options]``.

    python tools/torture.py                       list the subcommands
    python tools/torture.py snapshot --seed 7 --minutes 20

Each subcommand is a module ``tools/torture/NAME.py`` with a docstring (its first line
is the help text), ``add_arguments(parser)`` and ``run(args) -> int`` (the exit status:
0 when nothing was found). Adding one is adding a module; this file does not change.
Run from the project root; the modules find ``src/`` and ``tests/`` themselves.
docs/torture.md describes every suite.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent / "torture"


def load(name: str) -> ModuleType:
    """The subcommand module ``tools/torture/NAME.py``."""
    spec = importlib.util.spec_from_file_location(f"pyese_torture_{name}", HERE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    names = sorted(p.stem for p in HERE.glob("*.py") if not p.stem.startswith("_"))
    parser = argparse.ArgumentParser(prog="tools/torture.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in names:
        module = load(name)
        doc = (module.__doc__ or name).strip()
        p = sub.add_parser(name, help=doc.splitlines()[0], description=doc,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(p)
        p.set_defaults(run=module.run)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

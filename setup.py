"""pyese's build: pure Python unless a compiled build is asked for (docs/compiled.md).

Metadata lives in pyproject.toml; this file only adds the optional mypyc extensions.

- ``PYESE_COMPILE=1``: compile the modules listed in ``mypyc-modules.txt`` with mypyc
  (needs mypy in the build environment and a C compiler; fails loudly without them).
  ``./run compile`` does this in place: ``PYESE_COMPILE=1 python setup.py build_ext --inplace``;
  a wheel: ``PYESE_COMPILE=1 pip install --no-build-isolation .``.
- ``PYESE_COMPILE=auto``: compile when mypyc and a C compiler are present, else pure Python.
- unset, ``0``, or ``PYESE_PURE=1``: the pure-Python package.

A compiled build also writes ``pyese/_compiled.json`` (each compiled module with the SHA-256
of its source); ``pyese._buildmode`` runs the source instead when a hash no longer matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import sysconfig
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE_LIST = os.path.join(HERE, "mypyc-modules.txt")
SRC = os.path.join(HERE, "src")


def listed_sources() -> list[str]:
    """The paths (relative to src/) in mypyc-modules.txt, comments and blanks skipped."""
    with open(MODULE_LIST) as f:
        lines = (line.split("#", 1)[0].strip() for line in f)
        return [line for line in lines if line]


def module_name(path: str) -> str:
    return path[: -len(".py")].replace("/", ".")


def have_c_compiler() -> bool:
    cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
    return shutil.which(cc) is not None


def compile_requested() -> bool:
    if os.environ.get("PYESE_PURE", "") not in ("", "0"):
        return False
    ask = os.environ.get("PYESE_COMPILE", "").strip().lower()
    if ask in ("", "0", "no"):
        return False
    try:
        import mypyc.build  # noqa: F401
    except ImportError:
        if ask == "auto":
            print("pyese: mypyc not installed; building pure Python", file=sys.stderr)
            return False
        raise SystemExit("PYESE_COMPILE=1 needs mypy (mypyc) in the build environment: "
                         "pip install mypy, and pip install --no-build-isolation") from None
    if not have_c_compiler():
        if ask == "auto":
            print("pyese: no C compiler; building pure Python", file=sys.stderr)
            return False
        raise SystemExit("PYESE_COMPILE=1 needs a C compiler")
    return True


def stamp(sources: list[str]) -> dict[str, Any]:
    modules = {}
    for path in sources:
        with open(os.path.join(SRC, path), "rb") as f:
            modules[module_name(path)] = hashlib.sha256(f.read()).hexdigest()
    return {"modules": modules}


def remove_inplace_build() -> None:
    """Delete the extensions and record of an earlier in-place build: a module dropped from
    the list must not keep its old extension, and a failed build must leave the source."""
    for dirpath, _dirs, files in os.walk(SRC):
        for name in files:
            if name == "_compiled.json" or (name.endswith(".so") and (
                    "__mypyc" in name or dirpath.startswith(os.path.join(SRC, "pyese")))):
                os.remove(os.path.join(dirpath, name))


class BuildExtWithStamp(build_ext):
    """build_ext that records what it compiled in pyese/_compiled.json once it succeeded."""

    def run(self) -> None:
        if not SOURCES:  # a pure build: leave any in-place compiled build alone
            super().run()
            return
        built = stamp(SOURCES)  # hashed before compiling: what mypyc read
        if self.inplace or getattr(self, "editable_mode", False):
            remove_inplace_build()
        super().run()
        targets = [self.build_lib]
        if self.inplace or getattr(self, "editable_mode", False):
            targets.append(SRC)
        for root in targets:
            os.makedirs(os.path.join(root, "pyese"), exist_ok=True)
            with open(os.path.join(root, "pyese", "_compiled.json"), "w") as f:
                json.dump(built, f, indent=1, sort_keys=True)


SOURCES: list[str] = []
ext_modules = []
options: dict[str, dict[str, str]] = {}
if compile_requested():
    from mypyc.build import mypycify

    SOURCES = listed_sources()
    os.chdir(HERE)
    ext_modules = mypycify([os.path.join("src", p) for p in SOURCES],
                           opt_level=os.environ.get("PYESE_MYPYC_OPT", "3"),
                           group_name="pyese_mypyc", target_dir="build/mypyc/c")
    # a build directory of its own: a later pure build (pip install .) must not pick up
    # the extensions and _compiled.json left in build/lib* by this one
    options = {"build": {"build_base": "build/mypyc"}}

setup(ext_modules=ext_modules, cmdclass={"build_ext": BuildExtWithStamp}, options=options)

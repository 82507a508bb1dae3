"""Which build of pyese runs: the compiled modules (mypyc) or the pure-Python source.

pyese is pure Python. ``./run compile`` (or ``PYESE_COMPILE=1 pip install .``) also builds the
modules listed in ``mypyc-modules.txt`` as C extensions with mypyc (docs/compiled.md); the
build writes ``pyese/_compiled.json`` beside them: each compiled module with the SHA-256 of
the source it was compiled from. Python prefers an extension module over a ``.py`` of the
same name in the same directory, so this module, imported first by ``pyese/__init__.py``,
decides before any other pyese module is imported:

- ``PYESE_PURE=1`` in the environment: pure mode. A finder put first on ``sys.meta_path``
  loads every ``pyese.*`` module from its ``.py`` source, whatever extensions lie beside it.
- a compiled build whose recorded hashes no longer match the sources (a source edited or
  merged after the build): pure mode too, with a ``RuntimeWarning`` naming the stale module.
  A stale extension never runs.
- otherwise the compiled build when there is one, else the source.

``describe()`` says which mode runs (the benches print it); ``compiled_modules()`` lists
the pyese modules actually loaded from extensions.
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import json
import os
import sys
import warnings
from collections.abc import Sequence
from types import ModuleType

STAMP = "_compiled.json"
"""The build's record, beside this file: ``{"modules": {"pyese.x.y": "<sha256 of x/y.py>"}}``."""

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))

pure_reason: str | None = None
"""Why pyese runs from source although a compiled build exists (None: it does not)."""


class SourceFirstFinder(importlib.abc.MetaPathFinder):
    """Finds ``pyese.*`` modules as ``.py`` files only (pure mode), ignoring extensions."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith("pyese.") or path is None:
            return None
        name = fullname.rpartition(".")[2]
        for entry in path:
            package = os.path.join(entry, name)
            init = os.path.join(package, "__init__.py")
            if os.path.isfile(init):
                return importlib.util.spec_from_file_location(
                    fullname, init, submodule_search_locations=[package])
            module = package + ".py"
            if os.path.isfile(module):
                return importlib.util.spec_from_file_location(fullname, module)
        return None


def read_stamp(package_dir: str = _PACKAGE_DIR) -> dict[str, str] | None:
    """The compiled build's ``{module: sha256}``, or None when no compiled build is present."""
    try:
        with open(os.path.join(package_dir, STAMP)) as f:
            modules = json.load(f)["modules"]
    except FileNotFoundError:
        return None
    return {str(k): str(v) for k, v in modules.items()}


def source_path(module: str, package_dir: str = _PACKAGE_DIR) -> str:
    """The ``.py`` file of ``pyese.a.b`` under the package directory."""
    parts = module.split(".")[1:]
    return os.path.join(package_dir, *parts) + ".py"


def source_hash(path: str) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def stale_modules(stamp: dict[str, str], package_dir: str = _PACKAGE_DIR) -> list[str]:
    """The compiled modules whose source changed (or vanished) since the build."""
    stale = []
    for module, digest in sorted(stamp.items()):
        try:
            if source_hash(source_path(module, package_dir)) != digest:
                stale.append(module)
        except FileNotFoundError:
            stale.append(module)
    return stale


def _install_source_finder() -> None:
    if not any(isinstance(f, SourceFirstFinder) for f in sys.meta_path):
        sys.meta_path.insert(0, SourceFirstFinder())


def _select() -> None:
    global pure_reason
    stamp = read_stamp()
    if os.environ.get("PYESE_PURE", "") not in ("", "0"):
        if stamp is not None:
            pure_reason = "PYESE_PURE is set"
        _install_source_finder()
        return
    if stamp is None:
        return
    stale = stale_modules(stamp)
    if stale:
        pure_reason = (f"the compiled build is stale ({len(stale)} source(s) changed since it "
                       f"was built, e.g. {stale[0]}); rebuild with ./run compile")
        warnings.warn(f"pyese runs from source: {pure_reason}", RuntimeWarning, stacklevel=2)
        _install_source_finder()


def compiled_modules() -> list[str]:
    """The ``pyese.*`` modules loaded so far from C extensions."""
    suffixes = tuple(importlib.machinery.EXTENSION_SUFFIXES)
    return sorted(name for name, mod in list(sys.modules.items())
                  if name.startswith("pyese.")
                  and str(getattr(mod, "__file__", "") or "").endswith(suffixes))


def describe() -> str:
    """One line saying which build runs, e.g. for a benchmark's header (import what you
    use first: the count is of the compiled modules loaded so far)."""
    stamp = read_stamp()
    if stamp is None:
        return "pure Python (no compiled build present; ./run compile builds one)"
    if pure_reason is not None:
        return f"pure Python ({pure_reason})"
    loaded = [m for m in compiled_modules() if m in stamp]
    return (f"compiled with mypyc ({len(loaded)} of the {len(stamp)} compiled modules loaded "
            f"so far; PYESE_PURE=1 runs the source)")


_select()

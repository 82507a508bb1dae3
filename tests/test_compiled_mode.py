"""The compiled build (mypyc) and the pure-Python source: the mode claimed is the mode that runs.

``mypyc-modules.txt`` lists the modules ``./run compile`` compiles (docs/compiled.md); the build
records each one's source hash in ``pyese/_compiled.json``; ``pyese._buildmode`` runs the
source when ``PYESE_PURE=1`` or when a hash no longer matches. These tests pin that:

- the list names engine and storage modules only (never ``pyese.jet``, whose argument checks
  must give ESE's errors, nor the Pythonic layer), and no module that writes files;
- when a compiled build is claimed, every listed module is loaded from its extension and the
  build is of the current list and sources (a stale or partial build fails here);
- ``PYESE_EXPECT_MODE=compiled|pure`` (``.ci/run`` sets it) fails the run if the other mode
  is what actually runs;
- no listed module writes ``raise ... from ...`` (mypyc drops the cause);
- ``PYESE_PURE=1`` loads no extension even when they lie beside the sources, and a build
  whose source changed runs the source, with a warning.
"""

from __future__ import annotations

import ast
import hashlib
import os
import shutil
import subprocess
import sys
from importlib import import_module, machinery
from pathlib import Path

import pytest

from pyese import _buildmode

ROOT = Path(__file__).resolve().parent.parent
MODULE_LIST = ROOT / "mypyc-modules.txt"
PACKAGE_DIR = Path(_buildmode.__file__).resolve().parent
SRC = PACKAGE_DIR.parent


def listed() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in MODULE_LIST.read_text().splitlines())
    return [line for line in lines if line]


def module_of(path: str) -> str:
    return path.removesuffix(".py").replace("/", ".")


def is_extension(module: object) -> bool:
    return str(getattr(module, "__file__", "")).endswith(tuple(machinery.EXTENSION_SUFFIXES))


def test_the_list_names_engine_and_storage_modules_that_exist():
    paths = listed()
    assert paths and len(paths) == len(set(paths))
    for path in paths:
        assert (ROOT / "src" / path).is_file(), f"{path} listed in mypyc-modules.txt is gone"
        assert path.startswith(("pyese/engine/", "pyese/storage/")), path
        assert not path.endswith("__init__.py"), path


def test_no_listed_module_writes_files():
    """File I/O stays interpreted: a miscompiled write costs data (docs/compiled.md)."""
    io_calls = {"write", "pwrite", "fsync", "fdatasync", "replace", "ftruncate", "open"}
    for path in listed():
        tree = ast.parse((ROOT / "src" / path).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                f = node.func
                name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
                owner = getattr(f.value, "id", "") if isinstance(f, ast.Attribute) else ""
                assert not (name in io_calls and owner in ("os", "")), (
                    f"{path}:{node.lineno} does file I/O ({name}); leave it out of the list")


def test_no_listed_module_raises_from():
    """mypyc (2.4) compiles ``raise X from Y`` as ``raise X``: the cause is lost, so a
    compiled module sets ``__cause__`` itself (``engine/cursors/callbacks.py``). Exempt:
    ``raise AssertionError from exc`` after ``raise_error``, which never runs."""
    for path in listed():
        for node in ast.walk(ast.parse((ROOT / "src" / path).read_text())):
            if isinstance(node, ast.Raise) and node.cause is not None:
                exc = node.exc
                assert isinstance(exc, ast.Name) and exc.id == "AssertionError", (
                    f"{path}:{node.lineno}: raise ... from ... loses its cause when compiled")


def _allows_python_subclasses(node: ast.ClassDef) -> bool:
    for d in node.decorator_list:
        if isinstance(d, ast.Call) and getattr(d.func, "id", "") == "mypyc_attr":
            if any(k.arg == "allow_interpreted_subclasses" for k in d.keywords):
                return True
    return False


def test_python_subclasses_of_compiled_classes_are_allowed():
    """A class of a compiled module refuses subclasses written in Python (at run time:
    ``TypeError: X object expected; got Y``) unless it says
    ``@mypyc_attr(allow_interpreted_subclasses=True)``; found statically, so that the pure
    run fails too when a change adds such a subclass."""
    closed = {}
    for path in listed():
        for node in ast.parse((ROOT / "src" / path).read_text()).body:
            if isinstance(node, ast.ClassDef) and not _allows_python_subclasses(node):
                closed[node.name] = path
    compiled = {ROOT / "src" / p for p in listed()}
    for f in sorted([*(ROOT / "src").rglob("*.py"), *(ROOT / "tests").rglob("*.py")]):
        if f in compiled:
            continue
        for node in ast.walk(ast.parse(f.read_text())):
            if isinstance(node, ast.ClassDef):
                for base in node.bases:
                    name = getattr(base, "id", getattr(base, "attr", ""))
                    assert name not in closed, (
                        f"{f.relative_to(ROOT)}: {node.name} subclasses {name} of compiled "
                        f"{closed[name]}: give {name} @mypyc_attr(allow_interpreted_subclasses"
                        f"=True) or drop {closed[name]} from mypyc-modules.txt")


def test_the_claimed_mode_is_the_loaded_mode():
    stamp = _buildmode.read_stamp()
    expect = os.environ.get("PYESE_EXPECT_MODE", "")
    compiled = stamp is not None and _buildmode.pure_reason is None
    if expect:
        assert expect in ("compiled", "pure"), f"PYESE_EXPECT_MODE={expect!r}"
        assert ("compiled" if compiled else "pure") == expect, _buildmode.describe()
    if not compiled:
        for path in listed():
            assert not is_extension(import_module(module_of(path))), path
        assert _buildmode.compiled_modules() == []
        return
    assert stamp is not None
    assert sorted(stamp) == sorted(module_of(p) for p in listed()), (
        "the compiled build is of another mypyc-modules.txt: run ./run compile")
    assert _buildmode.stale_modules(stamp) == []
    for module in stamp:
        assert is_extension(import_module(module)), f"{module} is not loaded compiled"
    assert "compiled with mypyc" in _buildmode.describe()


def test_stale_modules_compares_source_hashes(tmp_path):
    pkg = tmp_path / "pyese"
    (pkg / "storage").mkdir(parents=True)
    (pkg / "storage" / "trees.py").write_text("X = 1\n")
    digest = hashlib.sha256(b"X = 1\n").hexdigest()
    stamp = {"pyese.storage.trees": digest, "pyese.storage.gone": digest}
    assert _buildmode.stale_modules(stamp, str(pkg)) == ["pyese.storage.gone"]
    (pkg / "storage" / "trees.py").write_text("X = 2\n")
    assert _buildmode.stale_modules(stamp, str(pkg)) == ["pyese.storage.gone",
                                                         "pyese.storage.trees"]


def test_the_source_first_finder_skips_an_extension_beside_the_source(tmp_path):
    pkg = tmp_path / "sub"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "mod.py").write_text("")
    (pkg / ("mod" + machinery.EXTENSION_SUFFIXES[0])).write_bytes(b"not a library")
    finder = _buildmode.SourceFirstFinder()
    spec = finder.find_spec("pyese.sub.mod", [str(pkg)])
    assert spec is not None and spec.origin == str(pkg / "mod.py")
    spec = finder.find_spec("pyese.sub", [str(tmp_path)])
    assert spec is not None and spec.submodule_search_locations == [str(pkg)]
    assert finder.find_spec("pyese.sub.missing", [str(pkg)]) is None
    assert finder.find_spec("other.mod", [str(pkg)]) is None


PROBE = ("import warnings; warnings.simplefilter('always'); import pyese.jet; "
         "from pyese import _buildmode as b; print(len(b.compiled_modules())); "
         "print(b.describe())")


def _probe(src: Path, **env: str) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if k not in ("PYESE_PURE", "PYTHONPATH")}
    full.update(env, PYTHONPATH=str(src))
    return subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True,
                          text=True, timeout=120, cwd=src)


def test_pyese_pure_loads_no_extension():
    out = _probe(SRC, PYESE_PURE="1")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0] == "0"
    assert out.stdout.splitlines()[1].startswith("pure Python")


def test_a_stale_compiled_build_runs_the_source(tmp_path):
    """A source edited after the build (a merge, a checkout) must not run the old extension."""
    stamp = _buildmode.read_stamp()
    if stamp is None or _buildmode.stale_modules(stamp):
        pytest.skip("no current compiled build (./run compile makes one)")
    copy = tmp_path / "src"
    shutil.copytree(PACKAGE_DIR, copy / "pyese",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for lib in SRC.glob("*__mypyc*"):
        shutil.copy2(lib, copy / lib.name)
    fresh = _probe(copy)
    assert fresh.returncode == 0, fresh.stderr
    assert int(fresh.stdout.splitlines()[0]) > 0, fresh.stdout
    victim = sorted(stamp)[0]
    path = copy.joinpath(*victim.split(".")).with_suffix(".py")
    path.write_text(path.read_text() + "\n# edited after the build\n")
    stale = _probe(copy)
    assert stale.returncode == 0, stale.stderr
    assert stale.stdout.splitlines()[0] == "0", stale.stdout
    assert "stale" in stale.stdout.splitlines()[1]
    assert "RuntimeWarning" in stale.stderr and victim in stale.stderr


def test_the_cursor_handle_table_stays_interpreted():
    """``engine/cursors/handles.py`` hands out cursors of two classes (``Cursor`` and a
    temporary table's ``SortCursor``) under one declared type: compiled, ``cursor_for``
    would refuse the second with a ``TypeError`` (docs/compiled.md)."""
    assert "pyese/engine/cursors/cursor.py" in listed()
    assert "pyese/engine/cursors/handles.py" not in listed()

"""The layout stays true: imports point down the layers, and no module takes part in a circle.

pyese's layers, top to bottom (``docs/architecture/README.md``)::

    Pythonic layer and CLI   pyese, pyese.values, pyese.cli, ...   may import anything below
    JET API                  pyese.jet                             jet, engine, jethdr
    engine                   pyese.engine                          engine, storage, jethdr
    storage                  pyese.storage                         storage, jethdr
    ESE's header             pyese.jethdr                          jethdr

Inside ``storage`` the parts are ordered too: the shared vocabulary (``trees``, ``ops``,
``lgpos``, ``faults``) < ``edb`` < ``database`` < ``log`` < ``backup``; a part imports the
vocabulary, itself and the parts before it.

Every import counts, wherever it is written: at module level, inside a function, under
``if TYPE_CHECKING:``. A function-level import is not a way around a circle, it is the same
dependency made harder to see. Modules are read with ``ast``, never imported, so the test
sees the code as written. Dynamic imports of pyese modules (``importlib.import_module``,
``__import__``) are refused outright, since they would hide edges from this check.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parent.parent / "src"

LAYERS = {"jethdr": 0, "storage": 1, "engine": 2, "jet": 3, "pythonic": 4}
ALLOWED = {
    "jethdr": {"jethdr"},
    "storage": {"storage", "jethdr"},
    "engine": {"engine", "storage", "jethdr"},
    "jet": {"jet", "engine", "jethdr"},
    "pythonic": set(LAYERS),
}
STORAGE_PARTS = {"edb": 1, "database": 2, "log": 3, "backup": 4}
"""Storage parts in order; any other storage module is the shared vocabulary (rank 0)."""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int


def module_names(src: Path) -> dict[str, Path]:
    """Dotted name -> file of every module under ``src/pyese``."""
    found: dict[str, Path] = {}
    for path in sorted((src / "pyese").rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module an import of ``name`` loads (a package's ``__init__`` for a package)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _absolute(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base.pop()
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def import_edges(modules: dict[str, Path]) -> tuple[list[Edge], list[str]]:
    """Every import of a pyese module by a pyese module, and the dynamic imports found."""
    edges: list[Edge] = []
    dynamic: list[str] = []
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _absolute(node, module, is_package)
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in modules else base)
            elif isinstance(node, ast.Call) and _is_dynamic_import(node):
                dynamic.append(f"{path}:{node.lineno}")
            for target in targets:
                if target == "pyese" or target.startswith("pyese."):
                    resolved = _resolve(target, modules)
                    if resolved is not None and resolved != module:
                        edges.append(Edge(module, resolved, node.lineno))
    return edges, dynamic


def _is_dynamic_import(call: ast.Call) -> bool:
    func = call.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name not in ("import_module", "__import__"):
        return False
    first = call.args[0] if call.args else None
    return not (isinstance(first, ast.Constant) and isinstance(first.value, str)
                and not first.value.startswith("pyese"))


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("jethdr", "storage", "engine", "jet"):
        return parts[1]
    return "pythonic"


def storage_rank(module: str) -> int:
    parts = module.split(".")
    return STORAGE_PARTS.get(parts[2], 0) if len(parts) > 2 else 0


def upward_imports(edges: Iterable[Edge]) -> list[str]:
    """Imports that break the layer rules, as readable lines."""
    bad = []
    for e in edges:
        src_layer, dst_layer = layer_of(e.source), layer_of(e.target)
        if dst_layer not in ALLOWED[src_layer]:
            bad.append(f"{e.source}:{e.line} ({src_layer}) imports {e.target} ({dst_layer})")
        elif src_layer == dst_layer == "storage":
            mine, theirs = storage_rank(e.source), storage_rank(e.target)
            if theirs > mine or (theirs == mine and mine and
                                 e.source.split(".")[2] != e.target.split(".")[2]):
                bad.append(f"{e.source}:{e.line} imports {e.target}: storage parts are "
                           "vocabulary < edb < database < log")
    return bad


def import_circles(modules: Iterable[str], edges: Iterable[Edge]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each a circle."""
    graph: dict[str, set[str]] = {m: set() for m in modules}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    circles: list[list[str]] = []

    def visit(root: str) -> None:
        # iterative Tarjan: (node, iterator over its successors)
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, successors = work[-1]
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    index[nxt] = low[nxt] = len(index)
                    stack.append(nxt)
                    on_stack.add(nxt)
                    work.append((nxt, iter(sorted(graph.get(nxt, ())))))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    circles.append(sorted(component))

    for m in sorted(graph):
        if m not in index:
            visit(m)
    return circles


# -- the rules on pyese itself ----------------------------------------------------------


@functools.cache
def _pyese() -> tuple[dict[str, Path], list[Edge], list[str]]:
    modules = module_names(SRC)
    edges, dynamic = import_edges(modules)
    return modules, edges, dynamic


def test_the_layers_are_all_there():
    modules, edges, _ = _pyese()
    layers = {layer_of(m) for m in modules}
    assert layers == set(LAYERS)
    assert len(edges) > 100  # the parser really sees the imports


def test_no_import_points_up_a_layer():
    _, edges, _ = _pyese()
    assert upward_imports(edges) == []


def test_no_import_circles():
    modules, edges, _ = _pyese()
    assert import_circles(modules, edges) == []


def test_no_dynamic_imports_of_pyese_modules():
    _, _, dynamic = _pyese()
    assert dynamic == []


# -- the checker catches what it should (so the tests above can fail) -------------------


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / "pyese" / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for d in [p for p in (tmp_path / "pyese").rglob("*") if p.is_dir()] + [tmp_path / "pyese"]:
        (d / "__init__.py").touch()
    return tmp_path


def test_checker_finds_upward_imports(tmp_path):
    src = _tree(tmp_path, {
        "storage/log/recovery.py": "def f():\n    from pyese.engine.instance import session\n",
        "storage/edb/reader.py": "from pyese.storage.log import recovery\n",
        "storage/database/dbfile.py": "from pyese.storage import lgpos, edb\n",
        "storage/lgpos.py": "",
        "engine/cursor.py": "from typing import TYPE_CHECKING\n"
                            "if TYPE_CHECKING:\n    from pyese.jet import handles\n",
        "engine/instance/session.py": "from pyese.storage.database import dbfile\n",
        "jet/handles.py": "from pyese import values\n",
        "values.py": "from pyese.jet import handles\n",
    })
    modules = module_names(src)
    edges, _ = import_edges(modules)
    bad = upward_imports(edges)
    assert any("pyese.storage.log.recovery:2 (storage) imports pyese.engine.instance.session"
               in b for b in bad)
    assert any(b.startswith("pyese.storage.edb.reader:1 imports pyese.storage.log.recovery")
               for b in bad)
    assert any("pyese.engine.cursor:3 (engine) imports pyese.jet.handles" in b for b in bad)
    assert any("pyese.jet.handles:1 (jet) imports pyese.values (pythonic)" in b for b in bad)
    assert len(bad) == 4, bad  # downward imports (dbfile -> lgpos, edb; values -> jet) pass


def test_checker_finds_circles_through_function_level_imports(tmp_path):
    src = _tree(tmp_path, {
        "engine/a.py": "from pyese.engine import b\n",
        "engine/b.py": "def g():\n    from .c import thing\n",
        "engine/c.py": "import pyese.engine.a as a\n",
        "engine/d.py": "from pyese.engine import a\n",
    })
    modules = module_names(src)
    edges, _ = import_edges(modules)
    assert import_circles(modules, edges) == [["pyese.engine.a", "pyese.engine.b",
                                               "pyese.engine.c"]]


def test_checker_refuses_dynamic_imports(tmp_path):
    src = _tree(tmp_path, {
        "engine/a.py": "import importlib\nm = importlib.import_module('pyese.jet')\n"
                       "n = importlib.import_module('json')\n",
    })
    _, dynamic = import_edges(module_names(src))
    assert len(dynamic) == 1 and dynamic[0].endswith("a.py:2")


# -- the docs name what the folders hold ------------------------------------------------


def test_architecture_docs_name_every_subpackage_and_module():
    docs = SRC.parent / "docs" / "architecture"
    overview = (docs / "README.md").read_text(encoding="utf-8")
    pages = "\n".join(p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.md")))
    missing = []
    for layer in ("engine", "storage"):
        for pkg in sorted(p for p in (SRC / "pyese" / layer).iterdir()
                          if (p / "__init__.py").exists()):
            if f"{pkg.name}/" not in overview:
                missing.append(f"README.md lacks {layer}/{pkg.name}/")
            for module in sorted(pkg.glob("*.py")):
                if module.stem != "__init__" and module.stem not in pages:
                    missing.append(f"no page names {layer}/{pkg.name}/{module.name}")
    assert missing == []

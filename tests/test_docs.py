"""Executable documentation: the README's example runs; every JET function is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pyese.jet as jet

ROOT = Path(__file__).resolve().parent.parent


def python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, flags=re.S)


def test_readme_examples_run(capsys):
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "the README has a python example"
    for block in blocks:
        exec(compile(block, "README.md", "exec"), {"__name__": "readme"})
    assert "JET_errNotInTransaction (-1054)" in capsys.readouterr().out


def test_quick_start_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, flags=re.S)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip()]
    assert commands == ["./run demo", "./run test"]
    assert "./run test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_every_jet_function_has_a_docstring():
    functions = [
        n for n in dir(jet) if n.startswith("Jet") and not isinstance(getattr(jet, n), type)
    ]
    assert len(functions) >= 28
    undocumented = [n for n in functions if not (getattr(jet, n).__doc__ or "").strip()]
    assert undocumented == []


def test_docstrings_name_errors_they_raise():
    # docs/api-contract.md: docstrings state the contract and the JET errors
    for name in ("JetSetSessionContext", "JetCommitTransaction", "JetTerm2", "JetBeginSession"):
        assert "JET_err" in getattr(jet, name).__doc__


def _run_page(page: str, tmp_path: Path, monkeypatch) -> None:
    """Run every python block of a docs page, in order, in one namespace."""
    monkeypatch.chdir(tmp_path)
    blocks = python_blocks((ROOT / "docs" / page).read_text(encoding="utf-8"))
    assert blocks, f"{page} has python examples"
    namespace: dict = {"__name__": page}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{page} block {i + 1}", "exec"), namespace)
    for value in namespace.values():  # close what a failing page left open
        close = getattr(value, "close", None)
        if type(value).__name__ in ("Instance", "PersistentDict") and callable(close):
            close()


def test_guide_runs(tmp_path, monkeypatch, capsys):
    _run_page("guide.md", tmp_path, monkeypatch)
    out = capsys.readouterr().out
    assert "did you mean maxverpages" in out and "no row 99" in out
    assert "expects int, not str" in out and "'nmae'" in out


def test_migration_page_runs(tmp_path, monkeypatch):
    _run_page("from-sqlite3-and-managedesent.md", tmp_path, monkeypatch)

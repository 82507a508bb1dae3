"""The layer type-checks under ``mypy --strict`` for a user program (user_program.py),
and the JET_* structures and error classes are classes to a type checker: a misuse is
reported, an unknown name is an error (one mypy run checks both files)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_mypy_strict_on_a_user_program(tmp_path: Path) -> None:
    pytest.importorskip("mypy")
    bad = tmp_path / "bad.py"
    bad.write_text("import pyese\nimport pyese.jet as jet\n"
                   "x: int = pyese.Instance\n"
                   "y: jet.JET_COLUMNDEF = jet.KeyDuplicateError()\n"
                   "z = jet.NoSuchThingError\n")
    env = {**os.environ, "MYPYPATH": str(ROOT / "src")}
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent",
         "--cache-dir", str(tmp_path / "cache"), "--python-version", "3.11",
         str(Path(__file__).with_name("user_program.py")), str(bad)],
        capture_output=True, text=True, env=env, cwd=tmp_path)
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert len(errors) == 3 and all(line.startswith("bad.py:") for line in errors), (
        proc.stdout + proc.stderr)

"""The static name lists type checkers read are up to date (tools/gen_jet_static.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyese.jet as jet
from pyese.jet import structs
from pyese.jethdr.errors import ERROR_CLASSES

ROOT = Path(__file__).resolve().parents[2]


def test_generated_files_are_current():
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_jet_static.py"),
                           "--check"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_structs_all_is_every_structure():
    assert sorted(structs.__all__) == sorted([c.__name__ for c in structs.STRUCTS]
                                             + ["STRUCTS"])
    assert all(isinstance(getattr(jet, n), type) for n in structs.__all__ if n != "STRUCTS")


def test_unknown_names_are_attribute_errors():
    # jet no longer claims every unknown name as an error class
    assert not hasattr(jet, "NoSuchThingError")
    assert jet.WriteConflictError is ERROR_CLASSES["WriteConflictError"]

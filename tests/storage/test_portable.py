"""Any OS: pyese imports and works where ``fcntl`` does not exist (Windows), using the
portable primitives of ``pyese.storage.portable`` (issue 17 item 9)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"

_PROGRAM = textwrap.dedent("""
    import struct, sys
    sys.modules["fcntl"] = None  # as on Windows: "import fcntl" raises ImportError
    import pyese.jet as jet
    from pyese.storage import portable
    assert portable.LOCKING != "fcntl", portable.LOCKING
    inst = jet.JetCreateInstance("portable")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "p.edb")
    jet.JetBeginTransaction(s)
    t = jet.JetCreateTable(s, db, "T", 0, 100)
    c = jet.JetAddColumn(s, t, "v", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, struct.pack("<i", 42), 0)
    jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetMove(s, t, jet.JET_MoveFirst, 0)
    assert jet.JetRetrieveColumn(s, t, c, 0) == struct.pack("<i", 42)
    jet.JetEndSession(s, 0)
    jet.JetTerm(inst)
    print("ok", portable.LOCKING)
""")


def test_pyese_works_without_fcntl(tmp_path):
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", _PROGRAM], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok ")


def test_no_module_imports_fcntl_directly():
    for path in (SRC / "pyese").rglob("*.py"):
        if path.name == "portable.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "import fcntl" not in text, path

"""Recovery never writes a database cleanly detached before the crash (issue 12, item 5).

Two guards, as ESE has both: a clean detach advances the checkpoint past the DETACH record
(the applier writes it), and replay leaves alone a database whose header says it is
consistent at or after the ATTACH record being replayed (ESE: logredo.cxx
``ErrLGRICheckAttachedDb`` -> ``redoattachDeferConsistentFuture``; the database is only
read, to look). The second guard is what protects the file when the checkpoint is lost and
replay passes its ATTACH and DETACH again, and it lets a detached file sit on read-only
media (``chattr +i`` below, root only).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys

import pytest

import pyese.jet as jet

from ._torture import load

L = load("logdamage")

_CHILD = """
import os, sys
sys.path.insert(0, {src!r})
import pyese.jet as jet
root = sys.argv[1]
i = jet.JetCreateInstance("a")
jet.JetSetSystemParameter(i, 0, jet.JET_paramSystemPath, 0, root + "/")
jet.JetSetSystemParameter(i, 0, jet.JET_paramLogFilePath, 0, root + "/")
jet.JetInit(i)
s = jet.JetBeginSession(i)
db = jet.JetCreateDatabase(s, root + "/s.edb")
t = jet.JetCreateTable(s, db, "S")
jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
jet.JetCloseTable(s, t)
jet.JetCloseDatabase(s, db)
jet.JetDetachDatabase(s, root + "/s.edb")
db = jet.JetCreateDatabase(s, root + "/other.edb")   # still attached at the crash
os._exit(0)
"""


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """One crash, kept aside; each test gets a fresh copy at the path the log names."""
    root = tmp_path_factory.mktemp("detached")
    live = root / "d"
    live.mkdir()
    subprocess.run([sys.executable, "-c", _CHILD.format(src=L.SRC), str(live)], check=True,
                   timeout=120)
    shutil.copytree(live, root / "store")
    return live, root / "store"


def _crash(crashed) -> str:
    live, store = crashed
    shutil.rmtree(live)
    shutil.copytree(store, live)
    return str(live / "s.edb")


def _digest(path: str) -> str:
    return hashlib.sha1(open(path, "rb").read()).hexdigest()


def _init(root) -> None:
    i = jet.JetCreateInstance(f"r{id(root)}")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramSystemPath, 0, str(root) + "/")
    jet.JetSetSystemParameter(i, 0, jet.JET_paramLogFilePath, 0, str(root) + "/")
    jet.JetInit(i)
    jet.JetTerm(i)


@pytest.mark.parametrize("lose_checkpoint", [False, True])
def test_detached_database_is_not_rewritten(crashed, lose_checkpoint):
    s_edb = _crash(crashed)
    live = os.path.dirname(s_edb)
    if lose_checkpoint:  # replay then passes s.edb's ATTACH and DETACH records again
        os.unlink(os.path.join(live, "edb.chk"))
    before = _digest(s_edb)
    _init(live)
    assert _digest(s_edb) == before


def test_detached_database_on_immutable_file_does_not_stop_the_instance(crashed):
    if os.geteuid() != 0:
        pytest.skip("chattr +i needs root")
    s_edb = _crash(crashed)
    live = os.path.dirname(s_edb)
    os.unlink(os.path.join(live, "edb.chk"))
    if subprocess.run(["chattr", "+i", s_edb], capture_output=True).returncode != 0:
        pytest.skip("this file system has no immutable attribute")
    try:
        _init(live)
    finally:
        subprocess.run(["chattr", "-i", s_edb], check=False)

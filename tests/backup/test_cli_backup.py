"""``pyese backup``, ``pyese restore`` and ``pyese info`` on pyese's own files."""

from __future__ import annotations

import json
import os
import shutil

import pyese.jet as jet
from pyese.cli import main
from pyese.jethdr import constants as C

from .helpers import close_db, create_db, make_instance, open_db


def _make(tmp_path):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    for n in range(30):
        db.put(n, b"row%d" % n)
    close_db(db)
    jet.JetTerm2(inst, C.JET_bitTermComplete)


def test_backup_restore_round_trip(tmp_path, capsys):
    _make(tmp_path)
    assert main(["backup", str(tmp_path / "inst"), str(tmp_path / "bk")]) == 0
    out = capsys.readouterr().out
    assert "backed up 1 database(s)" in out
    assert (tmp_path / "bk" / "a.db.pat").exists()
    shutil.rmtree(tmp_path / "inst")
    assert main(["restore", str(tmp_path / "bk"), str(tmp_path / "inst")]) == 0
    assert "restored" in capsys.readouterr().out
    r = make_instance(str(tmp_path / "inst"), "r")
    assert open_db(r, str(tmp_path / "inst" / "a.db")).rows() == {n: b"row%d" % n
                                                                   for n in range(30)}


def test_info_on_pyese_files(tmp_path, capsys):
    _make(tmp_path)
    assert main(["info", str(tmp_path / "inst" / "a.db")]) == 0
    out = capsys.readouterr().out
    assert "pyese database file" in out and "CleanShutdown" in out
    assert "bkinfoFullPrev: none" in out
    assert main(["backup", str(tmp_path / "inst"), str(tmp_path / "bk")]) == 0
    capsys.readouterr()
    assert main(["info", "--json", str(tmp_path / "inst" / "a.db")]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["bkinfoFullPrev"].startswith("generations")
    assert main(["info", str(tmp_path / "bk" / "a.db")]) == 0
    out = capsys.readouterr().out
    assert "backup copy" in out and "bkinfoFullCur: generations" in out
    log = sorted(n for n in os.listdir(tmp_path / "bk") if n.endswith(".log"))[0]
    assert main(["info", str(tmp_path / "bk" / log)]) == 0
    assert "pyese log file" in capsys.readouterr().out
    assert main(["info", str(tmp_path / "inst" / "edb.chk")]) == 0
    assert "pyese checkpoint" in capsys.readouterr().out


def test_errors_are_one_line(tmp_path, capsys):
    assert main(["restore", str(tmp_path / "nothing"), str(tmp_path / "inst")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("pyese: JET_errFileNotFound") and err.count("\n") == 1


def test_backup_refuses_a_live_instance(tmp_path, capsys):
    inst = make_instance(str(tmp_path / "inst"))
    db = create_db(inst, str(tmp_path / "inst" / "a.db"))
    db.put(1, b"x")
    assert main(["backup", str(tmp_path / "inst"), str(tmp_path / "bk")]) == 1
    assert "running instance" in capsys.readouterr().err
    assert not (tmp_path / "bk").exists()

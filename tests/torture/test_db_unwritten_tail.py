"""A healthy LMDB file that ends before its last page is accepted (issue 12, item 2).

LMDB counts in the meta page's ``mm_last_pg`` every page a write transaction allocated but
writes only the pages still in use at commit; pages allocated and freed again inside one
transaction (page splits of a bulk load, a long value written and deleted) go on the free
list unwritten, so the file may end before ``mm_last_pg``. LMDB opens such files; pyese's
pre-open check (``dbheader.check_image``) accepts them exactly when every page past the end
is on the free list, and still refuses a file cut short through pages in use (reading those
would fault the process), which the hostile cases in tests/storage/test_dbfile.py pin too.
ESE's own rule is the same in spirit: a database is corrupt when a page it needs is missing
(db.cxx ``ErrDBReadHeaderCheckConsistency`` -> JET_errDatabaseCorrupted), not when the file
is shorter than its space tree's high-water mark.
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.database.dbfile import DatabaseFile
from pyese.storage.lgpos import LGPOS
from pyese.storage.ops import OP_DELETE, OP_PUT, Op

PSIZE = 4096


def last_page_and_pages(path: Path) -> tuple[int, int]:
    """(newest meta page's mm_last_pg, whole pages in the file)."""
    data = path.read_bytes()[: 2 * PSIZE]
    _txn, last = max(struct.unpack_from("<QQ", data, k * PSIZE + 136)[::-1] for k in range(2))
    return last, path.stat().st_size // PSIZE


def bulk_file(path: Path) -> dict[bytes, bytes]:
    """A bulk load, then one write transaction that writes 60 long values and deletes
    them again: their pages are allocated past the end and freed unwritten. Returns what
    tree 6 holds."""
    for p in (path, Path(str(path) + "-lock")):
        if p.exists():
            p.unlink()
    db = DatabaseFile.create(str(path))
    db.apply([Op(OP_PUT, 5, b"a", b"x" * 100)], LGPOS(1, 50))
    rows = {b"%05d" % i: bytes([i % 251]) * 8000 for i in range(500)}
    db.apply([Op(OP_PUT, 6, k, v) for k, v in rows.items()], LGPOS(1, 100))
    big = [b"big%03d" % i for i in range(60)]
    db.apply([Op(OP_PUT, 5, k, bytes([n]) * 8000) for n, k in enumerate(big)]
             + [Op(OP_DELETE, 5, k) for k in big] + [Op(OP_PUT, 6, b"z", b"y")], LGPOS(1, 200))
    rows[b"z"] = b"y"
    db.set_state(C.JET_dbstateCleanShutdown, log_signature=bytes(16), lgpos=LGPOS(1, 200))
    db.close()
    os.unlink(str(path) + "-lock")
    return rows


def read_all(path: Path, objid: int = 6) -> dict[bytes, bytes]:
    db = DatabaseFile.open(str(path), read_only=True)
    try:
        with db.snapshot() as snap:
            return dict(snap.iterate(objid))
    finally:
        db.close()


def test_file_shorter_than_last_page_opens_and_reads_back(tmp_path):
    path = tmp_path / "short.db"
    rows = bulk_file(path)
    last, pages = last_page_and_pages(path)
    assert last >= pages, "the workload no longer leaves an unwritten tail"
    assert read_all(path) == rows
    DatabaseFile.open(str(path)).close()  # read-write too


def test_attach_of_such_a_file_through_jet(tmp_path):
    path = tmp_path / "short.db"
    bulk_file(path)
    i = jet.JetCreateInstance("tail")
    jet.JetInit(i)
    s = jet.JetBeginSession(i)
    assert jet.JetAttachDatabase(s, str(path)) == 0
    jet.JetEndSession(s)
    jet.JetTerm(i)


_READER = """
import sys
sys.path.insert(0, {src!r})
from pyese.jethdr.errors import JetError
from pyese.storage.database.dbfile import DatabaseFile
for path in sys.argv[1:]:
    try:
        db = DatabaseFile.open(path, read_only=True)
    except JetError as e:
        print("ERR", e.err)
        continue
    with db.snapshot() as snap:
        print("OK", sum(1 for _ in snap.iterate(6)))
    db.close()
"""


def test_cut_through_pages_in_use_is_refused_and_never_faults(tmp_path):
    path = tmp_path / "short.db"
    rows = bulk_file(path)
    data = path.read_bytes()
    _last, pages = last_page_and_pages(path)
    root = Path(__file__).resolve().parents[2]
    script = _READER.format(src=str(root / "src"))
    cuts = []
    for keep in (2, 3, pages // 2, pages - 40, pages - 1):
        cut = tmp_path / f"cut{keep}.db"
        cut.write_bytes(data[: keep * PSIZE])
        cuts.append(str(cut))
    # in a child: if the check let a missing page through, LMDB's read would SIGBUS
    r = subprocess.run([sys.executable, "-c", script, *cuts], capture_output=True,
                       text=True, cwd=root, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stderr[-2000:])
    outcomes = set()
    for line in r.stdout.splitlines():
        word, value = line.split()
        if word == "OK":
            assert int(value) == len(rows)
        else:
            assert int(value) == C.JET_errDatabaseCorrupted
        outcomes.add(word)
    assert "ERR" in outcomes


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(1, 150), st.integers(1, 9000), st.booleans()),
                min_size=1, max_size=4))
def test_every_file_lmdb_writes_passes_the_check(tmp_path, batches):
    """Whatever one write transaction allocates and frees, the file LMDB leaves opens."""
    path = tmp_path / "any.db"
    for p in (path, Path(str(path) + "-lock")):
        if p.exists():
            p.unlink()
    db = DatabaseFile.create(str(path))
    model: dict[bytes, bytes] = {}
    for n, (count, size, delete) in enumerate(batches, 1):
        ops = [Op(OP_PUT, 7, b"%06d" % (n * 1000 + i), bytes([i % 256]) * size)
               for i in range(count)]
        for op in ops:
            model[op.key] = op.value or b""
        if delete:
            ops += [Op(OP_DELETE, 7, op.key) for op in ops[::2]]
            for op in ops[: count : 2]:
                model.pop(op.key, None)
        db.apply(ops, LGPOS(1, n))
    db.close()
    try:
        assert read_all(path, 7) == model
    except JetError as exc:  # pragma: no cover - the failure this test exists for
        pytest.fail(f"a file LMDB wrote was refused: {exc}")

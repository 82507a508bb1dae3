"""Damage in the middle of the current log is corruption, never a silent end (issue 12, item 3).

Only the final flush can be torn: each flush ends with a FLUSH record naming where it began,
and the next flush starts after its fsync. An intact FLUSH record after a damaged record,
naming a later start, proves the damaged bytes were durable, and recovery stops with
``JET_errLogFileCorrupt`` instead of dropping the acknowledged commits after it (ESE:
logread.cxx ``ErrLGCheckReadLastLogRecordFF``: in soft recovery a damaged segment of the
current log is JET_errLogFileCorrupt, and so is a valid segment after the end). Nothing is
cut or rewritten: once the damage is repaired, recovery brings back every row.

Log files are preallocated (as ESE's are), so a log cut short is corruption too, and a lost
current file is ``JET_errMissingLogFile`` ("Current log file missing").
"""

from __future__ import annotations

import os
import struct

import pytest

import pyese.jet as jet
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.log import log_format as F

from ._torture import load

L = load("logdamage")


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    """30 durable commits, the last 20 only in the log (applier held), then a crash."""
    root = tmp_path_factory.mktemp("flip")
    live = root / "live"
    base = L.make_base(str(live), circular=False, seed=5, commits=30, hold_after=10)
    assert base.acknowledged == list(range(30))
    store = root / "store"
    os.rename(live, store)
    return base, live, store


def _fresh(crashed):
    base, live, store = crashed
    import shutil

    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(store, live)
    return base, str(live)


def _commit_records(path: str) -> list[tuple[int, int]]:
    """(start, end) of each COMMIT record in the log file at ``path``."""
    data = open(path, "rb").read()
    pos, out = F.read_file_header(path).size, []
    while pos + F.RECORD_HEADER_SIZE <= len(data):
        crc, length, rectype = F.RECORD_HEADER.unpack_from(data, pos)
        end = pos + F.RECORD_HEADER_SIZE + length
        if end > len(data) or not F.record_crc_ok(data, pos, length, crc):
            break
        if rectype == F.REC_COMMIT:
            out.append((pos, end))
        pos = end
    return out


def _flip(path: str, at: int) -> None:
    with open(path, "r+b") as f:
        f.seek(at)
        b = f.read(1)
        f.seek(at)
        f.write(bytes([b[0] ^ 0x10]))


def _judge(base, live, case=None):
    return L.recover_and_judge(live, base, case or L.Case("current", "flip"))


def test_flip_mid_current_log_is_log_file_corrupt_and_loses_nothing(crashed):
    base, live = _fresh(crashed)
    log = os.path.join(live, "edb.log")
    records = _commit_records(log)
    assert len(records) >= 5
    start, end = records[len(records) // 2]
    _flip(log, (start + end) // 2)
    before = open(log, "rb").read()
    out = _judge(base, live)
    assert out.verdict == "jet-error" and out.code == C.JET_errLogFileCorrupt, out
    assert open(log, "rb").read() == before  # nothing cut, nothing rewritten
    _flip(log, (start + end) // 2)  # repaired: every acknowledged row comes back
    assert _judge(base, live).verdict == "recovered"


def test_damage_in_the_final_flush_is_a_torn_write(crashed):
    base, live = _fresh(crashed)
    log = os.path.join(live, "edb.log")
    start, end = _commit_records(log)[-1]
    assert start >= base.final_flush
    _flip(log, end - 2)
    out = _judge(base, live, L.Case("current", "flip", "edb.log", at=end - 2))
    # the last commit is dropped as a torn write: the one case no format can tell
    assert out.verdict == "undetectable" and out.lost == 1, out


@pytest.mark.parametrize("target", ["current", "archived"])
def test_log_cut_short_is_log_file_corrupt(crashed, target):
    base, live = _fresh(crashed)
    names = sorted(n for n in os.listdir(live) if n.endswith(".log"))
    name = "edb.log" if target == "current" else names[-2]
    path = os.path.join(live, name)
    os.truncate(path, os.path.getsize(path) - 100)
    out = _judge(base, live)
    assert out.verdict == "jet-error" and out.code == C.JET_errLogFileCorrupt, out


def test_lost_current_log_is_missing_log_file(crashed):
    base, live = _fresh(crashed)
    os.unlink(os.path.join(live, "edb.log"))
    out = _judge(base, live)
    assert out.verdict == "jet-error" and out.code == C.JET_errMissingLogFile, out


def test_rows_read_back_through_jet_after_a_clean_recovery(crashed):
    base, live = _fresh(crashed)
    assert _judge(base, live).verdict == "recovered"
    # recovery twice is harmless (the first marked everything clean)
    inst = L._instance(live, False, name="again")
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    path = os.path.join(live, "r.edb")
    jet.JetAttachDatabase(s, path)
    t = jet.JetOpenTable(s, jet.JetOpenDatabase(s, path), "T")
    jet.JetMakeKey(s, t, struct.pack("<i", 29), jet.JET_bitNewKey)
    jet.JetSeek(s, t, jet.JET_bitSeekEQ)
    assert jet.JetRetrieveColumn(s, t, 256) == L.payload(29, base.seed)
    jet.JetEndSession(s)
    try:
        jet.JetTerm(inst)
    except JetError:
        jet.JetTerm2(inst, jet.JET_bitTermAbrupt)


def test_log_zeroed_below_what_the_database_applied_is_committed_log_files_missing(tmp_path):
    """Zeroes through the end of the log look like its end (ESE too reads zero-filled
    sectors so), but the database already applied those records: the log lost committed
    records the database holds. ESE derives JET_errCommittedLogFilesMissing from the
    database header's genCommitted beyond the logs present; pyese compares positions."""
    from pyese.storage.database.dbfile import DatabaseFile
    from pyese.storage.log.log_writer import LogWriter
    from pyese.storage.log.recovery import recover
    from pyese.storage.ops import OP_PUT, Op

    d = str(tmp_path)
    db = DatabaseFile.create(os.path.join(d, "a.db"))
    sig = bytes(db.header.signature)
    log = LogWriter.open(d)
    log.append(F.REC_ATTACH, F.encode_attach(1, sig, db.path))
    log.flush()
    positions = []
    for i in range(5):
        ops = {1: [Op(OP_PUT, 7, b"k%d" % i, b"v")]}
        positions.append(log.append(F.REC_COMMIT, F.encode_commit(i, ops)))
        log.flush()
    db.set_state(C.JET_dbstateDirtyShutdown, log_signature=log.signature, lgpos=positions[0])
    db.apply([Op(OP_PUT, 7, b"k%d" % i, b"v") for i in range(5)], positions[-1])
    db.close()
    log.close(clean=False)
    path = os.path.join(d, "edb.log")
    with open(path, "r+b") as f:  # zeroes from the 3rd commit to the end of the file
        size = os.path.getsize(path)
        f.seek(positions[1].offset)
        f.write(bytes(size - positions[1].offset))
    with pytest.raises(JetError) as ei:
        recover(d, d)
    assert ei.value.err == C.JET_errCommittedLogFilesMissing

"""LogWriter and LogReader: append/flush/read, rollover, torn tails, corruption, group
commit, fault injection, circular truncation."""

from __future__ import annotations

import errno
import os
import threading

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.faults import FaultInjector
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.log.log_reader import LogReader
from pyese.storage.log.log_writer import LogWriter


def payloads(reader, start=None, rectype=F.REC_COMMIT):
    return [r.payload for r in reader.records(start) if r.rectype == rectype]


def test_append_flush_read_round_trip(tmp_path):
    log = LogWriter.open(str(tmp_path))
    assert os.listdir(tmp_path) == ["edb.log"]
    p1 = log.append(F.REC_COMMIT, b"one")
    p2 = log.append(F.REC_COMMIT, b"two")
    assert p1 < p2 and p1.generation == 1
    assert log.flushed_lgpos < p1  # append does no I/O
    assert log.flush(p1) >= p2  # a flush takes everything appended so far
    log.close()
    reader = LogReader(str(tmp_path))
    recs = list(reader.records())
    assert [r.rectype for r in recs] == [F.REC_INIT, F.REC_COMMIT, F.REC_COMMIT, F.REC_TERM]
    assert recs[1].lgpos == p1 and recs[2].lgpos == p2
    assert recs[2].start == p1  # a record's position is its end; the next starts there
    assert not reader.torn and reader.last_rectype == F.REC_TERM
    # reading from a position resumes after it
    assert payloads(LogReader(str(tmp_path)), p1) == [b"two"]


def test_rollover_names_and_chaining(tmp_path):
    log = LogWriter.open(str(tmp_path), file_size_kb=1)
    positions = [log.append(F.REC_COMMIT, bytes([i]) * 300) for i in range(10)]
    log.flush()
    gens = sorted({p.generation for p in positions})
    assert len(gens) >= 3
    names = sorted(os.listdir(tmp_path))
    # ESE: the current generation is edb.log, the older ones edbXXXXX.log
    assert "edb.log" in names and "edb00001.log" in names
    assert F.read_file_header(str(tmp_path / "edb.log")).generation == gens[-1]
    for g in gens[:-1]:
        assert os.path.getsize(tmp_path / F.archived_log_name("edb", g)) <= 1024
    log.close()
    reader = LogReader(str(tmp_path))
    assert payloads(reader) == [bytes([i]) * 300 for i in range(10)]
    assert [r.lgpos for r in LogReader(str(tmp_path)).records() if r.rectype == F.REC_COMMIT] \
        == positions


def test_reopen_starts_new_generation_and_keeps_signature(tmp_path):
    log = LogWriter.open(str(tmp_path))
    sig = log.signature
    log.append(F.REC_COMMIT, b"a")
    log.close()
    log2 = LogWriter.open(str(tmp_path))
    assert log2.signature == sig
    assert log2.flushed_lgpos.generation == 2
    assert sorted(os.listdir(tmp_path)) == ["edb.log", "edb00001.log"]
    log2.append(F.REC_COMMIT, b"b")
    log2.close()
    assert payloads(LogReader(str(tmp_path))) == [b"a", b"b"]


def _log_with_tail(tmp_path):
    log = LogWriter.open(str(tmp_path), file_size_kb=64)
    log.append(F.REC_COMMIT, b"first")
    log.append(F.REC_COMMIT, b"second")
    last_start = log.flush()  # the end of this flush (its FLUSH record): the last flush's start
    log.append(F.REC_COMMIT, b"the last record" * 3)
    log.flush()
    log.close(clean=False)
    return last_start


def test_torn_tail_at_every_byte_stops_cleanly(tmp_path):
    last_start = _log_with_tail(tmp_path)
    path = tmp_path / "edb.log"
    full = path.read_bytes()
    end = len(full.rstrip(b"\0"))  # the file is preallocated: records, then zeros
    # up to the end of the last COMMIT record; its flush's FLUSH record follows it
    for cut in range(last_start.offset, end - F.FLUSH_RECORD_SIZE):
        path.write_bytes(full[:cut] + bytes(len(full) - cut))  # torn: zeros from ``cut``
        reader = LogReader(str(tmp_path))
        assert payloads(reader) == [b"first", b"second"], cut
        assert reader.end_lgpos == last_start
        assert reader.torn == (cut != last_start.offset)
    path.write_bytes(full)
    assert payloads(LogReader(str(tmp_path)))[-1] == b"the last record" * 3


def test_damaged_last_record_is_a_torn_tail(tmp_path):
    last_start = _log_with_tail(tmp_path)
    path = tmp_path / "edb.log"
    full = bytearray(path.read_bytes())
    for at in range(last_start.offset, len(full.rstrip(b"\0")) - F.FLUSH_RECORD_SIZE):
        data = bytearray(full)
        data[at] ^= 0x40
        path.write_bytes(bytes(data))
        reader = LogReader(str(tmp_path))
        assert payloads(reader) == [b"first", b"second"], at
        assert reader.torn


def test_writer_reopen_cuts_torn_tail_before_archiving(tmp_path):
    last_start = _log_with_tail(tmp_path)
    path = tmp_path / "edb.log"
    full = path.read_bytes()
    end = len(full.rstrip(b"\0")) - F.FLUSH_RECORD_SIZE - 3  # torn inside the last record
    path.write_bytes(full[:end] + bytes(len(full) - end))
    log = LogWriter.open(str(tmp_path))
    sealed = (tmp_path / "edb00001.log").read_bytes()
    cut = last_start.offset
    assert len(sealed) == len(full) and sealed[:cut] == full[:cut]
    assert sealed.count(0, cut) == len(sealed) - cut  # the torn tail is zeroed
    log.append(F.REC_COMMIT, b"after")
    log.close()
    reader = LogReader(str(tmp_path))
    assert payloads(reader) == [b"first", b"second", b"after"]
    assert not reader.torn


def _three_generations(tmp_path):
    log = LogWriter.open(str(tmp_path), file_size_kb=1)
    for i in range(8):
        log.append(F.REC_COMMIT, bytes([i]) * 400)
    log.close()
    assert os.path.exists(tmp_path / "edb00002.log")


def test_crc_corruption_in_archived_generation_is_log_file_corrupt(tmp_path):
    # ESE: a damaged record in a log that is not the last one is corruption, not a torn tail
    _three_generations(tmp_path)
    p = tmp_path / "edb00002.log"
    data = bytearray(p.read_bytes())
    data[F.FILE_HEADER_SIZE + 20] ^= 0xFF
    p.write_bytes(bytes(data))
    with pytest.raises(JetError) as ei:
        list(LogReader(str(tmp_path)).records())
    assert ei.value.err == C.JET_errLogFileCorrupt


def test_missing_generation_in_the_middle(tmp_path):
    # ESE: logutil.cxx reports a gap in the generations with JET_errMissingLogFile
    _three_generations(tmp_path)
    os.unlink(tmp_path / "edb00002.log")
    reader = LogReader(str(tmp_path))
    with pytest.raises(JetError) as ei:
        list(reader.records())
    assert ei.value.err == C.JET_errMissingLogFile
    # starting after the gap is fine
    start = LGPOS(3, F.FILE_HEADER_SIZE)
    assert all(r.lgpos.generation >= 3 for r in LogReader(str(tmp_path)).records(start))


def test_foreign_signature_is_bad_log_signature(tmp_path):
    _three_generations(tmp_path)
    other = tmp_path / "other"
    LogWriter.open(str(other), file_size_kb=1).close()
    os.replace(other / "edb.log", tmp_path / "edb00002.log")
    with pytest.raises(JetError) as ei:
        list(LogReader(str(tmp_path)).records())
    assert ei.value.err == C.JET_errBadLogSignature


def test_generation_not_chained_is_invalid_log_sequence(tmp_path):
    _three_generations(tmp_path)
    p = tmp_path / "edb00002.log"
    data = p.read_bytes()
    h = F.LogFileHeader.decode(data)
    forged = F.LogFileHeader(h.generation, h.signature, h.created_ns, h.prev_created_ns + 1)
    p.write_bytes(forged.encode() + data[F.FILE_HEADER_SIZE:])
    with pytest.raises(JetError) as ei:
        list(LogReader(str(tmp_path)).records())
    assert ei.value.err == C.JET_errInvalidLogSequence


def test_crash_between_archive_and_rename_leaves_readable_stream(tmp_path):
    _three_generations(tmp_path)
    last = F.read_file_header(str(tmp_path / "edb.log")).generation
    # state after "rename edb.log -> edbN.log" but before "rename edbtmp.log -> edb.log"
    os.replace(tmp_path / "edb.log", tmp_path / F.archived_log_name("edb", last))
    (tmp_path / "edbtmp.log").write_bytes(b"half a header")
    assert len(payloads(LogReader(str(tmp_path)))) == 8
    log = LogWriter.open(str(tmp_path), file_size_kb=1)
    assert log.flushed_lgpos.generation == last + 1
    assert not os.path.exists(tmp_path / "edbtmp.log")
    log.close()


def test_group_commit_shares_fsyncs(tmp_path):
    log = LogWriter.open(str(tmp_path))
    base = log.fsync_count
    n_threads, per_thread = 8, 25
    barrier = threading.Barrier(n_threads)
    errors = []

    def committer(t):
        try:
            barrier.wait()
            for i in range(per_thread):
                lg = log.append(F.REC_COMMIT, b"%d:%d" % (t, i))
                log.flush(lg)
                assert log.flushed_lgpos >= lg
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=committer, args=(t,)) for t in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    commits = n_threads * per_thread
    fsyncs = log.fsync_count - base
    assert 0 < fsyncs < commits
    log.close()
    assert len(payloads(LogReader(str(tmp_path)))) == commits


def test_lazy_appends_become_durable_with_a_later_flush(tmp_path):
    log = LogWriter.open(str(tmp_path))
    base = log.fsync_count
    lazy = [log.append(F.REC_COMMIT, b"lazy%d" % i) for i in range(50)]
    assert log.fsync_count == base and log.flushed_lgpos < lazy[0]
    log.flush(lazy[-1])
    assert log.fsync_count == base + 1
    log.close(clean=False)
    assert len(payloads(LogReader(str(tmp_path)))) == 50


def test_enospc_on_write_fails_the_writer_and_keeps_durable_records(tmp_path):
    faults = FaultInjector()
    log = LogWriter.open(str(tmp_path), faults=faults)
    durable = log.append(F.REC_COMMIT, b"durable")
    log.flush(durable)
    faults.arm("log.write", lambda: OSError(errno.ENOSPC, "No space left on device"))
    lost = log.append(F.REC_COMMIT, b"lost")
    with pytest.raises(JetError) as ei:
        log.flush(lost)
    # ESE: logwrite.cxx maps JET_errDiskFull on the log to JET_errLogDiskFull
    assert ei.value.err == C.JET_errLogDiskFull
    first = ei.value
    for call in (lambda: log.append(F.REC_COMMIT, b"x"), log.flush):
        with pytest.raises(JetError) as again:
            call()
        assert again.value is first
    assert log.failed is first
    log.close()
    reader = LogReader(str(tmp_path))
    assert payloads(reader) == [b"durable"]


def test_eio_on_fsync_is_log_write_fail(tmp_path):
    faults = FaultInjector()
    log = LogWriter.open(str(tmp_path), faults=faults)
    faults.arm("log.fsync", lambda: OSError(errno.EIO, "I/O error"))
    with pytest.raises(JetError) as ei:
        log.flush(log.append(F.REC_COMMIT, b"x"))
    assert ei.value.err == C.JET_errLogWriteFail
    log.close()


def test_failure_releases_waiting_followers(tmp_path):
    faults = FaultInjector()
    log = LogWriter.open(str(tmp_path), faults=faults)
    entered = threading.Event()
    release = threading.Event()

    def blocking_fault():
        entered.set()
        release.wait()
        return OSError(errno.EIO, "I/O error")

    faults.arm("log.fsync", blocking_fault)
    results = []

    def leader():
        try:
            log.flush(log.append(F.REC_COMMIT, b"a"))
        except JetError as exc:
            results.append(exc.err)

    t1 = threading.Thread(target=leader)
    t1.start()
    entered.wait()
    lg = log.append(F.REC_COMMIT, b"b")

    def follower():
        try:
            log.flush(lg)
        except JetError as exc:
            results.append(exc.err)

    t2 = threading.Thread(target=follower)
    t2.start()
    release.set()
    t1.join()
    t2.join()
    assert results == [C.JET_errLogWriteFail] * 2
    log.close()


def test_new_generation_and_truncate_before(tmp_path):
    log = LogWriter.open(str(tmp_path))
    log.append(F.REC_COMMIT, b"g1")
    pos = log.new_generation()
    # the new file exists and is durable (holding the flush's FLUSH record)
    assert pos == LGPOS(2, F.FILE_HEADER_SIZE + F.FLUSH_RECORD_SIZE)
    assert os.path.exists(tmp_path / "edb00001.log")
    assert log.append(F.REC_COMMIT, b"g2").generation == 2
    log.new_generation()
    assert log.truncate_before(LGPOS(3, 0)) == [1, 2]
    assert sorted(os.listdir(tmp_path)) == ["edb.log"]
    log.close()
    assert payloads(LogReader(str(tmp_path))) == []


def test_custom_base_name(tmp_path):
    log = LogWriter.open(str(tmp_path), "abc", file_size_kb=1)
    for _ in range(4):
        log.append(F.REC_COMMIT, b"z" * 600)
    log.close()
    names = sorted(os.listdir(tmp_path))
    assert "abc.log" in names and "abc00001.log" in names
    assert len(payloads(LogReader(str(tmp_path), "abc"))) == 4


def test_append_record_round_trip_and_rollover(tmp_path):
    """``append_record`` (the committer's path: a record encoded whole) buffers the same
    bytes as ``append``, starts a new generation when a record would pass the file's end,
    and the reader returns every record, in order, across the rollovers."""
    log = LogWriter.open(str(tmp_path), file_size_kb=1)
    positions = []
    for i in range(12):
        record = F.encode_record(F.REC_COMMIT, bytes([i]) * 300)
        positions.append(log.append_record(record))
    assert positions == sorted(positions) and positions[-1].generation > 1
    log.flush(positions[5])
    assert log.flushed_lgpos >= positions[11]  # a flush takes everything appended
    log.close()
    reader = LogReader(str(tmp_path))
    assert payloads(reader) == [bytes([i]) * 300 for i in range(12)]
    assert [r.lgpos for r in reader.records() if r.rectype == F.REC_COMMIT] == positions
    with pytest.raises(JetError) as ei:
        log.append_record(F.encode_record(F.REC_COMMIT, b"late"))
    assert ei.value.err == C.JET_errTermInProgress

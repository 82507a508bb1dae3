"""A sort that outgrows its memory: sorted runs on disk, merged when read.

ESE's sort writes a run when its buffers fill (``sort.cxx`` ErrSORTIOutputRun) and reads
the sort through a merge of its runs (ErrSORTIMergeToRun / the final merge); the end of the
insert phase reports ``JET_wrnSortOverflow``, and a scrollable or indexed sort that
overflowed is materialized (``sortapi.cxx`` ErrTTEndInsert). pyese's runs are anonymous
files next to the temporary database: nothing of them survives the sort, its table, or a
killed process.
"""

from __future__ import annotations

import os
import random
import signal
import struct
import subprocess
import sys
import textwrap

import pyese.jet as jet
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call
from pyese.engine.temp import insert_rows, open_temp_table, read_rows
from pyese.engine.temp.schema import ColumnRequest
from pyese.engine.temp.sort import Sort


def _open(ses, grbit, memory_most, key=jet.JET_coltypLong):
    cols = [ColumnRequest(key, grbit=jet.JET_bitColumnTTKey),
            ColumnRequest(jet.JET_coltypBinary, cbMax=255)]
    with session_call(ses) as s:
        cur, ids = open_temp_table(s, cols, grbit, memory_most=memory_most)
    return jet.JET_TABLEID(cur.tableid), ids


def _fill(ses, t, ids, rows):
    with session_call(ses) as s:
        return insert_rows(cursor_for(s, t), rows, ids)


def _read(ses, t, ids):
    with session_call(ses) as s:
        return list(read_rows(cursor_for(s, t), ids))


def test_runs_merge_to_the_sorted_rows_and_vanish_with_the_table(ses):
    rng = random.Random(7)
    keys = [rng.randrange(-1000, 1000) for _ in range(3000)]
    rows = [(struct.pack("<i", k), b"%d" % i) for i, k in enumerate(keys)]
    t, ids = _open(ses, jet.JET_bitTTForwardOnly, memory_most=16 << 10)
    assert _fill(ses, t, ids, rows) == len(rows)
    with session_call(ses) as s:
        sort = cursor_for(s, t).tt.sort
        runs = list(sort.runs)
    assert len(runs) > 5
    got = _read(ses, t, ids)
    # forward-only without Unique keeps duplicates; ties in record order (key, then data)
    assert [struct.unpack("<i", k)[0] for k, _ in got] == sorted(keys)
    assert len(got) == len(rows)
    jet.JetCloseTable(ses, t)
    assert all(run.file.closed for run in runs)


def test_a_unique_spilled_sort_keeps_the_first_of_each_key_in_record_order(ses):
    rows = [(struct.pack("<i", i % 50), b"v%04d" % (999 - i)) for i in range(1000)]
    t, ids = _open(ses, jet.JET_bitTTForwardOnly | jet.JET_bitTTUnique, memory_most=4096)
    _fill(ses, t, ids, rows)
    got = _read(ses, t, ids)
    want = sorted({k: min(p for kk, p in rows if kk == k) for k, _ in rows}.items(),
                  key=lambda kv: struct.unpack("<i", kv[0])[0])
    assert got == want


def test_keys_of_different_lengths_spill_and_merge(ses):
    # a Text key: keys of many lengths, so the sort holds (key, data) pairs
    words = [f"w{i * 7919 % 613}".encode() * (1 + i % 3) for i in range(800)]
    t, ids = _open(ses, jet.JET_bitTTForwardOnly, memory_most=4096,
                   key=jet.JET_coltypText)
    _fill(ses, t, ids, [(w, b"x") for w in words])
    with session_call(ses) as s:
        assert cursor_for(s, t).tt.sort.klen is None
    got = [k for k, _ in _read(ses, t, ids)]
    assert sorted(got, key=lambda w: w.upper()) == got and len(got) == len(words)


def test_an_indexed_sort_that_spilled_is_materialized_and_seeks(ses):
    rows = [(struct.pack("<i", (i * 37) % 1000), b"p") for i in range(1000)]
    t, ids = _open(ses, jet.JET_bitTTIndexed, memory_most=4096)
    _fill(ses, t, ids, rows)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    jet.JetMakeKey(ses, t, struct.pack("<i", 500), jet.JET_bitNewKey)
    jet.JetSeek(ses, t, jet.JET_bitSeekEQ)
    assert jet.JetRetrieveColumn(ses, t, jet.JET_COLUMNID(ids[0])) == struct.pack("<i", 500)
    with session_call(ses) as s:
        assert cursor_for(s, t).tt.materialized


def test_sort_holds_key_and_data_as_one_byte_string_until_a_key_length_differs():
    sort = Sort(remove_duplicates=True)
    sort.insert(b"\x7fbb", b"2")
    sort.insert(b"\x7faa", b"1")
    assert sort.klen == 3 and sort.records == [b"\x7fbb2", b"\x7faa1"]
    sort.insert(b"\x00", b"0")  # a NULL key: one byte
    assert sort.klen is None
    sort.end_insert()
    assert [sort.pair_at(i) for i in range(len(sort))] == [
        (b"\x00", b"0"), (b"\x7faa", b"1"), (b"\x7fbb", b"2")]


_CHILD = textwrap.dedent("""
    import os, struct, sys, time
    import pyese.jet as jet
    from pyese.engine.cursors.cursor import cursor_for
    from pyese.engine.instance.gate import session_call
    from pyese.engine.temp import insert_rows, open_temp_table
    from pyese.engine.temp.schema import ColumnRequest
    os.chdir(sys.argv[1])
    inst = jet.JetCreateInstance("child")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramRecovery, 0, "off")
    jet.JetSetSystemParameter(inst, jet.JET_sesidNil, jet.JET_paramTempPath, 0, "tmp" + os.sep)
    jet.JetInit(inst)
    s = jet.JetBeginSession(inst)
    cols = [ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            ColumnRequest(jet.JET_coltypBinary, cbMax=255)]
    with session_call(s) as ss:
        cur, ids = open_temp_table(ss, cols, jet.JET_bitTTForwardOnly, memory_most=8192)
        insert_rows(cur, ((struct.pack("<i", k), b"y" * 100) for k in range(5000)), ids)
        assert len(cur.tt.sort.runs) > 10
    print("ready", flush=True)
    time.sleep(60)
""")


def test_a_process_killed_while_its_sort_has_runs_leaves_no_run_file(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    child = subprocess.Popen([sys.executable, "-c", _CHILD, str(tmp_path)],
                             stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == b"ready"
        # the runs are unnamed files: the directory holds the temporary database only
        assert sorted(os.listdir(tmp_path / "tmp")) == ["tmp.edb"]
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert sorted(os.listdir(tmp_path / "tmp")) == ["tmp.edb"]

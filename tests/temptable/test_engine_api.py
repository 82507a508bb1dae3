"""The engine entry points a Pythonic ``tx.temp_table(...)`` builds on: ``open_temp_table``,
``insert_rows`` and ``read_rows`` (same rules as the JET calls, without the per-call gate)."""

from __future__ import annotations

import struct

import pytest

import pyese.jet as jet
from pyese.engine.instance.gate import session_call
from pyese.engine.temp import ColumnRequest, insert_rows, open_temp_table, read_rows

_I = struct.Struct("<i")
COLS = [ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
        ColumnRequest(jet.JET_coltypText, cbMax=40, cp=1200)]


@pytest.mark.parametrize("grbit", [0, jet.JET_bitTTForwardOnly, jet.JET_bitTTUpdatable,
                                   jet.JET_bitTTForceMaterialization])
def test_insert_rows_then_read_rows(ses, grbit):
    rows = [(_I.pack(k), f"n{k}".encode("utf-16-le")) for k in (5, -1, 3, 5)]
    with session_call(ses) as s:
        cur, ids = open_temp_table(s, COLS, grbit)
        if grbit & jet.JET_bitTTForceMaterialization:
            with pytest.raises(jet.KeyDuplicateError):  # the second 5
                insert_rows(cur, rows, ids)
        else:
            assert insert_rows(cur, rows, ids) == 4
        got = [(_I.unpack(k)[0], v.decode("utf-16-le")) for k, v in read_rows(cur, ids)]
    want = [(-1, "n-1"), (3, "n3"), (5, "n5")]
    if grbit == jet.JET_bitTTForwardOnly:
        want.append((5, "n5"))
    assert got == want
    t = jet.JET_TABLEID(cur.tableid)
    with pytest.raises(jet.NoCurrentRecordError):  # read_rows leaves it after the last
        jet.JetRetrieveColumn(ses, t, ids[0])


def test_bulk_rows_mix_with_jet_calls(ses):
    with session_call(ses) as s:
        cur, ids = open_temp_table(s, COLS, jet.JET_bitTTIndexed)
        insert_rows(cur, [(_I.pack(2), None)], ids)
    t = jet.JET_TABLEID(cur.tableid)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetSetColumn(ses, t, ids[0], _I.pack(1))
    jet.JetUpdate(ses, t)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    assert jet.JetRetrieveColumn(ses, t, ids[0]) == _I.pack(1)
    assert jet.JetRetrieveColumn(ses, t, ids[0], jet.JET_bitRetrieveFromIndex) == _I.pack(1)


def test_not_null_and_bad_handles(ses):
    cols = [ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnNotNULL)]
    with session_call(ses) as s:
        cur, ids = open_temp_table(s, cols, 0)
        with pytest.raises(jet.NullInvalidError):
            insert_rows(cur, [(_I.pack(1), None)], ids)
        with pytest.raises(jet.InvalidTableIdError):
            insert_rows(object(), [], ids)
        with pytest.raises(jet.InvalidTableIdError):
            list(read_rows(object(), ids))


def test_default_temp_path_is_tmp_edb_in_the_current_directory(ses, tmp_path):
    with session_call(ses) as s:
        open_temp_table(s, COLS, 0)
    assert (tmp_path / "tmp.edb").exists()  # JET_paramTempPath's default, ESE's "tmp.edb"


def test_the_docs_example_runs(ses):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "temptables.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    exec(compile(block, "docs/temptables.md", "exec"), {"sesid": ses})

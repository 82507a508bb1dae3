"""Long values in temporary tables.

ESE (``sortapi.cxx``): a sort's FCB is always IntrinsicLVsOnly (ErrSORTOpen:
``SetIntrinsicLVsOnly``), so a sort keeps long values in its records; a materialized
temporary table is an ordinary table of the temporary database, IntrinsicLVsOnly only when
opened with ``JET_bitTTIntrinsicLVsOnly`` (ErrIsamSortMaterialize), so a long value that
does not stay in the record (longer than the 1024-byte intrinsic limit, or set with
``JET_bitSetSeparateLV``) goes to the table's long-value tree (``lv.cxx``). Either way
``JetRetrieveColumn`` reads it whole or from ``ibLongValue``; ``JetGetRecordSize`` tells
where it is.
"""

from __future__ import annotations

import struct
from typing import Any

import pytest

import pyese.jet as jet
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.instance.gate import session_call

BIG = bytes(range(256)) * 40  # 10,240 bytes: several chunks of a 4 KiB or 8 KiB page


def _open(ses: Any, grbit: int) -> tuple[Any, list[Any]]:
    cols = [jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey),
            jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary)]
    return jet.JetOpenTempTable(ses, cols, grbit)


def _insert(ses: Any, t: Any, ids: list[Any], k: int, value: bytes, grbit: int = 0) -> None:
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsert)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", k))
    jet.JetSetColumn(ses, t, ids[1], value, grbit)
    jet.JetUpdate(ses, t)


def _seek(ses: Any, t: Any, k: int) -> None:
    jet.JetMakeKey(ses, t, struct.pack("<i", k), jet.JET_bitNewKey)
    jet.JetSeek(ses, t, jet.JET_bitSeekEQ)


def _lv_nodes(ses: Any, t: Any) -> int:
    """Nodes in the table's long-value tree (roots and chunks)."""
    with session_call(ses) as s:
        tt = cursor_for(s, t).tt  # type: ignore[attr-defined]
        assert tt.lv_objid is not None
        return sum(1 for _ in tt.file.scan(tt.lv_objid))


def test_a_long_value_past_the_intrinsic_limit_is_separated_and_read_at_any_offset(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)  # an LV column: materialized at open
    _insert(ses, t, ids, 1, BIG)
    _insert(ses, t, ids, 2, b"short")
    _seek(ses, t, 1)
    size = jet.JetGetRecordSize(ses, t)
    assert (size.cLongValues, size.cbLongValueData) == (1, len(BIG))
    assert size.cbData < 100  # the record holds the LID, not the value
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == BIG
    ri = jet.JET_RETINFO(ibLongValue=5000, itagSequence=1)
    assert jet.JetRetrieveColumn(ses, t, ids[1], 0, ri, 300) == BIG[5000:5300]
    _seek(ses, t, 2)
    assert jet.JetGetRecordSize(ses, t).cLongValues == 0
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == b"short"


def test_separate_and_intrinsic_storage_hints(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)
    _insert(ses, t, ids, 1, b"tiny", jet.JET_bitSetSeparateLV)
    _insert(ses, t, ids, 2, b"m" * 2000, jet.JET_bitSetIntrinsicLV)
    _seek(ses, t, 1)
    assert jet.JetGetRecordSize(ses, t).cLongValues == 1
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == b"tiny"
    _seek(ses, t, 2)
    assert jet.JetGetRecordSize(ses, t).cLongValues == 0
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == b"m" * 2000


def test_append_overwrite_and_size_on_a_separated_value_then_the_old_one_is_freed(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)
    _insert(ses, t, ids, 1, BIG)
    nodes = _lv_nodes(ses, t)
    _seek(ses, t, 1)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], b"+tail", jet.JET_bitSetAppendLV)
    # the copy buffer shows the change before the update (JET_bitRetrieveCopy)
    assert jet.JetRetrieveColumn(ses, t, ids[1], jet.JET_bitRetrieveCopy) == BIG + b"+tail"
    jet.JetSetColumn(ses, t, ids[1], b"XY", jet.JET_bitSetOverwriteLV,
                     jet.JET_SETINFO(ibLongValue=10, itagSequence=1))
    jet.JetUpdate(ses, t)
    want = BIG[:10] + b"XY" + BIG[12:] + b"+tail"
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == want
    assert _lv_nodes(ses, t) == nodes  # one long value, as before: the old one is gone
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], struct.pack("<i", 100), jet.JET_bitSetSizeLV)
    jet.JetUpdate(ses, t)
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == want[:100]
    assert jet.JetGetRecordSize(ses, t).cLongValues == 0  # 100 bytes: back in the record
    assert _lv_nodes(ses, t) == 0


def test_delete_and_close_free_the_long_values(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)
    _insert(ses, t, ids, 1, BIG)
    _insert(ses, t, ids, 2, BIG[::-1])
    _seek(ses, t, 1)
    jet.JetDelete(ses, t)
    _seek(ses, t, 2)
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == BIG[::-1]
    with session_call(ses) as s:
        tt = cursor_for(s, t).tt  # type: ignore[attr-defined]
        file, lv_objid = tt.file, tt.lv_objid
    assert sum(1 for _ in file.scan(lv_objid)) > 0
    jet.JetCloseTable(ses, t)
    assert sum(1 for _ in file.scan(lv_objid)) == 0


def test_insert_copy_gives_the_copy_a_long_value_of_its_own(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)
    _insert(ses, t, ids, 1, BIG)
    _seek(ses, t, 1)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepInsertCopy)
    jet.JetSetColumn(ses, t, ids[0], struct.pack("<i", 2))
    jet.JetUpdate(ses, t)
    _seek(ses, t, 1)
    jet.JetDelete(ses, t)
    _seek(ses, t, 2)
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == BIG


def test_a_rolled_back_insert_leaves_the_table_readable(ses):
    t, ids = _open(ses, jet.JET_bitTTIndexed)
    _insert(ses, t, ids, 1, BIG)
    jet.JetBeginTransaction(ses)
    _insert(ses, t, ids, 2, BIG[::-1])
    _seek(ses, t, 1)
    jet.JetPrepareUpdate(ses, t, jet.JET_prepReplace)
    jet.JetSetColumn(ses, t, ids[1], b"!", jet.JET_bitSetAppendLV)
    jet.JetUpdate(ses, t)
    jet.JetRollback(ses, 0)
    _seek(ses, t, 1)
    assert jet.JetRetrieveColumn(ses, t, ids[1]) == BIG  # the old LID was kept for this
    with pytest.raises(jet.RecordNotFoundError):
        _seek(ses, t, 2)


@pytest.mark.parametrize("grbit", [jet.JET_bitTTIntrinsicLVsOnly | jet.JET_bitTTIndexed,
                                   jet.JET_bitTTIntrinsicLVsOnly | jet.JET_bitTTUpdatable])
def test_intrinsic_lvs_only_keeps_long_values_in_the_record(ses, grbit):
    # Indexed: an in-memory sort; Updatable: materialized at the first move, still
    # IntrinsicLVsOnly (sortapi.cxx ErrIsamSortMaterialize: SetIntrinsicLVsOnly)
    t, ids = _open(ses, grbit)
    _insert(ses, t, ids, 1, BIG)
    jet.JetMove(ses, t, jet.JET_MoveFirst)
    size = jet.JetGetRecordSize(ses, t)
    assert size.cLongValues == 0 and size.cbData >= len(BIG)
    ri = jet.JET_RETINFO(ibLongValue=len(BIG) - 3, itagSequence=1)
    assert jet.JetRetrieveColumn(ses, t, ids[1], 0, ri) == BIG[-3:]

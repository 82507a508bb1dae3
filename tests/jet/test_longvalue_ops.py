"""Long values: AppendLV, OverwriteLV, SizeLV, Separate/IntrinsicLV, streaming, freeing."""

from __future__ import annotations

import itertools
import os
import struct
import tracemalloc

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese.engine.records.record import LVRoot, lv_parse_key
from pyese.engine.records.update import lv_chunk_most

from .helpers import expect

_DB_NUMBERS = itertools.count()


def _setup(inst: jet.JET_INSTANCE, cbmax: int = 0) -> tuple:
    s = jet.JetBeginSession(inst)
    db = jet.JetCreateDatabase(s, "lv.edb")
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypLongBinary, cbMax=cbmax))
    return s, t, c


def _lv_nodes(t: object) -> int:
    from pyese.engine.cursors.cursor import CURSORS

    cur = CURSORS[int(t)]
    return len(list(cur.view().iterate(cur.table.lv_objid)))


def _check_lv_tree(t: object) -> None:
    """The LV-tree invariant: per LID a root, chunks at 0, C, 2C, ... each C bytes but the
    last, which holds the rest of the root's size (a shorter chunk reads as compressed)."""
    from pyese.engine.cursors.cursor import CURSORS

    cur = CURSORS[int(t)]
    chunk = lv_chunk_most(cur.dc.page_size)
    roots: dict[int, int] = {}
    chunks: dict[int, list[tuple[int, int]]] = {}
    for key, data in cur.view().iterate(cur.table.lv_objid):
        lid, off = lv_parse_key(key)
        if off is None:
            roots[lid] = LVRoot.from_bytes(data).size
        else:
            chunks.setdefault(lid, []).append((off, len(data)))
    assert set(chunks) <= set(roots)
    for lid, size in roots.items():
        got = chunks.get(lid, [])
        want = [(off, min(chunk, size - off)) for off in range(0, size, chunk)]
        assert got == want, (lid, size)


def test_append_overwrite_size(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errColumnNoChunk):  # ESE: lv.cxx ErrLVOpFromGrbit, new value
        jet.JetSetColumn(s, t, c, b"x", jet.JET_bitSetOverwriteLV,
                         jet.JET_SETINFO(ibLongValue=3, itagSequence=1))
    expected = bytearray()
    for i in range(5):
        piece = bytes([65 + i]) * 7000
        jet.JetSetColumn(s, t, c, piece, jet.JET_bitSetAppendLV)
        expected += piece
    jet.JetSetColumn(s, t, c, b"#" * 9000, jet.JET_bitSetOverwriteLV,
                     jet.JET_SETINFO(ibLongValue=6000, itagSequence=1))
    expected[6000:15000] = b"#" * 9000
    with expect(jet.JET_errColumnNoChunk):
        jet.JetSetColumn(s, t, c, b"x", jet.JET_bitSetOverwriteLV,
                         jet.JET_SETINFO(ibLongValue=len(expected) + 1, itagSequence=1))
    assert jet.JetRetrieveColumn(s, t, c, jet.JET_bitRetrieveCopy) == bytes(expected)
    jet.JetSetColumn(s, t, c, struct.pack("<I", 20000), jet.JET_bitSetSizeLV)
    del expected[20000:]
    jet.JetSetColumn(s, t, c, struct.pack("<I", 40000), jet.JET_bitSetSizeLV)
    expected += bytes(20000)
    jet.JetSetColumn(s, t, c, b"end", jet.JET_bitSetOverwriteLV | jet.JET_bitSetSizeLV,
                     jet.JET_SETINFO(ibLongValue=30000, itagSequence=1))
    expected[30000:] = b"end"
    bm = jet.JetUpdate(s, t)
    jet.JetCommitTransaction(s, 0)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c) == bytes(expected)
    ri = jet.JET_RETINFO(itagSequence=1, ibLongValue=29990)
    assert jet.JetRetrieveColumn(s, t, c, 0, ri, cbMax=13) == bytes(expected[29990:30003])
    # SizeLV to 0 is NULL
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, c, struct.pack("<I", 0), jet.JET_bitSetSizeLV)
    jet.JetUpdate(s, t)
    assert jet.JetRetrieveColumn(s, t, c) is None
    assert _lv_nodes(t) == 0  # the record's old long value was freed


def test_replace_is_copy_on_write_and_cancel_frees(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    jet.JetSetColumn(s, t, c, b"a" * 20000)
    bm = jet.JetUpdate(s, t)
    nodes = _lv_nodes(t)
    jet.JetGotoBookmark(s, t, bm)
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    jet.JetSetColumn(s, t, c, b"b" * 10, jet.JET_bitSetAppendLV)
    assert jet.JetRetrieveColumn(s, t, c, jet.JET_bitRetrieveCopy) == b"a" * 20000 + b"b" * 10
    assert jet.JetRetrieveColumn(s, t, c) == b"a" * 20000  # the record is untouched
    jet.JetPrepareUpdate(s, t, jet.JET_prepCancel)
    assert _lv_nodes(t) == nodes  # the copy is gone
    jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    # 20000 + 5000 bytes cross one more chunk boundary (chunks of page size - 128 bytes)
    assert 20000 // lv_chunk_most(8192) != 25000 // lv_chunk_most(8192)
    jet.JetSetColumn(s, t, c, b"b" * 5000, jet.JET_bitSetAppendLV)
    jet.JetUpdate(s, t)
    assert jet.JetRetrieveColumn(s, t, c) == b"a" * 20000 + b"b" * 5000
    assert _lv_nodes(t) == nodes + 1  # one more chunk; the old value is freed
    _check_lv_tree(t)
    jet.JetDelete(s, t)
    assert _lv_nodes(t) == 0


def test_separate_intrinsic_and_too_big(inst: jet.JET_INSTANCE) -> None:
    s, t, c = _setup(inst, cbmax=5000)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    with expect(jet.JET_errInvalidGrbit):
        jet.JetSetColumn(s, t, c, b"x", jet.JET_bitSetSeparateLV | jet.JET_bitSetIntrinsicLV)
    jet.JetSetColumn(s, t, c, b"small", jet.JET_bitSetSeparateLV)
    assert _lv_nodes(t) == 2  # root + one chunk, though 5 bytes
    with expect(jet.JET_errColumnTooBig):
        jet.JetSetColumn(s, t, c, b"x" * 4999, jet.JET_bitSetAppendLV)
    jet.JetSetColumn(s, t, c, b"i" * 2000, jet.JET_bitSetIntrinsicLV)
    assert _lv_nodes(t) == 0  # replaced by an intrinsic value: the separated one is freed
    bm = jet.JetUpdate(s, t)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c) == b"i" * 2000


_OPS = st.one_of(
    st.tuples(st.just("append"), st.integers(1, 20000)),
    st.tuples(st.just("overwrite"), st.integers(1, 20000), st.floats(0, 1.05)),
    st.tuples(st.just("size"), st.integers(0, 40000)),
    st.tuples(st.just("overwrite_size"), st.integers(1, 12000), st.floats(0, 1)),
    st.tuples(st.just("set"), st.integers(0, 20000)),
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(_OPS, min_size=1, max_size=8), replace=st.booleans(),
       in_trx=st.booleans())
def test_lv_ops_match_a_model(inst: jet.JET_INSTANCE, ops: list, replace: bool,
                              in_trx: bool) -> None:
    """Random append / overwrite / SizeLV / set sequences on one value against a bytearray,
    checking the value (inside the update: its own writes) and the chunk invariant."""
    s = jet.JetBeginSession(inst)
    try:
        _run_model(s, ops, replace, in_trx)
    finally:
        jet.JetEndSession(s, 0)


def _run_model(s: jet.JET_SESID, ops: list, replace: bool, in_trx: bool) -> None:
    name = f"m{os.getpid()}_{next(_DB_NUMBERS)}.edb"  # id() can repeat across examples
    db = jet.JetCreateDatabase(s, name)
    t = jet.JetCreateTable(s, db, "T")
    c = jet.JetAddColumn(s, t, "lv", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    model: bytearray | None = None
    if in_trx:
        jet.JetBeginTransaction(s)
    jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
    if replace:  # edit a committed record's value: copy on write
        model = bytearray(b"r" * 9000)
        jet.JetSetColumn(s, t, c, bytes(model))
        bm = jet.JetUpdate(s, t)
        jet.JetGotoBookmark(s, t, bm)
        jet.JetPrepareUpdate(s, t, jet.JET_prepReplace)
    for n, op in enumerate(ops):
        fill = bytes([n + 1])
        size = len(model) if model is not None else 0
        if op[0] == "append":
            jet.JetSetColumn(s, t, c, fill * op[1], jet.JET_bitSetAppendLV)
            model = (model or bytearray()) + fill * op[1]
        elif op[0] in ("overwrite", "overwrite_size"):
            ib = int(size * op[2])
            grbit = jet.JET_bitSetOverwriteLV
            if op[0] == "overwrite_size":
                grbit |= jet.JET_bitSetSizeLV
            info = jet.JET_SETINFO(ibLongValue=ib, itagSequence=1)
            if ib > size:
                with expect(jet.JET_errColumnNoChunk):  # ESE: lv.cxx, offset past the end
                    jet.JetSetColumn(s, t, c, fill * op[1], grbit, info)
                continue
            jet.JetSetColumn(s, t, c, fill * op[1], grbit, info)
            model = model or bytearray()
            model[ib:ib + op[1]] = fill * op[1]
            if op[0] == "overwrite_size":
                del model[ib + op[1]:]
        elif op[0] == "size":
            jet.JetSetColumn(s, t, c, struct.pack("<I", op[1]), jet.JET_bitSetSizeLV)
            if op[1] == 0:
                model = None  # SizeLV to 0 is NULL
            else:
                model = (model or bytearray())[:op[1]]
                model += bytes(op[1] - len(model))
        else:
            jet.JetSetColumn(s, t, c, fill * op[1])
            model = bytearray(fill * op[1]) if op[1] else None
        got = jet.JetRetrieveColumn(s, t, c, jet.JET_bitRetrieveCopy)
        assert got == (bytes(model) if model is not None else None), (n, op)
        _check_lv_tree(t)
    bm = jet.JetUpdate(s, t)
    if in_trx:
        jet.JetCommitTransaction(s, 0)
    jet.JetGotoBookmark(s, t, bm)
    assert jet.JetRetrieveColumn(s, t, c) == (bytes(model) if model is not None else None)
    _check_lv_tree(t)
    jet.JetDelete(s, t)
    assert _lv_nodes(t) == 0
    jet.JetCloseTable(s, t)
    jet.JetCloseDatabase(s, db, 0)
    jet.JetDetachDatabase(s, name)


def test_64mib_streams_with_bounded_memory(inst: jet.JET_INSTANCE) -> None:
    """A value many times JET_paramMaxVerPages (2 MiB by default), written in 1 MiB
    appends outside a transaction and read back in 1 MiB pieces: committed batches wait
    for the applier instead of exhausting the version store, and memory stays bounded."""
    s, t, c = _setup(inst)
    mib = 1 << 20
    total = 64
    tracemalloc.start()
    try:
        jet.JetPrepareUpdate(s, t, jet.JET_prepInsert)
        for i in range(total):
            jet.JetSetColumn(s, t, c, bytes([i]) * mib, jet.JET_bitSetAppendLV)
        bm = jet.JetUpdate(s, t)
        jet.JetGotoBookmark(s, t, bm)
        for i in range(total):
            ri = jet.JET_RETINFO(itagSequence=1, ibLongValue=i * mib)
            piece = jet.JetRetrieveColumn(s, t, c, 0, ri, cbMax=mib)
            assert piece == bytes([i]) * mib
            del piece
        _cur, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"peak traced memory for {total} MiB: {peak / mib:.1f} MiB")
    assert peak < 12 * mib, peak  # far below the value's size
    size = jet.JetGetRecordSize(s, t)
    assert size.cbLongValueData == total * mib and size.cLongValues == 1

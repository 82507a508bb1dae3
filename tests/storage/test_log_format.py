"""The log's byte format: names, header, records, payloads (docs/log_format.md)."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.ops import OP_DELETE, OP_DELETE_TREE, OP_PUT, Op


def test_file_names_follow_ese():
    # ESE: inc/daeconst.hxx, _log/log.cxx: edb.log, edbXXXXX.log (5 hex, 8 above 0xFFFFF)
    assert F.current_log_name("edb") == "edb.log"
    assert F.archived_log_name("edb", 1) == "edb00001.log"
    assert F.archived_log_name("edb", 0xABCDE) == "edbABCDE.log"
    assert F.archived_log_name("edb", 0xFFFFF) == "edbFFFFF.log"
    assert F.archived_log_name("edb", 0x100000) == "edb00100000.log"
    assert F.temp_log_name("edb") == "edbtmp.log"
    assert F.parse_archived_name("edb", "edb0000A.log") == 10
    assert F.parse_archived_name("edb", "edb00100000.log") == 0x100000
    assert F.parse_archived_name("edb", "edb000100000.log") is None
    assert F.parse_archived_name("edb", "edb.log") is None
    assert F.parse_archived_name("edb", "edbtmp.log") is None
    assert F.parse_archived_name("edb", "abc00001.log") is None
    # 8 digits only above 0xFFFFF
    assert F.parse_archived_name("edb", "edb00000001.log") is None


def test_header_layout_and_round_trip():
    h = F.LogFileHeader(3, bytes(range(16)), 123456789, 987654321)
    raw = h.encode()
    assert len(raw) == F.FILE_HEADER_SIZE == 64
    assert raw[:8] == b"PYESELOG"
    assert struct.unpack_from("<HHI", raw, 8) == (F.FORMAT_VERSION, 64, 3)
    assert raw[16:32] == bytes(range(16))
    assert struct.unpack_from("<QQ", raw, 32) == (123456789, 987654321)
    assert struct.unpack_from("<I", raw, 60)[0] == zlib.crc32(raw[:60])
    assert F.LogFileHeader.decode(raw) == h


@pytest.mark.parametrize("offset", [0, 12, 20, 40, 61])
def test_header_damage_is_log_file_corrupt(offset):
    raw = bytearray(F.LogFileHeader(1, bytes(16), 1, 0).encode())
    raw[offset] ^= 0x01
    with pytest.raises(JetError) as ei:
        F.LogFileHeader.decode(bytes(raw))
    assert ei.value.err == C.JET_errLogFileCorrupt


def test_record_layout():
    rec = F.encode_record(F.REC_DETACH, b"\x01\x00\x00\x00")
    crc, length, rectype = F.RECORD_HEADER.unpack_from(rec)
    assert (length, rectype) == (4, F.REC_DETACH)
    assert crc == zlib.crc32(rec[4:])
    assert F.record_crc_ok(rec, 0, 4, crc)
    bad = bytearray(rec)
    bad[-1] ^= 0x80
    assert not F.record_crc_ok(bytes(bad), 0, 4, crc)


def test_attach_detach_init_round_trip():
    sig = b"S" * 16
    assert F.decode_attach(F.encode_attach(2, sig, "/x/é.db")) == (2, sig, "/x/é.db")
    assert F.decode_detach(F.encode_detach(6)) == 6
    assert F.decode_init(F.encode_init(42)) == 42
    with pytest.raises(JetError) as ei:
        F.decode_attach(F.encode_attach(2, sig, "/x.db")[:-1])
    assert ei.value.err == C.JET_errLogFileCorrupt


_ops = st.lists(
    st.one_of(
        st.builds(Op, st.just(OP_PUT), st.integers(0, 2**32 - 1), st.binary(max_size=40),
                  st.binary(max_size=200)),
        st.builds(Op, st.just(OP_DELETE), st.integers(0, 2**32 - 1), st.binary(max_size=40),
                  st.none()),
        st.builds(Op, st.just(OP_DELETE_TREE), st.integers(0, 2**32 - 1), st.just(b""),
                  st.none()),
    ),
    max_size=12,
)


@given(st.integers(0, 2**64 - 1), st.dictionaries(st.integers(0, 0xFFFF), _ops, max_size=4))
def test_commit_round_trip(trxid, ops_by_db):
    payload = F.encode_commit(trxid, ops_by_db)
    assert F.decode_commit(payload) == (trxid, ops_by_db)


@given(st.integers(0, 2**64 - 1), st.dictionaries(st.integers(0, 0xFFFF), _ops, max_size=4))
def test_commit_record_is_the_encoded_record(trxid, ops_by_db):
    """The committer's one-call encoding is byte for byte the general one."""
    record, nops = F.commit_record(trxid, ops_by_db)
    assert record == F.encode_record(F.REC_COMMIT, F.encode_commit(trxid, ops_by_db))
    assert nops == sum(len(ops) for ops in ops_by_db.values())


@given(st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1))
def test_flush_record_is_the_encoded_record(gen, off):
    record = F.flush_record(LGPOS(gen, off))
    assert record == F.encode_record(F.REC_FLUSH, F.encode_flush(LGPOS(gen, off)))
    assert len(record) == F.FLUSH_RECORD_SIZE and record[4:9] == F.FLUSH_SIGNATURE


def test_commit_truncated_or_padded_is_corrupt():
    payload = F.encode_commit(1, {1: [Op(OP_PUT, 5, b"k", b"v")]})
    for bad in (payload[:-1], payload + b"\x00"):
        with pytest.raises(JetError) as ei:
            F.decode_commit(bad)
        assert ei.value.err == C.JET_errLogFileCorrupt

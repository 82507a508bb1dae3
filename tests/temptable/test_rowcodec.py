"""The bulk paths' generated encoder and decoder give exactly what the ordinary path gives.

``engine.temp.rowcodec`` builds, per column list, an encoder (row -> normalized key and
record image) and a decoder (record -> values). The ordinary path is ``RecordImage`` (ESE's
``fldmod.cxx`` ErrRECISetIFixedColumn / ErrRECISetVarColumn on the copy buffer) and
``keys.retrieve_key`` (``fldnorm.cxx`` FLDNormalizeFixedSegment); ``RecordLayout.retrieve``
reads values back. For random schemas and rows, a row the encoder takes must give the same
bytes, a row it refuses must be one the ordinary path has to judge (a NULL, a wrong-size
fixed value, a variable value over cbMax), and the decoder must agree with ``retrieve``
whenever it answers.
"""

from __future__ import annotations

import struct
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import pyese.jet as jet
from pyese.engine.records.keys import normalizer, retrieve_key
from pyese.engine.records.record import RecordImage
from pyese.engine.temp.rowcodec import build_decoder, build_encoder
from pyese.engine.temp.schema import ColumnRequest, build_schema

FIXED_TYPES = {
    jet.JET_coltypUnsignedByte: 1, jet.JET_coltypShort: 2, jet.JET_coltypLong: 4,
    jet.JET_coltypCurrency: 8, jet.JET_coltypIEEESingle: 4, jet.JET_coltypIEEEDouble: 8,
    jet.JET_coltypDateTime: 8, jet.JET_coltypUnsignedLong: 4, jet.JET_coltypLongLong: 8,
    jet.JET_coltypGUID: 16, jet.JET_coltypUnsignedShort: 2,
    jet.JET_coltypUnsignedLongLong: 8,
}
VAR_TYPES = [jet.JET_coltypBinary, jet.JET_coltypText]


@st.composite
def schemas(draw: st.DrawFn) -> tuple[list[ColumnRequest], int]:
    n = draw(st.integers(1, 6))
    cols = []
    for _ in range(n):
        if draw(st.booleans()):
            coltyp = draw(st.sampled_from(sorted(FIXED_TYPES)))
            cb = 0
        else:
            coltyp = draw(st.sampled_from(VAR_TYPES))
            cb = draw(st.sampled_from([0, 8, 40]))
        grbit = 0
        if coltyp in FIXED_TYPES and draw(st.integers(0, 2)) == 0:
            grbit |= jet.JET_bitColumnTTKey
            if draw(st.booleans()):
                grbit |= jet.JET_bitColumnTTDescending
        cols.append(ColumnRequest(coltyp, cbMax=cb, grbit=grbit,
                                  cp=1200 if coltyp == jet.JET_coltypText else 0))
    if not any(c.grbit & jet.JET_bitColumnTTKey for c in cols):
        cols[0] = ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey)
    tt_grbit = draw(st.sampled_from([0, jet.JET_bitTTSortNullsHigh, jet.JET_bitTTDotNetGuid]))
    return cols, tt_grbit


def _value(draw: Any, coltyp: int, cb_max: int) -> bytes | None:
    kind = draw(st.integers(0, 9))
    if kind == 0:
        return None
    if coltyp in FIXED_TYPES:
        size = FIXED_TYPES[coltyp]
        if kind == 1:
            return draw(st.binary(min_size=0, max_size=size + 2))  # maybe a wrong size
        if coltyp in (jet.JET_coltypLong, jet.JET_coltypShort, jet.JET_coltypLongLong):
            fmt = {2: "<h", 4: "<i", 8: "<q"}[size]
            edge = [-(1 << (8 * size - 1)), -1, 0, 1, (1 << (8 * size - 1)) - 1]
            return struct.pack(fmt, draw(st.sampled_from(edge) | st.integers(
                -(1 << (8 * size - 1)), (1 << (8 * size - 1)) - 1)))
        return draw(st.binary(min_size=size, max_size=size))
    limit = cb_max or 255
    return draw(st.binary(min_size=0, max_size=limit + (3 if kind == 1 else 0)))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_encoder_and_decoder_agree_with_the_ordinary_path(data: st.DataObject) -> None:
    cols, tt_grbit = data.draw(schemas())
    schema = build_schema(cols, tt_grbit, 8192)
    layout = schema.table.layout
    assert schema.key is not None
    kn = normalizer(schema.key.index)
    key_cids = [c.columnid for c in schema.key_columns]
    all_ids = list(schema.columnids)
    columnids = data.draw(st.permutations(all_ids).flatmap(
        lambda p: st.integers(1, len(p)).map(lambda k: p[:k])))
    enc = build_encoder(layout, columnids, kn, key_cids, schema.record_most)
    assert enc is not None  # fixed and variable columns only: always a fast encoder
    dec_all = build_decoder(layout, all_ids)
    for _ in range(8):
        row = tuple(_value(data.draw, layout.columns[c].coltyp, layout.columns[c].cbMax)
                    for c in columnids)
        keys: list[bytes] = []
        datas: list[bytes] = []
        recs: list[bytes] = []
        odd = enc.split([row], keys, datas)
        assert (enc.joined([row], recs) is None) == (odd is None)
        each = list(enc.each([row]))
        assert each == ([(None, row)] if odd is not None else list(zip(keys, datas)))
        bad = any(
            v is None
            or (c < 128 and len(v) != FIXED_TYPES[layout.columns[c].coltyp])
            or (c >= 128 and len(v) > (layout.columns[c].cbMax or 255))
            for c, v in zip(columnids, row, strict=True))
        assert (odd is not None) == bad
        if bad:
            continue
        image = RecordImage(layout)
        for c, v in zip(columnids, row, strict=True):
            image.set(c, v)
        want = image.to_bytes()
        values = [row[columnids.index(c)] if c in columnids else None for c in key_cids]
        want_key = retrieve_key(kn, values).key
        assert datas == [want]
        assert keys == [want_key]
        assert len(want_key) == enc.klen
        assert recs == [want_key + want]
        for shift, rec in ((0, want), (enc.klen, want_key + want)):
            dec = build_decoder(layout, columnids, shift)
            assert dec is not None
            got = dec(rec)
            if got is not None:
                assert list(got) == [layout.retrieve(want, c) for c in columnids]
        if len(columnids) == len(all_ids):  # every column set: the decoder must answer
            assert dec_all is not None and dec_all(want) is not None


def test_no_fast_encoder_for_tagged_bit_or_a_missing_notnull_column() -> None:
    long_key = ColumnRequest(jet.JET_coltypLong, grbit=jet.JET_bitColumnTTKey)
    for extra in (ColumnRequest(jet.JET_coltypBit),
                  ColumnRequest(jet.JET_coltypLongBinary),
                  ColumnRequest(jet.JET_coltypBinary, grbit=jet.JET_bitColumnTagged)):
        schema = build_schema([long_key, extra], 0, 8192)
        assert schema.key is not None
        kn = normalizer(schema.key.index)
        assert build_encoder(schema.table.layout, schema.columnids, kn,
                             [schema.columnids[0]], schema.record_most) is None
    schema = build_schema([long_key, ColumnRequest(jet.JET_coltypLong,
                                                   grbit=jet.JET_bitColumnNotNULL)], 0, 8192)
    assert schema.key is not None
    kn = normalizer(schema.key.index)
    assert build_encoder(schema.table.layout, schema.columnids[:1], kn,
                         [schema.columnids[0]], schema.record_most) is None

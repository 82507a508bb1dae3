"""``pyese._rowcodec.row_encoder``: the encoder written once per shape of row (what
``tx.temp_table`` loads with) gives, value for value, what the column's own converter
(``pyese._codec.encoder``) gives, and raises the converter's error for a bad value."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pyese._codec import decoder, encoder
from pyese._rowcodec import page_decoder, row_decoder, row_encoder
from pyese.jethdr import constants as C

COLTYPS = [C.JET_coltypUnsignedByte, C.JET_coltypShort, C.JET_coltypUnsignedShort,
           C.JET_coltypLong, C.JET_coltypUnsignedLong, C.JET_coltypLongLong,
           C.JET_coltypUnsignedLongLong, C.JET_coltypCurrency, C.JET_coltypIEEEDouble,
           C.JET_coltypIEEESingle, C.JET_coltypBit, C.JET_coltypText, C.JET_coltypLongText,
           C.JET_coltypBinary, C.JET_coltypLongBinary, C.JET_coltypDateTime,
           C.JET_coltypGUID]

values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**65), max_value=2**65),
    st.floats(allow_nan=False), st.text(max_size=5), st.binary(max_size=5),
    st.just(b""), st.just(""),
    st.datetimes(min_value=datetime.datetime(1900, 1, 1)), st.uuids(),
    st.sampled_from([2**7, 2**8, 2**15, 2**16, 2**31, 2**32, 2**63, 2**64, -1, -(2**31) - 1]))


def _one_by_one(coltyp: int, cp: int, value: Any) -> tuple[str, Any]:
    try:
        return "ok", encoder("c", coltyp, cp)(value)
    except Exception as exc:  # noqa: BLE001 - the error itself is compared
        return type(exc).__name__, str(exc)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(COLTYPS), st.sampled_from([1200, 1252]), values),
                min_size=1, max_size=5), st.randoms())
def test_row_encoder_matches_the_converters(cols: list[tuple[int, int, Any]], rnd: Any
                                            ) -> None:
    width = len(cols) + 2
    places = rnd.sample(range(width), len(cols))
    encode = row_encoder([(pos, coltyp, cp, encoder("c", coltyp, cp))
                          for pos, (coltyp, cp, _v) in zip(places, cols, strict=True)], width)
    row = {f"n{i}": v for i, (_c, _cp, v) in enumerate(cols)}
    expected = [_one_by_one(coltyp, cp, v) for coltyp, cp, v in cols]
    bad = [e for e in expected if e[0] != "ok"]
    if bad:
        with pytest.raises(Exception) as err:  # noqa: PT011 - the first bad value's error
            encode(row)
        assert (type(err.value).__name__, str(err.value)) == bad[0]
        return
    got = encode(row)
    want: list[Any] = [None] * width
    for pos, (_kind, data) in zip(places, expected, strict=True):
        want[pos] = data
    assert got == want and all(type(a) is type(b) for a, b in zip(got, want, strict=True))


def test_decoder_without_bookmark() -> None:
    decode = row_decoder([("a", C.JET_coltypLong, 0, False, decoder(C.JET_coltypLong, 0)),
                          ("b", C.JET_coltypText, 1200, False,
                           decoder(C.JET_coltypText, 1200))], bookmark=False)
    assert decode((b"\x05\x00\x00\x00", "hé".encode("utf-16-le"))) == {"a": 5, "b": "hé"}
    assert decode((None, b"")) == {"a": None, "b": ""}
    with pytest.raises(ValueError):
        decode((b"\x05\x00\x00\x00",))


def test_guid_and_datetime_go_to_the_converter() -> None:
    u = uuid.UUID(int=7)
    encode = row_encoder([(0, C.JET_coltypGUID, 0, encoder("g", C.JET_coltypGUID, 0))], 1)
    assert encode({"g": u}) == [encoder("g", C.JET_coltypGUID, 0)(u)]
    with pytest.raises(TypeError, match="'g'"):
        encode({"g": "not a uuid"})


def test_page_decoder_gives_what_the_row_decoder_gives() -> None:
    cols = [("a", C.JET_coltypLong, 0, False, decoder(C.JET_coltypLong, 0)),
            ("b", C.JET_coltypText, 1200, False, decoder(C.JET_coltypText, 1200)),
            ("m", C.JET_coltypLong, 0, True, decoder(C.JET_coltypLong, 0))]
    rows = [(b"bm1", b"\x01\x00\x00\x00", "x".encode("utf-16-le"), [b"\x02\x00\x00\x00"]),
            (b"bm2", None, None, []),
            (b"bm3", b"\x03\x00\x00\x00", b"", None)]
    one = row_decoder(cols)
    assert page_decoder(cols)(rows) == [one(r) for r in rows]
    assert page_decoder(cols)([]) == []
    # a Long of the wrong size: the page falls back to the row decoder, whose converter
    # raises the converter's own error
    bad = [*rows, (b"bm4", b"\x01\x00", None, [])]
    with pytest.raises(Exception) as page_err:  # noqa: PT011 - compared with the row's
        page_decoder(cols)(bad)
    with pytest.raises(Exception) as row_err:  # noqa: PT011
        one(bad[-1])
    assert type(page_err.value) is type(row_err.value)
    assert str(page_err.value) == str(row_err.value)
    plain = [(c[0], c[1], c[2], c[3], c[4]) for c in cols[:2]]
    assert page_decoder(plain, bookmark=False)([r[1:3] for r in rows]) == [
        row_decoder(plain, bookmark=False)(r[1:3]) for r in rows]

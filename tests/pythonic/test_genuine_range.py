"""``Table.range(columns=...)`` on genuine Windows files (issue 13).

The layer reads a range a page at a time with ``PyeseRetrieveValues`` (values typed by
the engine's record decoder with the layer's converters); ``Table.get`` decodes with a
function written once per projection (``pyese._rowcodec``, tested below). Every table of
every genuine sample is read both ways and must agree value for value: through
``range(columns=...)``, and through the plain JET loop (``JetMove`` + one
``JetRetrieveColumn`` per value and ``itagSequence``, decoded by ``pyese.values``).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

import pytest

import pyese
import pyese.jet as jet
from pyese import values as V
from pyese._codec import decoder
from pyese._rowcodec import row_decoder
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_real_world, gunzip_samples


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = gunzip_samples(tmp_path_factory.mktemp("edb"))
    got = {n: out / f"{n}.edb" for n in SAMPLES}
    got.update(gunzip_real_world(out))
    return got


def _decode(coltyp: int, data: bytes, cp: int) -> Any:
    if coltyp in (C.JET_coltypText, C.JET_coltypLongText) and cp == V.CP_UNICODE:
        # the layer keeps lone surrogates (surrogatepass), pyese.values replaces them
        if len(data) % 2:
            data += b"\x00"
        return data.decode("utf-16-le", "surrogatepass")
    return V.to_python(coltyp, data, cp)


def _jet_rows(sesid: Any, dbid: Any, table: str, index: str | None,
              cols: list[Any]) -> list[dict[str, Any]]:
    """The table's rows in ``index`` order, read by the plain JET loop."""
    tableid = jet.JetOpenTable(sesid, dbid, table)
    rows = []
    try:
        if index is not None:
            jet.JetSetCurrentIndex(sesid, tableid, index)
        try:
            jet.JetMove(sesid, tableid, C.JET_MoveFirst)
        except JetError as e:
            assert e.err == C.JET_errNoCurrentRecord
            return rows
        while True:
            row: dict[str, Any] = {}
            for c in cols:
                multi = bool(c.grbit & C.JET_bitColumnMultiValued)
                got = []
                itag = 1
                while True:
                    v = jet.JetRetrieveColumn(sesid, tableid, c.columnid, 0,
                                              jet.JET_RETINFO(itagSequence=itag))
                    if v is None or not multi:
                        break
                    got.append(_decode(c.coltyp, v, c.Cp))
                    itag += 1
                if multi:
                    row[c.columnname] = got  # no value: an empty list (``Row``)
                else:
                    row[c.columnname] = None if v is None else _decode(c.coltyp, v, c.Cp)
            rows.append(row)
            try:
                jet.JetMove(sesid, tableid, C.JET_MoveNext)
            except JetError as e:
                assert e.err == C.JET_errNoCurrentRecord
                return rows
    finally:
        jet.JetCloseTable(sesid, tableid)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return type(a) is type(b) and a == b or (isinstance(a, list) and isinstance(b, list)
                                              and len(a) == len(b)
                                              and all(map(_same, a, b)))


@pytest.mark.parametrize("sample", [*SAMPLES, "qmgr", "srudb"])
def test_range_matches_jet_loop_on_every_table(files: dict[str, Path], tmp_path: Path,
                                               sample: str) -> None:
    path = files[sample]
    seen = 0
    with pyese.Instance(tmp_path / "inst") as inst:
        db = inst.open_database(path, read_only=True)
        with inst.transaction(read_only=True) as tx:
            dbid = jet.JetOpenDatabase(tx.sesid, str(path), None, C.JET_bitDbReadOnly)
            try:
                for table in db.table_names():
                    t = tx.table(table)
                    names = list(t.meta.columns)
                    primary = t.meta.primary
                    cols = jet.JetGetTableColumnInfo(tx.sesid, t._tableid, None,
                                                     C.JET_ColInfoListSortColumnid)
                    want = _jet_rows(tx.sesid, dbid, table,
                                     primary.name if primary else None, cols)
                    # every column, then a projection in another order
                    for proj in (names, names[::-2]):
                        got = list(t.range(columns=proj))
                        assert len(got) == len(want), table
                        for g, w in zip(got, want, strict=True):
                            assert list(g) == proj or len(set(proj)) < len(proj)
                            for n in proj:
                                assert _same(g[n], w[n]), (table, n, g[n], w[n])
                    seen += len(want)
            finally:
                jet.JetCloseDatabase(tx.sesid, dbid, 0)
    assert seen > 0


def _one(coltyp: int, cp: int = 0, multi: bool = False) -> Any:
    return row_decoder([("c", coltyp, cp, multi, decoder(coltyp, cp))])


@pytest.mark.parametrize("coltyp,data", [
    (C.JET_coltypLong, b"\x01\x02\x03\x04"),
    (C.JET_coltypLongLong, b"\xff" * 8),
    (C.JET_coltypUnsignedByte, b"\x07"),
    (C.JET_coltypShort, b"\xfe\xff"),
    (C.JET_coltypIEEESingle, b"\x00\x00\xc0\x7f"),
    (C.JET_coltypIEEEDouble, b"\x00" * 7 + b"\x40"),
    (C.JET_coltypCurrency, b"\x10" * 8),
    (C.JET_coltypDateTime, b"\x00\x00\x00\x00\x00\x00\xe0\x40"),
    (C.JET_coltypDateTime, b"\x00\x00\x00\x00\x00\x00\xf0\x7f"),  # inf: the float back
    (C.JET_coltypBit, b"\x00"),
    (C.JET_coltypBit, b"\x02"),
    (C.JET_coltypGUID, bytes(range(16))),
    (C.JET_coltypBinary, b"\x00\x01"),
    (C.JET_coltypLongBinary, b""),
])
def test_row_decoder_matches_the_column_converter(coltyp: int, data: bytes) -> None:
    want = decoder(coltyp, 0)(data)
    got = _one(coltyp)((b"bm", data))["c"]
    assert _same(got, want) or (isinstance(want, float) and math.isnan(want)
                                and math.isnan(got))
    assert _one(coltyp)((b"bm", None)) == {"c": None}
    assert _one(coltyp, multi=True)((b"bm", [data, data]))["c"] == [want, want] or \
        isinstance(want, float)


def test_row_decoder_text_and_errors() -> None:
    text = _one(C.JET_coltypLongText, V.CP_UNICODE)
    assert text((b"", "hé\ud800".encode("utf-16-le", "surrogatepass")))["c"] == "hé\ud800"
    assert text((b"", b"a\x00b"))["c"] == "ab"  # odd length: padded, as decode_value
    ascii_text = _one(C.JET_coltypText, V.CP_ASCII)
    assert ascii_text((b"", b"abc"))["c"] == "abc"
    assert _one(C.JET_coltypDateTime)((b"", b"\x00" * 8))["c"] == dt.datetime(1899, 12, 30)
    with pytest.raises(JetError) as e:  # a wrong size: the converter's error
        _one(C.JET_coltypLong)((b"", b"\x01\x02"))
    assert e.value.err == C.JET_errInvalidBufferSize
    two = row_decoder([(n, C.JET_coltypLongLong, 0, False, decoder(C.JET_coltypLongLong, 0))
                       for n in "ab"])
    with pytest.raises(JetError) as e:  # found by the value-by-value pass, same error
        two((b"", b"\x01" * 8, b"\x01" * 7))
    assert e.value.err == C.JET_errInvalidBufferSize
    assert two((b"", b"\x01" * 8, None)) == {"a": 0x0101010101010101, "b": None}
    with pytest.raises(ValueError):  # a row of another length
        _one(C.JET_coltypLong)((b"", b"\x00" * 4, b"\x00" * 4))
    # names needing quoting are keys as given
    odd = row_decoder([("a'b\"\n{}", C.JET_coltypLong, 0, False, decoder(C.JET_coltypLong, 0)),
                       ("", C.JET_coltypBit, 0, False, decoder(C.JET_coltypBit, 0))])
    assert odd((b"", b"\x01\x00\x00\x00", b"\x01")) == {"a'b\"\n{}": 1, "": True}
    assert row_decoder([])((b"bm",)) == {}

"""``Table.range`` reads typed values (``PyeseRetrieveValues``): the CLI's decoder's values.

``range`` asks the engine for typed rows (``pyese._codec.LAYER_VALUES``: the columns' own
converters), each record decoded in one pass by ``engine.genuine.rowdecode.RowDecoder``,
the decoder of ``pyese dump`` (``cli_forensic.typed_rows``, typed by
``pyese.typedvalues.PYTHON_VALUES``). Both must give the same values for every record:

- every table of every genuine sample, through the CLI's own ``typed_rows`` over a
  ``TableReader``, with the bookmarks (each record's key);
- a pyese table with a column of every type (NULLs, multi-values, separated long values,
  defaults, a fixed column added after the rows were written), its records decoded by
  the CLI's decoder straight from the engine's cursor.

The shapes differ where the layer documents its own (``Row``): a multi-valued column
is a list, ``[]`` for NULL (the dump gives None); a column not multi-valued holding
several values gives its first (the dump gives their list). Text with lone surrogates
keeps them in the layer (``surrogatepass``) and is not in these files.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyese
import pyese.jet as jet
from pyese._codec import ole_datetime
from pyese.cli import _open, typed_rows
from pyese.engine.cursors.cursor import cursor_for
from pyese.engine.cursors.tablescan import TableReader
from pyese.engine.genuine.rowdecode import RowDecoder, resolver
from pyese.engine.instance.gate import session_call
from pyese.jethdr import constants as C
from pyese.typedvalues import PYTHON_VALUES
from pyese.values import ole_to_datetime
from tests.genuine.samples import SAMPLES, SAMPLES_DIR, gunzip_real_world, gunzip_samples

pytestmark = pytest.mark.filterwarnings(
    "ignore::pyese.engine.instance.database.DirtyShutdownWarning")


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = gunzip_samples(tmp_path_factory.mktemp("edb"))
    got = {n: out / f"{n}.edb" for n in SAMPLES}
    got.update(gunzip_real_world(out))
    return got


def _shaped(value: Any, multi: bool) -> Any:
    """The dump's value shaped as ``Row`` shapes it (module docstring)."""
    if multi:
        return [] if value is None else value if isinstance(value, list) else [value]
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(map(_same, a, b))
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("sample", [*SAMPLES, "qmgr", "srudb"])
def test_range_gives_the_dump_values_on_every_genuine_table(
        files: dict[str, Path], tmp_path: Path, sample: str) -> None:
    path = files[sample]
    edb, snap, catalog = _open(str(path))
    seen = 0
    with edb, pyese.Instance(tmp_path / "inst") as inst:
        db = inst.open_database(path, read_only=True)
        with inst.transaction(read_only=True) as tx:
            for name in db.table_names():
                table = catalog.table(name)
                cols = table.column_list()
                multi = {c.name: bool(c.grbit & C.JET_bitColumnMultiValued) for c in cols}
                reader = TableReader(snap, table)
                keys = [v.bookmark for v in reader.records()]
                want = list(typed_rows(reader, cols))
                names = [c.name for c in cols]
                t = tx.table(name)
                for proj in (names, names[::-1], names[1::3]):
                    got = list(t.range(columns=proj))
                    assert len(got) == len(want), name
                    for g, w, key in zip(got, want, keys, strict=True):
                        assert list(g) == proj
                        assert g.bookmark == key
                        for n in proj:
                            assert _same(g[n], _shaped(w[n], multi[n])), (name, n, g[n], w[n])
                reverse = list(t.range(columns=names, reverse=True))
                assert [r.bookmark for r in reverse] == keys[::-1]
                seen += len(want)
    assert seen > 0


EVERY_TYPE: dict[str, Any] = {
    "id": pyese.Column(pyese.Long, not_null=True),
    "bit": pyese.Column(bool),
    "ub": pyese.Column(pyese.UnsignedByte),
    "short": pyese.Column(pyese.Short),
    "ushort": pyese.Column(pyese.UnsignedShort),
    "ulong": pyese.Column(pyese.UnsignedLong),
    "ll": pyese.Column(pyese.LongLong),
    "ull": pyese.Column(pyese.UnsignedLongLong),
    "cur": pyese.Column(pyese.Currency),
    "single": pyese.Column(pyese.IEEESingle),
    "double": pyese.Column(float),
    "when": pyese.Column(dt.datetime),
    "guid": pyese.Column(uuid.UUID),
    "text": pyese.Column(str, max_size=200),
    "ansi": pyese.Column(pyese.Text, cp=1252, max_size=100),
    "bin": pyese.Column(bytes, max_size=100),
    "ltext": pyese.Column(pyese.LongText),
    "lbin": pyese.Column(pyese.LongBinary),
    "tags": pyese.Column(pyese.Long, multi_valued=True, tagged=True),
    "words": pyese.Column(str, multi_valued=True, tagged=True),
    "dflt": pyese.Column(pyese.Long, default=42),
    "tagged": pyese.Column(pyese.LongLong, tagged=True),
}


def _row(i: int) -> dict[str, Any]:
    row: dict[str, Any] = {
        "id": i, "bit": i % 2 == 0, "ub": i % 256, "short": -i, "ushort": i * 3,
        "ulong": 2**32 - 1 - i, "ll": -(2**40) - i, "ull": 2**63 + i, "cur": i * 10_000,
        "single": 0.5 * i, "double": i / 7, "guid": uuid.UUID(int=i * 7919),
        "when": dt.datetime(2001, 2, 3, 4, 5, 6) + dt.timedelta(days=i, milliseconds=i),
        "text": f"text {i} é€", "ansi": f"ansi {i} é", "bin": bytes([i % 256]) * (i % 9),
        "ltext": "long " * (i * 300 % 5000), "lbin": bytes(range(256)) * (i % 40),
        "tags": list(range(i % 4)), "words": [f"w{k}" for k in range(i % 3)],
        "tagged": i * 1_000_003 if i % 3 else None,
    }
    if i % 5 == 0:  # NULLs in every nullable column, the default left to ESE
        for name in row:
            if name != "id":
                row[name] = [] if name in ("tags", "words") else None
    elif i % 5 != 1:
        row["dflt"] = -i
    return row


def test_range_gives_the_dump_values_on_a_pyese_table(tmp_path: Path) -> None:
    with pyese.Instance(tmp_path) as inst:
        db = inst.open_database("every.edb")
        db.create_table("t", EVERY_TYPE, {"pk": pyese.Index("+id", primary=True),
                                           "bytext": "+text"})
        db.insert_many("t", [_row(i) for i in range(300)])
        with inst.transaction() as tx:  # a fixed column added after the rows
            t = tx.table("t")
            with tx.entered():
                jet.JetAddColumn(tx.sesid, t._tableid, "late",
                                 jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong,
                                                   grbit=jet.JET_bitColumnFixed),
                                 (-5).to_bytes(4, "little", signed=True))
        db._meta.pop("t", None)  # the layer's catalog cache: the column came through JET
        with inst.transaction() as tx:
            t = tx.table("t")
            names = list(t.meta.columns)
            got = list(t.range(columns=names))
            assert [r["id"] for r in got] == list(range(300))
            # the CLI's decoder over the same records, read through the engine's cursor
            want = []
            with session_call(tx.sesid) as session:
                cur = cursor_for(session, t._tableid)
                table = cur.table
                cols = [table.column_by_id(t.meta.columns[n].columnid) for n in names]
                decoder = RowDecoder(table.layout, cols, typing=PYTHON_VALUES)
            jet.JetSetCurrentIndex(tx.sesid, t._tableid, "pk")
            jet.JetMove(tx.sesid, t._tableid, C.JET_MoveFirst)
            while True:
                with session_call(tx.sesid) as session:
                    cur = cursor_for(session, t._tableid)
                    rec = cur.record_view()
                    want.append((rec.bookmark, decoder.values(rec.data,
                                                             resolver(cur._lv_reader()))))
                try:
                    jet.JetMove(tx.sesid, t._tableid, C.JET_MoveNext)
                except jet.NoCurrentRecordError:
                    break
            assert len(want) == len(got)
            for g, (key, vals) in zip(got, want, strict=True):
                assert g.bookmark == key
                for n, w in zip(names, vals, strict=True):
                    multi = bool(t.meta.columns[n].multi)
                    assert _same(g[n], _shaped(w, multi)), (n, g[n], w)
            # and the values inserted, read back
            for g in got:
                i = g["id"]
                row = _row(i)
                for n, v in row.items():
                    if n == "single" and v is not None:
                        assert g[n] == pytest.approx(v)
                    elif n == "when" and v is not None:
                        assert g[n] == v.replace(microsecond=v.microsecond // 1000 * 1000)
                    else:
                        assert _same(g[n], v) or (n == "dflt" and v is None and g[n] == 42), \
                            (i, n, g[n], v)
                assert g["late"] == -5
            # a secondary index, a projection, bounds and reverse: the same rows
            by_text = sorted((r for r in got if r["text"] is not None),
                             key=lambda r: r["text"])
            lo, hi = by_text[10]["text"], by_text[50]["text"]
            sub = list(t.range(index="bytext", start=lo, stop=hi, columns=["id", "tags"]))
            assert [r["id"] for r in sub] == [r["id"] for r in by_text[10:50]]
            assert [r["tags"] for r in sub] == [r["tags"] for r in by_text[10:50]]
            back = list(t.range(index="bytext", start=lo, stop=hi, reverse=True))
            assert [dict(r) for r in back] == [dict(r) for r in by_text[10:50]][::-1]


@settings(max_examples=2000, deadline=None, derandomize=True)
@given(st.one_of(st.floats(), st.floats(-1e6, 3e6), st.integers(-700_000, 3_000_000).map(float),
                 st.sampled_from([0.0, -0.0, -1.25, 0.5, -0.5, 2958465.999999999,
                                  -657434.0, -657435.0, 2958466.0, 1e300, -1e300])))
def test_ole_datetime_is_values_ole_to_datetime(value: float) -> None:
    # the layer's faster DateTime conversion gives exactly what pyese.values gives
    want = ole_to_datetime(value)
    got = ole_datetime(value)
    assert type(got) is type(want)
    assert got == want or (math.isnan(got) and math.isnan(want))  # type: ignore[arg-type]

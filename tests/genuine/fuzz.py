"""Fuzzing genuine files through every read path: records, nodes, pages, headers.

Shared by the short fixed-seed run in the suite (``tests/engine/test_fuzz_genuine.py``) and the
long run (``tools/fuzz_edb.py --seed N --minutes M``). One *case* mutates one genuine sample
in one place and reads it as a user would:

- ``record``: a record's bytes mutated in memory (bytes set, bits flipped, truncated,
  extended, garbage record header), then every column of it retrieved (``RecordView``,
  long values, decompression, typed conversion) and the record decoded (``RecordImage``);
- ``node``: bytes inside one leaf node of a table, index, long-value or catalog tree, the page
  re-sealed with a valid checksum so the damage reaches the node and record parsers;
- ``page``: bytes of a page header or TAG array, re-sealed;
- ``header``: bytes of the database header, re-sealed or not;
- ``rot``: one bit flipped anywhere, not re-sealed (what ECC correction sees);
- ``jet``: a node or page damaged as above, then read through the JET API (attach strict
  and tolerant, every table, ``JetMove`` through it, ``JetEnumerateColumns`` of each
  record, every secondary index walked).

Then the file is opened, the catalog loaded, and every record of every table (or the tables
of the damaged tree) read through ``typed_rows`` (the ``dump`` path) and every secondary
index walked, in strict and in tolerant mode. The one acceptable failure is a
:class:`JetError`; anything else is a finding. Hangs are caught by the caller's timer.
"""

from __future__ import annotations

import gzip
import random
import shutil
import struct
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from pyese.engine.cursors.tablescan import RecordView, TableReader
from pyese.engine.records.record import RecordImage
from pyese.engine.schema.catalog import Catalog, TableDef
from pyese.jethdr.errors import JetError
from pyese.storage.edb import EdbFile, Page
from pyese.storage.edb.checksum import (
    F_PAGE_NEW_CHECKSUM_FORMAT,
    block_size,
    checksum_new_format,
    checksum_old_format,
    is_small_page,
)
from pyese.values import to_python

KINDS = ("record", "node", "page", "header", "rot", "jet")


def reseal_page(page: bytearray, pgno: int) -> None:
    """Store valid checksums in ``page`` (database page ``pgno``), as ESE writes them."""
    cb = len(page)
    flags = int.from_bytes(page[36:40], "little")
    if not flags & F_PAGE_NEW_CHECKSUM_FORMAT:
        page[0:8] = ((pgno << 32) | checksum_old_format(bytes(page))).to_bytes(8, "little")
        return
    if is_small_page(cb):
        page[0:8] = checksum_new_format(bytes(page), pgno, True).to_bytes(8, "little")
        return
    blk = block_size(cb)
    for i, ib in enumerate(range(blk, cb, blk)):
        page[40 + 8 * i : 48 + 8 * i] = checksum_new_format(
            bytes(page[ib : ib + blk]), pgno, False).to_bytes(8, "little")
    page[0:8] = checksum_new_format(bytes(page[:blk]), pgno, True).to_bytes(8, "little")


def reseal_header(raw: bytearray, cb: int, copy: int = 0) -> None:
    """Store a valid checksum in header copy ``copy`` (0 primary, 1 shadow)."""
    off = copy * cb
    raw[off : off + 4] = checksum_old_format(bytes(raw[off : off + cb])).to_bytes(4, "little")


@dataclass
class Sample:
    """A genuine file in memory and where its leaf nodes and records are."""

    name: str
    raw: bytes
    page_size: int
    nodes: list[tuple[int, int, int]] = field(default_factory=list)
    """(pgno, start, cb) of every leaf line, in the file's bytes."""
    records: list[tuple[str, bytes]] = field(default_factory=list)
    """(table name, record bytes) of up to 200 records per table."""


def load_sample(path: Path) -> Sample:
    """Read a (gzipped or plain) genuine file and index its leaf nodes and records."""
    raw = path.read_bytes()
    if path.suffix == ".gz":
        raw = gzip.decompress(raw)
    cb = struct.unpack_from("<I", raw, 236)[0]
    s = Sample(path.name.removesuffix(".gz"), raw, cb)
    for pgno in range(1, len(raw) // cb - 1):
        buf = raw[(pgno + 1) * cb : (pgno + 2) * cb]
        try:
            page = Page(buf, pgno)
            if not page.is_leaf or page.is_space_tree:
                continue
            for itag, (start, n, _) in enumerate(page._load_tags()):
                if itag >= page.ctag_reserved and n:
                    s.nodes.append((pgno, (pgno + 1) * cb + start, n))
        except JetError:
            continue
    tmp = _scratch(s.name)
    tmp.write_bytes(raw)
    with EdbFile.open(tmp) as edb:
        snap = edb.snapshot()
        for table in Catalog.load(snap, cb):
            for i, view in enumerate(TableReader(snap, table).records()):
                if i >= 200:
                    break
                s.records.append((table.name, view.data))
    return s


def _scratch(name: str) -> Path:
    import tempfile

    d = Path(tempfile.gettempdir()) / "pyese-fuzz"
    d.mkdir(exist_ok=True)
    return d / f"{name}.{random.getrandbits(48):x}"


# ---------------------------------------------------------------- mutations


def mutate_bytes(rng: random.Random, buf: bytearray, lo: int, hi: int) -> None:
    """1-4 byte-level edits in buf[lo:hi): set a byte, flip a bit, or smash a u16."""
    if hi <= lo:
        return
    for _ in range(rng.randint(1, 4)):
        i = rng.randrange(lo, hi)
        op = rng.randrange(3)
        if op == 0:
            buf[i] = rng.randrange(256)
        elif op == 1:
            buf[i] ^= 1 << rng.randrange(8)
        elif i + 1 < hi:
            struct.pack_into("<H", buf, i, rng.choice((0, 1, 0x7FFF, 0x8000, 0xFFFF,
                                                       rng.randrange(65536))))


def mutate_record(rng: random.Random, data: bytes) -> bytes:
    """A damaged copy of a record: edits, a cut, an extension or a garbage header."""
    buf = bytearray(data)
    op = rng.randrange(5)
    if op == 0 and buf:
        return bytes(buf[: rng.randrange(len(buf))])
    if op == 1:
        return bytes(buf) + rng.randbytes(rng.randint(1, 64))
    if op == 2 and len(buf) >= 4:
        buf[0:4] = rng.randbytes(4)
        return bytes(buf)
    mutate_bytes(rng, buf, 0, len(buf))
    return bytes(buf)


def damage_file(rng: random.Random, s: Sample, kind: str) -> tuple[bytearray, int | None]:
    """A damaged copy of the sample's file and the pgno damaged (None for the header)."""
    raw = bytearray(s.raw)
    cb = s.page_size
    npages = len(raw) // cb - 2
    if kind == "header":
        copy = rng.randrange(2)
        if rng.random() < 0.3:
            buf = bytearray(raw[copy * cb : (copy + 1) * cb])
            mutate_bytes(rng, buf, 0, 4)
            raw[copy * cb : (copy + 1) * cb] = buf
        else:
            buf = bytearray(raw[copy * cb : (copy + 1) * cb])
            mutate_bytes(rng, buf, 4, 668)
            raw[copy * cb : (copy + 1) * cb] = buf
            if rng.random() < 0.8:
                reseal_header(raw, cb, copy)
        return raw, None
    if kind == "rot":
        pgno = rng.randint(1, npages)
        off = (pgno + 1) * cb + rng.randrange(cb)
        raw[off] ^= 1 << rng.randrange(8)
        return raw, pgno
    if kind == "node" and s.nodes:
        pgno, start, n = rng.choice(s.nodes)
        off = (pgno + 1) * cb
        page = bytearray(raw[off : off + cb])
        mutate_bytes(rng, page, start - off, start - off + n)
    else:  # page header or TAG array
        pgno = rng.choice(s.nodes)[0] if s.nodes else rng.randint(1, npages)
        off = (pgno + 1) * cb
        page = bytearray(raw[off : off + cb])
        hdr = 40 if is_small_page(cb) else 80
        if rng.random() < 0.5:
            mutate_bytes(rng, page, 8, hdr)
        else:
            itags = max(1, int.from_bytes(page[34:36], "little") & 0xFFF)
            mutate_bytes(rng, page, cb - 4 * itags, cb)
    reseal_page(page, pgno)
    raw[off : off + cb] = page
    return raw, pgno


# ---------------------------------------------------------------- reading


def read_record(table: TableDef, view: RecordView) -> int:
    """Every column of a record, resolved and typed; returns the number of values."""
    n = 0
    for col in table.column_list():
        for b in view.values(col.columnid):
            to_python(col.coltyp, b, col.cp)
            n += 1
    RecordImage.from_bytes(table.layout, view.data)
    return n


def read_file(path: Path, *, tolerant: bool, objid: int | None = None, start: bytes = b"",
              limit: int | None = 300) -> Iterator[str]:
    """Open, load the catalog and read records of every table, or of the tables owning tree
    ``objid`` (from key ``start`` in that tree), at most ``limit`` per table and index.

    Strict mode reads every column of every record (``read_record``), tolerant mode goes
    through ``typed_rows`` (the ``dump`` path, which skips and reports damaged records).
    Yields a line per JetError met; raises what is not a JetError.
    """
    from itertools import islice

    from pyese.cli_forensic import record_views, typed_rows

    try:
        edb = EdbFile.open(path, tolerant=tolerant, cache_pages=64)
    except JetError as err:
        yield f"open: {err.err}"
        return
    with edb:
        snap = edb.snapshot()
        try:
            catalog = Catalog.load(snap, edb.page_size)
        except JetError as err:
            yield f"catalog: {err.err}"
            return
        for table in catalog:
            owned = {table.objid, table.lv_objid} | {ix.objid for ix in table.indexes}
            if objid is not None and objid not in owned and objid > 3:
                continue
            skips: list[str] = []
            try:
                reader = TableReader(snap, table)
                first = start if objid == table.objid else b""
                if tolerant:  # the dump path with deleted nodes and carving
                    views = record_views(edb, table, reader, deleted=True, carve=True)
                    rows = typed_rows(reader, table.column_list(), tolerant=True,
                                      on_skip=skips.append, views=views, mark=True)
                    for _row in islice(rows, limit):
                        pass
                else:
                    for view in islice(reader.records(first), limit):
                        read_record(table, view)
                for ix in table.secondary_indexes():
                    first = start if objid == ix.objid else b""
                    for _key, view in islice(reader.index_range(ix, first), limit):
                        view.get(ix.index.segments[0].column.columnid)
            except JetError as err:
                yield f"table {table.name}: {err.err}"
            yield from skips


def read_jet(path: Path, *, tolerant: bool, limit: int = 50) -> Iterator[str]:
    """Read a file through the JET API; yields a line per JetError met."""
    import warnings

    import pyese.jet as jet
    from pyese.engine.instance.database import JET_bitDbPyeseTolerant

    # The instance's logs and checkpoint go to a directory of their own, never to the
    # current directory: reading a file read-only needs no log, so recovery is off.
    scratch = tempfile.mkdtemp(prefix="pyese-fuzz-")
    inst = jet.JetCreateInstance(f"fuzz{random.getrandbits(32):x}")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, scratch + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, scratch + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramTempPath, 0, scratch + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramRecovery, 0, "Off")
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        grbit = jet.JET_bitDbReadOnly | (JET_bitDbPyeseTolerant if tolerant else 0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                jet.JetAttachDatabase(s, str(path), grbit)
            db = jet.JetOpenDatabase(s, str(path))
        except JetError as err:
            yield f"attach: {err.err}"
            return
        names = [t for t in jet.JetGetObjectInfo(s, db, jet.JET_objtypTable, None, None,
                                                 jet.JET_ObjInfoListNoStats)]
        for name in names:
            try:
                t = jet.JetOpenTable(s, db, name.objectname, None,
                                     jet.JET_bitTableReadOnly)
            except JetError as err:
                yield f"open: {err.err}"
                continue
            try:
                indexes = [None] + sorted({ix.indexname for ix in jet.JetGetTableIndexInfo(
                    s, t, None, jet.JET_IdxInfoList) if ix.indexname})
                for ix in indexes:
                    if ix is not None:
                        jet.JetSetCurrentIndex(s, t, ix)
                    try:
                        jet.JetMove(s, t, jet.JET_MoveFirst)
                        for _ in range(limit):
                            jet.JetEnumerateColumns(s, t)
                            jet.JetMove(s, t, jet.JET_MoveNext)
                    except JetError as err:
                        if err.err != jet.JET_errNoCurrentRecord:
                            yield f"read: {err.err}"
            except JetError as err:
                yield f"table: {err.err}"
            finally:
                jet.JetCloseTable(s, t)
    finally:
        jet.JetTerm(inst)
        shutil.rmtree(scratch, ignore_errors=True)


@dataclass
class Outcome:
    """What one case did: ``finding`` is set for anything but a JetError."""

    kind: str
    sample: str
    jet_errors: int = 0
    finding: str | None = None


def _first_key(s: Sample, pgno: int) -> tuple[int | None, bytes]:
    """(objidFDP, first node key) of the sample's intact page ``pgno``."""
    cb = s.page_size
    try:
        page = Page(s.raw[(pgno + 1) * cb : (pgno + 2) * cb], pgno)
        nodes = page.nodes()
        return page.objid, nodes[0].key if nodes and page.is_leaf else b""
    except JetError:
        return None, b""


def run_case(rng: random.Random, samples: list[Sample], kind: str | None = None,
             scratch: Path | None = None) -> Outcome:
    """One fuzz case (a random kind when ``kind`` is None). Never raises for a JetError."""
    import traceback

    kind = kind or rng.choice(KINDS)
    s = rng.choice(samples)
    out = Outcome(kind, s.name)
    try:
        if kind == "record":
            if not s.records:
                return out
            tmp = scratch or _scratch(s.name)
            tmp.write_bytes(s.raw)
            name, data = rng.choice(s.records)
            with EdbFile.open(tmp) as edb:
                snap = edb.snapshot()
                table = Catalog.load(snap, edb.page_size).table(name)
                reader = TableReader(snap, table)
                for _ in range(8):
                    try:
                        read_record(table, reader.view(b"", mutate_record(rng, data)))
                    except JetError:
                        out.jet_errors += 1
            return out
        raw, pgno = damage_file(rng, s, "node" if kind == "jet" and rng.random() < 0.6
                                else ("page" if kind == "jet" else kind))
        tmp = scratch or _scratch(s.name)
        tmp.write_bytes(raw)
        objid, start = None, b""
        if pgno is not None:  # read the damaged tree from the damaged page's first key on
            objid, start = _first_key(s, pgno)
        for tolerant in (False, True):
            if kind == "jet":
                out.jet_errors += sum(1 for _ in read_jet(tmp, tolerant=tolerant))
                continue
            out.jet_errors += sum(1 for _ in read_file(tmp, tolerant=tolerant, objid=objid,
                                                       start=start))
    except JetError:
        out.jet_errors += 1
    except Exception:  # noqa: BLE001 - the finding we are looking for
        out.finding = traceback.format_exc()
    return out

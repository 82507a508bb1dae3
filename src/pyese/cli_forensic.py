"""The forensic side of the ``pyese`` command line: genuine files as an analyst reads them.

Commands and options registered into :mod:`pyese.cli`'s parser:

- ``export FILE DIR``: every table to ``DIR/<table>.csv`` or ``.jsonl`` in one command,
  progress per table on stderr and a total (``esedbexport -t`` does the same); each file
  written under a temporary name and renamed when its table is complete (a table that
  fails leaves no file, exit 1); dump's ``--filetime`` / ``--decode-utf16`` / ``--keep-nuls``
  with a column named ``TABLE.COLUMN`` or ``COLUMN`` (every exported table that has it);
- ``tables --brief``: table names and record counts;
- ``dump``: ``--index NAME --key VALUE`` (a seek in that index, repeat ``--key`` for later
  key columns) and ``--where COLUMN=VALUE`` (a seek when an index starts with the column,
  a scan otherwise), text without the trailing NULs ESE stores (``--keep-nuls`` keeps
  them; the JET API always keeps them), FILETIME columns marked UTC, ``--decode-utf16
  COLUMN`` for binary columns holding UTF-16LE text, ``--limit`` refusing negatives, and a
  hint to use ``--tolerant`` when a dump stops on damage;
- ``check``: every page verified, every tree walked (leaf sibling chains followed, a loop
  detected), every record decoded with the table's description (the catalog's own tables
  with ESE's fixed one), the header's copies and state judged. Exit codes:
  0 clean, 3 dirty shutdown but everything verified, 1 damaged (or an error), 2 usage.

Every file is opened by :func:`open_database` (the verdict the JET API gives too:
``engine.genuine.opener.load_catalog``). Errors print one line, ``pyese: ...``.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import itertools
import json
import math
import os
import re
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from operator import itemgetter
from pathlib import Path
from typing import IO, Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

EXIT_CLEAN = 0
EXIT_DAMAGED = 1
EXIT_DIRTY_VERIFIED = 3

_DAMAGE = frozenset({
    C.JET_errReadVerifyFailure, C.JET_errDatabaseCorrupted, C.JET_errBadPageLink,
    C.JET_errReadPgnoVerifyFailure, C.JET_errPageNotInitialized, C.JET_errFileIOBeyondEOF,
    C.JET_errLVCorrupted, C.JET_errDecompressionFailed,
})
"""Error codes that mean damage: a dump that stops on one of them hints at --tolerant."""

_UTC = _dt.UTC


def _err(msg: str) -> None:
    print(f"pyese: {msg}", file=sys.stderr)


def error_line(err: JetError) -> str:
    """The one line printed for a JetError ("not an ESE database" said plainly)."""
    detail = err.detail or ""
    if detail.startswith("not an ESE database"):
        return f"{detail} ({err.name} {err.err})"
    return str(err)


def is_damage(err: JetError) -> bool:
    return err.err in _DAMAGE


# ---------------------------------------------------------------- opening


def open_database(path: str, *, tolerant: bool = False) -> tuple[Any, Any, Any]:
    """(EdbFile, snapshot, Catalog) of a genuine file, warnings on stderr.

    Raises what ``EdbFile.open`` and ``engine.genuine.opener.load_catalog`` raise: the verdict the
    JET API gives for the same file.
    """
    from pyese.engine.genuine.opener import load_catalog
    from pyese.storage.edb import EdbFile

    edb = EdbFile.open(path, tolerant=tolerant)
    try:
        if edb.header.is_dirty:
            _err(f"warning: {path}: database is in {edb.header.dbstate_name} state (not shut "
                 "down cleanly); reading it as it is on disk")
        snap = edb.snapshot()
        catalog = load_catalog(edb, snap)
        if catalog.lost_pages:
            pages = ", ".join(str(sp.pgno) for sp in catalog.lost_pages)
            _err(f"warning: the catalog (MSysObjects) is partly unreadable (pages {pages} "
                 "skipped): tables may be missing or incomplete")
    except BaseException:
        edb.close()
        raise
    return edb, snap, catalog


def table_of(catalog: Any, name: str) -> Any:
    """A table by name; with a damaged catalog the error says so."""
    try:
        return catalog.table(name)
    except JetError as err:
        if catalog.lost_pages and err.err == C.JET_errObjectNotFound:
            raise_error(err.err, f"{err.detail}; the catalog is partly unreadable, the table "
                                 "may be listed on a lost page")
        raise


def report_pages(edb: Any) -> None:
    """Pages skipped (tolerant mode) and pages whose single-bit error ECC corrected."""
    for pgno, ibit in sorted(edb.corrected_pages.items()):
        _err(f"note: page {pgno}: one flipped bit (bit {ibit}) corrected by the page's ECC "
             "checksum, in memory; the file is unchanged")
    for sp in edb.skipped_pages:
        _err(f"skipped page {sp.pgno}: {JetError.from_code(sp.err, sp.detail)}")


# ---------------------------------------------------------------- values


def _nonneg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, not {n}")
    return n


def json_value(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(csv_value(x) for x in v)
    return str(json_value(v))


def parse_value(col: Any, text: str) -> bytes:
    """Stored bytes of a value typed on the command line for column ``col``.

    Integers in decimal or 0x hex, floats, GUIDs, text (encoded by code page), binary as hex,
    DateTime as ISO 8601. ``JET_errInvalidParameter`` when the text does not fit the type.
    """
    from pyese.values import from_python

    t = col.coltyp
    value: Any = text
    try:
        if t in (C.JET_coltypBinary, C.JET_coltypLongBinary):
            value = bytes.fromhex(text)
        elif t == C.JET_coltypBit:
            value = text.lower() in ("1", "true", "yes", "on")
        elif t in (C.JET_coltypIEEESingle, C.JET_coltypIEEEDouble):
            value = float(text)
        elif t == C.JET_coltypDateTime:
            value = _dt.datetime.fromisoformat(text).replace(tzinfo=None)
        elif t not in (C.JET_coltypText, C.JET_coltypLongText, C.JET_coltypGUID):
            value = int(text, 0)
    except ValueError as exc:
        raise_error(C.JET_errInvalidParameter, f"{col.name}: {text!r} is not a "
                                               f"{_type_name(t)} ({exc})")
    raw = from_python(t, value, col.cp)
    assert raw is not None
    return raw


def _type_name(coltyp: int) -> str:
    from pyese.values import coltyp_name

    return coltyp_name(coltyp)


BATCH = 256
"""Records ``typed_rows`` takes from the walk and decodes in one ``RowDecoder.values_many``
call (a leaf page holds about this many records of a small table)."""


_DUMP_TYPING: list[Any] = []


def _dump_typing() -> Any:
    """``pyese.typedvalues.PYTHON_VALUES`` with DateTime columns read by
    ``pyese._codec.ole_datetime`` (exactly ``values.ole_to_datetime``'s result, fewer
    steps): the values the dump has always written. Made once."""
    if _DUMP_TYPING:
        return _DUMP_TYPING[0]
    from pyese._codec import ole_datetime
    from pyese.typedvalues import PythonValues

    class DumpValues(PythonValues):
        def fixed_code(self, col: Any) -> tuple[str, Callable[[Any], Any] | None] | None:
            spec = super().fixed_code(col)
            if spec is not None and col.coltyp == C.JET_coltypDateTime:
                return spec[0], ole_datetime
            return spec

    _DUMP_TYPING.append(DumpValues())
    return _DUMP_TYPING[0]


def _batches(items: Iterator[tuple[Any, ...]],
             size: int) -> Iterator[tuple[list[tuple[Any, ...]], BaseException | None]]:
    """``items`` in lists of up to ``size``, taken from the walk in one C-level call; an
    exception the walk raises (a damaged page) comes with the items read before it (which
    ``list.extend`` keeps), so those are still written before it is raised."""
    take = itertools.islice
    while True:
        batch: list[tuple[Any, ...]] = []
        try:
            batch.extend(take(items, size))
        except Exception as exc:  # noqa: BLE001 - re-raised by the caller, in order
            yield batch, exc
            return
        if batch:
            yield batch, None
        if len(batch) < size:
            return


def typed_rows(
    reader: Any, columns: list[Any], *, filetime: frozenset[str] = frozenset(),
    tolerant: bool = False, on_skip: Callable[[str], None] | None = None,
    keep_nuls: bool = True, utf16: frozenset[str] = frozenset(),
    views: Iterator[Any] | None = None, mark: bool = False,
) -> Iterator[dict[str, Any]]:
    """Records of a :class:`TableReader` as {column name: typed value} (lists when multi).

    ``filetime`` columns become UTC datetimes; text loses its trailing NULs unless
    ``keep_nuls``; ``utf16`` binary columns are decoded as UTF-16LE. ``views`` replaces the
    full scan (a seek's records). ``mark`` adds the column ``_record``: "live", "deleted"
    (a node ESE flag-deleted and has not cleaned up yet) or "carved" (read from an orphaned
    leaf page). In tolerant mode a record that raises a JetError is skipped and reported
    through ``on_skip``.

    Records are decoded :data:`BATCH` at a time (``RowDecoder.values_many``); a batch with
    a record that does not decode is decoded again record by record, so rows, skips and
    errors come exactly as one record at a time gives them, in the same order.
    """
    from pyese.engine.cursors.tablescan import TableReader
    from pyese.engine.genuine.rowdecode import RowDecoder, resolver
    from pyese.values import filetime_to_datetime

    decoder = RowDecoder(reader.layout, columns, typing=_dump_typing())
    names = [col.name for col in columns]
    posts: list[tuple[int, Callable[[Any], Any]]] = []
    for pos, col in enumerate(columns):
        name = col.name.lower()
        if name in filetime:
            posts.append((pos, lambda v: _utc(filetime_to_datetime(v))
                          if isinstance(v, int) else v))
        elif name in utf16:
            posts.append((pos, lambda v: v.decode("utf-16-le", "replace").rstrip("\x00")
                          if isinstance(v, bytes) else v))
        elif not keep_nuls and col.coltyp in (C.JET_coltypText, C.JET_coltypLongText):
            posts.append((pos, lambda v: v.rstrip("\x00")))
    resolve = resolver(reader.lv)
    decode = decoder.values
    decode_many = decoder.values_many
    items: Iterator[tuple[Any, ...]]
    if views is None and type(reader).records is TableReader.records:
        # the table's (key, data) nodes straight from its tree: no record object per row
        items = reader.snapshot.iterate(reader.table.objid)
    else:
        items = ((v.bookmark, v.data, v) for v in (reader.records() if views is None
                                                   else views))

    def shaped(vals: list[Any], view: Any) -> dict[str, Any]:
        for pos, fn in posts:
            v = vals[pos]
            if v is not None:
                vals[pos] = [fn(x) for x in v] if isinstance(v, list) else fn(v)
        row: dict[str, Any] = dict(zip(names, vals))
        if mark:
            row[MARK] = getattr(view, "status", "live")
        return row

    data_of = itemgetter(1)

    for batch, walk_error in _batches(items, BATCH):
        try:
            many = decode_many(list(map(data_of, batch)), resolve)
        except Exception:  # noqa: BLE001 - one record at a time below: its rows, skips
            many = None    # and error come in order
        if many is not None and not posts and not mark:
            yield from map(dict, map(zip, itertools.repeat(names), many))
        elif many is not None:
            try:
                rows = [shaped(vals, item[2] if len(item) > 2 else None)
                        for vals, item in zip(many, batch)]
            except Exception:  # noqa: BLE001 - as above
                rows = None
            if rows is not None:
                yield from rows
            else:
                many = None
        if many is None:
            for item in batch:
                key = item[0]
                try:
                    row = shaped(decode(item[1], resolve), item[2] if len(item) > 2 else None)
                except JetError as err:
                    if not tolerant:
                        raise
                    if on_skip is not None:
                        on_skip(f"skipped record {key.hex()}: {err}")
                    continue
                yield row
        if walk_error is not None:
            raise walk_error


MARK = "_record"
"""The column ``--deleted`` and tolerant dumps add: live, deleted or carved."""


def _utc(v: Any) -> Any:
    return v.replace(tzinfo=_UTC) if isinstance(v, _dt.datetime) else v


# ---------------------------------------------------------------- writers


class Progress:
    """Records counted per table on ``stream`` (only when it is a terminal unless forced)."""

    EVERY = 1000

    def __init__(self, stream: IO[str], label: str, *, force: bool = False) -> None:
        self.stream = stream
        self.label = label
        self.on = force or stream.isatty()
        self.n = 0

    def tick(self) -> None:
        self.n += 1
        if self.on and self.n % self.EVERY == 0:
            self.stream.write(f"\r{self.label}: {self.n} records")
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            self.stream.write(f"\r{self.label}: {self.n} records\n")
            self.stream.flush()


def write_rows(out: IO[str], fmt: str, columns: list[Any], rows: Iterator[dict[str, Any]],
               limit: int | None, progress: Progress, *, mark: bool = False) -> int:
    """Write rows as CSV (header first) or JSON lines; returns the number written."""
    writer = None
    if fmt == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([c.name for c in columns] + ([MARK] if mark else []))
    n = 0
    for row in rows:
        if limit is not None and n >= limit:
            break
        if writer is not None:
            writer.writerow([csv_value(v) for v in row.values()])
        else:
            out.write(json.dumps(
                {k: ([json_value(x) for x in v] if isinstance(v, list) else json_value(v))
                 for k, v in row.items()}, ensure_ascii=False) + "\n")
        n += 1
        progress.tick()
    progress.done()
    return n


# ---------------------------------------------------------------- deleted and carved records


def record_views(edb: Any, table: Any, reader: Any, *, deleted: bool,
                 carve: bool) -> Iterator[Any]:
    """The table's records in key order, each with ``status`` live / deleted / carved.

    ``deleted``: nodes ESE flag-deleted but has not removed yet (``fNDDeleted``; ESE and
    libesedb hide them) come too, marked. ``carve`` (tolerant mode): when the walk skipped
    pages, the table's leaf pages the walk did not reach (found by objidFDP and page flags:
    ``EdbFile.carve_leaves``) are read after it, their records marked carved.
    """
    from pyese.engine.cursors.tablescan import RecordView
    from pyese.storage.edb.btree import EdbTreeCursor

    class Marked(RecordView):
        __slots__ = ("status",)
        status: str

    def view(key: bytes, data: bytes, status: str) -> Any:
        v = Marked(reader.layout, data, reader.lv, key)
        v.status = status
        return v

    skipped = len(edb.skipped_pages)
    visited: set[int] = set()
    cur = EdbTreeCursor(edb, table.objid, table.pgno_fdp, include_deleted=deleted)
    kd = cur.first()
    while kd is not None:
        node = cur.current_node
        pgno = cur.current_pgno
        if pgno is not None:
            visited.add(pgno)
        yield view(kd[0], kd[1], "deleted" if node is not None and node.deleted else "live")
        kd = cur.next()
    if not carve or len(edb.skipped_pages) == skipped:
        return
    for page in edb.carve_leaves(table.objid, visited):
        for node in page.nodes():
            if node.deleted and not deleted:
                continue
            yield view(node.key, node.data, "carved")


# ---------------------------------------------------------------- seeks


def _index_views(reader: Any, ix: Any, values: list[bytes]) -> Iterator[Any]:
    """Records whose first ``len(values)`` key columns of index ``ix`` equal ``values``:
    one seek to the normalized key prefix, then the entries that share it (checked
    against the values themselves, since a normalized key is not always unique)."""
    from pyese.engine.records.keys import make_key

    idef = ix.index
    if len(values) > len(idef.segments):
        raise_error(C.JET_errInvalidParameter,
                    f"index {idef.name} has {len(idef.segments)} key columns")
    prefix = make_key(replace(idef, segments=idef.segments[: len(values)]), values)[0]
    cols = [s.column.columnid for s in idef.segments[: len(values)]]
    for key, view in reader.index_range(ix, prefix):
        if not key.startswith(prefix):
            return
        if all(v in view.values(cid) for cid, v in zip(cols, values)):
            yield view


def _where(reader: Any, table: Any, column: Any, value: bytes) -> tuple[Iterator[Any], str]:
    """Records whose ``column`` holds ``value``: a seek when an index starts with the column
    (the primary index first), a scan otherwise. Returns (records, how)."""
    ixs = sorted(table.indexes, key=lambda ix: not ix.index.is_primary)
    for ix in ixs:
        segs = ix.index.segments
        if segs and segs[0].column.columnid == column.columnid and not ix.index.conditions:
            return _index_views(reader, ix, [value]), f"seek on index {ix.index.name}"

    def scan() -> Iterator[Any]:
        for view in reader.records():
            if value in view.values(column.columnid):
                yield view

    return scan(), "scan (no index starts with the column)"


# ---------------------------------------------------------------- commands


def add_dump_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--index", metavar="NAME", help="read the table in this index's order; "
                   "with --key, seek")
    p.add_argument("--key", action="append", metavar="VALUE",
                   help="with --index: records whose key columns equal these values "
                        "(one --key per key column, in order)")
    p.add_argument("--where", metavar="COLUMN=VALUE",
                   help="records whose column holds the value (a seek when an index allows)")
    add_value_options(p)
    p.add_argument("--deleted", action="store_true",
                   help="also records ESE has flag-deleted but not yet removed; a column "
                        f"{MARK} marks each record live, deleted or carved")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="say how --where finds its records (seek or scan)")
    p.set_defaults(func=cmd_dump)


def add_value_options(p: argparse.ArgumentParser, *, every_table: bool = False) -> None:
    """``--filetime``, ``--decode-utf16`` and ``--keep-nuls``: one definition for ``dump``
    and ``export`` (``every_table``: a column is named TABLE.COLUMN or COLUMN)."""
    what = "TABLE.COLUMN or COLUMN" if every_table else "COLUMN"
    where = ("; a bare COLUMN applies to every exported table that has it" if every_table
             else "")
    p.add_argument("--filetime", action="append", metavar=what, default=[],
                   help="show this 64-bit integer column as a FILETIME date, marked UTC "
                        f"(repeatable{where})")
    p.add_argument("--decode-utf16", action="append", metavar=what, default=[],
                   help=f"show this binary column as UTF-16LE text (repeatable{where})")
    p.add_argument("--keep-nuls", action="store_true",
                   help="keep the trailing NULs ESE stores in text values (stripped by "
                        "default; the JET API always keeps them)")


_FILETIME_TYPES = (C.JET_coltypLongLong, C.JET_coltypUnsignedLongLong, C.JET_coltypCurrency)
_BINARY_TYPES = (C.JET_coltypBinary, C.JET_coltypLongBinary)


def value_options(table: Any, filetime: list[str], utf16: list[str],
                  keep_nuls: bool) -> dict[str, Any]:
    """``typed_rows``' options for ``table`` from the names given to ``--filetime`` and
    ``--decode-utf16``. ``JET_errColumnNotFound`` for a name the table lacks,
    ``JET_errInvalidColumnType`` for a column of the wrong type (a FILETIME is a 64-bit
    integer; only binary columns are decoded as UTF-16)."""
    ft = frozenset(n.strip().lower() for n in filetime)
    for name in ft:
        col = table.column(name)
        if col.coltyp not in _FILETIME_TYPES:
            raise_error(C.JET_errInvalidColumnType,
                        f"--filetime {col.name}: a FILETIME is a 64-bit integer column")
    u16 = frozenset(n.strip().lower() for n in utf16)
    for name in u16:
        col = table.column(name)
        if col.coltyp not in _BINARY_TYPES:
            raise_error(C.JET_errInvalidColumnType,
                        f"--decode-utf16 {col.name}: only binary columns are decoded")
    return {"filetime": ft, "utf16": u16, "keep_nuls": keep_nuls}


def _dump_setup(args: argparse.Namespace, table: Any) -> tuple[list[Any], dict[str, Any]]:
    if getattr(args, "columns", None):
        columns = [table.column(n.strip()) for n in args.columns.split(",") if n.strip()]
    else:
        columns = table.column_list()
    return columns, value_options(table, args.filetime or [], args.decode_utf16 or [],
                                  bool(args.keep_nuls))


def cmd_dump(args: argparse.Namespace) -> int:
    """``pyese dump FILE TABLE``: one table to stdout (CSV or JSON lines)."""
    from pyese.engine.cursors.tablescan import TableReader

    edb, snap, catalog = open_database(args.file, tolerant=args.tolerant)
    with edb:
        table = table_of(catalog, args.table)
        columns, opts = _dump_setup(args, table)
        reader = TableReader(snap, table)
        views = None
        if args.key and not args.index:
            raise_error(C.JET_errInvalidParameter, "--key needs --index")
        if args.index:
            ix = table.index(args.index)
            if args.key:
                cols = [s.column for s in ix.index.segments]
                if len(args.key) > len(cols):
                    raise_error(C.JET_errInvalidParameter,
                                f"index {ix.index.name} has {len(cols)} key columns")
                values = [parse_value(c, v) for c, v in zip(cols, args.key)]
                views = _index_views(reader, ix, values)
            else:
                views = (view for _k, view in reader.index_range(ix))
        if args.where:
            name, sep, text = args.where.partition("=")
            if not sep:
                raise_error(C.JET_errInvalidParameter, "--where takes COLUMN=VALUE")
            col = table.column(name.strip())
            value = parse_value(col, text)
            if views is None:
                views, how = _where(reader, table, col, value)
                if args.verbose:
                    _err(f"--where {col.name}: {how}")
            else:
                base_views = views
                views = (v for v in base_views if value in v.values(col.columnid))
        mark = bool(args.deleted or args.tolerant)
        if views is None and mark:
            views = record_views(edb, table, reader, deleted=args.deleted,
                                 carve=args.tolerant)
        rows = typed_rows(reader, columns, tolerant=args.tolerant, on_skip=_err,
                          views=views, mark=mark, **opts)
        try:
            write_rows(sys.stdout, args.format, columns, rows, args.limit,
                       Progress(sys.stderr, table.name), mark=mark)
        except JetError as err:
            if is_damage(err) and not args.tolerant:
                raise_error(err.err, f"{err.detail or ''} (hint: --tolerant skips damaged "
                                     "pages and records and reports them)")
            raise
        if args.tolerant:
            report_pages(edb)
        elif edb.corrected_pages:
            report_pages(edb)
    return 0


def add_tables_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--brief", action="store_true", help="only table names and record counts")


def cmd_tables_brief(args: argparse.Namespace) -> int:
    """``pyese tables --brief``: name and record count of every table."""
    edb, snap, catalog = open_database(args.file)
    with edb:
        total = 0
        for t in catalog:
            if args.table and t.name.lower() != args.table.lower():
                continue
            n = sum(1 for _ in snap.iterate(t.objid))
            total += n
            print(f"{t.name}\t{n}")
    return 0


_SAFE = re.compile(r"[^A-Za-z0-9._{}\-]+")


def export_name(table: str, used: set[str]) -> str:
    """A file name for a table: unsafe characters replaced, unique in the directory."""
    base = _SAFE.sub("_", table).strip("._") or "table"
    name = base
    i = 2
    while name.lower() in used:
        name = f"{base}_{i}"
        i += 1
    used.add(name.lower())
    return name


def add_export_command(sub: Any) -> None:
    p = sub.add_parser("export", help="export every table to a directory (CSV or JSON lines)",
                       description="Write every table of the database to DIR/<table>.csv or "
                                   ".jsonl (like esedbexport -t), with progress per table "
                                   "and a total on stderr. Each file is written under a "
                                   "temporary name and renamed when its table is complete: "
                                   "a table that fails leaves no file (it is reported, the "
                                   "others are exported, exit 1). --filetime, "
                                   "--decode-utf16 and --keep-nuls mean what they mean in "
                                   "dump; name a column TABLE.COLUMN for one table, or "
                                   "COLUMN for every exported table that has it.")
    p.add_argument("file")
    p.add_argument("dir", help="output directory (created if missing)")
    p.add_argument("--format", choices=("csv", "jsonl"), default="csv")
    p.add_argument("--tolerant", action="store_true",
                   help="skip damaged pages and records (reported) and tables that fail")
    add_value_options(p, every_table=True)
    p.add_argument("--deleted", action="store_true",
                   help=f"also flag-deleted records, marked in a column {MARK}")
    p.add_argument("--system", action="store_true",
                   help="also export the catalog tables (MSysObjects ...)")
    p.set_defaults(func=cmd_export)


def columns_per_table(tables: list[Any], specs: list[str], option: str) -> dict[str, list[str]]:
    """The column names an export option (``--filetime``, ``--decode-utf16``) gives each
    table, by folded table name.

    ``TABLE.COLUMN`` names one table's column (the longest prefix before a dot that is an
    exported table's name); anything else is a bare ``COLUMN``, for every table that has
    a column of that name. ``JET_errColumnNotFound`` when a bare name is in no table (a
    ``TABLE.COLUMN`` the table lacks fails later, in :func:`value_options`).
    """
    by_name = {t.name.lower(): t for t in tables}
    out: dict[str, list[str]] = {}
    for spec in specs:
        spec = spec.strip()
        dots = [i for i, ch in enumerate(spec) if ch == "."]
        for i in reversed(dots):
            if spec[:i].lower() in by_name:
                out.setdefault(spec[:i].lower(), []).append(spec[i + 1:])
                break
        else:
            name = spec.lower()
            having = [t for t in tables if any(c.name.lower() == name
                                               for c in t.column_list())]
            if not having:
                raise_error(C.JET_errColumnNotFound,
                            f"{option} {spec}: no exported table has this column "
                            "(name it TABLE.COLUMN or COLUMN)")
            for t in having:
                out.setdefault(t.name.lower(), []).append(spec)
    return out


def cmd_export(args: argparse.Namespace) -> int:
    """``pyese export FILE DIR``: every table to its own file; exit 1 if a table failed.

    Each table is written to a temporary name in DIR and renamed to ``<table>.<format>``
    when complete; a table that fails (a JetError: damage, without ``--tolerant``) has its
    temporary file removed and is reported, and the other tables are still exported. The
    ``--filetime`` / ``--decode-utf16`` names are checked against every table before
    anything is written (``JET_errColumnNotFound``, ``JET_errInvalidColumnType``).
    """
    from pyese.engine.cursors.tablescan import TableReader

    out_dir = Path(args.dir)
    edb, snap, catalog = open_database(args.file, tolerant=args.tolerant)
    failed = 0
    total = tables = 0
    used: set[str] = set()
    with edb:
        chosen = [t for t in catalog if args.system or not t.name.startswith("MSys")]
        filetime = columns_per_table(chosen, args.filetime, "--filetime")
        utf16 = columns_per_table(chosen, args.decode_utf16, "--decode-utf16")
        plans = []
        for table in chosen:
            key = table.name.lower()
            opts = value_options(table, filetime.get(key, []), utf16.get(key, []),
                                 bool(args.keep_nuls))
            plans.append((table, opts))
        out_dir.mkdir(parents=True, exist_ok=True)
        mark = bool(args.tolerant or args.deleted)
        for table, opts in plans:
            path = out_dir / f"{export_name(table.name, used)}.{args.format}"
            partial = out_dir / f".{path.name}.{os.getpid()}.partial"
            columns = table.column_list()
            reader = TableReader(snap, table)
            views = (record_views(edb, table, reader, deleted=args.deleted,
                                  carve=args.tolerant) if mark else None)
            rows = typed_rows(reader, columns, tolerant=args.tolerant, on_skip=_err,
                              views=views, mark=mark, **opts)
            progress = Progress(sys.stderr, table.name, force=True)
            try:
                with open(partial, "w", encoding="utf-8", newline="") as fh:
                    n = write_rows(fh, args.format, columns, rows, None, progress, mark=mark)
                os.replace(partial, path)
            except JetError as err:
                partial.unlink(missing_ok=True)
                failed += 1
                if progress.n >= Progress.EVERY:
                    sys.stderr.write("\n")  # end the progress line
                _err(f"table {table.name}: {error_line(err)} (after {progress.n} records; "
                     f"{path.name} not written)")
                continue
            except BaseException:
                partial.unlink(missing_ok=True)
                raise
            total += n
            tables += 1
        report_pages(edb)
    print(f"exported {total} records from {tables} tables to {out_dir}"
          + (f"; {failed} tables failed" if failed else ""), file=sys.stderr)
    return EXIT_DAMAGED if failed else 0


# ---------------------------------------------------------------- check


_DBSTATES = frozenset(range(C.JET_dbstateJustCreated, C.JET_dbstateRevertInProgress + 1))
"""JET_dbstate* values ESE defines (jethdr.w); anything else is impossible."""


def _leaf_chain(edb: Any, objid: int, first_leaf: int) -> str | None:
    """Follow a tree's leaf level by pgnoNext from its first leaf: a problem or None.

    A chain that comes back to a page it visited loops (ESE would spin on it); a link to a
    page of another tree or beyond the file is broken. Bounded by the file's page count.
    """
    seen: set[int] = set()
    pgno = first_leaf
    while pgno:
        if pgno in seen:
            return f"tree {objid}: leaf sibling chain loops back to page {pgno}"
        if len(seen) > edb.page_count or not 1 <= pgno <= edb.page_count:
            return f"tree {objid}: leaf sibling chain leaves the file at page {pgno}"
        seen.add(pgno)
        try:
            page = edb.read_page(pgno)
        except JetError as err:
            return f"tree {objid}: leaf sibling chain: page {pgno}: {err}"
        if page.objid != objid or not page.is_leaf:
            return (f"tree {objid}: leaf sibling chain reaches page {pgno} of tree "
                    f"{page.objid}")
        pgno = page.pgno_next
    return None


def cmd_check(args: argparse.Namespace) -> int:
    """``pyese check FILE``: verify everything; exit 0 clean, 3 dirty but verified, 1 damaged.
    """
    from pyese.engine.cursors.tablescan import TableReader
    from pyese.engine.records.record import RecordImage
    from pyese.storage.edb import SYSTEM_TREES, EdbFile

    problems: list[str] = []
    notes: list[str] = []
    with EdbFile.open(args.file) as edb:
        hdr = edb.header
        dirty = hdr.is_dirty
        if hdr.dbstate not in _DBSTATES:
            problems.append(f"header: impossible database state {hdr.dbstate}")
        if hdr.primary_bad:
            problems.append("header: the primary copy is bad (the shadow copy was used)")
        if hdr.shadow_bad:
            problems.append("header: the shadow copy is bad or differs from the primary")
        if dirty:
            notes.append(f"database is in {hdr.dbstate_name} state: ESE would need log files "
                         f"{hdr.gen_min_required}-{hdr.gen_max_required} to recover it")
        if not edb.whole_pages:
            problems.append(f"file size {edb.file_size()} is not a whole number of "
                            f"{edb.page_size}-byte pages (truncated)")
        bad_pages = 0
        for pgno, page in edb.iterate_pages():
            if isinstance(page, JetError):
                if page.err != C.JET_errPageNotInitialized:
                    problems.append(f"page {pgno}: {page}")
                    bad_pages += 1
        for pgno, ibit in sorted(edb.corrected_pages.items()):
            notes.append(f"page {pgno}: a flipped bit (bit {ibit}) corrected by ECC")
        snap = edb.snapshot()
        catalog = None
        try:
            from pyese.engine.genuine.opener import load_catalog

            catalog = load_catalog(edb, snap)
        except JetError as err:
            problems.append(f"catalog: {err}")
        trees = dict(SYSTEM_TREES)
        if catalog is not None:
            trees.update(catalog.trees)
            for fid, rows in sorted(catalog.unknown_columns.items()):
                notes.append(f"catalog column {fid} is not in ESE's catalog description "
                             f"known to pyese ({rows} rows carry it); skipped")
        for objid in sorted(trees):
            try:
                n = 0
                first_leaf = None
                cur = snap.cursor(objid)
                kd = cur.first()
                if kd is not None:
                    first_leaf = cur.current_pgno
                while kd is not None:
                    n += 1
                    kd = cur.next()
                if first_leaf is not None:
                    problem = _leaf_chain(edb, objid, first_leaf)
                    if problem:
                        problems.append(problem)
            except JetError as err:
                problems.append(f"tree objid {objid} (pgnoFDP {trees[objid]}): {err}")
        print(f"{args.file}: {edb.page_count} pages, {len(trees)} trees, "
              f"{bad_pages} bad pages")
        for table in catalog or []:
            reader = TableReader(snap, table)
            count = 0
            try:
                for view in reader.records():
                    RecordImage.from_bytes(table.layout, view.data)
                    for col in table.columns.values():
                        if col.is_long_value:
                            for _ in view.values(col.columnid):
                                pass
                    count += 1
            except JetError as err:
                problems.append(f"table {table.name}, record {count + 1}: {err}")
            print(f"  {table.name}: {count} records")
    for note in notes:
        print(f"  note: {note}")
    for p in problems:
        _err(p)
    if problems:
        print(f"{len(problems)} problem(s) found: damaged")
        return EXIT_DAMAGED
    if dirty:
        print("no problems found, but the database was not shut down cleanly "
              "(dirty, verified as it is on disk)")
        return EXIT_DIRTY_VERIFIED
    print("no problems found")
    return EXIT_CLEAN


def version() -> str:
    """pyese's version (the installed distribution's, else the package's)."""
    try:
        from importlib.metadata import version as dist_version

        return dist_version("pyese")
    except Exception:  # noqa: BLE001 - not installed: fall back to the package attribute
        import pyese

        return str(getattr(pyese, "__version__", "0+unknown"))


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"pyese {version()}")


__all__ = [
    "EXIT_CLEAN", "EXIT_DAMAGED", "EXIT_DIRTY_VERIFIED", "add_common", "add_dump_options",
    "add_export_command", "add_tables_options", "add_value_options", "cmd_check", "cmd_dump",
    "cmd_export", "cmd_tables_brief", "columns_per_table", "error_line", "open_database",
    "parse_value", "typed_rows", "value_options",
]

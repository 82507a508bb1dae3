"""The ``pyese`` command line (console script ``pyese`` and ``python -m pyese``).

Subcommands: ``demo`` (the session-context demo), and for genuine ESE database files,
read-only through the engine's catalog and record code: ``info`` (the database header,
``esentutl /mh``), ``tables`` (schema), ``dump`` (a table as CSV or JSON lines, streaming)
and ``check`` (integrity: every tree walked, every page verified, every record decoded).

Errors print one line, ``pyese: JET_errXxx (code): meaning [detail]``, and exit 1 (check
also exits 1 when it finds problems); usage errors exit 2. Progress goes to stderr only
when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import csv
import datetime as _dt
import json
import math
import sys
import uuid
from collections.abc import Callable, Iterator
from typing import IO, Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error

PROGRESS_EVERY = 1000


def _err(msg: str) -> None:
    print(f"pyese: {msg}", file=sys.stderr)


# ---------------------------------------------------------------- info


def _cmd_info(args: argparse.Namespace) -> int:
    from pyese.cli_backup import info
    from pyese.storage.edb import read_header

    own = info(args.file, args.json)  # pyese's own files (database, backup copy, log)
    if own is not None:
        return own

    hdr = read_header(args.file)
    if args.json:
        print(json.dumps(hdr.as_dict(), indent=1))
    else:
        print(hdr)
    if hdr.is_dirty:
        _err(f"warning: {args.file}: database is in {hdr.dbstate_name} state: it was not shut "
             f"down cleanly and ESE would need log files {hdr.gen_min_required}-"
             f"{hdr.gen_max_required} to recover it; pyese reads it as it is on disk")
    return 0


# ---------------------------------------------------------------- open helpers


def _open(path: str, tolerant: bool = False) -> tuple[Any, Any, Any]:
    from pyese.engine.schema.catalog import Catalog
    from pyese.storage.edb import EdbFile

    edb = EdbFile.open(path, tolerant=tolerant)
    try:
        if edb.header.is_dirty:
            _err(f"warning: {path}: database is in {edb.header.dbstate_name} state (not shut "
                 "down cleanly); reading it as it is on disk")
        snap = edb.snapshot()
        catalog = Catalog.load(snap, edb.page_size)
    except BaseException:
        edb.close()
        raise
    return edb, snap, catalog


def _report_skipped(edb: Any) -> None:
    for sp in edb.skipped_pages:
        err = JetError.from_code(sp.err, sp.detail)
        _err(f"skipped page {sp.pgno}: {err}")


# ---------------------------------------------------------------- tables


def _column_flags(col: Any) -> str:
    flags = []
    if col.is_fixed:
        flags.append("fixed")
    elif col.is_variable:
        flags.append("variable")
    else:
        flags.append("tagged")
    for bit, name in (
        (C.JET_bitColumnNotNULL, "not-null"),
        (C.JET_bitColumnMultiValued, "multi-valued"),
        (C.JET_bitColumnAutoincrement, "autoincrement"),
        (C.JET_bitColumnVersion, "version"),
        (C.JET_bitColumnEscrowUpdate, "escrow"),
        (C.JET_bitColumnCompressed, "compressed"),
    ):
        if col.grbit & bit:
            flags.append(name)
    if col.columnid & 0x80000000:
        flags.append("template")
    return ", ".join(flags)


def index_key_text(index: Any) -> str:
    """ESE's key definition rendered readably: ``+Name -Age`` (``+Name\\0-Age\\0\\0``)."""
    return " ".join(("-" if s.descending else "+") + s.column.name for s in index.segments)


def _index_flags(ix: Any) -> str:
    names = []
    g = ix.grbit
    for bit, name in (
        (C.JET_bitIndexPrimary, "primary"),
        (C.JET_bitIndexUnique, "unique"),
        (C.JET_bitIndexDisallowNull, "disallow-null"),
        (C.JET_bitIndexIgnoreNull, "ignore-null"),
        (C.JET_bitIndexIgnoreAnyNull, "ignore-any-null"),
        (C.JET_bitIndexIgnoreFirstNull, "ignore-first-null"),
        (C.JET_bitIndexSortNullsHigh, "nulls-high"),
        (C.JET_bitIndexTuples, "tuples"),
        (C.JET_bitIndexCrossProduct, "cross-product"),
    ):
        if g & bit:
            names.append(name)
    if ix.conditions:
        names.append("conditional")
    return ", ".join(names)


def _cmd_tables(args: argparse.Namespace) -> int:
    from pyese.values import coltyp_name

    edb, _snap, catalog = _open(args.file)
    with edb:
        for t in catalog:
            if args.table and t.name.lower() != args.table.lower():
                continue
            extra = f", template {t.template_table}" if t.template_table else ""
            lv = f", LV tree objid {t.lv_objid}" if t.lv_objid else ""
            print(f"{t.name}  (objid {t.objid}, pgnoFDP {t.pgno_fdp}{lv}{extra})")
            print("  columns:")
            for col in t.column_list():
                typ = coltyp_name(col.coltyp)
                if col.is_text:
                    typ += f" cp{col.cp}"
                if col.cbMax:
                    typ += f" max {col.cbMax}"
                default = f"  default {col.default.hex()}" if col.default is not None else ""
                print(f"    {col.columnid & 0xFFFF:>5}  {col.name:<28} {typ:<24} "
                      f"[{_column_flags(col)}]{default}")
            if t.indexes:
                print("  indexes:")
                for cix in t.indexes:
                    ix = cix.index
                    flags = _index_flags(ix)
                    print(f"    {ix.name:<28} {index_key_text(ix):<32} "
                          f"{'[' + flags + ']' if flags else ''}")
    return 0


# ---------------------------------------------------------------- dump


def _json_value(v: Any) -> Any:
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, _dt.datetime):
        return v.isoformat()
    if isinstance(v, uuid.UUID):
        return str(v)
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def _csv_value(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return ";".join(_csv_value(x) for x in v)
    return str(_json_value(v))


class _Progress:
    def __init__(self, stream: IO[str], label: str, total: int | None = None) -> None:
        self.stream = stream
        self.label = label
        self.on = stream.isatty()
        self.n = 0

    def tick(self) -> None:
        self.n += 1
        if self.on and self.n % PROGRESS_EVERY == 0:
            self.stream.write(f"\r{self.label}: {self.n} records")
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            self.stream.write(f"\r{self.label}: {self.n} records\n")
            self.stream.flush()


def typed_rows(
    reader: Any, columns: list[Any], *, filetime: frozenset[str] = frozenset(),
    tolerant: bool = False, on_skip: Callable[[str], None] | None = None,
) -> Iterator[dict[str, Any]]:
    """Records of a :class:`TableReader` as {column name: typed value} (lists when multi)."""
    from pyese.values import filetime_to_datetime, to_python

    conv = []
    for col in columns:
        multi = bool(col.grbit & C.JET_bitColumnMultiValued)
        ft = col.name.lower() in filetime
        conv.append((col, multi, ft))
    for view in reader.records():
        try:
            row: dict[str, Any] = {}
            for col, multi, ft in conv:
                vals = [to_python(col.coltyp, b, col.cp) for b in view.values(col.columnid)]
                if ft:
                    vals = [filetime_to_datetime(v) if isinstance(v, int) else v for v in vals]
                if multi or len(vals) > 1:
                    row[col.name] = vals if vals else None
                else:
                    row[col.name] = vals[0] if vals else None
        except JetError as err:
            if not tolerant:
                raise
            if on_skip is not None:
                on_skip(f"skipped record {view.bookmark.hex()}: {err}")
            continue
        yield row


def _cmd_dump(args: argparse.Namespace) -> int:
    from pyese.engine.cursors.tablescan import TableReader

    edb, snap, catalog = _open(args.file, tolerant=args.tolerant)
    with edb:
        table = catalog.table(args.table)
        if args.columns:
            columns = [table.column(n.strip()) for n in args.columns.split(",") if n.strip()]
        else:
            columns = table.column_list()
        filetime = frozenset(n.strip().lower() for n in (args.filetime or []))
        for name in filetime:
            col = table.column(name)
            if col.coltyp not in (C.JET_coltypLongLong, C.JET_coltypUnsignedLongLong,
                                  C.JET_coltypCurrency):
                raise_error(C.JET_errInvalidColumnType,
                            f"--filetime {col.name}: a FILETIME is a 64-bit integer column")
        reader = TableReader(snap, table)
        out = sys.stdout
        progress = _Progress(sys.stderr, table.name)
        rows = typed_rows(reader, columns, filetime=filetime, tolerant=args.tolerant,
                          on_skip=_err)
        writer = None
        if args.format == "csv":
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow([c.name for c in columns])
        for n, row in enumerate(rows):
            if args.limit is not None and n >= args.limit:
                break
            if writer is not None:
                writer.writerow([_csv_value(v) for v in row.values()])
            else:
                out.write(json.dumps(
                    {k: ([_json_value(x) for x in v] if isinstance(v, list) else _json_value(v))
                     for k, v in row.items()}, ensure_ascii=False) + "\n")
            progress.tick()
        progress.done()
        if args.tolerant:
            _report_skipped(edb)
    return 0


# ---------------------------------------------------------------- check


def _cmd_check(args: argparse.Namespace) -> int:
    from pyese.engine.cursors.tablescan import TableReader
    from pyese.engine.records.record import RecordImage
    from pyese.engine.schema.catalog import Catalog
    from pyese.storage.edb import SYSTEM_TREES, EdbFile

    problems: list[str] = []
    with EdbFile.open(args.file) as edb:
        if edb.header.is_dirty:
            problems.append(f"database is in {edb.header.dbstate_name} state")
        bad_pages = 0
        for pgno, page in edb.iterate_pages():
            if isinstance(page, JetError) and page.err != C.JET_errPageNotInitialized:
                problems.append(f"page {pgno}: {page}")
                bad_pages += 1
        snap = edb.snapshot()
        try:
            catalog = Catalog.load(snap, edb.page_size)
        except JetError as err:
            problems.append(f"catalog: {err}")
            catalog = None
        trees = dict(SYSTEM_TREES)
        if catalog is not None:
            trees.update(catalog.trees)
        nodes: dict[int, int] = {}
        for objid in sorted(trees):
            try:
                nodes[objid] = sum(1 for _ in snap.iterate(objid))
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
    for p in problems:
        _err(p)
    if problems:
        print(f"{len(problems)} problem(s) found")
        return 1
    print("no problems found")
    return 0


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pyese", description="pyese: ESE (JET Blue) databases on any OS")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("demo", help="run the session-context demo", add_help=False)

    p = sub.add_parser("info", help="print a database file's header (esentutl /mh)",
                       description="Print the database header: format version, page size, "
                                   "state, log positions, creation time.")
    p.add_argument("file", help="the .edb / .dat / .dit file")
    p.add_argument("--json", action="store_true", help="print the header as JSON")
    p.set_defaults(func=_cmd_info)

    p = sub.add_parser("tables", help="list tables, columns and indexes",
                       description="List every table with its columns (types, flags, "
                                   "defaults) and indexes (key definitions, flags).")
    p.add_argument("file")
    p.add_argument("--table", help="only this table")
    p.set_defaults(func=_cmd_tables)

    p = sub.add_parser("dump", help="export a table as CSV or JSON lines",
                       description="Stream a table's records with typed values: integers, "
                                   "floats, GUIDs, DateTime as ISO time, text decoded by "
                                   "code page, binary as hex; multi-values as JSON arrays "
                                   "(CSV: joined with ';'). Currency is the stored integer "
                                   "in units of 1/10000.")
    p.add_argument("file")
    p.add_argument("table")
    p.add_argument("--format", choices=("csv", "jsonl"), default="jsonl")
    p.add_argument("--columns", help="comma-separated column names (default: all)")
    p.add_argument("--limit", type=int, help="stop after N records")
    p.add_argument("--filetime", action="append", metavar="COLUMN",
                   help="show this 64-bit integer column as a FILETIME date (repeatable)")
    p.add_argument("--tolerant", action="store_true",
                   help="skip pages and records that fail verification, reporting them "
                        "on stderr")
    p.set_defaults(func=_cmd_dump)

    p = sub.add_parser("check", help="verify integrity (exit 1 on problems)",
                       description="Verify every page's checksum, walk every tree, decode "
                                   "every record and long value; exit 1 on problems.")
    p.add_argument("file")
    p.set_defaults(func=_cmd_check)

    from pyese.cli_backup import add_subcommands

    add_subcommands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from pyese.demo import main as demo_main

        return demo_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    try:
        return int(args.func(args))
    except JetError as err:
        _err(str(err))
        return 1
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130

"""The ``pyese`` command line (console script ``pyese`` and ``python -m pyese``).

Subcommands: ``demo`` (the session-context demo), and for genuine ESE database files,
read-only through the engine's catalog and record code: ``info`` (the database header,
``esentutl /mh``), ``tables`` (schema), ``dump`` (a table as CSV or JSON lines, streaming),
``export`` (every table to a directory) and ``check`` (integrity: every tree walked, every
page verified, every record decoded). The forensic commands and options (export, seeks,
deleted and carved records, check's verdicts) live in :mod:`pyese.cli_forensic`.

Errors print one line, ``pyese: JET_errXxx (code): meaning [detail]``, and exit 1; check
exits 0 clean, 3 dirty but verified, 1 damaged; usage errors exit 2. Progress goes to
stderr only when stderr is a terminal (export always reports it).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pyese.cli_forensic import typed_rows as typed_rows  # the dump path, re-exported
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError

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

    hdr = read_header(args.file, allow_temp=True)
    if args.json:
        print(json.dumps(hdr.as_dict(), indent=1))
    else:
        print(hdr)
    if hdr.filetype == C.JET_filetypeTempDatabase:
        from pyese.storage.edb.header import TEMP_DATABASE

        _err(f"note: {args.file}: {TEMP_DATABASE}")
        return 0
    if hdr.is_dirty:
        _err(f"warning: {args.file}: database is in {hdr.dbstate_name} state: it was not shut "
             f"down cleanly and ESE would need log files {hdr.gen_min_required}-"
             f"{hdr.gen_max_required} to recover it; pyese reads it as it is on disk")
    return 0


# ---------------------------------------------------------------- open helpers


def _open(path: str, tolerant: bool = False) -> tuple[Any, Any, Any]:
    from pyese.cli_forensic import open_database

    return open_database(path, tolerant=tolerant)


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

    if args.brief:
        from pyese.cli_forensic import cmd_tables_brief

        return cmd_tables_brief(args)
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


# ---------------------------------------------------------------- dump, check


def _cmd_dump(args: argparse.Namespace) -> int:
    from pyese.cli_forensic import cmd_dump

    return cmd_dump(args)


def _cmd_check(args: argparse.Namespace) -> int:
    from pyese.cli_forensic import cmd_check

    return cmd_check(args)


# ---------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    from pyese import cli_forensic as forensic

    parser = argparse.ArgumentParser(
        prog="pyese", description="pyese: ESE (JET Blue) databases on any OS")
    forensic.add_common(parser)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    sub.add_parser("demo", help="run the demo: a quick start on the Pythonic layer, then a "
                   "session-context order server", add_help=False)

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
    forensic.add_tables_options(p)
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
    p.add_argument("--limit", type=forensic._nonneg, help="stop after N records")
    p.add_argument("--filetime", action="append", metavar="COLUMN",
                   help="show this 64-bit integer column as a FILETIME date (repeatable)")
    p.add_argument("--tolerant", action="store_true",
                   help="skip pages and records that fail verification, reporting them "
                        "on stderr")
    p.set_defaults(func=_cmd_dump)
    forensic.add_dump_options(p)

    p = sub.add_parser("check", help="verify integrity (exit 0 clean, 3 dirty, 1 damaged)",
                       description="Verify the header copies and state, every page's "
                                   "checksum, walk every tree and its leaf sibling chain, "
                                   "decode every record and long value. Exit 0: clean; 3: "
                                   "not shut down cleanly but everything verified; 1: "
                                   "damaged.")
    p.add_argument("file")
    p.set_defaults(func=_cmd_check)
    forensic.add_export_command(sub)

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
        from pyese.cli_forensic import error_line

        _err(error_line(err))
        return 1
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        _err("interrupted")
        return 130

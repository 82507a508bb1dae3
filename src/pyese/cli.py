"""The ``pyese`` command line."""

from __future__ import annotations

import argparse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="pyese", description="pyese command line")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the session-context demo", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "demo":
        from pyese.demo import main as demo_main

        return demo_main(rest)
    return 2

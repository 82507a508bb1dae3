"""Fixtures of the Pythonic-layer tests: an instance with one database and a table."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import pyese


@pytest.fixture
def inst(tmp_path: Path) -> Iterator[pyese.Instance]:
    with pyese.Instance(tmp_path / "inst", max_ver_pages=1024) as i:
        yield i


@pytest.fixture
def db(inst: pyese.Instance) -> pyese.Database:
    d = inst.open_database("app.edb")
    d.create_table(
        "people",
        {"id": pyese.Column(int, autoincrement=True), "name": str, "age": pyese.Long,
         "tags": pyese.Column(str, multi_valued=True),
         "visits": pyese.Column(pyese.Long, escrow=True, default=0),
         "photo": bytes},
        indexes={"pk": pyese.Index("+id", primary=True), "byname": ["+name", "-age"]},
    )
    return d

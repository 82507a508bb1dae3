"""Genuine Windows samples for the engine and CLI tests: gunzipped once per session."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

SAMPLES_DIR = Path("/work/shared/testdata/edb")
SAMPLES = ("basic", "binary", "default", "index", "multi", "text")
FIXTURES = Path(__file__).parent


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def gunzip_samples(out: Path) -> Path:
    for name in SAMPLES:
        gz = (SAMPLES_DIR / f"{name}.edb.gz").read_bytes()
        (out / f"{name}.edb").write_bytes(gzip.decompress(gz))
    return out

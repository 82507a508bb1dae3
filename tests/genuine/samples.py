"""Genuine Windows samples for the engine and CLI tests: gunzipped once per session."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

SAMPLES_DIR = Path("/work/shared/testdata/edb")
SAMPLES = ("basic", "binary", "default", "index", "multi", "text")
REAL_WORLD = {"qmgr": "qmgr-win11-24h2.db", "srudb": "SRUDB-win10.dat"}
"""Real-world files: a Windows 11 24H2 BITS database, a Windows 10 SRUM database."""
FIXTURES = Path(__file__).parent


def fixture(name: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())


def gunzip_samples(out: Path) -> Path:
    for name in SAMPLES:
        gz = (SAMPLES_DIR / f"{name}.edb.gz").read_bytes()
        (out / f"{name}.edb").write_bytes(gzip.decompress(gz))
    return out


def gunzip_real_world(out: Path) -> dict[str, Path]:
    """{short name: path} of the real-world files gunzipped into ``out``."""
    paths = {}
    for short, fname in REAL_WORLD.items():
        p = out / fname
        p.write_bytes(gzip.decompress((SAMPLES_DIR / f"{fname}.gz").read_bytes()))
        paths[short] = p
    return paths

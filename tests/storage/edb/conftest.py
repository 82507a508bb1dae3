"""Genuine Windows ESE samples, gunzipped into a per-session temp dir (read-only inputs)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

SAMPLES_DIR = Path("/work/shared/testdata/edb")
SAMPLES = ("basic", "binary", "default", "index", "multi", "text")
EXPECTED = json.loads((Path(__file__).parent / "expected.json").read_text())


@pytest.fixture(scope="session")
def edb_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not SAMPLES_DIR.is_dir():
        pytest.skip("genuine ESE samples not available")
    out = tmp_path_factory.mktemp("edb")
    for name in SAMPLES:
        gz = (SAMPLES_DIR / f"{name}.edb.gz").read_bytes()
        (out / f"{name}.edb").write_bytes(gzip.decompress(gz))
    return out


@pytest.fixture(scope="session")
def expected() -> dict:
    return EXPECTED

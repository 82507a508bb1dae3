"""Circular logging and a lost edb.chk: recovery starts at any generation (issue 12, item 4).

Circular logging deletes the generations wholly before the checkpoint, ATTACH records
included. ESE's log file headers carry the attachments (``LGFILEHDR``'s attach info), so
soft recovery without a checkpoint can start from the oldest generation present; pyese's
format-2 header does the same (``log_format``). Format-1 headers (no attachments, 64 bytes)
are still read.
"""

from __future__ import annotations

import os
import shutil

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.log import log_format as F
from pyese.storage.log.checkpoint import AttachInfo

from ._torture import load

L = load("logdamage")


@pytest.fixture(scope="module")
def circular(tmp_path_factory):
    root = tmp_path_factory.mktemp("circ")
    live = root / "live"
    base = L.make_base(str(live), circular=True, seed=11, commits=150, hold_after=10**9)
    os.rename(live, root / "store")
    return base, live, root / "store"


def _fresh(circular):
    base, live, store = circular
    shutil.rmtree(live, ignore_errors=True)
    shutil.copytree(store, live)
    return base, str(live)


def test_oldest_generation_present_no_longer_holds_the_attach(circular):
    base, live = _fresh(circular)
    gens = sorted(F.parse_archived_name("edb", n) or 0 for n in os.listdir(live)
                  if n.endswith(".log") and n != "edb.log")
    assert not gens or gens[0] > 1, "circular logging deleted nothing: the test proves nothing"
    first = os.path.join(live, F.archived_log_name("edb", gens[0])) if gens \
        else os.path.join(live, "edb.log")
    hdr = F.read_file_header(first)
    assert [a.path for a in hdr.attached] == [os.path.join(live, "r.edb")]


def test_recovery_without_checkpoint_recovers_every_row(circular):
    base, live = _fresh(circular)
    os.unlink(os.path.join(live, "edb.chk"))
    out = L.recover_and_judge(live, base, L.Case("checkpoint", "delete"))
    assert out.verdict == "recovered", out


def test_format_1_header_is_still_read_and_format_2_round_trips():
    v1 = F.FILE_HEADER.pack(F.MAGIC, 1, 64, 7, bytes(16), 5, 4, 0, 0, 0)
    v1 = v1[:-4] + __import__("struct").pack("<I", __import__("zlib").crc32(v1[:-4]))
    h = F.LogFileHeader.decode(v1)
    assert (h.version, h.generation, h.size, h.attached, h.prev_end) == (1, 7, 64, (), 0)
    h2 = F.LogFileHeader(3, bytes(range(16)), 9, 8, prev_end=65536, prealloc_kb=64,
                         attached=(AttachInfo(2, "/x/ü.edb", bytes(16)),))
    assert F.LogFileHeader.decode(h2.encode()) == h2
    raw = bytearray(h2.encode())
    raw[70] ^= 1  # the attachment block has its own checksum
    with pytest.raises(JetError) as ei:
        F.LogFileHeader.decode(bytes(raw))
    assert ei.value.err == C.JET_errLogFileCorrupt

"""The checkpoint file: layout, atomic replacement, corruption."""

from __future__ import annotations

import errno
import os

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.faults import FaultInjector
from pyese.storage.lgpos import LGPOS
from pyese.storage.log.checkpoint import (
    AttachInfo,
    Checkpoint,
    checkpoint_path,
    read_checkpoint,
    write_checkpoint,
)

CKPT = Checkpoint(LGPOS(7, 4242), b"L" * 16,
                  (AttachInfo(1, "/data/a.edb", b"A" * 16), AttachInfo(3, "/d/ü.edb", b"B" * 16)))


def test_path_is_base_dot_chk():
    # ESE: log.cxx, the checkpoint is <SystemPath>/<BaseName>.chk
    assert checkpoint_path("/sys", "edb") == os.path.join("/sys", "edb.chk")


def test_round_trip_and_missing(tmp_path):
    path = checkpoint_path(str(tmp_path), "edb")
    assert read_checkpoint(path) is None
    write_checkpoint(path, CKPT)
    assert read_checkpoint(path) == CKPT
    assert not os.path.exists(path + ".tmp")
    later = Checkpoint(LGPOS(8, 64), b"L" * 16)
    write_checkpoint(path, later)
    assert read_checkpoint(path) == later


def test_every_damaged_byte_is_checkpoint_corrupt(tmp_path):
    path = checkpoint_path(str(tmp_path), "edb")
    raw = CKPT.encode()
    for i in range(len(raw)):
        bad = bytearray(raw)
        bad[i] ^= 0x10
        with open(path, "wb") as f:
            f.write(bytes(bad))
        with pytest.raises(JetError) as ei:
            read_checkpoint(path)
        assert ei.value.err == C.JET_errCheckpointCorrupt, i
    for cut in range(len(raw)):
        with open(path, "wb") as f:
            f.write(raw[:cut])
        with pytest.raises(JetError) as ei:
            read_checkpoint(path)
        assert ei.value.err == C.JET_errCheckpointCorrupt, cut


@pytest.mark.parametrize("point", ["checkpoint.write", "checkpoint.fsync"])
def test_failed_write_keeps_the_old_checkpoint(tmp_path, point):
    path = checkpoint_path(str(tmp_path), "edb")
    write_checkpoint(path, CKPT)
    faults = FaultInjector()
    faults.arm(point, lambda: OSError(errno.ENOSPC, "No space left on device"))
    with pytest.raises(JetError) as ei:
        write_checkpoint(path, Checkpoint(LGPOS(9, 64), b"L" * 16), faults=faults)
    assert ei.value.err == C.JET_errDiskFull
    assert read_checkpoint(path) == CKPT

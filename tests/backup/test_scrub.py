"""JET_paramZeroDatabaseDuringBackup: a streamed database image without deleted data.

ESE (``backup.cxx`` BACKUP_CONTEXT::ErrBKIReadPages) hands each run of pages a streaming
backup reads to a SCRUBDB that zeroes deleted records and unused pages. pyese zeroes the
deleted data of the image it streams (free LMDB pages, the gap inside branch and leaf
pages; ``storage/backup/scrub.py``): the copy restores to the same rows, and the deleted
values' bytes are not in it.
"""

from __future__ import annotations

import os

import pyese.jet as jet
from pyese.engine.instance.instance import SYSTEM
from pyese.engine.instance.logservice import storage_of
from pyese.jethdr import constants as C
from pyese.storage.backup.scrub import P_LEAF, P_OVERFLOW, PAGEHDRSZ, Scrubber

from .helpers import close_db, create_db, make_instance, open_db, stream_backup

MARK = b"SECRET-deleted-row-"


def _instance(path, zero: bool):
    inst = make_instance(path, "z1" if zero else "z0", init=False)
    if zero:
        jet.JetSetSystemParameter(inst, 0, C.JET_paramZeroDatabaseDuringBackup, 1, None)
    jet.JetInit(inst)
    return inst


def _backup_after_deletes(tmp, zero: bool):
    """Rows with a marker (small ones and long values on overflow pages) deleted, others
    kept; a streaming backup after the applier wrote it all; the restored rows."""
    src = str(tmp / ("z" if zero else "p"))
    inst = _instance(src, zero)
    db = create_db(inst, os.path.join(src, "a.db"))
    for n in range(60):
        db.put(n, (MARK + b"%04d " % n) * (1 + 900 * (n % 10 == 0)))  # every 10th ~22 KiB
    for n in range(60):
        jet.JetBeginTransaction(db.sesid)
        jet.JetMakeKey(db.sesid, db.tableid, n.to_bytes(4, "little", signed=True),
                       C.JET_bitNewKey)
        jet.JetSeek(db.sesid, db.tableid, C.JET_bitSeekEQ)
        jet.JetDelete(db.sesid, db.tableid)
        jet.JetCommitTransaction(db.sesid, 0)
    for n in range(100, 130):
        db.put(n, b"kept %d" % n)
    expected = db.rows()
    storage_of(SYSTEM.find_instance(inst)).applier.drain()  # the image holds the deletes
    dest = tmp / ("zb" if zero else "pb")
    stream_backup(inst, str(dest))
    close_db(db)
    jet.JetTerm(inst)
    image = (dest / "a.db").read_bytes()
    target = tmp / ("zr" if zero else "pr")
    r = make_instance(str(target), "r" + src[-1], init=False)
    jet.JetRestoreInstance(r, str(dest), str(target))
    r = make_instance(str(target), "rr" + src[-1])
    back = open_db(r, str(target / "a.db"))
    rows = back.rows()
    close_db(back)
    jet.JetTerm(r)
    return image, rows, expected


def test_zero_database_during_backup(tmp_path):
    image, rows, expected = _backup_after_deletes(tmp_path, zero=True)
    assert MARK not in image
    assert rows == expected and min(rows) == 100


def test_without_the_parameter_deleted_data_stays(tmp_path):
    """The same history without the parameter: the deleted bytes are in the copy (so the
    test above can fail), and the rows are the same."""
    image, rows, expected = _backup_after_deletes(tmp_path, zero=False)
    assert MARK in image
    assert rows == expected


def _page(pgno: int, flags: int, lower: int = 0, upper: int = 0, psize: int = 4096) -> bytes:
    head = pgno.to_bytes(8, "little") + bytes(2) + flags.to_bytes(2, "little")
    head += lower.to_bytes(2, "little") + upper.to_bytes(2, "little")
    return head + b"\xab" * (psize - PAGEHDRSZ)


def test_scrubber_touches_only_free_pages_and_page_gaps():
    psize = 4096
    pages = [
        _page(10, P_LEAF, 20, 100),                     # a leaf: its gap [20, 100) zeroed
        (11).to_bytes(8, "little") + bytes(2) + P_OVERFLOW.to_bytes(2, "little")
        + (3).to_bytes(4, "little") + b"\xab" * (psize - PAGEHDRSZ),   # a 3-page value
        _page(12, P_LEAF, 20, 4000),                    # value bytes that look like a leaf
        _page(0, 0)[:0] + _page(13, P_LEAF, 20, 4000),  # ... across the call boundary too
        _page(14, P_LEAF, 20, 100),                     # free: all zeros
        _page(99, P_LEAF, 20, 100),                     # not its own number: untouched
        _page(16, 0x20, 20, 100),                       # LEAF2 (keys past mp_lower): untouched
    ]
    s = Scrubber(psize, {14})
    first = bytearray(b"".join(pages[:3]))
    second = bytearray(b"".join(pages[3:]))
    s.scrub(first, 10)
    s.scrub(second, 13)
    out = bytes(first + second)
    page = [out[i * psize:(i + 1) * psize] for i in range(len(pages))]
    assert page[0][20:100] == bytes(80) and page[0][100:] == pages[0][100:]
    assert page[0][:20] == pages[0][:20]
    assert page[1:4] == pages[1:4]
    assert page[4] == bytes(psize)
    assert page[5:] == pages[5:]
    assert (s.zeroed_pages, s.zeroed_gap_bytes) == (1, 80)

"""The storage formats of backup: header backup fields and the trailer page (round trips,
damage detection) and the rule that a backup field only moves forward."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pyese.storage.backup.bkinfo import BackupFields, BkInfo, record_backup
from pyese.storage.backup.trailer import Trailer
from pyese.storage.lgpos import LGPOS

lgposes = st.builds(LGPOS, st.integers(0, 2**31), st.integers(0, 2**40))
bkinfos = st.builds(BkInfo, lgposes, st.integers(0, 2**63), st.integers(0, 2**31),
                    st.integers(0, 2**31))


@settings(max_examples=25, deadline=None)
@given(st.builds(BackupFields, bkinfos, bkinfos, bkinfos, bkinfos))
def test_backup_fields_round_trip(fields):
    raw = fields.encode()
    assert BackupFields.decode(raw) == fields
    damaged = bytearray(raw)
    damaged[10] ^= 1
    try:
        BackupFields.decode(bytes(damaged))
    except Exception as exc:  # noqa: BLE001
        assert "(-1206)" in str(exc)
    else:
        raise AssertionError("damage not detected")


@settings(max_examples=25, deadline=None)
@given(bkinfos, lgposes, st.integers(1, 2**31), st.text(max_size=200),
       st.sampled_from([2048, 4096, 8192, 16384, 32768]), st.binary(min_size=16, max_size=16))
def test_trailer_round_trip(full_cur, applied, dbnum, path, page_size, sig):
    t = Trailer(page_size, sig, bytes(reversed(sig)), full_cur, 12345, applied, dbnum,
                "/" + path.replace("\0", ""))
    page = t.encode()
    assert len(page) == page_size
    assert Trailer.decode(page) == t
    assert Trailer.decode(page[:50] + bytes([page[50] ^ 1]) + page[51:]) is None


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(bkinfos, st.booleans(), st.booleans()), max_size=20))
def test_a_field_only_moves_forward(backups):
    """bk 3999-4128: a header field keeps the newest mark; a full backup clears Inc/Diff."""
    fields = BackupFields()
    for info, logs_only, truncated in backups:
        before = fields
        fields = record_backup(fields, info, logs_only=logs_only, truncated=truncated)
        slot = ("inc_prev" if truncated else "diff_prev") if logs_only else \
            ("full_prev" if truncated else "copy_prev")
        old = getattr(before, slot)
        if old.is_set and info.mark < old.mark:
            assert fields == before
        else:
            assert getattr(fields, slot) == info
            if slot == "full_prev":
                assert not fields.inc_prev.is_set and not fields.diff_prev.is_set

"""Redo of a backup's logs (and the logs rolled forward) into restored database files.

Soft recovery (``storage.recovery``) finds databases by the paths their ATTACH records
name. A restore puts them elsewhere (``szDest``, a ``JET_RSTMAP``), and the backup's logs
may begin after the database was attached. So this replay identifies each database by its
signature (``signDb``). Its number in the log at the start of the replay is the one the
first generation's header lists for it (the databases attached when the generation began,
as ESE's log file header carries them), or none until its ATTACH record is read. Logs of
format 1 carry no attachments: then the number its backup trailer gives is used when the
database was attached before the first generation. The position its image is consistent
at (the header's ``applied_lgpos``) is its baseline.

- ATTACH with its signature: it is attached under the number the record gives;
- DETACH of its number: it is no longer attached (the number may go to another database);
- COMMIT after its baseline: the ops of its current number are applied (batched, one LMDB
  transaction and ``applied_lgpos`` per batch, so a replay killed at any point can simply
  run again).

At the end every restored database is marked CleanShutdown at the end of the log, with
the log's signature, as ESE leaves restored databases (``lu`` "leaves every restored
database CleanShutdown"). Errors: the log reader's (``JET_errLogFileCorrupt``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pyese.jethdr import constants as C
from pyese.storage.lgpos import LGPOS
from pyese.storage.log import log_format as F
from pyese.storage.log.log_reader import LogReader
from pyese.storage.ops import Op


@dataclass
class Target:
    """One database being restored: an open, writable ``DatabaseFile``."""

    db: Any
    signature: bytes
    dbnum: int | None
    baseline: LGPOS
    pending: list[Op] = field(default_factory=list)
    pending_lgpos: LGPOS | None = None
    ops_applied: int = 0


def _flush(t: Target) -> None:
    if t.pending and t.pending_lgpos is not None:
        t.db.apply(t.pending, t.pending_lgpos, durable=False)
        t.ops_applied += len(t.pending)
    t.pending = []
    t.pending_lgpos = None


def replay(log_path: str, base: str, signature: bytes, start_gen: int,
           targets: list[Target], *, batch_ops: int = 20000,
           progress: Any = None) -> LGPOS:
    """Replay the stream in ``log_path`` from the start of ``start_gen`` into ``targets``;
    return the end of the log. ``progress(generation)`` is called as each generation
    starts. The databases are left CleanShutdown at the end and flushed."""
    reader = LogReader(log_path, base, signature=signature)
    first = reader.header(start_gen)
    if first.version >= 2:
        # the generation's header lists the databases attached when it began (ESE's
        # LGFILEHDR attach info): the authoritative numbers at the start of the replay
        for t in targets:
            t.dbnum = next((a.dbnum for a in first.attached if a.signature == t.signature),
                           None)
    by_sig = {t.signature: t for t in targets}
    pending_ops = 0
    gen_seen = 0
    end = LGPOS(start_gen, F.FILE_HEADER_SIZE)
    for rec in reader.records(LGPOS(start_gen, F.FILE_HEADER_SIZE)):
        if progress is not None and rec.lgpos.generation != gen_seen:
            gen_seen = rec.lgpos.generation
            progress(gen_seen)
        end = rec.lgpos
        if rec.rectype == F.REC_COMMIT:
            _trx, ops = F.decode_commit(rec.payload)
            for t in targets:
                if t.dbnum is None or rec.lgpos <= t.baseline:
                    continue
                mine = ops.get(t.dbnum)
                if mine:
                    t.pending.extend(mine)
                    t.pending_lgpos = rec.lgpos
                    pending_ops += len(mine)
            if pending_ops >= batch_ops:
                for t in targets:
                    _flush(t)
                pending_ops = 0
        elif rec.rectype == F.REC_ATTACH:
            dbnum, sig, _path = F.decode_attach(rec.payload)
            found = by_sig.get(sig)
            if found is not None:
                _flush(found)
                found.dbnum = dbnum
        elif rec.rectype == F.REC_DETACH:
            dbnum = F.decode_detach(rec.payload)
            for t in targets:
                if t.dbnum == dbnum:
                    _flush(t)
                    t.dbnum = None
    if reader.end_lgpos is not None:
        end = max(end, reader.end_lgpos)
    for t in targets:
        _flush(t)
        t.db.flush()
        t.db.set_state(C.JET_dbstateCleanShutdown, log_signature=signature, lgpos=end)
    return end

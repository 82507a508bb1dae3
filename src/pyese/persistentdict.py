"""``pyese.PersistentDict``: a ``MutableMapping`` kept in an ESE database in a directory.

The equal of ManagedEsent's ``PersistentDictionary<TKey, TValue>``: a dictionary whose
items live in one table of an ordinary ESE database (``dict.edb`` in the directory), every
mutation its own committed transaction, any number of threads at once.

How a key is stored
-------------------
ESE's text keys fold case and normalize, and every index key has a size limit, yet a dict
must tell ``"a"`` from ``"A"``, keep a 1 MiB key, and iterate in the key type's own
order. So each key is first *encoded* into bytes whose byte order is the Python order of
the keys (``str``: UTF-8, which orders by code point; ``int``: big-endian with the sign
bit flipped; ``float``: IEEE bits made order-preserving; ``datetime``: microseconds since
year 1; ``UUID``: its 16 big-endian bytes, as ``UUID`` compares by ``int``).

The table's primary index is on a Binary column ``kp``: the encoding itself when it is
at most ``PREFIX`` (176) bytes, else its first ``PREFIX`` bytes followed by a 16-byte
BLAKE2b hash of the whole, and the whole encoding goes into the LongBinary column ``k``.
A lookup seeks ``kp`` and, for a long key, compares ``k`` exactly. Long keys sharing
their first 176 bytes sit in hash order in the index; iteration reads such a group
whole and sorts it, so items always come out in key order.

Concurrency
-----------
Each call borrows a session of the instance's pool, uses it on the calling thread and
gives it back; the session keeps its cursor on the table open from one borrower to the
next. Reads run at transaction level 0 (the latest committed state): a lookup is
``JetMakeKey``, ``JetSeek`` and one retrieval, no transaction to begin or end. Each
mutation is one transaction, committed durably unless the dictionary is ``lazy``
(``JET_bitCommitLazyFlush``; a lazy dictionary sets the instance's commit default to it).
Storing a key that is not there yet is a single ``PyeseInsertRows`` call at level 0 (the
engine runs it as its own transaction); when the key exists (``JET_errKeyDuplicate``) the
value is replaced in a transaction of its own, seek then ``JET_prepReplace``, and the
next store tries that path first until a store finds its key absent again. ``pop``,
``setdefault`` and ``popitem`` read and write in the same transaction; a write conflict
(another thread changed the same key meanwhile) rolls back and retries the whole, so
they are atomic. Iteration reads in batches (a page of entries per
``PyeseRetrieveRows`` call), each from a fresh seek after the last key seen, so an
iterator holds no session between batches (like ManagedEsent's enumerators it sees other
threads' later commits).

Reads at level 0 meet other threads' deletes as ESE reports them: a record deleted (and
committed) between the seek that found it and the read of its columns gives
``JET_errRecordDeleted``. A lookup then answers as if the key was already gone (the delete
came first); an iteration seeks again after the last key it read and goes on; a count
starts over. A short page from ``PyeseRetrieveRows`` does not end an iteration by itself
(it may stop before a record that has just gone): the next call says whether the index
ended (``JET_errNoCurrentRecord``) or the record went (``JET_errRecordDeleted``).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import math
import os
import random
import struct
import time
import uuid
from collections.abc import Callable, Iterator, MutableMapping
from types import TracebackType
from typing import Any, Generic, TypeVar, cast, overload

import pyese.jet as jet
from pyese._codec import decoder, encode_value, encoder
from pyese._instance import Database, Instance
from pyese._pool import PooledSession
from pyese._schema import Coltyp, Column, Index
from pyese.jet.structs import JET_SETCOLUMN
from pyese.jethdr import constants as C

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

PREFIX = 176
"""Bytes of the encoded key kept in the index; longer keys add a hash and compare ``k``."""
_HASH = 16
_TABLE = "PersistentDict"
_META = "PersistentDictMeta"
_BATCH = 128
_I64 = struct.Struct(">Q")
_F64 = struct.Struct(">Q")
_EPOCH = _dt.datetime(1, 1, 1)
_MISSING: Any = object()
_NEW_KEY = C.JET_bitNewKey
_NEW_KEY_EMPTY = C.JET_bitNewKey | C.JET_bitKeyDataZeroLength
_SEEK_EQ = C.JET_bitSeekEQ
_ZERO_LENGTH = C.JET_bitSetZeroLength

KEY_TYPES = (str, bytes, int, float, bool, _dt.datetime, uuid.UUID)
VALUE_COLTYPS: dict[type, Coltyp] = {
    str: Coltyp.LongText, bytes: Coltyp.LongBinary, int: Coltyp.LongLong,
    float: Coltyp.IEEEDouble, bool: Coltyp.Bit, _dt.datetime: Coltyp.LongLong,
    uuid.UUID: Coltyp.GUID,
}
"""Value column types (a datetime value is stored as microseconds: no precision lost)."""


# ---------------------------------------------------------------- key encoding


def _micros(d: _dt.datetime) -> int:
    if d.tzinfo is not None:
        raise ValueError("PersistentDict keeps naive datetimes only (convert to UTC and "
                         "drop tzinfo)")
    delta = d - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(n: int) -> _dt.datetime:
    return _EPOCH + _dt.timedelta(microseconds=n)


def encode_key(key_type: type, key: Any) -> bytes:
    """Bytes whose byte order is the Python order of keys of ``key_type``.

    ``TypeError`` for a key of another type; ``ValueError`` for a NaN float key or an
    aware datetime; ``OverflowError`` for an int outside 64 bits."""
    if key_type is str and isinstance(key, str):
        return key.encode("utf-8", "surrogatepass")
    if key_type is bytes and isinstance(key, bytes | bytearray | memoryview):
        return bytes(key)
    if key_type is bool and isinstance(key, bool):
        return b"\x01" if key else b"\x00"
    if key_type is int and isinstance(key, int) and not isinstance(key, bool):
        if not -(2**63) <= key < 2**63:
            raise OverflowError(f"int key {key} does not fit 64 bits")
        return _I64.pack(key + 2**63)
    if key_type is float and isinstance(key, float | int) and not isinstance(key, bool):
        f = float(key)
        if math.isnan(f):
            raise ValueError("a NaN key can never be found again (NaN != NaN)")
        if f == 0.0:
            f = 0.0  # -0.0 == 0.0 in a dict
        bits = _F64.unpack(struct.pack(">d", f))[0]
        bits = bits ^ 0xFFFFFFFFFFFFFFFF if bits >> 63 else bits | 1 << 63
        return _F64.pack(bits)
    if key_type is _dt.datetime and isinstance(key, _dt.datetime):
        return _I64.pack(_micros(key))
    if key_type is uuid.UUID and isinstance(key, uuid.UUID):
        return key.bytes
    raise TypeError(f"this PersistentDict's keys are {key_type.__name__}, not "
                    f"{type(key).__name__}")


def key_encoder(key_type: type) -> Callable[[Any], bytes]:
    """:func:`encode_key` for one key type, built once: the exact type's common case in
    line, anything else (a subclass, a wrong type) through :func:`encode_key` itself."""
    if key_type is str:
        def enc_str(key: Any) -> bytes:
            if type(key) is str:
                return key.encode("utf-8", "surrogatepass")
            return encode_key(str, key)
        return enc_str
    if key_type is bytes:
        def enc_bytes(key: Any) -> bytes:
            return key if type(key) is bytes else encode_key(bytes, key)
        return enc_bytes
    if key_type is int:
        pack = _I64.pack

        def enc_int(key: Any) -> bytes:
            if type(key) is int and -(2**63) <= key < 2**63:
                return pack(key + 2**63)
            return encode_key(int, key)
        return enc_int
    return functools.partial(encode_key, key_type)


def decode_key(key_type: type, data: bytes) -> Any:
    """The key of an encoding made by :func:`encode_key`."""
    if key_type is str:
        return data.decode("utf-8", "surrogatepass")
    if key_type is bytes:
        return data
    if key_type is bool:
        return data == b"\x01"
    if key_type is int:
        return _I64.unpack(data)[0] - 2**63
    if key_type is float:
        bits = _F64.unpack(data)[0]
        bits = bits & ~(1 << 63) if bits >> 63 else bits ^ 0xFFFFFFFFFFFFFFFF
        return struct.unpack(">d", _F64.pack(bits))[0]
    if key_type is _dt.datetime:
        return _from_micros(_I64.unpack(data)[0])
    return uuid.UUID(bytes=data)


def index_key(enc: bytes) -> bytes:
    """The ``kp`` column of an encoded key (itself, or its prefix and hash when long)."""
    if len(enc) <= PREFIX:
        return enc
    return enc[:PREFIX] + hashlib.blake2b(enc, digest_size=_HASH).digest()


# ---------------------------------------------------------------- the dictionary


class PersistentDict(MutableMapping[K, V], Generic[K, V]):
    """A dictionary kept in the directory ``path`` (see the module docstring).

    ``key_type`` and ``value_type`` are ``str``, ``bytes``, ``int`` (64-bit), ``float``,
    ``bool``, ``datetime.datetime`` (naive) or ``uuid.UUID``; values may also be None.
    Reopening a directory checks that the types match (``TypeError`` otherwise).
    ``lazy`` commits without waiting for the log flush: a killed process may lose the
    last lazily committed changes, never a durable one; :meth:`flush` makes all durable.
    Other keyword arguments are ESE system parameters (``max_sessions=32``).
    """

    def __init__(self, path: str | os.PathLike[str], *, key_type: type[K] = str,  # type: ignore[assignment]
                 value_type: type[V] = str, lazy: bool = False,  # type: ignore[assignment]
                 **params: Any) -> None:
        if key_type not in KEY_TYPES:
            raise TypeError(f"key_type must be one of "
                            f"{', '.join(t.__name__ for t in KEY_TYPES)}")
        if value_type not in VALUE_COLTYPS:
            raise TypeError(f"value_type must be one of "
                            f"{', '.join(t.__name__ for t in VALUE_COLTYPS)}")
        self.key_type: type[K] = key_type
        self.value_type: type[V] = value_type
        self.lazy = lazy
        self._commit_grbit = C.JET_bitCommitLazyFlush if lazy else 0
        self._coltyp = VALUE_COLTYPS[value_type]
        if not any(k.lower().replace("_", "") == "maxverpages" for k in params):
            params["max_ver_pages"] = 1024  # room for a transaction writing a large value
        if lazy and not any(k.lower().replace("_", "") == "commitdefault" for k in params):
            # the single-call inserts of __setitem__ commit per the session's default
            params["commit_default"] = C.JET_bitCommitLazyFlush
        self._inst = Instance(path, **params)
        try:
            self._db = self._inst.open_database("dict.edb")
            self._check_or_create()
        except BaseException:
            self._inst.close()
            raise
        self._filename = self._db.filename
        self._cursor_key = (self._filename, _TABLE)
        self._dec = decoder(self._coltyp, 1200)
        self._dates = value_type is _dt.datetime
        self._cols: dict[str, int] = {}
        ps = self._inst._borrow()
        try:
            tableid = self._cursor(ps)
            for name in ("kp", "k", "v"):
                self._cols[name] = int(
                    jet.JetGetTableColumnInfo(ps.sesid, tableid, name).columnid)
        finally:
            self._inst.pool.release(ps)
        self._vcol = self._cols["v"]
        self._kcol = self._cols["k"]
        self._kpcol = self._cols["kp"]
        self._enc = key_encoder(key_type)
        self._venc = encoder("value", self._coltyp, 1200)
        self._vfast: type | None = (value_type if value_type in (str, bytes, int, float)
                                    else None)
        self._try_insert = True
        """``__setitem__`` tries a plain insert first (one engine call) until one meets
        an existing key; a replace that finds no key turns it back on."""

    def _check_or_create(self) -> None:
        db: Database = self._db
        names = db.table_names()
        want = f"{self.key_type.__name__}:{self.value_type.__name__}"
        if _TABLE not in names:
            db.create_table(_META, {"types": str})
            db.create_table(_TABLE, {"kp": Column(Coltyp.Binary, max_size=255,
                                                  not_null=True),
                                     "k": Column(Coltyp.LongBinary),
                                     "v": Column(self._coltyp)},
                            {"primary": Index("+kp", primary=True)})
            with self._inst.transaction() as tx:
                tx.table(_META, database=db).insert({"types": want})
            return
        with self._inst.transaction(read_only=True) as tx:
            rows = list(tx.table(_META, database=db))
        have = rows[0]["types"] if rows else "?"
        if have != want:
            raise TypeError(f"the PersistentDict in {self._inst.path!r} holds {have} "
                            f"(key:value types), not {want}")

    # -- life cycle --------------------------------------------------------------------

    @property
    def path(self) -> str:
        return self._inst.path

    @property
    def instance(self) -> Instance:
        """The ESE instance underneath (its database is ``dict.edb``)."""
        return self._inst

    def close(self) -> None:
        """Commit nothing more, end the sessions, ``JetTerm``; the data stays on disk."""
        self._inst.close()

    def __enter__(self) -> PersistentDict[K, V]:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._inst.closed else "open"
        return (f"<pyese.PersistentDict {self.path!r} {self.key_type.__name__} -> "
                f"{self.value_type.__name__} ({state})>")

    def flush(self) -> None:
        """Make every commit so far durable (``JET_bitWaitAllLevel0Commit``)."""
        ps = self._inst._borrow()
        try:
            jet.JetCommitTransaction(ps.sesid, C.JET_bitWaitAllLevel0Commit)
        finally:
            self._inst.pool.release(ps)

    # -- plumbing ----------------------------------------------------------------------

    def _cursor(self, ps: PooledSession) -> Any:
        return ps.cursor(self._filename, False, _TABLE, 0)

    def _read_only(self, fn: Callable[[PooledSession, Any], T]) -> T:
        ps = self._inst._borrow()
        try:
            return fn(ps, self._cursor(ps))
        finally:
            self._inst.pool.release(ps)

    def _mutate(self, fn: Callable[[PooledSession, Any], T]) -> T:
        """Run ``fn`` in its own transaction and commit; retry on a write conflict or a
        key that another thread inserted meanwhile."""
        attempt = 0
        while True:
            ps = self._inst._borrow()
            try:
                tableid = self._cursor(ps)
                jet.JetBeginTransaction(ps.sesid)
                try:
                    result = fn(ps, tableid)
                    jet.JetCommitTransaction(ps.sesid, self._commit_grbit)
                    return result
                except BaseException:
                    try:
                        jet.JetRollback(ps.sesid)
                    except jet.JetError:
                        pass
                    raise
            except (jet.WriteConflictError, jet.KeyDuplicateError):
                attempt += 1
                if attempt > 1000:
                    raise
                time.sleep(random.uniform(0, 0.0002 * min(attempt, 50)))
            finally:
                self._inst.pool.release(ps)

    def _seek(self, sesid: Any, tableid: Any, enc: bytes) -> bool:
        """Put the cursor on the record of the encoded key; False if there is none."""
        if len(enc) > PREFIX:
            kp = enc[:PREFIX] + hashlib.blake2b(enc, digest_size=_HASH).digest()
        else:
            kp = enc
        jet.JetMakeKey(sesid, tableid, kp, _NEW_KEY if kp else _NEW_KEY_EMPTY)
        try:
            jet.JetSeek(sesid, tableid, _SEEK_EQ)
        except jet.RecordNotFoundError:
            return False
        if kp is enc:
            return True
        try:
            return jet.JetRetrieveColumn(sesid, tableid, self._kcol) == enc
        except jet.RecordDeletedError:
            return False  # deleted by another thread since the seek (module docstring)

    def _value(self, sesid: Any, tableid: Any) -> V:
        raw = jet.JetRetrieveColumn(sesid, tableid, self._cols["v"])
        return self._decode_value(raw)

    def _decode_value(self, raw: bytes | None) -> V:
        v = self._dec(raw)
        if self._dates and v is not None:
            v = _from_micros(v)
        return cast(V, v)

    def _encode_value(self, value: Any) -> bytes | None:
        if type(value) is self._vfast:  # the value type itself: the column's converter
            return self._venc(value)
        if value is not None and self.value_type is _dt.datetime:
            if not isinstance(value, _dt.datetime):
                raise TypeError(f"this PersistentDict's values are datetime, not "
                                f"{type(value).__name__}")
            value = _micros(value)
        if value is not None and self.value_type is int and isinstance(value, bool):
            raise TypeError("this PersistentDict's values are int, not bool")
        try:
            return encode_value("value", self._coltyp, value, 1200)
        except TypeError:
            raise TypeError(f"this PersistentDict's values are {self.value_type.__name__}"
                            f" (or None), not {type(value).__name__}") from None

    def _write(self, sesid: Any, tableid: Any, enc: bytes, value: bytes | None,
               exists: bool) -> None:
        v = JET_SETCOLUMN(columnid=self._cols["v"], pvData=value, itagSequence=1,
                          grbit=C.JET_bitSetZeroLength if value == b"" else 0)
        if exists:
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepReplace)
            sets = [v]
        else:
            kp = index_key(enc)
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepInsert)
            sets = [JET_SETCOLUMN(columnid=self._cols["kp"], pvData=kp, itagSequence=1,
                                  grbit=C.JET_bitSetZeroLength if not kp else 0), v]
            if len(enc) > PREFIX:
                sets.append(JET_SETCOLUMN(columnid=self._cols["k"], pvData=enc,
                                          itagSequence=1))
        try:
            jet.JetSetColumns(sesid, tableid, sets)
            jet.JetUpdate(sesid, tableid)
        except BaseException:
            jet.JetPrepareUpdate(sesid, tableid, C.JET_prepCancel)
            raise

    def _key(self, key: Any) -> bytes | None:
        """The encoding of a key to look up (None: no such key can be in the dict)."""
        try:
            return self._enc(key)
        except (TypeError, ValueError, OverflowError):
            return None

    def _insert_new(self, enc: bytes, data: bytes | None) -> bool:
        """Insert a key that is not there yet in one engine call at level 0
        (``PyeseInsertRows``: its own transaction, committed per the session's commit
        default, lazy for a lazy dictionary). False when the key exists (or another
        thread is writing it): the caller takes the transactional path."""
        kp = index_key(enc)
        sets = [JET_SETCOLUMN(columnid=self._kpcol, pvData=kp, itagSequence=1,
                              grbit=0 if kp else _ZERO_LENGTH),
                JET_SETCOLUMN(columnid=self._vcol, pvData=data, itagSequence=1,
                              grbit=_ZERO_LENGTH if data == b"" else 0)]
        if kp is not enc:
            sets.append(JET_SETCOLUMN(columnid=self._kcol, pvData=enc, itagSequence=1))
        inst = self._inst
        ps = inst._borrow()
        try:
            tableid = ps.cursors.get(self._cursor_key)
            if tableid is None:
                tableid = self._cursor(ps)
            jet.PyeseInsertRows(ps.sesid, tableid, (sets,))
            return True
        except (jet.KeyDuplicateError, jet.WriteConflictError):
            return False
        finally:
            inst.pool.release(ps)

    # -- Mapping -----------------------------------------------------------------------

    def __getitem__(self, key: K) -> V:
        try:
            enc = self._enc(key)
        except (TypeError, ValueError, OverflowError):
            raise KeyError(key) from None
        inst = self._inst
        ps = inst._borrow()
        try:  # the most common call: no closure, the cursor from the session's cache
            tableid = ps.cursors.get(self._cursor_key)
            if tableid is None:
                tableid = self._cursor(ps)
            sesid = ps.sesid
            found = self._seek(sesid, tableid, enc)
            raw = None
            if found:
                try:
                    raw = jet.JetRetrieveColumn(sesid, tableid, self._vcol)
                except jet.RecordDeletedError:
                    found = False  # deleted by another thread since the seek: gone
        finally:
            inst.pool.release(ps)
        if not found:
            raise KeyError(key)
        return self._decode_value(raw)

    def __contains__(self, key: object) -> bool:
        enc = self._key(key)
        if enc is None:
            return False
        inst = self._inst
        ps = inst._borrow()
        try:
            tableid = ps.cursors.get(self._cursor_key)
            if tableid is None:
                tableid = self._cursor(ps)
            return self._seek(ps.sesid, tableid, enc)
        finally:
            inst.pool.release(ps)

    def __len__(self) -> int:
        def count(ps: PooledSession, tableid: Any) -> int:
            while True:
                try:
                    jet.JetMove(ps.sesid, tableid, C.JET_MoveFirst)
                except jet.NoCurrentRecordError:
                    return 0
                try:
                    return int(jet.JetIndexRecordCount(ps.sesid, tableid, 0))
                except jet.RecordDeletedError:
                    continue  # the first record went meanwhile: count again

        return self._read_only(count)

    def __iter__(self) -> Iterator[K]:
        for key, _ in self._items(None, None, values=False):
            yield key

    def items(self) -> Iterator[tuple[K, V]]:  # type: ignore[override]
        """Items in key order (read in batches; see the module docstring)."""
        return self._items(None, None, values=True)

    def values(self) -> Iterator[V]:  # type: ignore[override]
        """Values in key order."""
        return (v for _, v in self._items(None, None, values=True))

    def keys(self) -> Iterator[K]:  # type: ignore[override]
        """Keys in key order."""
        return iter(self)

    def range(self, start: K | None = None, stop: K | None = None
              ) -> Iterator[tuple[K, V]]:
        """Items with ``start <= key < stop`` in key order (None: no bound)."""
        lo = None if start is None else encode_key(self.key_type, start)
        hi = None if stop is None else encode_key(self.key_type, stop)
        return self._items(lo, hi, values=True)

    def _items(self, lo: bytes | None, hi: bytes | None, *, values: bool
               ) -> Iterator[tuple[K, V]]:
        seek = None if lo is None else lo[:PREFIX]  # where the first batch starts
        first = True
        size = 16  # small first: a short range reads little; then up to _BATCH
        while True:
            got, done, seek = self._read_only(
                functools.partial(self._batch, seek=seek, first=first, values=values,
                                  hi=hi, size=size))
            first = False
            size = min(size * 2, _BATCH)
            got.sort(key=lambda item: item[0])  # only long-key groups move
            for enc, raw in got:
                if lo is not None and enc < lo:
                    continue
                if hi is not None and enc >= hi:
                    return
                yield (decode_key(self.key_type, enc),
                       self._decode_value(raw) if values else cast(V, None))
            if done:
                return

    def _batch(self, ps: PooledSession, tableid: Any, *, seek: bytes | None, first: bool,
               values: bool, hi: bytes | None, size: int
               ) -> tuple[list[tuple[bytes, Any]], bool, bytes | None]:
        """About ``size`` items from ``seek`` (GE on the first batch, else GT), never
        stopping inside a group of long keys, and stopping at the first entry after which
        every key is ``>= hi``: (items, done, the last kp read). The entries come a page
        at a time from ``PyeseRetrieveRows`` (``size`` + 1 rows: one more tells whether
        the batch ends between two groups)."""
        sesid = ps.sesid
        cids = [self._kpcol, self._kcol, self._vcol] if values else [self._kpcol, self._kcol]
        try:
            if seek is None:
                jet.JetMove(sesid, tableid, C.JET_MoveFirst)
            else:
                jet.JetMakeKey(sesid, tableid, seek, _NEW_KEY if seek else _NEW_KEY_EMPTY)
                jet.JetSeek(sesid, tableid, C.JET_bitSeekGE if first else C.JET_bitSeekGT)
        except (jet.RecordNotFoundError, jet.NoCurrentRecordError):
            return [], True, seek
        out: list[tuple[bytes, Any]] = []
        group: bytes | None = None
        last = seek
        hi_short = hi is not None and len(hi) <= PREFIX
        hi_prefix = None if hi is None else hi[:PREFIX]
        page = size + 1
        after = not first  # a seek again from ``last`` is GT (GE only before any row read)
        while True:
            try:
                rows = jet.PyeseRetrieveRows(sesid, tableid, cids, page)
            except jet.NoCurrentRecordError:
                return out, True, last  # the index ended at the last page's end
            except jet.RecordDeletedError:
                # the entry under the cursor was deleted by another thread since the seek
                # or the last page: seek again after the last key read (module docstring)
                try:
                    if last is None:
                        jet.JetMove(sesid, tableid, C.JET_MoveFirst)
                    else:
                        jet.JetMakeKey(sesid, tableid, last,
                                       _NEW_KEY if last else _NEW_KEY_EMPTY)
                        jet.JetSeek(sesid, tableid,
                                    C.JET_bitSeekGT if after else C.JET_bitSeekGE)
                except (jet.RecordNotFoundError, jet.NoCurrentRecordError):
                    return out, True, last
                continue
            for row in rows:
                kp = row[0] or b""
                short = len(kp) <= PREFIX
                if hi_prefix is not None and (kp[:PREFIX] > hi_prefix or (
                        short and hi_short and kp >= hi_prefix)):
                    return out, True, last  # this and every later key is >= hi
                if len(out) >= size and (short or kp[:PREFIX] != group):
                    return out, False, last  # stop between groups of long keys only
                last = kp
                after = True
                if short:
                    out.append((kp, row[2] if values else None))
                    group = None
                else:
                    out.append((row[1] or b"", row[2] if values else None))
                    group = kp[:PREFIX]
            if len(rows) < page:
                # the index ended, or the page stopped before a record another thread has
                # just deleted: the next call tells (NoCurrentRecord or RecordDeleted)
                page = max(page - len(rows), 1)
                continue
            page = 64  # inside a long group that goes on: read on

    # -- MutableMapping ----------------------------------------------------------------

    def __setitem__(self, key: K, value: V) -> None:
        enc = self._enc(key)
        data = self._encode_value(value)
        if self._try_insert:
            if self._insert_new(enc, data):
                return
            self._try_insert = False  # the key exists: replace (next time directly)

        def put(ps: PooledSession, tableid: Any) -> None:
            exists = self._seek(ps.sesid, tableid, enc)
            self._write(ps.sesid, tableid, enc, data, exists)
            if not exists:
                self._try_insert = True  # new keys again: try the single call first

        self._mutate(put)

    def __delitem__(self, key: K) -> None:
        enc = self._key(key)
        if enc is None:
            raise KeyError(key)

        def delete(ps: PooledSession, tableid: Any) -> bool:
            if not self._seek(ps.sesid, tableid, enc):
                return False
            jet.JetDelete(ps.sesid, tableid)
            return True

        if not self._mutate(delete):
            raise KeyError(key)

    @overload
    def pop(self, key: K) -> V: ...
    @overload
    def pop(self, key: K, default: V | T) -> V | T: ...

    def pop(self, key: K, default: Any = _MISSING) -> Any:
        """Remove the key and return its value, atomically (one transaction)."""
        enc = self._key(key)

        def take(ps: PooledSession, tableid: Any) -> Any:
            if enc is None or not self._seek(ps.sesid, tableid, enc):
                return _MISSING
            value = self._value(ps.sesid, tableid)
            jet.JetDelete(ps.sesid, tableid)
            return value

        value = self._mutate(take)
        if value is _MISSING:
            if default is _MISSING:
                raise KeyError(key)
            return default
        return value

    def popitem(self) -> tuple[K, V]:
        """Remove and return the item with the smallest key (``KeyError`` when empty)."""
        def take(ps: PooledSession, tableid: Any) -> Any:
            for enc, _ in self._smallest(ps.sesid, tableid):
                if not self._seek(ps.sesid, tableid, enc):
                    continue
                value = self._value(ps.sesid, tableid)
                jet.JetDelete(ps.sesid, tableid)
                return decode_key(self.key_type, enc), value
            return _MISSING

        item = self._mutate(take)
        if item is _MISSING:
            raise KeyError("popitem(): dictionary is empty")
        return cast(tuple[K, V], item)

    def _smallest(self, sesid: Any, tableid: Any) -> Iterator[tuple[bytes, None]]:
        try:
            jet.JetMove(sesid, tableid, C.JET_MoveFirst)
        except jet.NoCurrentRecordError:
            return
        kp = jet.JetRetrieveColumn(sesid, tableid, self._cols["kp"]) or b""
        if len(kp) <= PREFIX:
            yield kp, None
            return
        group: list[bytes] = []
        while True:  # the smallest of the first group of long keys
            kp = jet.JetRetrieveColumn(sesid, tableid, self._cols["kp"]) or b""
            if len(kp) <= PREFIX or (group and kp[:PREFIX] != group[0][:PREFIX]):
                break
            group.append(jet.JetRetrieveColumn(sesid, tableid, self._cols["k"]) or b"")
            try:
                jet.JetMove(sesid, tableid, C.JET_MoveNext)
            except jet.NoCurrentRecordError:
                break
        yield min(group), None

    def setdefault(self, key: K, default: V = None) -> V:  # type: ignore[assignment]
        """``d[key]`` if present, else store ``default`` and return it (atomically)."""
        enc = self._enc(key)
        data = self._encode_value(default)

        def get_or_put(ps: PooledSession, tableid: Any) -> Any:
            if self._seek(ps.sesid, tableid, enc):
                return self._value(ps.sesid, tableid)
            self._write(ps.sesid, tableid, enc, data, False)
            return self._decode_value(data)

        return cast(V, self._mutate(get_or_put))

    def clear(self) -> None:
        """Delete every item (in transactions of a few hundred deletes each)."""
        def some(ps: PooledSession, tableid: Any) -> bool:
            try:
                jet.JetMove(ps.sesid, tableid, C.JET_MoveFirst)
            except jet.NoCurrentRecordError:
                return False
            for _ in range(256):
                jet.JetDelete(ps.sesid, tableid)
                try:
                    jet.JetMove(ps.sesid, tableid, C.JET_MoveNext)
                except jet.NoCurrentRecordError:
                    return False
            return True

        while self._mutate(some):
            pass


__all__ = ["PersistentDict", "decode_key", "encode_key"]

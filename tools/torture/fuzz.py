"""A stateful bad-input fuzzer over every ``Jet*`` function of ``pyese.jet``.

    python tools/torture.py fuzz --seed N --minutes M [--calls K]
    python tools/torture/fuzz.py --seed N --minutes M          (the same, standalone)

The fuzzer finds the functions by introspection (every callable ``pyese.jet.Jet*``) and
builds each argument from its parameter name (``sesid``, ``tableid``, ``grbit``,
``szTableName``, ``pvData``, ``columndef``, ...): live handles of its own sessions, cursors
and databases, stale ones (ended, closed), foreign ones (another instance's), garbage
(random ints, None, strings, floats, the wrong handle type), random grbits and constants,
random or malformed ``JET_*`` structures and bytes. Half of the calls are biased towards
valid arguments so that the fuzzer gets deep into state (transactions, prepared updates,
index ranges); one call in ten runs on a fresh thread, without the session's context.

What it checks:

- every exception a call raises is a ``JetError`` (anything else is a defect: bad input
  gets a JET error, never a traceback from inside the engine);
- no call hangs (a watchdog dumps every thread's stack and fails the run after
  ``--hang-seconds``);
- committed data never changes behind the application's back: a *model* session, which the
  fuzzer never hands out, keeps committing inserts, replaces and deletes to table ``Model``
  of ``m.edb`` (a database the fuzzer never names) and a dict of what it committed; every
  ``--verify-every`` calls and at the end the table must equal the dict, and once more after
  an abrupt ``JetTerm2`` and a recovery from the log.

The instance lifecycle of the main instance is off limits (``JetTerm*``, ``JetInit*``,
``JetStopService*`` get only other instances' or garbage handles), as are the model
session's handles and names; everything else is fair game.
"""

import argparse
import faulthandler
import inspect
import os
import random
import shutil
import struct
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
if SRC not in sys.path:
    sys.path.insert(0, SRC)

import pyese.jet as jet  # noqa: E402
from pyese.jet import structs as S  # noqa: E402
from pyese.jethdr import constants as C  # noqa: E402
from pyese.jethdr.errors import JetError  # noqa: E402

LIFECYCLE = frozenset({"JetTerm", "JetTerm2", "JetInit", "JetInit2", "JetInit3",
                       "JetStopService", "JetStopServiceInstance", "JetStopServiceInstance2",
                       "JetEnableMultiInstance"})
"""Functions that get no handle of the main instance (and JetStopService no call at all)."""
NEVER = frozenset({"JetStopService"})
PROTECTED_NAMES = ("Model", "m.edb")

_CONSTS = sorted({v for k, v in vars(C).items()
                  if isinstance(v, int) and not isinstance(v, bool)
                  and (k.startswith("JET_bit") or k.startswith("JET_prep")
                       or k.startswith("JET_Move") or k.startswith("JET_param")
                       or k.startswith("JET_coltyp") or "Info" in k)})


def jet_functions() -> dict[str, Callable[..., Any]]:
    """Every ``Jet*`` function of pyese.jet, by name."""
    out = {}
    for name in dir(jet):
        obj = getattr(jet, name)
        if name.startswith("Jet") and callable(obj) and not isinstance(obj, type):
            out[name] = obj
    return out


# --- state ---------------------------------------------------------------------------------

@dataclass
class World:
    """Handles the fuzzer may use, live and stale, and the protected model."""

    root: str
    main: Any = None
    other: Any = None  # a second, initialised instance (foreign handles)
    sessions: list[Any] = field(default_factory=list)
    stale_sessions: list[Any] = field(default_factory=list)
    cursors: list[tuple[Any, Any]] = field(default_factory=list)  # (sesid, tableid)
    stale_cursors: list[tuple[Any, Any]] = field(default_factory=list)
    dbids: list[tuple[Any, Any]] = field(default_factory=list)  # (sesid, dbid)
    instances: list[Any] = field(default_factory=list)  # created, maybe stale
    bookmarks: list[bytes] = field(default_factory=list)
    created: list[Any] = field(default_factory=list)  # every session a call returned
    model_ses: Any = None
    model_tab: Any = None
    model: dict[int, bytes] = field(default_factory=dict)
    protected_values: set[int] = field(default_factory=set)


def _params(inst: Any, root: str) -> None:
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramSystemPath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFilePath, 0, root + "/")
    jet.JetSetSystemParameter(inst, 0, jet.JET_paramLogFileSize, 256)


def setup(root: str) -> World:
    """The main instance with ``f.edb`` (table Play, for the fuzzer) and ``m.edb`` (table
    Model, for the model session), and a second instance."""
    w = World(root)
    os.makedirs(os.path.join(root, "main"), exist_ok=True)
    os.makedirs(os.path.join(root, "other"), exist_ok=True)
    w.main = jet.JetCreateInstance("fuzz-main")
    _params(w.main, os.path.join(root, "main"))
    jet.JetInit(w.main)
    w.other = jet.JetCreateInstance("fuzz-other")
    _params(w.other, os.path.join(root, "other"))
    jet.JetInit(w.other)
    s = jet.JetBeginSession(w.main)
    for name, table in (("f.edb", "Play"), ("m.edb", "Model")):
        db = jet.JetCreateDatabase(s, os.path.join(root, "main", name))
        _create_table(s, db, table)
        jet.JetCloseDatabase(s, db)
    jet.JetEndSession(s)
    w.model_ses = jet.JetBeginSession(w.main)
    mdb = jet.JetOpenDatabase(w.model_ses, os.path.join(root, "main", "m.edb"))
    w.model_tab = jet.JetOpenTable(w.model_ses, mdb, "Model")
    w.protected_values = {int(w.model_ses), int(w.model_tab), int(w.main)}
    for _ in range(3):
        _new_session(w, random.Random(len(w.sessions)))
    return w


def _create_table(s: Any, db: Any, table: str) -> None:
    t = jet.JetCreateTable(s, db, table)
    jet.JetAddColumn(s, t, "Id", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLong))
    jet.JetAddColumn(s, t, "V", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypLongBinary))
    jet.JetAddColumn(s, t, "Tx", jet.JET_COLUMNDEF(coltyp=jet.JET_coltypText, cp=1200))
    jet.JetAddColumn(s, t, "Tag", jet.JET_COLUMNDEF(
        coltyp=jet.JET_coltypBinary,
        grbit=jet.JET_bitColumnTagged | jet.JET_bitColumnMultiValued))
    jet.JetCreateIndex(s, t, "P", jet.JET_bitIndexPrimary, "+Id\0\0")
    jet.JetCreateIndex(s, t, "ByTx", 0, "+Tx\0\0")
    jet.JetCloseTable(s, t)


def refresh(w: World, rnd: random.Random) -> None:
    """Start the fuzzer's state afresh (its sessions ended, f.edb attached, table Play
    there) so that long runs keep reaching deep states instead of erroring on a table the
    fuzzer deleted or a database it detached long ago."""
    for s in w.created:
        _end_quietly(s)
    w.stale_sessions.extend(w.sessions)
    w.stale_cursors.extend(w.cursors)
    w.sessions, w.cursors, w.dbids, w.created = [], [], [], []
    path = os.path.join(w.root, "main", "f.edb")
    try:
        s = jet.JetBeginSession(w.main)
    except JetError:
        return
    try:
        try:
            jet.JetAttachDatabase(s, path)
        except JetError:
            pass
        db = jet.JetOpenDatabase(s, path)
        try:
            jet.JetCloseTable(s, jet.JetOpenTable(s, db, "Play"))
        except JetError as exc:
            if exc.err == C.JET_errObjectNotFound:
                _create_table(s, db, "Play")
    except JetError:
        pass
    finally:
        _end_quietly(s)
    for _ in range(3):
        _new_session(w, rnd)


def _new_session(w: World, rnd: random.Random) -> None:
    try:
        s = jet.JetBeginSession(w.main)
    except JetError:
        # out of sessions: end every session the fuzzer made but no longer hands out,
        # and the oldest one it does
        for old in w.created:
            if old not in w.sessions:
                _end_quietly(old)
        w.created = list(w.sessions)
        if w.sessions:
            old = w.sessions.pop(0)
            _end_quietly(old)
            w.stale_sessions.append(old)
        return
    w.sessions.append(s)
    w.created.append(s)
    try:  # the fuzzer may have locked, renamed or deleted things: take what opens
        dbid = jet.JetOpenDatabase(s, os.path.join(w.root, "main", "f.edb"))
        w.dbids.append((s, dbid))
        t = jet.JetOpenTable(s, dbid, "Play")
        w.cursors.append((s, t))
    except JetError:
        pass


# --- the model -------------------------------------------------------------------------------

def model_step(w: World, rnd: random.Random) -> None:
    """One committed change through the model session (retried on a write conflict)."""
    s, t = w.model_ses, w.model_tab
    n = rnd.randrange(200)
    value = rnd.randbytes(rnd.choice((0, 5, 300, 3000)))
    jet.JetBeginTransaction(s)
    try:
        jet.JetSetCurrentIndex(s, t, "P")
        jet.JetMakeKey(s, t, struct.pack("<i", n), jet.JET_bitNewKey)
        try:
            jet.JetSeek(s, t, jet.JET_bitSeekEQ)
            found = True
        except JetError as exc:
            if exc.err != C.JET_errRecordNotFound:
                raise
            found = False
        if found and rnd.random() < 0.4:
            jet.JetDelete(s, t)
            new: bytes | None = None
        else:
            jet.JetPrepareUpdate(s, t, jet.JET_prepReplace if found else jet.JET_prepInsert)
            if not found:
                jet.JetSetColumn(s, t, 1, struct.pack("<i", n))
            jet.JetSetColumn(s, t, 2, value or None,
                             jet.JET_bitSetZeroLength if not value else 0)
            jet.JetUpdate(s, t)
            new = value
        jet.JetCommitTransaction(s, jet.JET_bitCommitLazyFlush if rnd.random() < 0.5 else 0)
    except JetError:
        jet.JetRollback(s)
        return
    if new is None:
        w.model.pop(n, None)
    else:
        w.model[n] = new


def read_model(ses: Any, tab: Any) -> dict[int, bytes]:
    rows: dict[int, bytes] = {}
    jet.JetSetCurrentIndex(ses, tab, "P")
    try:
        jet.JetMove(ses, tab, jet.JET_MoveFirst)
        while True:
            n = struct.unpack("<i", jet.JetRetrieveColumn(ses, tab, 1))[0]
            rows[n] = jet.JetRetrieveColumn(ses, tab, 2) or b""
            jet.JetMove(ses, tab, jet.JET_MoveNext)
    except JetError as exc:
        if exc.err != C.JET_errNoCurrentRecord:
            raise
    return rows


def verify(w: World) -> list[str]:
    got = read_model(w.model_ses, w.model_tab)
    if got == w.model:
        return []
    missing = sorted(set(w.model) - set(got))
    extra = sorted(set(got) - set(w.model))
    wrong = sorted(k for k in set(got) & set(w.model) if got[k] != w.model[k])
    return [f"committed data changed: missing {missing[:10]}, extra {extra[:10]}, "
            f"wrong {wrong[:10]}"]


def verify_after_recovery(w: World) -> list[str]:
    """Abrupt stop, recovery from the log, and the model again."""
    for inst in (w.main, w.other):
        try:  # a crash: sessions may be inside transactions
            jet.JetTerm2(inst, jet.JET_bitTermDirty)
        except JetError:
            pass
    inst = jet.JetCreateInstance("fuzz-recover")
    _params(inst, os.path.join(w.root, "main"))
    jet.JetInit(inst)
    try:
        s = jet.JetBeginSession(inst)
        path = os.path.join(w.root, "main", "m.edb")
        jet.JetAttachDatabase(s, path)
        t = jet.JetOpenTable(s, jet.JetOpenDatabase(s, path), "Model")
        got = read_model(s, t)
        jet.JetEndSession(s)
    finally:
        jet.JetTerm2(inst, jet.JET_bitTermAbrupt)
    if got != w.model:
        return [f"after recovery: {len(got)} rows, the model has {len(w.model)}"]
    return []


# --- argument generators ---------------------------------------------------------------------

def _garbage(rnd: random.Random) -> Any:
    return rnd.choice([
        None, -1, 0, 1, 2**31, 2**32 - 1, 2**63, -(2**63), 2**64 + 5, 1.5, float("nan"),
        True, "", "x", "\0", b"", b"\0" * 3, bytearray(b"ab"), [], [None], {}, object(),
        jet.JET_SESID(rnd.randrange(1 << 16)), jet.JET_TABLEID(rnd.randrange(1 << 16)),
        jet.JET_DBID(rnd.randrange(16)), jet.JET_INSTANCE(rnd.randrange(1 << 16)),
        rnd.randrange(-(1 << 40), 1 << 40)])


def _safe_int(w: World, rnd: random.Random) -> int:
    while True:
        v = rnd.choice([rnd.randrange(0, 64), rnd.randrange(0x1000, 0x1100),
                        rnd.randrange(1 << 32), rnd.randrange(-5, 5)])
        if v not in w.protected_values:
            return v


def _int_arg(w: World, rnd: random.Random, valid: bool) -> Any:
    if valid:
        return rnd.choice([0, 0, 1, 2, rnd.choice(_CONSTS),
                           rnd.choice(_CONSTS) | rnd.choice(_CONSTS), -1])
    r = rnd.random()
    if r < 0.5:
        return rnd.choice(_CONSTS) if rnd.random() < 0.5 else rnd.getrandbits(32)
    if r < 0.7:
        return _safe_int(w, rnd)
    g = _garbage(rnd)
    return g if not isinstance(g, jet.JET_SESID | jet.JET_TABLEID) else None


def _bytes_arg(w: World, rnd: random.Random, valid: bool) -> Any:
    if valid or rnd.random() < 0.6:
        return rnd.choice([b"", struct.pack("<i", rnd.randrange(300)), rnd.randbytes(
            rnd.choice((1, 4, 8, 16, 255, 300, 5000))), None]
            + (w.bookmarks[-3:] if w.bookmarks else []))
    return rnd.choice([None, "text", 5, 1.5, bytearray(b"xy"), memoryview(b"abcd"), [b"a"],
                       object()])


def _name_arg(w: World, rnd: random.Random, valid: bool, kind: str) -> Any:
    pools = {
        "table": ["Play", "Play2", "MSysObjects", "nope"],
        "column": ["Id", "V", "Tx", "Tag", "New", "nope"],
        "index": ["P", "ByTx", "Ix", "nope"],
        "file": [os.path.join(w.root, "main", "f.edb"), "f.edb",
                 os.path.join(w.root, "main", "g.edb"), "nope.edb",
                 os.path.join(w.root, "nodir", "x.edb")],
        "key": ["+Id\0\0", "+Tx\0\0", "-Tag\0\0", "+Nope\0\0", "+Id", "Id", "\0\0", ""],
    }
    pool = pools.get(kind, ["", "x"])
    if valid or rnd.random() < 0.6:
        return rnd.choice(pool)
    return rnd.choice(["", "\0", "a\0b", "x" * 70, "x" * 300, " lead", "ü∂",
                       "\ud800", None, 5, b"bytes", 1.5, os.path.join(w.root, "main"),
                       "con", "../../etc/passwd"])


def _struct_value(cls: type, w: World, rnd: random.Random, depth: int = 0) -> Any:
    kwargs: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if rnd.random() < 0.4:
            continue
        kwargs[f.name] = _field_value(f.name, w, rnd, depth)
    try:
        return cls(**kwargs)
    except Exception:  # noqa: BLE001 - a field the dataclass itself rejects: leave it out
        return cls()


def _field_value(name: str, w: World, rnd: random.Random, depth: int) -> Any:
    low = name.lower()
    if low.startswith("sz") or low in ("name",):
        kind = "column" if "column" in low else "index" if "index" in low else \
            "key" if "key" in low else "table"
        return _name_arg(w, rnd, False, kind)
    if low.startswith("pv") or low.startswith("pb"):
        return _bytes_arg(w, rnd, False)
    if low.startswith("rg") or low.startswith("p"):
        if depth < 2 and rnd.random() < 0.5:
            cls = rnd.choice(STRUCTS)
            return [_struct_value(cls, w, rnd, depth + 1) for _ in range(rnd.randrange(3))]
        return _garbage(rnd)
    if rnd.random() < 0.8:
        return _int_arg(w, rnd, rnd.random() < 0.5)
    return _garbage(rnd)


STRUCTS = [obj for name, obj in vars(S).items()
           if name.startswith("JET_") and isinstance(obj, type)
           and hasattr(obj, "__dataclass_fields__")]
_STRUCT_HINT = {
    "columndef": "JET_COLUMNDEF", "pindexcreate": "JET_INDEXCREATE",
    "tablecreate": "JET_TABLECREATE", "pretrievecolumn": "JET_RETRIEVECOLUMN",
    "psetcolumn": "JET_SETCOLUMN", "rgenumcolumnid": "JET_ENUMCOLUMNID",
    "precpos": "JET_RECPOS", "pretinfo": "JET_RETINFO", "psetinfo": "JET_SETINFO",
    "rgindexrange": "JET_INDEXRANGE", "pindexid": "JET_INDEXID",
}


def _struct_arg(name: str, w: World, rnd: random.Random, valid: bool) -> Any:
    hint = _STRUCT_HINT.get(name.lower())
    cls = getattr(S, hint, None) if hint else None
    if cls is None:
        for c in STRUCTS:
            if hint and c.__name__.startswith(hint):
                cls = c
                break
    if cls is None or rnd.random() < 0.2:
        cls = rnd.choice(STRUCTS)
    r = rnd.random()
    value = _struct_value(cls, w, rnd)
    if name.lower().startswith("rg") or name.lower() in ("pretrievecolumn", "psetcolumn",
                                                        "psetsysparam"):
        if r < 0.7:
            return [_struct_value(cls, w, rnd) for _ in range(rnd.randrange(4))]
    if r < 0.85:
        return value
    return _garbage(rnd)


def _handle(kind: str, w: World, rnd: random.Random, valid: bool, func: str) -> Any:
    r = rnd.random()
    if kind == "sesid":
        if (valid or r < 0.6) and w.sessions:
            return rnd.choice(w.sessions)
        if r < 0.75 and w.stale_sessions:
            return rnd.choice(w.stale_sessions)
        return rnd.choice([_safe_int(w, rnd), None, "s", 1.5,
                           jet.JET_TABLEID(_safe_int(w, rnd)), object()])
    if kind == "tableid":
        if (valid or r < 0.6) and w.cursors:
            return rnd.choice(w.cursors)[1]
        if r < 0.75 and w.stale_cursors:
            return rnd.choice(w.stale_cursors)[1]
        return rnd.choice([_safe_int(w, rnd), None, "t", jet.JET_SESID(_safe_int(w, rnd))])
    if kind == "dbid":
        if (valid or r < 0.7) and w.dbids:
            return rnd.choice(w.dbids)[1]
        return rnd.choice([_safe_int(w, rnd), None, "d", -1, 2**40])
    if kind == "instance":
        if func in LIFECYCLE:
            pool = [w.other, *w.instances, _safe_int(w, rnd), "i", 1.5]
            if func.startswith("JetTerm") or func.startswith("JetStop"):
                pool = [*w.instances, _safe_int(w, rnd), "i", 1.5, object()]
            return rnd.choice(pool)
        return rnd.choice([w.main, w.main, w.other, *w.instances, _safe_int(w, rnd), None])
    return _garbage(rnd)


def build_args(func: str, sig: inspect.Signature, w: World, rnd: random.Random,
               valid: bool) -> list[Any]:
    args: list[Any] = []
    params = list(sig.parameters.values())
    # the cursor and its session belong together when the call is meant to be valid
    pair = rnd.choice(w.cursors) if (valid and w.cursors) else None
    for i, p in enumerate(params):
        if p.default is not inspect.Parameter.empty and rnd.random() < 0.3 and i == len(args):
            # leave trailing defaults out now and then
            if all(q.default is not inspect.Parameter.empty for q in params[i:]):
                break
        name = p.name
        low = name.lower()
        if low == "sesid":
            args.append(pair[0] if pair else _handle("sesid", w, rnd, valid, func))
        elif low == "tableid":
            args.append(pair[1] if pair else _handle("tableid", w, rnd, valid, func))
        elif low == "dbid":
            args.append(_handle("dbid", w, rnd, valid, func))
        elif low == "instance":
            args.append(_handle("instance", w, rnd, valid, func))
        elif low in _STRUCT_HINT or low.startswith("rg") or low in ("psetsysparam",
                                                                   "prstinfo"):
            args.append(_struct_arg(name, w, rnd, valid))
        elif low.startswith("pv") or low == "pv":
            args.append(_bytes_arg(w, rnd, valid))
        elif low.startswith("sz") or low == "pcolumnnameorid":
            kind = ("file" if "file" in low or "database" in low else
                    "column" if "column" in low else "index" if "index" in low else
                    "key" if "key" in low else "table" if "table" in low or low in (
                        "szname", "sznamenew", "szobjectname", "szcontainername") else "")
            if low == "pcolumnnameorid" and rnd.random() < 0.4:
                args.append(_int_arg(w, rnd, valid))
            else:
                args.append(_name_arg(w, rnd, valid, kind))
        elif low == "columnid":
            args.append(rnd.choice([1, 2, 3, 256, 257]) if valid or rnd.random() < 0.5
                        else _int_arg(w, rnd, False))
        else:
            args.append(_int_arg(w, rnd, valid))
    return args


# --- one call --------------------------------------------------------------------------------

@dataclass
class Tally:
    calls: int = 0
    ok: int = 0
    jet_errors: int = 0
    non_jet: int = 0
    threaded: int = 0
    by_exception: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    functions: set[str] = field(default_factory=set)
    data_errors: list[str] = field(default_factory=list)
    model_commits: int = 0

    @property
    def failed(self) -> bool:
        return bool(self.non_jet or self.data_errors)

    def report(self) -> str:
        lines = [f"bad-input fuzzer: {self.calls} calls over {len(self.functions)} Jet* "
                 f"functions ({self.threaded} on foreign threads)",
                 f"  returned: {self.ok}   JetError: {self.jet_errors}   "
                 f"non-JetError exceptions: {self.non_jet}",
                 f"  model commits: {self.model_commits}   committed-data changes: "
                 f"{len(self.data_errors)}   hangs: 0"]
        for exc, n in self.by_exception.most_common(30):
            lines.append(f"  {n:6d}  {exc}")
        lines += [f"  sample: {s}" for s in self.samples[:30]]
        lines += [f"  DATA: {e}" for e in self.data_errors[:10]]
        return "\n".join(lines)


def _record_result(name: str, args: list[Any], result: Any, w: World) -> None:
    """Keep the handles a successful call made, and forget the ones it ended."""
    if name in ("JetBeginSession", "JetDupSession") and isinstance(result, jet.JET_SESID):
        w.created.append(result)
        if len(w.sessions) < 8:
            w.sessions.append(result)
        else:
            _end_quietly(result)
    elif name in ("JetOpenTable", "JetDupCursor", "JetCreateTable") and \
            isinstance(result, jet.JET_TABLEID) and args:
        if len(w.cursors) < 24:
            w.cursors.append((args[0], result))
        else:
            try:
                jet.JetCloseTable(args[0], result)
            except JetError:
                pass
    elif name in ("JetOpenDatabase", "JetCreateDatabase", "JetCreateDatabase2") and \
            isinstance(result, jet.JET_DBID) and args:
        w.dbids.append((args[0], result))
    elif name == "JetEndSession" and args:
        for s in list(w.sessions):
            if s is args[0] or (isinstance(args[0], int) and int(s) == int(args[0])):
                w.sessions.remove(s)
                w.stale_sessions.append(s)
                for c in [c for c in w.cursors if c[0] is s]:
                    w.cursors.remove(c)
                    w.stale_cursors.append(c)
    elif name == "JetCloseTable" and len(args) > 1:
        for c in [c for c in w.cursors if c[1] is args[1]]:
            w.cursors.remove(c)
            w.stale_cursors.append(c)
    elif name in ("JetGetBookmark",) and isinstance(result, bytes):
        w.bookmarks = (w.bookmarks + [result])[-8:]
    elif name in ("JetCreateInstance", "JetCreateInstance2") and result is not None:
        w.instances.append(result)


def _end_quietly(s: Any) -> None:
    try:
        jet.JetRollback(s, jet.JET_bitRollbackAll)
    except JetError:
        pass
    try:
        jet.JetEndSession(s)
    except JetError:
        pass


def call_one(name: str, fn: Callable[..., Any], args: list[Any], on_thread: bool,
             hang_seconds: float) -> tuple[Any, BaseException | None]:
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args)
        except BaseException as exc:  # noqa: BLE001 - judged by the caller
            box["exc"] = exc
            box["tb"] = traceback.format_exc()

    if on_thread:
        th = threading.Thread(target=target, daemon=True)
        th.start()
        th.join(hang_seconds)
        if th.is_alive():
            faulthandler.dump_traceback(all_threads=True)
            raise SystemExit(f"HANG: {name}{tuple(args)!r} did not return in {hang_seconds}s")
    else:
        target()
    exc = box.get("exc")
    if exc is not None:
        exc.__pyese_tb__ = box.get("tb", "")  # type: ignore[attr-defined]
    return box.get("result"), exc


def campaign(seed: int, *, minutes: float = 0.0, calls: int | None = None,
             verify_every: int = 500, hang_seconds: float = 60.0,
             workdir: str | None = None, refresh_every: int = 2000) -> Tally:
    rnd = random.Random(seed)
    tally = Tally()
    own = workdir is None
    root = workdir or tempfile.mkdtemp(prefix="pyese-fuzz-")
    cwd = os.getcwd()
    os.chdir(root)  # relative names land in the scratch directory
    funcs = jet_functions()
    sigs = {n: inspect.signature(f) for n, f in funcs.items()}
    names = sorted(n for n in funcs if n not in NEVER)
    deadline = time.monotonic() + minutes * 60 if minutes else None
    try:
        w = setup(root)
        while True:
            if calls is not None and tally.calls >= calls:
                break
            if deadline is not None and time.monotonic() >= deadline:
                break
            if calls is None and deadline is None:
                break
            if rnd.random() < 0.15:
                model_step(w, rnd)
                tally.model_commits += 1
            if len(w.sessions) < 2 or rnd.random() < 0.01:
                _new_session(w, rnd)
            name = rnd.choice(names)
            valid = rnd.random() < 0.5
            args = build_args(name, sigs[name], w, rnd, valid)
            on_thread = rnd.random() < 0.1
            faulthandler.dump_traceback_later(hang_seconds, exit=True)
            try:
                result, exc = call_one(name, funcs[name], args, on_thread, hang_seconds)
            finally:
                faulthandler.cancel_dump_traceback_later()
            tally.calls += 1
            tally.threaded += on_thread
            tally.functions.add(name)
            if exc is None:
                tally.ok += 1
                _record_result(name, args, result, w)
            elif isinstance(exc, JetError):
                tally.jet_errors += 1
            else:
                tally.non_jet += 1
                where = getattr(exc, "__pyese_tb__", "").strip().splitlines()
                key = f"{name}: {type(exc).__name__}: {str(exc)[:80]}"
                if key not in tally.by_exception:
                    tally.samples.append(f"{name}{tuple(args)!r:.300} -> "
                                         f"{type(exc).__name__}: {exc} "
                                         f"[{where[-3].strip() if len(where) > 2 else ''}]")
                tally.by_exception[key] += 1
            if tally.calls % verify_every == 0:
                tally.data_errors += verify(w)
            if tally.calls % refresh_every == 0:
                refresh(w, rnd)
        tally.data_errors += verify(w)
        tally.data_errors += verify_after_recovery(w)
    finally:
        os.chdir(cwd)
        if own:
            shutil.rmtree(root, ignore_errors=True)
    return tally


def add_arguments(ap: argparse.ArgumentParser) -> None:
    """The options of ``tools/torture.py fuzz``."""
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--minutes", type=float, default=0.0)
    ap.add_argument("--calls", type=int, default=None,
                    help="stop after this many calls (default 2000 without --minutes)")
    ap.add_argument("--verify-every", type=int, default=500)
    ap.add_argument("--hang-seconds", type=float, default=60.0)


def run(args: argparse.Namespace) -> int:
    """Run the fuzzer, print the figures; 1 if anything failed."""
    calls = args.calls
    if calls is None and not args.minutes:
        calls = 2000
    from pyese.engine.instance.instance import SYSTEM

    tally = campaign(args.seed, minutes=args.minutes, calls=calls,
                     verify_every=args.verify_every, hang_seconds=args.hang_seconds)
    SYSTEM.reset_for_tests()
    print(tally.report())
    return 1 if tally.failed else 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="fuzz", description=__doc__.split("\n")[0])
    add_arguments(ap)
    return run(ap.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

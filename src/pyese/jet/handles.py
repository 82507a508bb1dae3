"""ESE's handle types: small ints with a readable repr.

A handle is the number ESE would hand a C caller. Handles are never reused inside a
process, so a stale handle (an ended session, a closed cursor) keeps failing with ESE's
error for a bad handle instead of reaching someone else's object.
"""

from __future__ import annotations


class _Handle(int):
    __slots__ = ()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({int(self):#x})"

    @property
    def value(self) -> int:
        return int(self)


class JET_INSTANCE(_Handle):
    """An instance handle (``JetCreateInstance``)."""


class JET_SESID(_Handle):
    """A session handle (``JetBeginSession``)."""


class JET_DBID(_Handle):
    """A database handle, per session (``JetOpenDatabase``)."""


class JET_TABLEID(_Handle):
    """A cursor handle (``JetOpenTable``)."""


class JET_COLUMNID(_Handle):
    """A column id."""


class JET_OSSNAPID(_Handle):
    """A snapshot-backup handle."""


JET_instanceNil = JET_INSTANCE(0xFFFFFFFFFFFFFFFF)
JET_sesidNil = JET_SESID(0xFFFFFFFFFFFFFFFF)
JET_tableidNil = JET_TABLEID(0xFFFFFFFFFFFFFFFF)
JET_dbidNil = JET_DBID(0xFFFFFFFF)

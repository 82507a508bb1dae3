"""Log positions (ESE's LGPOS): where a record lives in the instance's write-ahead log.

ESE names a log position by (generation, sector, byte in sector). pyese's log positions
are (generation, byte offset in that generation's file): ordered, comparable, and
convertible to ESE's ``JET_LGPOS`` (``ib``, ``isec``, ``lGeneration``) with 512-byte sectors.
"""

from __future__ import annotations

from dataclasses import dataclass

SECTOR = 512


@dataclass(frozen=True, order=True)
class LGPOS:
    """A position in the log: generation first, then byte offset within that log file."""

    generation: int
    offset: int

    @property
    def isec(self) -> int:
        return self.offset // SECTOR

    @property
    def ib(self) -> int:
        return self.offset % SECTOR

    def __str__(self) -> str:
        return f"{self.generation:08X}:{self.isec:04X}:{self.ib:04X}"


LGPOS_MIN = LGPOS(0, 0)
"""Before every record: a database that has applied nothing."""

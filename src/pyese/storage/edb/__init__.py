"""pyese.storage.edb: genuine ESE ``.edb`` files written by Windows, read-only, on any OS.

The physical layer only: the database header, verified pages, B-tree walks by objid, and
column decompression. The engine gives the trees their meaning (catalog, records).

    edb = EdbFile.open(path)                  # read-only; never writes or creates anything
    snap = edb.snapshot()                     # pyese.storage.trees.TreeSnapshot
    snap.map_tree(objid, pgno_fdp)            # trees the engine learns from the catalog
    for key, data in snap.iterate(2): ...     # MSysObjects is known without the catalog
"""

from pyese.storage.edb.btree import EdbTreeCursor
from pyese.storage.edb.compression import compression_scheme, decompress
from pyese.storage.edb.header import EdbHeader, elect_header
from pyese.storage.edb.page import Node, Page
from pyese.storage.edb.reader import SYSTEM_TREES, EdbFile, EdbSnapshot, SkippedPage, read_header

__all__ = [
    "EdbFile", "EdbHeader", "EdbSnapshot", "EdbTreeCursor", "Node", "Page", "SYSTEM_TREES",
    "SkippedPage", "compression_scheme", "decompress", "elect_header", "read_header",
]

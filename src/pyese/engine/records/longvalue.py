"""Reading separated long values from a table's long-value tree, streaming.

A long value too big for its record lives in the table's LV tree (``lv.cxx``, ``lv.hxx``)
and the record holds its LID (4 bytes, or 8 with the LID64 bit) instead. The tree holds,
per LID, keys compared as bytes so that a value's nodes are contiguous::

    LID (big-endian)                    -> LVROOT: u32 refcount, u32 size [, u8 flags]
    LID (big-endian) + u32 BE offset    -> the chunk starting at byte ``offset``

Chunks are ``cbLVChunkMost`` bytes except the last. A chunk stored shorter than its span
(the next chunk's offset, or ``size`` for the last) is compressed: ESE decides exactly so
(``lv.cxx`` FLVCompressedChunk), each chunk being compressed on its own
(``compression.cxx`` schemes, decoded by :func:`pyese.storage.edb.compression.decompress`).

Memory is bounded by one chunk plus the caller's request: :meth:`iter_chunks` yields chunk
by chunk, :meth:`read` returns only the bytes asked for.

Errors: ``JET_errLVCorrupted`` when a root or chunk is missing or inconsistent with the
root's size, ``JET_errDecompressionFailed`` when a compressed chunk does not decode to its
span, ``JET_errInvalidParameter`` for a negative offset or size.
"""

from __future__ import annotations

from collections.abc import Iterator

from pyese.engine.records.record import LVRoot, lv_chunk_key, lv_parse_key, lv_root_key
from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.edb.compression import decompress
from pyese.storage.trees import TreeSnapshot


class LongValueReader:
    """Separated long values of one table, read through a snapshot's LV tree ``lv_objid``.

    ``lv_objid`` None means the table has no LV tree: every LID is then ``JET_errLVCorrupted``.
    """

    def __init__(self, snapshot: TreeSnapshot, lv_objid: int | None) -> None:
        self._snap = snapshot
        self.lv_objid = lv_objid

    def _tree(self, lid: int) -> int:
        if self.lv_objid is None:
            raise_error(C.JET_errLVCorrupted, f"LID {lid:#x} but the table has no long-value tree")
        return self.lv_objid  # type: ignore[return-value]

    def root(self, lid: int) -> LVRoot:
        """The LVROOT of ``lid`` (reference count and total size)."""
        data = self._snap.get(self._tree(lid), lv_root_key(lid))
        if data is None:
            raise_error(C.JET_errLVCorrupted, f"long value {lid:#x} has no root")
        return LVRoot.from_bytes(data)  # type: ignore[arg-type]

    def size(self, lid: int) -> int:
        return self.root(lid).size

    def iter_chunks(self, lid: int, start: int = 0) -> Iterator[bytes]:
        """The value's bytes from ``start`` to its end, one (decompressed) chunk at a time."""
        if start < 0:
            raise_error(C.JET_errInvalidParameter, f"negative long-value offset {start}")
        size = self.root(lid).size
        if start >= size:
            return
        objid = self._tree(lid)
        cursor = self._snap.cursor(objid)
        node = cursor.seek_le(lv_chunk_key(lid, start))
        expect = None
        if node is not None:
            node_lid, off = lv_parse_key(node[0])
            if node_lid != lid or off is None:
                node = None
            else:
                expect = off
        if node is None:
            raise_error(C.JET_errLVCorrupted, f"long value {lid:#x}: no chunk at offset {start}")
        assert node is not None and expect is not None
        while expect < size:
            if node is None:
                raise_error(C.JET_errLVCorrupted, f"long value {lid:#x} ends at {expect} of {size}")
            nxt = cursor.next()
            next_off = size
            if nxt is not None:
                nlid, noff = lv_parse_key(nxt[0])
                if nlid == lid and noff is not None:
                    next_off = noff
                else:
                    nxt = None
            span = next_off - expect
            if span <= 0:
                raise_error(C.JET_errLVCorrupted, f"long value {lid:#x}: chunks out of order")
            data = node[1]  # type: ignore[index]
            if len(data) < span:
                data = decompress(data)
                if len(data) != span:
                    raise_error(
                        C.JET_errDecompressionFailed,
                        f"long value {lid:#x} chunk {expect}: {len(data)} bytes, expected {span}",
                    )
            elif len(data) > span:
                raise_error(
                    C.JET_errLVCorrupted,
                    f"long value {lid:#x} chunk {expect}: {len(data)} bytes for a span of {span}",
                )
            skip = start - expect if start > expect else 0
            yield data[skip:] if skip else data
            expect = next_off
            node = nxt

    def read(self, lid: int, offset: int = 0, size: int | None = None) -> bytes:
        """Bytes ``offset .. offset + size`` of the value (to its end when ``size`` is None)."""
        if size is not None and size < 0:
            raise_error(C.JET_errInvalidParameter, f"negative size {size}")
        out = bytearray()
        for chunk in self.iter_chunks(lid, offset):
            if size is not None and len(out) + len(chunk) >= size:
                out += chunk[: size - len(out)]
                break
            out += chunk
        return bytes(out)

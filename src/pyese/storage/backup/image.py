"""Streaming a database file while writers keep committing (``JetOpenFile`` / ``JetReadFile``).

ESE copies a database page by page while the engine writes it and repairs the "fuzzy"
copy with the logs at restore. A pyese database file is an LMDB environment, and LMDB
offers something stronger: a read transaction is a consistent image that no writer
touches while it is open (LMDB reuses a freed page only when no reader older than the
free can still reach it). So the stream is:

1. the two LMDB meta pages as they were when the snapshot began (read under the file's
   writer lock, so the newer one is the snapshot's: ``DatabaseFile.pin_image``);
2. the data file's bytes from page 2 up to the snapshot's last page, read with ``pread``
   while the snapshot stays open: exactly what LMDB's own ``mdb_env_copyfd0`` copies,
   without an intermediate file, so a backup reads each byte once (as ``cp`` does);
3. zeros up to a whole number of database pages, then the trailer page
   (``trailer.Trailer``) saying which log position the image is consistent at
   (``applied``) and which generation the backup's logs start at (``genLow``).

Pages the snapshot cannot reach (LMDB's free pages) may change while they are read; the
copy's free list lists them as free, so their content never matters.

Which is correct and fast: ``Environment.copyfd(fd, txn=...)`` would also give a consistent
image, but only into a file descriptor: streaming it through ``JetReadFile`` would need a
temporary copy (every byte written twice) or a pipe and a thread. Reading the file under
the pinned snapshot is the same copy with one read per byte.
"""

from __future__ import annotations

import os
import threading
from typing import Any

from pyese.storage.backup.copy import WriteBehind
from pyese.storage.backup.scrub import Scrubber, free_pages, snapshot_meta
from pyese.storage.backup.trailer import Trailer, padded

CHUNK = 4 << 20
"""Bytes per ``read`` (ESE's ``JET_paramBackupChunkSize`` is in pages; 4 MiB here)."""


class ImageStream:
    """One database image being streamed. ``size`` bytes in all; ``read`` until b"".

    Holds an LMDB read transaction (the pin) until ``close``; thread-safe (its lock
    guards the position and the file descriptor).
    """

    def __init__(self, dbfile: Any, make_trailer: Any, *, scrub: bool = False) -> None:
        """``make_trailer(image_size, applied_lgpos) -> Trailer`` builds the trailer.
        ``scrub``: zero deleted data in the image (``storage.backup.scrub``)."""
        self._lock = threading.Lock()
        self._snap, self._metas, self.image_size = dbfile.pin_image()
        self._fd = -1
        try:
            self.applied = self._snap.applied_lgpos
            self.trailer: Trailer = make_trailer(self.image_size, self.applied)
            self.page_size = self.trailer.page_size
            self._padded = padded(self.image_size, self.page_size)
            self.size = self._padded + self.page_size
            self._fd = os.open(dbfile.path, os.O_RDONLY | os.O_CLOEXEC)
            self.scrubber: Scrubber | None = None
            if scrub:
                self.scrubber = self._make_scrubber()
        except BaseException:
            if self._fd >= 0:
                os.close(self._fd)
            self._snap.close()
            raise
        self._trailer_bytes = self.trailer.encode()
        self.pos = 0
        self._closed = False

    def _make_scrubber(self) -> Scrubber:
        lmdb_psize = len(self._metas) // 2

        def read_pages(pgno: int, count: int) -> bytes:
            if pgno < 2 or (pgno + count) * lmdb_psize > self.image_size:
                raise OSError(5, f"free list names page {pgno}, outside the snapshot")
            return os.pread(self._fd, count * lmdb_psize, pgno * lmdb_psize)

        meta = snapshot_meta(self._metas, lmdb_psize)
        return Scrubber(lmdb_psize, free_pages(meta, lmdb_psize, read_pages))

    def read(self, n: int = CHUNK) -> bytes:
        """The next at most ``n`` bytes (b"" at the end)."""
        with self._lock:
            if self._closed:
                raise ValueError("stream closed")
            out = self._part(self.pos, n)
            self.pos += len(out)
            return out

    def _part(self, pos: int, n: int) -> bytes:
        metas = len(self._metas)
        if pos < metas:
            return self._metas[pos:min(metas, pos + n)]
        if pos < self.image_size:
            want = min(n, self.image_size - pos)
            if self.scrubber is not None:
                psize = self.scrubber.psize  # whole pages: pos and n are page multiples
                buf = bytearray(want)
                if os.preadv(self._fd, [buf], pos) != want:
                    raise OSError(5, "database file shorter than its snapshot")
                self.scrubber.scrub(buf, pos // psize)
                return bytes(buf)
            data = os.pread(self._fd, want, pos)
            if len(data) != want:
                raise OSError(5, "database file shorter than its snapshot")
            return data
        if pos < self._padded:
            return bytes(min(n, self._padded - pos))
        if pos < self.size:
            off = pos - self._padded
            return self._trailer_bytes[off:off + n]
        return b""

    def copy_to(self, fd: int, *, hit: Any = None, progress: Any = None) -> None:
        """Write the rest of the stream to ``fd`` (the file backup's fast path: the body
        goes kernel to kernel with ``copy_file_range`` where available, flushed every
        ``copy.WRITE_BEHIND`` bytes so the writers' fsyncs never wait behind the whole
        copy). ``hit(point)`` is
        the fault seam before each write; ``progress(done, total)`` after each chunk."""
        copy_range = getattr(os, "copy_file_range", None)
        behind = WriteBehind(fd)
        while True:
            with self._lock:
                pos = self.pos
                if copy_range is not None and self.scrubber is None \
                        and len(self._metas) <= pos < self.image_size:
                    if hit is not None:
                        hit("backup.write")
                    n = copy_range(self._fd, fd, min(8 * CHUNK, self.image_size - pos),
                                   pos, pos)
                    if n <= 0:
                        copy_range = None
                        continue
                    self.pos += n
                    behind.wrote(n)
                else:
                    chunk = self._part(pos, 8 * CHUNK)
                    if not chunk:
                        return
                    if hit is not None:
                        hit("backup.write")
                    view = memoryview(chunk)
                    off = pos
                    while view:
                        w = os.pwrite(fd, view, off)
                        view = view[w:]
                        off += w
                    self.pos += len(chunk)
                    behind.wrote(len(chunk))
                done, total = self.pos, self.size
            if progress is not None:
                progress(done, total)

    def close(self) -> None:
        """Release the pin and the descriptor. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            os.close(self._fd)
        self._snap.close()

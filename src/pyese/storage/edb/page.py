"""One database page of a genuine ESE file: header, TAG array, lines (nodes), verification.

ESE: ``dev/ese/src/inc/cpage.hxx`` (``PGHDR``, ``PGHDR2``, ``TAG``, page flags),
``dev/ese/src/ese/cpage.cxx`` (``ErrValidatePage``, ``ErrCheckPage``, ``FPageIsInitialized``),
``dev/ese/src/ese/node.cxx`` (``NDILineToKeydataflags``, ``NDIGetKeydataflags``).

Page layout (``cb`` = page size; the page numbered ``pgno`` lives at file offset
``(pgno + 1) * cb``: pages 0 and 1 of the file are the header and its shadow)::

    +---------+--------------------------------------+-----------+-----------+
    | header  | data: lines grow upward ->    free   | <- TAG[n-1] ... TAG[0] |
    +---------+--------------------------------------+-----------+-----------+
    small (<= 8 KiB) header = PGHDR (40 bytes)
    large (16/32 KiB) header = PGHDR2 (80 bytes: PGHDR + 3 block checksums + pgno + reserved)

    PGHDR:  0 checksum(8)  8 dbtimeDirtied(8)  16 pgnoPrev  20 pgnoNext  24 objidFDP
           28 cbFree(2)  30 cbUncommittedFree(2)  32 ibMicFree(2)  34 itagState(2)  36 fFlags(4)

``itagState`` (Windows 11 24H2 and later; CPAGE::InitItagState): the low 12 bits are
``itagMicFree`` (the number of TAGs) and the high 4 bits ``ctagReserved`` (tags reserved at the
start of the array; a value 0 or 1 means 1, the only value older ESE writes). TAG 0 is the
*external header*: on a non-root page, the common key prefix of the page's nodes; on a root
page, the tree's space header. Lines (nodes) are TAGs ``ctagReserved .. itagMicFree-1``.

A TAG is ``cb_`` (USHORT) then ``ib_`` (USHORT), ``ib_`` relative to the end of the header.
Small pages: ``cb = cb_ & 0x1fff``, ``ib = ib_ & 0x1fff``, node flags = ``ib_ >> 13``.
Large pages: 15-bit ``cb``/``ib``; the node flags live in the top 3 bits of the node's first
USHORT. Node flags: ``fNDVersion`` 1, ``fNDDeleted`` 2, ``fNDCompressed`` 4.

A node is ``[cbPrefix (if fNDCompressed)] cbSuffix suffix data`` (USHORT counts masked with
0x1fff); its key is ``external_header[:cbPrefix] + suffix``. On a parent page the data is the
child's 4-byte pgno; the last node of a parent page has the "null key" (+infinity).

Verification (``ErrValidatePage`` order): an all-zero page -> ``JET_errPageNotInitialized``;
checksum mismatch -> ``JET_errReadVerifyFailure``; a large page whose stored pgno differs ->
``JET_errReadPgnoVerifyFailure``; header/TAG/node bounds (``ErrCheckPage``) ->
``JET_errDatabaseCorrupted``. Every error names the page number.
"""

from __future__ import annotations

import struct
from typing import NamedTuple

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error
from pyese.storage.edb.checksum import fix_page, is_small_page, page_checksums

# CPAGE page flags (cpage.hxx)
fPageRoot = 0x0001
fPageLeaf = 0x0002
fPageParentOfLeaf = 0x0004
fPageEmpty = 0x0008
fPageRepair = 0x0010
fPageSpaceTree = 0x0020
fPageIndex = 0x0040
fPageLongValue = 0x0080
fPageNonUniqueKeys = 0x0400
fPageNewRecordFormat = 0x0800
fPageNewChecksumFormat = 0x2000
fPageScrubbed = 0x4000
maskFlushType = 0x18000
fPagePreInit = 0x20000

_FLAG_NAMES = (
    (fPageRoot, "Root"), (fPageLeaf, "Leaf"), (fPageParentOfLeaf, "ParentOfLeaf"),
    (fPageEmpty, "Empty"), (fPageRepair, "Repair"), (fPageSpaceTree, "SpaceTree"),
    (fPageIndex, "Index"), (fPageLongValue, "LongValue"),
    (fPageNonUniqueKeys, "NonUniqueKeys"), (fPageNewRecordFormat, "NewRecordFormat"),
    (fPageNewChecksumFormat, "NewChecksumFormat"), (fPageScrubbed, "Scrubbed"),
    (fPagePreInit, "PreInit"),
)

# node flags (node.hxx)
fNDVersion = 0x1
fNDDeleted = 0x2
fNDCompressed = 0x4

CB_PGHDR = 40
CB_PGHDR2 = 80
CB_KEY_COUNT = 2
US_ND_CB_KEY_MASK = 0x1FFF
CB_SPLIT_BUFFER = 16
"""``sizeof(SPLIT_BUFFER)`` (space.hxx): precedes the key prefix on a space-tree root."""

_PGHDR = struct.Struct("<QqIIIHHHHI")
_TAG = struct.Struct("<HH")
_U16 = struct.Struct("<H")
_U32 = struct.Struct("<I")


def page_flag_names(flags: int) -> list[str]:
    """Names of the page flags set in ``flags`` (plus the flush type), for dumps."""
    names = [name for bit, name in _FLAG_NAMES if flags & bit]
    pgft = (flags & maskFlushType) >> 15
    if pgft:
        names.append(f"FlushType{pgft}")
    return names


class Node(NamedTuple):
    """One line of a page: its full key, its data and its node flags."""

    key: bytes
    data: bytes
    flags: int

    @property
    def deleted(self) -> bool:
        """fNDDeleted: deleted but not yet cleaned up; invisible to readers."""
        return bool(self.flags & fNDDeleted)

    @property
    def versioned(self) -> bool:
        """fNDVersion: may have versions in the (long gone) version store."""
        return bool(self.flags & fNDVersion)


_new_tuple = tuple.__new__


def _corrupt(pgno: int, what: str) -> None:
    raise_error(C.JET_errDatabaseCorrupted, f"page {pgno}: {what}")


class Page:
    """A verified, parsed database page. Nodes are decoded on first access."""

    __slots__ = (
        "pgno", "cb", "small", "dbtime", "pgno_prev", "pgno_next", "objid", "cb_free",
        "cb_uncommitted_free", "ib_mic_free", "itag_mic_free", "ctag_reserved", "flags",
        "_buf", "_tags", "_nodes", "_ext", "corrected_bit", "_keys", "checked_bounds",
        "clines", "is_root", "is_leaf", "is_parent_of_leaf", "is_space_tree",
    )

    def __init__(self, buf: bytes, pgno: int, *, verify: bool = True) -> None:
        """Parse ``buf`` (exactly one page) as page ``pgno``.

        Raises ``JET_errPageNotInitialized``, ``JET_errReadVerifyFailure``,
        ``JET_errReadPgnoVerifyFailure`` (when ``verify``) and ``JET_errDatabaseCorrupted``.
        """
        cb = len(buf)
        self.pgno = pgno
        self.cb = cb
        self.small = is_small_page(cb)
        self.corrected_bit: int | None = None
        """The bit offset ECC corrected in memory on reading (None: nothing corrected)."""
        if verify:
            if not any(buf):
                # ESE: cpage.cxx, ErrCheckForUninitializedPage_ / FPageIsInitialized
                raise_error(C.JET_errPageNotInitialized, f"page {pgno} is all zeroes")
            stored, computed = page_checksums(buf, pgno)
            if stored != computed:
                # ESE: checksumu.cxx ChecksumAndPossiblyFixPage: single-bit errors are
                # corrected by the ECC, in this in-memory copy only
                fixed = bytearray(buf)
                ibit = fix_page(fixed, pgno)
                if ibit is not None:
                    stored, computed = page_checksums(bytes(fixed), pgno)
                    if stored == computed:
                        buf = bytes(fixed)
                        self.corrected_bit = ibit
            if stored != computed:
                i = _first_diff(stored, computed)
                raise_error(
                    C.JET_errReadVerifyFailure,
                    f"page {pgno}: checksum mismatch in block {i}:"
                    f" stored {stored[i]:#018x} != computed {computed[i]:#018x}",
                )
            if not self.small:
                (pgno_stored,) = _U32.unpack_from(buf, 64)
                if pgno_stored != pgno:
                    raise_error(
                        C.JET_errReadPgnoVerifyFailure,
                        f"page {pgno}: header says pgno {pgno_stored}",
                    )
        self._buf = buf
        (_, self.dbtime, self.pgno_prev, self.pgno_next, self.objid, self.cb_free,
         self.cb_uncommitted_free, self.ib_mic_free, itag_state, self.flags,
         ) = _PGHDR.unpack_from(buf)
        # CPAGE::InitItagState (Windows 11 24H2+): itagMicFree | ctagReserved << 12
        self.itag_mic_free = itag_state & 0x0FFF
        self.ctag_reserved = max(1, itag_state >> 12)
        # what a tree walk asks of every page it passes, computed once (plain attributes,
        # not properties: a descent reads them several times per page)
        self.clines: int = max(0, self.itag_mic_free - self.ctag_reserved)
        """Number of lines (nodes): ``itagMicFree - ctagReserved``."""
        flags = self.flags
        self.is_root: bool = bool(flags & fPageRoot)
        self.is_leaf: bool = bool(flags & fPageLeaf)
        self.is_parent_of_leaf: bool = bool(flags & fPageParentOfLeaf)
        self.is_space_tree: bool = bool(flags & fPageSpaceTree)
        self._tags: list[tuple[int, int, int]] | None = None
        self._nodes: list[Node] | None = None
        self._keys: list[bytes] | None = None
        self.checked_bounds: tuple[bytes | None, bytes | None] | None = None
        """The (lower, upper) separator bounds a tree walk last checked this page's lines
        against (``btree._check_page_order``): a page is reached under the same bounds
        every time, so the check runs once per page read, not once per descent."""
        self._ext: bytes | None = None
        self._check_header()

    # -- structure -----------------------------------------------------------------------

    @property
    def header_size(self) -> int:
        return CB_PGHDR if self.small else CB_PGHDR2

    def _check_header(self) -> None:
        # ESE: cpage.cxx, ErrCheckPage (basic checks)
        cb_data = self.cb - self.header_size
        if self.cb_free > cb_data:
            _corrupt(self.pgno, f"cbFree {self.cb_free} too large")
        if self.ib_mic_free > cb_data:
            _corrupt(self.pgno, f"ibMicFree {self.ib_mic_free} too large")
        if self.itag_mic_free >= cb_data // 4:
            _corrupt(self.pgno, f"itagMicFree {self.itag_mic_free} too large")
        if self.itag_mic_free == 0 and not self.flags & (fPageEmpty | fPagePreInit):
            _corrupt(self.pgno, "no tags but neither fPageEmpty nor fPagePreInit")
        if self.itag_mic_free and self.itag_mic_free < self.ctag_reserved:
            _corrupt(self.pgno, f"ctagReserved {self.ctag_reserved} > itagMicFree")

    def _load_tags(self) -> list[tuple[int, int, int]]:
        if self._tags is not None:
            return self._tags
        buf = self._buf
        cb_page = self.cb
        hdr = self.header_size
        n = self.itag_mic_free
        data_end = cb_page - 4 * n  # ESE: PbDataEnd_
        mask = 0x1FFF if self.small else 0x7FFF
        small = self.small
        # the TAG array in one unpack: TAG i sits at cb_page - 4 * (i + 1), so the array
        # read upward is TAG n-1 .. TAG 0, each (cb_, ib_)
        raw = struct.unpack_from(f"<{2 * n}H", buf, data_end) if n else ()
        tags = []
        for itag in range(n):
            k = 2 * (n - 1 - itag)
            cb_raw = raw[k]
            ib_raw = raw[k + 1]
            cb = cb_raw & mask
            ib = ib_raw & mask
            start = hdr + ib
            if cb and start + cb > data_end:
                _corrupt(self.pgno, f"TAG {itag} (ib {ib}, cb {cb}) is off the data area")
            if small:
                flags = ib_raw >> 13
            else:
                flags = (_U16.unpack_from(buf, start)[0] >> 13) if cb >= 2 else 0
            tags.append((start, cb, flags))
        self._tags = tags
        return tags

    @property
    def external_header(self) -> bytes:
        """TAG 0: key prefix (non-root pages) or space header (root pages)."""
        if self._ext is None:
            tags = self._load_tags()
            if not tags:
                self._ext = b""
            else:
                start, cb, _ = tags[0]
                self._ext = bytes(self._buf[start : start + cb])
        return self._ext

    @property
    def key_prefix(self) -> bytes:
        """The bytes compressed node keys take their prefix from (node.cxx NDIGetKeydataflags)."""
        if not self.flags & fPageRoot:
            return self.external_header
        if self.flags & fPageSpaceTree:
            return self.external_header[CB_SPLIT_BUFFER:]
        return b""

    def keys(self) -> list[bytes]:
        """Every line's full key, in page order (parsed once per page)."""
        if self._keys is None:
            self._keys = [n.key for n in self.nodes()]
        return self._keys

    def node(self, iline: int) -> Node:
        return self.nodes()[iline]

    def nodes(self) -> list[Node]:
        """Every line, in page order, with its full key (deleted nodes included)."""
        if self._nodes is not None:
            return self._nodes
        tags = self._load_tags()
        buf = self._buf
        prefix_src = self.key_prefix
        nodes = []
        for itag in range(self.ctag_reserved, self.itag_mic_free):
            start, cb, flags = tags[itag]
            end = start + cb
            pos = start
            if flags & fNDCompressed:
                if cb < 2:
                    _corrupt(self.pgno, f"line {itag} too short for its prefix count")
                cb_prefix = _U16.unpack_from(buf, pos)[0] & US_ND_CB_KEY_MASK
                pos += 2
                if cb_prefix > len(prefix_src):
                    _corrupt(self.pgno, f"line {itag} prefix {cb_prefix} > external header")
                prefix = prefix_src[:cb_prefix]
            else:
                prefix = b""
            if pos + CB_KEY_COUNT > end:
                _corrupt(self.pgno, f"line {itag} too short for its key count")
            cb_suffix = _U16.unpack_from(buf, pos)[0] & US_ND_CB_KEY_MASK
            pos += CB_KEY_COUNT
            if pos + cb_suffix > end:
                _corrupt(self.pgno, f"line {itag} key suffix {cb_suffix} overruns the line")
            key = prefix + bytes(buf[pos : pos + cb_suffix])
            # Node(key, data, flags) without NamedTuple's Python-level __new__
            nodes.append(_new_tuple(Node, (key, bytes(buf[pos + cb_suffix : end]), flags)))
        self._nodes = nodes
        return nodes

    # -- flags ---------------------------------------------------------------------------

    @property
    def is_index(self) -> bool:
        return bool(self.flags & fPageIndex)

    @property
    def is_long_value(self) -> bool:
        return bool(self.flags & fPageLongValue)

    @property
    def is_empty(self) -> bool:
        return bool(self.flags & fPageEmpty)

    @property
    def non_unique_keys(self) -> bool:
        return bool(self.flags & fPageNonUniqueKeys)

    def child_pgno(self, iline: int) -> int:
        """The child page of line ``iline`` of a parent page (its 4-byte data)."""
        data = self.nodes()[iline].data
        if len(data) != 4:
            _corrupt(self.pgno, f"parent line {iline} data is {len(data)} bytes, not a pgno")
        return _U32.unpack(data)[0]

    def describe(self) -> dict[str, object]:
        """Header fields for debugging dumps."""
        return {
            "pgno": self.pgno, "objidFDP": self.objid, "dbtime": self.dbtime,
            "pgnoPrev": self.pgno_prev, "pgnoNext": self.pgno_next, "cbFree": self.cb_free,
            "ibMicFree": self.ib_mic_free, "itagMicFree": self.itag_mic_free,
            "ctagReserved": self.ctag_reserved, "clines": self.clines,
            "flags": page_flag_names(self.flags),
        }

    def __repr__(self) -> str:
        return f"<Page {self.pgno} objid={self.objid} {'|'.join(page_flag_names(self.flags))}>"


def _first_diff(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return -1

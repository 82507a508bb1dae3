"""Walking one B-tree of a genuine ESE file: descent, seeks, and stepping in key order.

ESE: ``dev/ese/src/ese/node.cxx`` (``IlineNDISeekGEQInternal``, ``ErrNDISeekInternalPage``,
``IlineNDISeekGEQ``), ``dev/ese/src/ese/bt.cxx`` (``ErrBTNext``/``ErrBTPrev``), ``cpage.hxx``.

Invariants the walk relies on (and checks, so hostile files cannot loop or overrun):

- A parent page's line ``i`` holds a separator key ``sep_i`` and a child pgno. Child ``i``
  holds keys in ``[sep_{i-1}, sep_i)``; the last line's key is the null key (+infinity).
  Seeking key ``k`` descends to the first line with ``sep_i > k`` (``ErrNDISeekInternalPage``
  steps past an equal separator), found by binary search: a seek reads one page per level.
- Keys compare bytewise (``memcmp`` then length). On pages of non-unique trees
  (``fPageNonUniqueKeys``, secondary indexes) nodes with equal keys are ordered by their data
  (the primary bookmark), and separators compare against ``key + data``.
- Every page entered belongs to the tree (``objidFDP``), is not a space-tree page, has the
  level ESE says (the children of a ``fPageParentOfLeaf`` page are leaves), has its lines in
  order and within the bounds its parent gives it. A page already on the path is a cycle.
  The path is at most ``MAX_DEPTH`` pages deep. These make the traversal finite without any
  memory that grows with the file.
- Moving between leaves follows the path (parent, next child), not raw sibling links; in
  strict mode the sibling links are then checked against the path
  (``JET_errBadPageLink`` on a mismatch).
- Deleted nodes (``fNDDeleted``) are invisible, unless the file shows them
  (``EdbFile.include_deleted``: a pyese forensic extension; ``current_node.deleted`` then
  marks them); versioned nodes are returned as they are.

In tolerant mode a page that fails verification is skipped (reported through the file's
``skipped_pages``) and the walk continues with the next subtree; nothing is raised for it.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from typing import Protocol

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb.page import Node, Page, fNDDeleted, fPageLeaf

MAX_DEPTH = 32
"""Deepest path accepted (ESE trees of a few GB are 4-5 levels deep)."""


class PageSource(Protocol):
    """What a tree walk needs from the file."""

    tolerant: bool
    page_count: int
    include_deleted: bool

    def read_page(self, pgno: int, *, verify: bool = True) -> Page: ...

    def note_skipped(self, pgno: int, err: JetError) -> None: ...


def _corrupt(what: str) -> None:
    raise_error(C.JET_errDatabaseCorrupted, what)


class _Frame:
    __slots__ = ("page", "idx", "lo", "hi", "cmp_keys", "pgno_fdp")

    def __init__(self, page: Page, idx: int, lo: bytes | None, hi: bytes | None) -> None:
        self.page = page
        self.idx = idx
        self.lo = lo
        self.hi = hi
        self.cmp_keys: list[bytes] = _compare_keys(page)
        self.pgno_fdp = 0
        """On a kept path's leaf (``leaf_hints``): the root it was reached from."""

    def copy(self) -> _Frame:
        f = _Frame.__new__(_Frame)
        f.page, f.idx, f.lo, f.hi, f.cmp_keys = self.page, self.idx, self.lo, self.hi, self.cmp_keys
        f.pgno_fdp = self.pgno_fdp
        return f


def _compare_keys(page: Page) -> list[bytes]:
    """Per line, the key compared with separators and seek keys."""
    return page.keys()


def _check_once(page: Page, keys: list[bytes], lo: bytes | None, hi: bytes | None) -> None:
    """:func:`_check_page_order`, skipped when the page passed it under the same bounds."""
    bounds = (lo, hi)
    if page.checked_bounds != bounds:
        _check_page_order(page, keys, lo, hi)
        page.checked_bounds = bounds


def _check_page_order(page: Page, keys: list[bytes], lo: bytes | None, hi: bytes | None) -> None:
    """Lines in order and inside the parent's bounds (ESE: cpage.cxx CheckLinesInOrder).

    Leaves of non-unique trees are ordered by (key, data) and their separators compare with
    ``key + data``: only their order is checked, not their bounds.
    """
    if page.is_leaf and page.non_unique_keys:
        nodes = page.nodes()
        for na, nb in zip(nodes, nodes[1:]):
            if (na.key, na.data) >= (nb.key, nb.data):
                _corrupt(f"page {page.pgno}: nodes out of order")
        return
    checked = keys if page.is_leaf else keys[:-1]  # a parent's last key is the null key
    for a, b in zip(checked, checked[1:]):
        if a >= b:
            _corrupt(f"page {page.pgno}: keys out of order")
    if checked:
        if lo is not None and checked[0] < lo:
            _corrupt(f"page {page.pgno}: first key below its parent's separator")
        if hi is not None and checked[-1] >= hi:
            _corrupt(f"page {page.pgno}: last key not below its parent's separator")


class EdbTreeCursor:
    """A :class:`pyese.storage.trees.TreeCursor` over one tree of a genuine ESE file."""

    def __init__(self, src: PageSource, objid: int, pgno_fdp: int, *,
                 include_deleted: bool | None = None) -> None:
        """A cursor on tree ``objid``. ``include_deleted`` (default: the file's
        ``include_deleted``, never for the catalog's own trees, objid <= 5) shows
        flag-deleted nodes."""
        self._src = src
        self.objid = objid
        self.pgno_fdp = pgno_fdp
        self._stack: list[_Frame] = []
        self._current: Node | None = None
        if include_deleted is None:
            include_deleted = bool(getattr(src, "include_deleted", False)) and objid > 5
        self._show_deleted = include_deleted

    # -- page loading ------------------------------------------------------------------

    def _root(self) -> _Frame | None:
        src = self._src
        try:
            if not 1 <= self.pgno_fdp <= src.page_count:
                _corrupt(f"tree {self.objid}: pgnoFDP {self.pgno_fdp} is beyond the file")
            page = src.read_page(self.pgno_fdp)
            if page.objid != self.objid or not page.is_root or page.is_space_tree:
                _corrupt(
                    f"page {page.pgno} is not the root of tree {self.objid}"
                    f" (objidFDP {page.objid}, flags 0x{page.flags:x})"
                )
            if not page.is_leaf and page.clines == 0:
                _corrupt(f"page {page.pgno}: parent page without lines")
            frame = _Frame(page, 0, None, None)
            _check_once(page, frame.cmp_keys, None, None)
            return frame
        except JetError as err:
            if not src.tolerant:
                raise
            src.note_skipped(self.pgno_fdp, err)
            return None

    def _child(self, parent: _Frame, i: int) -> _Frame | None:
        """Load child ``i`` of ``parent`` and check it; None if skipped (tolerant mode)."""
        src = self._src
        pgno = 0
        try:
            ppage = parent.page
            pgno = ppage.child_pgno(i)
            if not 1 <= pgno <= src.page_count:
                _corrupt(f"page {ppage.pgno}: child pgno {pgno} is beyond the file")
            if pgno == ppage.pgno:
                _corrupt(f"page {ppage.pgno}: child pgno {pgno} makes a cycle")
            for f in self._stack:
                if f.page.pgno == pgno:
                    _corrupt(f"page {ppage.pgno}: child pgno {pgno} makes a cycle")
            if len(self._stack) >= MAX_DEPTH:
                _corrupt(f"tree {self.objid} deeper than {MAX_DEPTH} levels")
            page = src.read_page(pgno)
            if page.objid != self.objid:
                _corrupt(f"page {pgno} (objidFDP {page.objid}) is a child in tree {self.objid}")
            if page.is_root or page.is_space_tree or page.flags & 0x8:
                _corrupt(f"page {pgno}: flags 0x{page.flags:x} not allowed below a parent")
            if ppage.is_parent_of_leaf != page.is_leaf:
                _corrupt(f"page {pgno}: level does not match its parent {ppage.pgno}")
            if not page.is_leaf and page.clines == 0:
                _corrupt(f"page {pgno}: parent page without lines")
            n = ppage.clines
            lo = parent.cmp_keys[i - 1] if i > 0 else parent.lo
            hi = parent.cmp_keys[i] if i < n - 1 else parent.hi
            frame = _Frame(page, 0, lo, hi)
            _check_once(page, frame.cmp_keys, lo, hi)
            return frame
        except JetError as err:
            if not src.tolerant:
                raise
            src.note_skipped(pgno, err)
            return None

    # -- positioning -------------------------------------------------------------------

    def _settle(self, direction: int) -> Node | None:
        """From the stack's position, move in ``direction`` to the nearest visible node."""
        stack = self._stack
        budget = self._src.page_count + 2 * MAX_DEPTH
        left_leaf: Page | None = None
        while stack:
            top = stack[-1]
            page = top.page
            n = page.clines
            if not 0 <= top.idx < n:
                if len(stack) == 1:
                    break
                popped = stack.pop()
                if popped.page.is_leaf:
                    left_leaf = popped.page
                stack[-1].idx += direction
                continue
            if page.is_leaf:
                node = page.nodes()[top.idx]
                if node.deleted and not self._show_deleted:
                    top.idx += direction
                    continue
                self._current = node
                return node
            budget -= 1
            if budget < 0:
                _corrupt(f"tree {self.objid}: walk visits more pages than the file has")
            child = self._child(top, top.idx)
            if child is None:
                top.idx += direction
                continue
            if direction < 0:
                child.idx = child.page.clines - 1
            if child.page.is_leaf and left_leaf is not None and not self._src.tolerant:
                self._check_siblings(left_leaf, child.page, direction)
            stack.append(child)
        self._stack = []
        self._current = None
        return None

    @staticmethod
    def _check_siblings(left: Page, new: Page, direction: int) -> None:
        before, after = (left, new) if direction > 0 else (new, left)
        if before.pgno_next != after.pgno or after.pgno_prev != before.pgno:
            raise_error(
                C.JET_errBadPageLink,
                f"leaf pages {before.pgno} -> {after.pgno}: sibling links"
                f" {before.pgno}.next={before.pgno_next}, {after.pgno}.prev={after.pgno_prev}",
            )

    def _start(self) -> _Frame | None:
        self._stack = []
        self._current = None
        root = self._root()
        if root is not None:
            self._stack = [root]
        return root

    def first(self) -> tuple[bytes, bytes] | None:
        if self._start() is None:
            return None
        return _kd(self._settle(+1))

    def last(self) -> tuple[bytes, bytes] | None:
        root = self._start()
        if root is None:
            return None
        root.idx = root.page.clines - 1
        return _kd(self._settle(-1))

    def _seek(self, key: bytes) -> Node | None:
        """Position on the first visible node with node.key >= key.

        The path of the tree's last descent is kept (the file's ``leaf_hints``): when
        ``key`` lies within that leaf's bounds, the descent would reach the same leaf, so
        the path is reused and only the leaf is searched (a scan of records by bookmark
        then costs one binary search per record, not one descent).
        """
        hints = getattr(self._src, "leaf_hints", None)
        if hints is not None:
            path = hints.get(self.objid)
            if path is not None and path[-1].pgno_fdp == self.pgno_fdp:
                leaf = path[-1]
                if (leaf.lo is None or leaf.lo <= key) and (leaf.hi is None or key < leaf.hi):
                    self._current = None
                    self._stack = stack = [f.copy() for f in path]
                    stack[-1].idx = bisect_left(stack[-1].cmp_keys, key)
                    return self._settle(+1)
        frame = self._start()
        while frame is not None:
            page = frame.page
            if page.is_leaf:
                frame.idx = bisect_left(frame.cmp_keys, key)
                if hints is not None:
                    path = [f.copy() for f in self._stack]
                    path[-1].pgno_fdp = self.pgno_fdp
                    hints[self.objid] = path
                break
            n = page.clines
            # first separator > key among lines 0..n-2 (ESE: IlineNDISeekGEQInternal + 1 on ==)
            lo_i = bisect_right(frame.cmp_keys, key, 0, n - 1)
            frame.idx = lo_i
            child = self._child(frame, lo_i)
            if child is None:
                frame.idx = lo_i + 1
                break
            self._stack.append(child)
            frame = child
        if not self._stack:
            return None
        return self._settle(+1)

    def seek_ge(self, key: bytes) -> tuple[bytes, bytes] | None:
        """First node with node.key >= key."""
        return _kd(self._seek(key))

    def seek_ge_kd(self, key: bytes, data: bytes) -> tuple[bytes, bytes] | None:
        """First node with (node.key, node.data) >= (key, data): a position among equal keys
        of a non-unique tree (ESE: a seek by bookmark, ``BTISeek`` with key and data).

        Parent pages are searched with ``key + data`` (separators of non-unique trees compare
        against the concatenation: ``CmpKeyWithKeyData``), the leaf by (key, data). The
        result is checked against its neighbour; should a hostile or unusual tree put the
        descent on the wrong leaf, the seek falls back to ``seek_ge(key)`` and steps.
        """
        target = (key, data)
        frame = self._start()
        while frame is not None:
            page = frame.page
            if page.is_leaf:
                nodes = page.nodes()
                lo_i, hi_i = 0, len(nodes)
                while lo_i < hi_i:
                    mid = (lo_i + hi_i) // 2
                    if (nodes[mid].key, nodes[mid].data) < target:
                        lo_i = mid + 1
                    else:
                        hi_i = mid
                frame.idx = lo_i
                break
            lo_i = bisect_right(frame.cmp_keys, key + data, 0, page.clines - 1)
            frame.idx = lo_i
            child = self._child(frame, lo_i)
            if child is None:
                frame.idx = lo_i + 1
                break
            self._stack.append(child)
            frame = child
        node = self._settle(+1) if self._stack else None
        if node is not None and (node.key, node.data) < target:
            return self._seek_kd_linear(key, data)
        saved = [f.copy() for f in self._stack]
        before = self.prev() if node is not None else self.last()
        if before is not None and before >= target:
            return self._seek_kd_linear(key, data)
        self._stack = saved
        self._current = node
        return _kd(node)

    def _seek_kd_linear(self, key: bytes, data: bytes) -> tuple[bytes, bytes] | None:
        kd = self.seek_ge(key)
        while kd is not None and kd < (key, data):
            kd = self.next()
        return kd

    def seek_le(self, key: bytes) -> tuple[bytes, bytes] | None:
        """Last node with node.key <= key."""
        node = self._seek(key)
        if node is None:
            return self.last()
        if node.key != key:
            return self.prev()
        # equal keys repeat only in non-unique trees: take the last of them
        while True:
            saved = [f.copy() for f in self._stack]
            nxt = self.next()
            if nxt is None or nxt[0] != key:
                self._stack = saved
                self._current = node
                return _kd(node)
            node = self._current  # type: ignore[assignment]

    def next(self) -> tuple[bytes, bytes] | None:
        if self._current is None or not self._stack:
            return None
        before = self._current
        top = self._stack[-1]
        page = top.page
        if page.flags & fPageLeaf:
            # within the leaf: its lines were checked in order when it was entered (as
            # scan takes them); only a page boundary goes through the path and its checks
            nodes = page._nodes
            if nodes is None:
                nodes = page.nodes()
            j = top.idx + 1
            n = len(nodes)
            show = self._show_deleted
            while j < n:
                nd = nodes[j]
                if nd.flags & fNDDeleted and not show:
                    j += 1
                    continue
                top.idx = j
                self._current = nd
                return nd.key, nd.data
        self._stack[-1].idx += 1
        node = self._settle(+1)
        if node is not None and (node.key, node.data) <= (before.key, before.data):
            if not self._src.tolerant:
                _corrupt(f"tree {self.objid}: keys do not increase across leaves")
        return _kd(node)

    def prev(self) -> tuple[bytes, bytes] | None:
        if self._current is None or not self._stack:
            return None
        before = self._current
        self._stack[-1].idx -= 1
        node = self._settle(-1)
        if node is not None and (node.key, node.data) >= (before.key, before.data):
            if not self._src.tolerant:
                _corrupt(f"tree {self.objid}: keys do not decrease across leaves")
        return _kd(node)

    def scan(self, start: bytes = b"", stop: bytes | None = None
             ) -> Iterator[tuple[bytes, bytes]]:
        """(key, data) of the visible nodes with start <= key < stop, in key order: what
        ``seek_ge`` then ``next`` until ``stop`` give, a leaf page at a time.

        Within a leaf the nodes are taken straight from the page's line array (its order
        was checked when the page was entered); only at a page boundary does the walk go
        through the path, with the same checks as :meth:`next` (sibling links, keys
        increasing across leaves). The cursor stays on the last node yielded.
        """
        node = self._seek(start)
        show = self._show_deleted
        while node is not None:
            top = self._stack[-1]
            nodes = top.page.nodes()
            i = top.idx
            last = node
            for j in range(i, len(nodes)):
                nd = nodes[j]
                if nd.flags & fNDDeleted and not show:
                    continue
                if stop is not None and nd.key >= stop:
                    top.idx = j
                    self._current = nd
                    return
                top.idx = j
                self._current = last = nd
                yield nd.key, nd.data
            top.idx = len(nodes)
            node = self._settle(+1)
            if node is not None and (node.key, node.data) <= (last.key, last.data):
                if not self._src.tolerant:
                    _corrupt(f"tree {self.objid}: keys do not increase across leaves")

    @property
    def current_node(self) -> Node | None:
        """The current node with its flags (``versioned`` etc.), for debugging."""
        return self._current

    @property
    def current_pgno(self) -> int | None:
        """The leaf page the cursor is on."""
        return self._stack[-1].page.pgno if self._current is not None and self._stack else None


def _kd(node: Node | None) -> tuple[bytes, bytes] | None:
    return None if node is None else (node.key, node.data)


def iterate_range(
    cursor: EdbTreeCursor, start: bytes = b"", stop: bytes | None = None
) -> Iterator[tuple[bytes, bytes]]:
    """Nodes with start <= key < stop, in key order (:meth:`EdbTreeCursor.scan`)."""
    return cursor.scan(start, stop)


def walk_pages(src: PageSource, objid: int, pgno_fdp: int) -> Iterator[Page]:
    """Every page of a tree (parents before their children, left to right), bounded depth."""
    cursor = EdbTreeCursor(src, objid, pgno_fdp)
    root = cursor._start()
    if root is None:
        return
    yield root.page
    budget = src.page_count + 1
    stack = cursor._stack
    while stack:
        top = stack[-1]
        if top.page.is_leaf or top.idx >= top.page.clines:
            stack.pop()
            if stack:
                stack[-1].idx += 1
            continue
        budget -= 1
        if budget < 0:
            _corrupt(f"tree {objid}: more pages than the file has")
        child = cursor._child(top, top.idx)
        if child is None:
            top.idx += 1
            continue
        yield child.page
        stack.append(child)

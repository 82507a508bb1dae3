"""B-tree walks, seeks and the TreeSnapshot contract over genuine Windows databases."""

from __future__ import annotations

from pathlib import Path

import pytest

from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError
from pyese.storage.edb import SYSTEM_TREES, EdbFile

SAMPLES = ("basic", "binary", "default", "index", "multi", "text")


def _map_all(edb: EdbFile, trees: dict) -> None:
    for objid, info in trees.items():
        edb.map_tree(int(objid), info["pgno_fdp"])


def test_system_trees_known_without_catalog() -> None:
    # ESE: cat.cxx objidFDPMSO = 2, objidFDPMSOShadow = 3; cat.hxx pgnoFDPMSO = 4,
    # pgnoFDPMSOShadow = 24, name index 4 @ 7, root-object index 5 @ 10
    assert SYSTEM_TREES == {2: 4, 3: 24, 4: 7, 5: 10}


@pytest.mark.parametrize("name", SAMPLES)
def test_tree_node_counts_and_edges(edb_dir: Path, expected: dict, name: str) -> None:
    exp = expected["samples"][name]["trees"]
    with EdbFile.open(edb_dir / f"{name}.edb") as edb:
        _map_all(edb, exp)
        snap = edb.snapshot()
        for objid, info in exp.items():
            nodes = list(snap.iterate(int(objid)))
            assert len(nodes) == info["nodes"], objid
            keys = [k for k, _ in nodes]
            assert keys == sorted(keys)
            if nodes:
                assert keys[0].hex() == info["first_key"]
                assert keys[-1].hex() == info["last_key"]
        # the shadow catalog mirrors the catalog
        assert list(snap.iterate(2)) == list(snap.iterate(3))


@pytest.mark.parametrize("name", SAMPLES)
def test_raw_nodes_match_dissect(edb_dir: Path, expected: dict, name: str) -> None:
    esedb = pytest.importorskip("dissect.esedb")
    path = edb_dir / f"{name}.edb"
    with open(path, "rb") as fh, EdbFile.open(path) as edb:
        db = esedb.EseDB(fh)
        _map_all(edb, expected["samples"][name]["trees"])
        for objid, info in expected["samples"][name]["trees"].items():
            theirs = [
                (bytes(n.key), bytes(n.data))
                for n in db.page(info["pgno_fdp"]).iter_leaf_nodes()
            ]
            ours = [(n.key, n.data) for n in edb.leaf_nodes(int(objid), include_deleted=True)]
            assert ours == theirs, (name, objid)


def test_cursor_navigation_on_catalog(edb_dir: Path) -> None:
    with EdbFile.open(edb_dir / "index.edb") as edb:
        snap = edb.snapshot()
        allnodes = list(snap.iterate(2))  # two leaves under a parent page
        cur = snap.cursor(2)
        assert cur.first() == allnodes[0]
        assert cur.prev() is None and cur.next() is None  # unpositioned after None
        assert cur.last() == allnodes[-1]
        back = [cur.last()]
        while (kd := cur.prev()) is not None:
            back.append(kd)
        assert back[::-1] == allnodes
        for i, (key, data) in enumerate(allnodes):
            assert cur.seek_ge(key) == (key, data)
            assert cur.seek_le(key) == (key, data)
            assert snap.get(2, key) == data
            # a key just above this one: seek_ge -> the next node, seek_le -> this one
            above = key + b"\x00"
            assert cur.seek_ge(above) == (allnodes[i + 1] if i + 1 < len(allnodes) else None)
            assert cur.seek_le(above) == (key, data)
            if i + 1 < len(allnodes):
                assert cur.next() == allnodes[i + 1]
        assert cur.seek_ge(b"") == allnodes[0]
        assert cur.seek_le(b"") is None
        assert cur.seek_ge(b"\xff" * 10) is None
        assert cur.seek_le(b"\xff" * 10) == allnodes[-1]
        assert snap.get(2, b"\x00nope") is None
        mid = allnodes[40][0]
        stop = allnodes[60][0]
        assert list(snap.iterate(2, mid, stop)) == allnodes[40:60]


def test_seeks_on_secondary_index_trees(edb_dir: Path, expected: dict) -> None:
    trees = expected["samples"]["index"]["trees"]
    with EdbFile.open(edb_dir / "index.edb") as edb:
        _map_all(edb, trees)
        snap = edb.snapshot()
        n_index = 0
        for objid in trees:
            root = edb.read_page(trees[objid]["pgno_fdp"])
            if not root.is_index:
                continue
            n_index += 1
            nodes = list(snap.iterate(int(objid)))
            cur = snap.cursor(int(objid))
            for key, _data in nodes:
                kd = cur.seek_ge(key)
                assert kd is not None and kd[0] == key
                kd = cur.seek_le(key)
                assert kd is not None and kd[0] == key
        assert n_index >= 19  # 19 user indexes plus MSysObjects' two


def test_seek_uses_one_page_per_level(edb_dir: Path) -> None:
    reads: list[int] = []
    with EdbFile.open(edb_dir / "index.edb", cache_pages=8) as edb:
        orig = edb.read_page

        def spy(pgno: int, *, verify: bool = True):
            reads.append(pgno)
            return orig(pgno, verify=verify)

        root = edb.read_page(4)
        right_leaf = root.child_pgno(root.clines - 1)
        edb.read_page = spy  # type: ignore[method-assign]
        last_key = list(edb.snapshot().iterate(2))[-1][0]
        reads.clear()
        edb.snapshot().cursor(2).seek_ge(last_key)
        assert reads == [4, right_leaf]  # root, then the right leaf only


def test_unmapped_tree_is_object_not_found(edb_dir: Path) -> None:
    with EdbFile.open(edb_dir / "basic.edb") as edb:
        with pytest.raises(JetError) as ei:
            edb.snapshot().cursor(999)
        assert ei.value.err == C.JET_errObjectNotFound


def test_wrong_root_is_corruption(edb_dir: Path) -> None:
    with EdbFile.open(edb_dir / "basic.edb") as edb:
        edb.map_tree(42, 13)  # a leaf of MSysObjects, not a root of tree 42
        with pytest.raises(JetError) as ei:
            edb.snapshot().cursor(42).first()
        assert ei.value.err == C.JET_errDatabaseCorrupted


def test_broken_sibling_link_is_bad_page_link(edb_dir: Path, tmp_path: Path) -> None:
    from pyese.storage.edb.checksum import checksum_new_format

    raw = bytearray((edb_dir / "basic.edb").read_bytes())
    pgno = 13
    off = (pgno + 1) * 4096
    raw[off + 20 : off + 24] = (99).to_bytes(4, "little")  # pgnoNext 14 -> 99
    ck = checksum_new_format(bytes(raw[off : off + 4096]), pgno)
    raw[off : off + 8] = ck.to_bytes(8, "little")
    p = tmp_path / "link.edb"
    p.write_bytes(raw)
    with EdbFile.open(p) as edb:
        with pytest.raises(JetError) as ei:
            list(edb.snapshot().iterate(2))
        assert ei.value.err == C.JET_errBadPageLink
    with EdbFile.open(p, tolerant=True) as edb:
        assert len(list(edb.snapshot().iterate(2))) == 87


def test_open_never_writes(edb_dir: Path, tmp_path: Path) -> None:
    p = tmp_path / "ro.edb"
    p.write_bytes((edb_dir / "text.edb").read_bytes())
    p.chmod(0o444)
    before = (p.read_bytes(), sorted(tmp_path.iterdir()))
    with EdbFile.open(p) as edb:
        list(edb.snapshot().iterate(2))
    assert (p.read_bytes(), sorted(tmp_path.iterdir())) == before

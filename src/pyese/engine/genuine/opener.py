"""One opener, one verdict: how a genuine file's catalog is judged, for the CLI and the JET API.

``JetAttachDatabase`` (``engine.instance.database``) and every ``pyese`` command
(``cli_forensic.open_database``) open a genuine file with ``EdbFile.open`` and then
:func:`load_catalog`, so the same broken file gives the same error code whichever way it is
read: an unreadable catalog fails the file; damage anywhere else fails only the table that
reads it.
"""

from __future__ import annotations

from typing import Any

from pyese.engine.schema.catalog import Catalog
from pyese.jethdr import constants as C
from pyese.jethdr.errors import JetError, raise_error
from pyese.storage.edb import EdbFile

CATALOG_UNREADABLE = "the catalog (MSysObjects) is unreadable"


def load_catalog(edb: EdbFile, snapshot: Any) -> Any:
    """The catalog of a genuine file: the one verdict the CLI and the JET API share.

    Strict mode raises what reading ``MSysObjects`` raises, the detail saying it is the
    catalog that is unreadable (the code is ESE's: ``JET_errReadVerifyFailure``,
    ``JET_errDatabaseCorrupted`` ...). Damage elsewhere (a table's tree, a truncated tail,
    a file that is not a whole number of pages) is not looked at here: it fails the table
    that reads it, and only that table.

    Tolerant mode: pages of the catalog that fail verification are skipped; the catalog's
    ``lost_pages`` lists them (its tables may be incomplete). When no user table survives,
    ``JET_errDatabaseCorrupted`` says the catalog is unreadable rather than letting every
    table lookup fail with "no table".
    """
    before = len(edb.skipped_pages)
    try:
        catalog = Catalog.load(snapshot, edb.page_size)
    except JetError as err:
        raise_error(err.err, f"{CATALOG_UNREADABLE}: {err.detail or err}")
        raise AssertionError from err  # pragma: no cover
    lost = edb.skipped_pages[before:]
    if lost:
        catalog.lost_pages = list(lost)
        if all(t.objid <= 7 or t.name.startswith("MSys") for t in catalog):
            pages = ", ".join(str(sp.pgno) for sp in lost)
            raise_error(C.JET_errDatabaseCorrupted,
                        f"{CATALOG_UNREADABLE}: pages {pages} failed verification and no "
                        "table could be recovered from it")
    return catalog

"""The function tables a temporary table's cursor moves through (ESE ``sortapi.cxx``):
their names, and the error of a call a table lacks (``jetapi.cxx`` ErrIllegal*)."""

from __future__ import annotations

from typing import NoReturn

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

SORT_INS, SORT_RET, BASE = "TTSortIns", "TTSortRet", "TTBase"
"""vtfndefTTSortIns (a sort being filled), vtfndefTTSortRet (a sorted sort),
vtfndefTTBase (a materialized table)."""


def illegal(what: str = "") -> NoReturn:
    """ESE's ErrIllegal*: the operation is not in this cursor's function table."""
    raise_error(C.JET_errIllegalOperation, what or "not allowed on this temporary table")

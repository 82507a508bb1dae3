"""Argument checks shared by the JET functions: ESE's errors for wrong types and ranges."""

from __future__ import annotations

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def grbit(value: object) -> int:
    """A grbit as an unsigned 32-bit int; ``JET_errInvalidGrbit`` if it is not one."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidGrbit, f"grbit must be an int, not {type(value).__name__}")
    if value < 0:
        value &= 0xFFFFFFFF
    if value > 0xFFFFFFFF:
        raise_error(C.JET_errInvalidGrbit, "grbit wider than 32 bits")
    return value


def integer(value: object, name: str) -> int:
    """An integer argument; ``JET_errInvalidParameter`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidParameter, f"{name} must be an int")
    return value


def optional_str(value: object, name: str) -> str | None:
    """A string or None; ``JET_errInvalidParameter`` otherwise."""
    if value is None or isinstance(value, str):
        return value
    raise_error(C.JET_errInvalidParameter, f"{name} must be a str or None")

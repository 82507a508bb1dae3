"""Argument checks shared by the JET functions: ESE's errors for wrong types and ranges."""

from __future__ import annotations

from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error


def grbit(value: object) -> int:
    """A grbit as an unsigned 32-bit int; ``JET_errInvalidGrbit`` if it is not one."""
    if value.__class__ is int and 0 <= value <= 0xFFFFFFFF:  # type: ignore[operator]
        return value  # type: ignore[return-value]  # the common case, one test
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidGrbit, f"grbit must be an int, not {type(value).__name__}")
    if value < 0:
        value &= 0xFFFFFFFF
    if value > 0xFFFFFFFF:
        raise_error(C.JET_errInvalidGrbit, "grbit wider than 32 bits")
    return value


def integer(value: object, name: str) -> int:
    """An integer argument; ``JET_errInvalidParameter`` otherwise."""
    if value.__class__ is int:
        return value  # type: ignore[return-value]  # the common case, one test
    if isinstance(value, bool) or not isinstance(value, int):
        raise_error(C.JET_errInvalidParameter, f"{name} must be an int")
    return value


def optional_str(value: object, name: str) -> str | None:
    """A string or None; ``JET_errInvalidParameter`` otherwise."""
    if value is None or isinstance(value, str):
        return value
    raise_error(C.JET_errInvalidParameter, f"{name} must be a str or None")


def struct(value: object, cls: type | tuple[type, ...], name: str) -> Any:
    """An ESE structure argument; ``JET_errInvalidParameter`` for anything else."""
    if not isinstance(value, cls):
        raise_error(C.JET_errInvalidParameter, f"{name} must be a {_names(cls)}")
    return value


def struct_list(value: object, cls: type | tuple[type, ...], name: str) -> list[Any]:
    """A list (or tuple) of ESE structures; ``JET_errInvalidParameter`` otherwise."""
    if not isinstance(value, list | tuple) or not all(isinstance(v, cls) for v in value):
        raise_error(C.JET_errInvalidParameter, f"{name} must be a list of {_names(cls)}")
    return list(value)  # type: ignore[arg-type]


def data(value: object, name: str = "pvData") -> bytes | None:
    """Column data: bytes-like or None; ``JET_errInvalidParameter`` otherwise."""
    if value.__class__ is bytes:
        return value  # type: ignore[return-value]  # the common case: no copy
    if value is None:
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise_error(C.JET_errInvalidParameter, f"{name} must be bytes or None")
    return None  # pragma: no cover


def _names(cls: type | tuple[type, ...]) -> str:
    if isinstance(cls, tuple):
        return " or ".join(c.__name__ for c in cls)
    return cls.__name__

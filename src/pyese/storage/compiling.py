"""What a compiled build must be told about pyese's classes (docs/compiled.md).

The modules listed in ``mypyc-modules.txt`` may be compiled with mypyc. mypyc turns a class
of a compiled module into a C extension type ("native class"): fixed attributes, single
inheritance, no weak references, and no subclasses written in Python unless the class says
so with ``@mypyc_attr(allow_interpreted_subclasses=True)`` (mypyc's docs, "Native classes").

``mypyc_attr`` is mypy_extensions' decorator, which mypyc reads from the source; it does
nothing at run time. mypy_extensions comes with mypy (so with every compiled build); a
pure-Python install need not have it, and then gets the same do-nothing decorator from here.
This module itself is never compiled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

try:
    from mypy_extensions import mypyc_attr
except ImportError:  # a pure-Python install without mypy: the decorator does nothing

    def mypyc_attr(*attrs: str, **kwattrs: Any) -> Callable[[T], T]:  # type: ignore[misc]
        """mypy_extensions.mypyc_attr's stand-in: returns its argument unchanged."""
        return lambda obj: obj


__all__ = ["mypyc_attr"]

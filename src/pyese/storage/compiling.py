"""What a compiled build must be told about pyese's classes (docs/compiled.md).

The modules listed in ``mypyc-modules.txt`` may be compiled with mypyc. mypyc turns a class
of a compiled module into a C extension type ("native class": fixed attributes, single
inheritance, no weak references, no subclasses written in Python) unless the class carries
a decorator mypyc does not know: then it stays a regular Python class whose methods are
still compiled (mypyc's docs, "Native classes"). ``python_class`` is such a decorator and
does nothing when run as Python: it marks the classes of compiled modules that need
Python's class semantics, e.g. one that Python code subclasses.
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T", bound=type)


def python_class(cls: T) -> T:
    """Keep ``cls`` a regular Python class in a compiled build (no effect otherwise)."""
    return cls

"""Persisted callback names (``"module!function"``) and the callables they name.

ESE stores a callback by name in the catalog (a user-defined default's ``szCallback``) and
resolves it with ``callback.cxx`` ErrCALLBACKResolve, which loads the function from a DLL.
pyese looks the name ``"package.module!function"`` up among the modules the application
has already imported (``sys.modules``): it never imports a module because a database file
names it, so opening a database cannot make the engine run code nobody chose to load.

Lock: ``_lock`` guards the cache of resolved names.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any

from pyese.jethdr import constants as C
from pyese.jethdr.errors import raise_error

_lock = threading.Lock()
_resolved: dict[str, Callable[..., Any]] = {}


def resolve_persisted(name: str) -> Callable[..., Any]:
    """The callable a persisted callback name designates (ESE callback.cxx
    ErrCALLBACKResolve loads "module!function" from a DLL; pyese takes the function from
    the already imported module). JET_errCallbackNotResolved when the name is malformed,
    the module is not imported or has no such callable."""
    fn = _resolved.get(name)
    if fn is not None:
        return fn
    module_name, sep, attr = name.partition("!")
    found: Any = None
    if sep and module_name and attr:
        module = sys.modules.get(module_name)
        found = getattr(module, attr, None) if module is not None else None
    if not callable(found):
        raise_error(C.JET_errCallbackNotResolved, name)
    with _lock:
        _resolved[name] = found
    return found  # type: ignore[no-any-return]


__all__ = ["resolve_persisted"]

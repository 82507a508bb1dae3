"""Compatibility alias: ``pyese.engine.logservice`` moved to
:mod:`pyese.engine.instance.logservice` when ``engine/`` was split by concept (issue 18).
Importing this name gives that very module object, so setting an attribute through it
(``logservice.TEST_FAULTS = ...``, as older scripts do) sets it on the real module."""

import sys

from pyese.engine.instance import logservice as _logservice

sys.modules[__name__] = _logservice

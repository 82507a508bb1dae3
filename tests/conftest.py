"""Shared fixtures: every test starts from a fresh process-wide ESE state."""

from __future__ import annotations

import pytest

from pyese.engine.instance.instance import SYSTEM, InstanceServices


@pytest.fixture(autouse=True)
def fresh_ese_state(tmp_path, monkeypatch):
    """Forget every instance and session before and after each test (ESE's globals).

    Each test also runs in its own empty working directory: ESE's default system and log
    paths are the current directory, so an instance initialised with defaults writes its
    ``edb.chk`` and ``edb.log`` there, never into the checkout.
    """
    monkeypatch.chdir(tmp_path)
    SYSTEM.reset_for_tests()
    hooks = (list(InstanceServices.on_start), list(InstanceServices.on_stop))
    yield
    SYSTEM.reset_for_tests()
    InstanceServices.on_start[:] = hooks[0]
    InstanceServices.on_stop[:] = hooks[1]

"""Fixtures of the backup tests."""

from __future__ import annotations

import pytest

from pyese.engine.instance import logservice


@pytest.fixture(autouse=True)
def no_test_faults():
    """Each test starts without an armed fault injector and leaves none behind."""
    saved = logservice.TEST_FAULTS
    logservice.TEST_FAULTS = None
    yield
    logservice.TEST_FAULTS = saved

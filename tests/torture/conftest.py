"""Fixtures shared by the torture tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pyese.engine.instance import logservice
from pyese.storage.faults import FaultInjector


@pytest.fixture
def faults() -> Iterator[FaultInjector]:
    """A FaultInjector every JetInit of the test hands to its log and applier."""
    injector = FaultInjector()
    logservice.TEST_FAULTS = injector
    try:
        yield injector
    finally:
        injector.disarm()
        logservice.TEST_FAULTS = None

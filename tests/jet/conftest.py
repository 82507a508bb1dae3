"""Fixtures of the JET-layer tests: a parked-thread seam and an initialised instance."""

from __future__ import annotations

import pytest

import pyese.jet as jet

from .helpers import Parker


@pytest.fixture
def parker() -> Parker:
    """A Parker installed before the instance starts, so it joins its transactions."""
    p = Parker()
    p.install()
    return p


@pytest.fixture
def inst(parker: Parker) -> jet.JET_INSTANCE:
    i = jet.JetCreateInstance("t")
    jet.JetInit(i)
    return i

"""Test helpers for the JET layer: real threads, parked inside the API through an engine seam."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import pytest

from pyese.engine.instance.instance import InstanceServices
from pyese.jethdr.errors import JetError

WAIT = 10.0
"""Upper bound for any Event wait in tests: a deadlock fails the test instead of hanging."""


def expect(code: int):
    """``with expect(jet.JET_errX):`` -- the block raises the JetError with that code."""
    return pytest.raises(JetError, match=rf"\({re.escape(str(code))}\)")


class Parker:
    """A transaction observer that parks the thread calling ``JetBeginTransaction``.

    It is installed through ``InstanceServices.on_start`` (the seam later layers use to
    join an instance's transactions), so the parked thread is really inside the gate.
    """

    def __init__(self) -> None:
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def arm(self) -> None:
        self.entered.clear()
        self.release.clear()
        self.armed = True

    def on_begin(self, session: object, level: int) -> None:
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.release.wait(WAIT), "parked thread was never released"

    def on_commit(self, session: object, level: int, lazy: bool) -> None:
        return None

    def on_rollback(self, session: object, level: int) -> None:
        return None

    def wait_commit(self, session: object, grbit: int) -> None:
        return None

    def install(self) -> None:
        def hook(instance: object, services: InstanceServices, grbit: int) -> None:
            services.parts.setdefault("transaction_observers", []).append(self)

        InstanceServices.on_start.append(hook)


def run_in_thread(fn: Callable[[], object]) -> object:
    """Run ``fn`` on a new thread and return its result or the exception it raised."""
    box: list[object] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # noqa: BLE001 - handed back to the test
            box.append(exc)

    t = threading.Thread(target=target)
    t.start()
    t.join(WAIT)
    assert not t.is_alive(), "thread did not finish"
    return box[0]


def start_thread(fn: Callable[[], object]) -> tuple[threading.Thread, list[object]]:
    box: list[object] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # noqa: BLE001
            box.append(exc)

    t = threading.Thread(target=target, daemon=True)
    t.start()
    return t, box

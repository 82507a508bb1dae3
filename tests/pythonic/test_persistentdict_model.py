"""Model test: PersistentDict behaves as a dict through any sequence of operations and
reopens (hypothesis; a short fixed run here)."""

from __future__ import annotations

import shutil
import tempfile
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import pyese
from pyese.engine.instance.instance import SYSTEM
from pyese.persistentdict import PREFIX

# keys that ESE's folding would confuse, and long keys sharing an indexed prefix
_SPECIAL = ["a", "A", "a ", "\u00e9", "e\u0301", "", "ss", "\u00df",
            "x" * PREFIX, "x" * (PREFIX + 1), "x" * (PREFIX + 50) + "b", "x" * (PREFIX + 50)]
keys = st.one_of(st.sampled_from(_SPECIAL), st.text(max_size=4))
values = st.one_of(st.none(), st.text(max_size=20))


class DictModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        SYSTEM.reset_for_tests()
        self.path = tempfile.mkdtemp(prefix="pd-model-")
        self.d: pyese.PersistentDict[str, Any] = pyese.PersistentDict(self.path, lazy=True)
        self.model: dict[str, Any] = {}

    @rule(k=keys, v=values)
    def set(self, k: str, v: Any) -> None:
        self.d[k] = v
        self.model[k] = v

    @rule(k=keys)
    def delete(self, k: str) -> None:
        try:
            del self.d[k]
            got = True
        except KeyError:
            got = False
        assert got == (k in self.model)
        self.model.pop(k, None)

    @rule(k=keys, v=values)
    def pop_and_setdefault(self, k: str, v: Any) -> None:
        assert self.d.setdefault(k, v) == self.model.setdefault(k, v)
        if v is None:
            assert self.d.pop(k, "gone") == self.model.pop(k, "gone")

    @rule(k=keys)
    def get(self, k: str) -> None:
        assert self.d.get(k, "absent") == self.model.get(k, "absent")
        assert (k in self.d) == (k in self.model)

    @rule(a=keys, b=keys)
    def range(self, a: str, b: str) -> None:
        expect = sorted((k, v) for k, v in self.model.items() if a <= k < b)
        assert list(self.d.range(a, b)) == expect

    @rule()
    def reopen(self) -> None:
        self.d.flush()
        self.d.close()
        self.d = pyese.PersistentDict(self.path, lazy=True)

    @invariant()
    def same_items_in_key_order(self) -> None:
        assert list(self.d.items()) == sorted(self.model.items())
        assert len(self.d) == len(self.model)

    def teardown(self) -> None:
        self.d.close()
        shutil.rmtree(self.path, ignore_errors=True)


DictModel.TestCase.settings = settings(max_examples=4, stateful_step_count=10,
                                       deadline=None, derandomize=True,
                                       suppress_health_check=list(HealthCheck))
TestDictModel = DictModel.TestCase

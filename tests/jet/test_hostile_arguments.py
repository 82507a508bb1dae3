"""Bad input gets ESE's error, never a Python traceback from inside the engine.

Every public JET function is called with hostile values in every position; the only
acceptable outcomes are success or a ``JetError``.
"""

from __future__ import annotations

import inspect
import itertools

import pytest

import pyese.jet as jet

HOSTILE = [None, 0, -1, 2**70, "x", b"\x00", 1.5, object(), [1], jet.JET_sesidNil]

# Functions whose success would end the fixture's world; they are still called, last.
ORDER_LAST = {"JetTerm", "JetTerm2", "JetStopService", "JetStopServiceInstance",
              "JetStopServiceInstance2", "JetEndSession"}


def jet_functions() -> list[str]:
    names = [n for n in dir(jet) if n.startswith("Jet") and not isinstance(getattr(jet, n), type)]
    return sorted(names, key=lambda n: (n in ORDER_LAST, n))


@pytest.mark.parametrize("name", jet_functions())
def test_hostile_arguments_give_jet_errors(name):
    inst = jet.JetCreateInstance("hostile")
    jet.JetInit(inst)
    sesid = jet.JetBeginSession(inst)
    fn = getattr(jet, name)
    params = list(inspect.signature(fn).parameters.values())
    good = {"instance": inst, "sesid": sesid}
    calls = 0
    for position in range(len(params)):
        for value in HOSTILE:
            args = []
            for i, p in enumerate(params):
                if i == position:
                    args.append(value)
                elif p.name in good:
                    args.append(good[p.name])
                elif p.default is not inspect.Parameter.empty:
                    args.append(p.default)
                else:
                    args.append(0)
            try:
                fn(*args)
            except jet.JetError:
                pass
            calls += 1
    assert calls == len(params) * len(HOSTILE)


def test_no_handle_confusion_between_types():
    inst = jet.JetCreateInstance("h")
    jet.JetInit(inst)
    sesid = jet.JetBeginSession(inst)
    # an instance handle is not a session handle, and the other way round
    with pytest.raises(jet.InvalidSesidError):
        jet.JetBeginTransaction(int(inst))
    with pytest.raises(jet.InvalidParameterError):
        jet.JetBeginSession(sesid)
    for a, b in itertools.combinations([inst, sesid], 2):
        assert a != b

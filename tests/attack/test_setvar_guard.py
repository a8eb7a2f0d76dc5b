"""`setvar`, where it is decided: the payload guard (espace/web/payload_guard.py).

Every state has Reflex's `setvar(var_name, value)` handler: any browser could send it to
write any variable of its tab's state. The app's states (every subclass of
`SessionState`, enumerated from the app as the attack suite does) never use it: the guard
refuses it whatever the payload, before Reflex runs it. That is one decision, made by one
pure function (`event_fits`) in one middleware: it is proven here for every app state and
every payload of the attack suite's matrix (the victim's, missing arguments, hostile
`var_name` and `value`: huge, negative, list, dict, None, 1 MB) and for every variable of
each state, through the middleware itself as the app runs it (French refusal, no handler
run). The attack suite then sends each app state's `setvar` over the network once per
actor (the victim's payload: the guard stands in front of it on the real protocol), instead
of the whole matrix (1,512 cases).

The full matrix stays on the network for Reflex's own states (`State`,
`OnLoadInternalState`, `UpdateVarsInternalState`, `FrontendEventExceptionState`,
`SharedStateBaseInternal`): there the guard lets through a variable that has a setter
(`is_hydrated` is set by every hydration), and what happens next is Reflex's code and the
protocol's (hydration resets, chained events), not a decision of the guard. This test
checks the guard's part of it: without a setter, refused."""
from __future__ import annotations

import asyncio
import json

import pytest

from tests.attack.test_attack_suite import HANDLER_NAMES, HANDLERS, _walk_states, guard_decides, handler_cases

VALUES = ["x", "", 1, -1, 10**30, 1.5, True, None, [], ["x"], {}, {"a": {"b": 1}}, "A" * 200_000]


def _app():
    import espace.espace

    return espace.espace.app


def _app_setvars() -> list[str]:
    return sorted(key for key in HANDLER_NAMES if guard_decides(key))


def _payloads(key: str, cls) -> list[dict]:
    """The attack suite's matrix for this `setvar`, and every variable of the state (its
    own and inherited, backend ones included) with values of every JSON type."""
    payloads = [payload for _pid, _page, payload in handler_cases(key, HANDLERS[key])]
    names = sorted({*cls.vars, *(cls._backend_vars or {}), "is_hydrated", "router", "x"})
    payloads += [{"var_name": name, "value": value} for name in names for value in VALUES]
    return payloads


def _refused(app, name: str, payloads: list) -> list[bool]:
    """The guard's answer to each event, through the middleware as the app runs it: a
    refusal is an update with the French toast and nothing else."""
    from reflex_base.event import Event

    from espace.web.errors import INVALID_MESSAGE
    from espace.web.payload_guard import PayloadGuardMiddleware

    guard = PayloadGuardMiddleware()

    async def run():
        with app.set_contexts():
            return [await guard.preprocess(app, None, Event(name=name, payload=payload)) for payload in payloads]

    answers = []
    for update in asyncio.run(run()):
        if update is not None:
            assert update.delta == {}, update
            scripts = " ".join(str(event.payload.get("function", "")) for event in update.events)
            assert json.dumps(INVALID_MESSAGE)[1:-1] in scripts, update
        answers.append(update is not None)
    return answers


def test_every_app_state_has_setvar_in_the_registry():
    """The enumeration found the app's states, and the app registers each `setvar` (an
    event the registry does not know would not reach the guard's decision)."""
    registry = _app()._registration_context.event_handlers
    keys = _app_setvars()
    assert len(keys) > 30, keys
    for key in keys:
        name, _fn, cls = HANDLER_NAMES[key]
        assert name in registry, name
        assert cls in registry[name].states


@pytest.mark.parametrize("key", _app_setvars())
def test_setvar_refused_for_app_state(key):
    from espace.web.payload_guard import event_fits
    from espace.web.session import SessionState

    app = _app()
    name, _fn, cls = HANDLER_NAMES[key]
    registered = app._registration_context.event_handlers[name]
    payloads = _payloads(key, cls)
    accepted = [p for p in payloads if event_fits(registered, p, SessionState)]
    assert not accepted, f"{key} accepts {accepted[:3]}"
    passed = [p for p, refused in zip(payloads, _refused(app, name, payloads), strict=True) if not refused]
    assert not passed, f"{key}: the middleware let through {str(passed[:3])[:300]}"


def test_reflex_setvar_only_for_a_variable_with_a_setter():
    """Reflex's own states: `setvar` passes the guard only for a variable with a setter
    (and a payload that fits); the rest of the answer is on the network (the suite's
    full matrix)."""
    from reflex.state import State

    from espace.web.payload_guard import event_fits
    from espace.web.session import SessionState

    app = _app()
    registry = app._registration_context.event_handlers
    framework = [cls for cls in _walk_states() if not issubclass(cls, SessionState) and "setvar" in cls.event_handlers]
    assert State in framework
    for cls in framework:
        registered = registry[f"{cls.get_full_name()}.setvar"]
        for var in sorted({*cls.vars, *(cls._backend_vars or {}), "router", "x"}):
            fits = event_fits(registered, {"var_name": var, "value": True}, SessionState)
            assert fits == callable(getattr(cls, f"set_{var}", None)), (cls, var)
        assert not event_fits(registered, {"var_name": ["is_hydrated"], "value": True}, SessionState)
        assert not event_fits(registered, {"var_name": "x" * 101, "value": True}, SessionState)
    assert _refused(app, f"{State.get_full_name()}.setvar", [{"var_name": "router", "value": {}},
                                                             {"var_name": "is_hydrated", "value": True}]) == [True, False]

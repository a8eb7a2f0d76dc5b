"""Every event handler's payload type-checked before it runs, in one place.

Any browser can call any handler with any payload: a list where a form dict is
expected, a float or `1e300` for a page number, a 1 MB string. Reflex passes the
payload as it came. `PayloadGuardMiddleware` checks each event of the app's states
against its handler's signature (parameter names and annotations): a payload that
does not fit is refused with a French message, the handler does not run, nothing
changes. The handlers still parse what they use (ids through espace/domain/ids.py)."""
from __future__ import annotations

import functools
import inspect
import logging
import types
import typing
from typing import Any

from reflex.middleware import Middleware
from reflex.state import StateUpdate
from reflex_base.event import Event
from reflex_base.registry import RegistrationContext

from espace.web.errors import INVALID_MESSAGE, french_toast
from espace.web.session import SessionState

log = logging.getLogger(__name__)

MAX_STRING = 100_000  # characters of one string (a message is at most a few thousand)
MAX_NODES = 2_000  # values in one argument (a form has a few dozen fields)
MAX_DEPTH = 6


def _json_ok(value: Any, budget: list[int], depth: int = 0) -> bool:
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        return False
    if value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return abs(value) < 2**63
    if isinstance(value, float):
        return value == value and abs(value) != float("inf")
    if isinstance(value, str):
        return len(value) <= MAX_STRING
    if isinstance(value, list):
        return all(_json_ok(v, budget, depth + 1) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and len(k) <= 200 and _json_ok(v, budget, depth + 1) for k, v in value.items())
    return False


def value_fits(value: Any, hint: Any) -> bool:
    """Whether `value` (from JSON) is acceptable for a parameter annotated `hint`."""
    if not _json_ok(value, [MAX_NODES]):
        return False
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(value_fits(value, arg) for arg in typing.get_args(hint))
    base = origin or hint
    if hint is Any or hint is inspect.Parameter.empty:
        return True
    if hint is type(None):
        return value is None
    if base is bool:
        return isinstance(value, bool)
    if base is int:  # an int, or a string the handler parses (espace/ids.py)
        return (isinstance(value, int) and not isinstance(value, bool)) or (isinstance(value, str) and len(value) <= 40)
    if base is float:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if base is str:
        return isinstance(value, str)
    if base in (dict, typing.Mapping):
        return isinstance(value, dict)
    if base in (list, tuple, set, frozenset):
        return isinstance(value, list)
    return True  # other annotations: left to the handler


@functools.cache
def _shape(fn) -> tuple[list[inspect.Parameter], dict[str, Any], set[str] | None] | None:
    """A handler's parameters (self left out), their type hints and the accepted names
    (None: any), read once per handler (evaluating the annotations costs more than the
    rest of the check)."""
    try:
        signature = inspect.signature(fn)
        hints = typing.get_type_hints(fn)
    except (TypeError, ValueError, NameError):
        return None
    params = [p for name, p in signature.parameters.items() if name != "self"]
    names: set[str] | None = {p.name for p in params}
    if any(p.kind == p.VAR_KEYWORD for p in params):
        names = None
    return params, hints, names


def payload_fits(fn, payload: Any) -> bool:
    """Whether `payload` (the event's arguments by name) fits the handler function."""
    if not isinstance(payload, dict):
        return False
    shape = _shape(fn)
    if shape is None:
        return True
    params, hints, names = shape
    if names is not None and not set(payload) <= names:
        return False
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name not in payload:
            if p.default is p.empty:
                return False
            continue
        if not value_fits(payload[p.name], hints.get(p.name, Any)):
            return False
    return True


def event_fits(registered, payload: Any, app_base: type) -> bool:
    """The payload fits the handler's signature (Reflex's own handlers too: hydrate,
    on_load, client storage, whose legitimate payloads always fit). `setvar`, which
    every state has, is refused for the app's states (no page of the app uses it: its
    states change only through their handlers) and, for Reflex's own, allowed only
    for a variable that has a setter."""
    if not payload_fits(registered.handler.fn, payload):
        return False
    if registered.handler.fn.__name__ != "setvar":
        return True
    if any(issubclass(s, app_base) for s in registered.states):
        return False
    name = payload.get("var_name")
    return isinstance(name, str) and len(name) <= 100 and all(callable(getattr(s, "set_" + name, None))
                                                               for s in registered.states)


class PayloadGuardMiddleware(Middleware):
    async def preprocess(self, app, state, event):
        registered = RegistrationContext.get().event_handlers.get(event.name)
        if registered is None:
            return None
        if event_fits(registered, event.payload, SessionState):
            return None
        log.warning("event refused: payload does not fit handler=%s keys=%s types=%s",
                    event.name.rsplit(".", 1)[-1],
                    sorted(event.payload)[:10] if isinstance(event.payload, dict) else type(event.payload).__name__,
                    [type(v).__name__ for v in event.payload.values()][:10] if isinstance(event.payload, dict) else "")
        return StateUpdate(delta={}, events=Event.from_event_type(french_toast(INVALID_MESSAGE, "requete_invalide")))

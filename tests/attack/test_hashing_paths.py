"""Every handler and route that hashes or verifies a password does it in the hashing
pool, never on the event loop (issue 22, item 2): enumerated from the app itself.

The app's event handlers (every Reflex state of `espace.espace`, as the attack suite walks
them) and HTTP routes (the index `espace.http.routes.ROUTES`) are looked up in the call
graph of the source (call_graph.py). None may reach argon2 through plain calls (on the
event loop, or in another thread pool); those that hash hand the work to the pool, and
they are exactly HASHING_HANDLERS: test_hashing_pool.py sends each of them over the real
protocol, with argon2 refused outside the pool's threads, and sees the pool run it."""
from __future__ import annotations

import inspect

import pytest

from tests.attack.call_graph import Graph, Node
from tests.attack.test_attack_suite import enumerate_handlers

S = "espace.web."
# Handler key (as the attack suite's registry) -> what it hands to the pool.
HASHING_HANDLERS = {
    S + "public.login.state.LoginState.submit": "auth.login",
    S + "public.login.state.ResetState.submit": "auth.reset_password",
    S + "account.state.AccountState.change_password": "auth.change_password",
    S + "public.first_login.state.FirstLoginState.submit": "auth.change_password",
    S + "account.security.state.SecurityState.confirm_identity": "step_up_proof.confirm (the step-up)",
    S + "client.contact.state.ContactDetailsState.submit": "step_up_proof.confirm (a new e-mail address)",
    S + "firm.clients.state.ClientDetailState.confirm_identity": "step_up_proof.confirm (a client's new e-mail)",
    S + "firm.team.state.TeamState.confirm_identity": "step_up_proof.confirm (a change of the team)",
    S + "firm.settings.state.SettingsState.confirm_identity": "step_up_proof.confirm (the security settings)",
    S + "firm.settings.two_factor_state.TwoFactorPolicyState.confirm_identity": "step_up_proof.confirm (the 2FA rule)",
    "['POST'] /api/webauthn/confirmation": "step_up_proof.confirm_with_passkey (the step-up with a passkey)",
    S + "firm.clients.state.ClientNewState.submit": "clients.create_client (temporary password)",
    S + "firm.clients.state.ClientDetailState.resend": "clients.resend_invitation (temporary password)",
}


@pytest.fixture(scope="module")
def graph() -> Graph:
    return Graph()


def _node(fn) -> Node:
    """The function as written in the source (a handler made by a factory: the factory)."""
    fn = inspect.unwrap(fn)
    return fn.__module__, fn.__qualname__.split(".<locals>", 1)[0]


def _entry_points(graph: Graph):
    from espace.http.routes import ROUTES

    for key, (_name, fn, _cls) in enumerate_handlers().items():
        if fn.__module__.startswith("espace."):
            module, qualname = _node(fn)
            if qualname not in graph.modules[module].defs:  # inherited: Reflex renames its copy
                method = qualname.rsplit(".", 1)[-1]
                found = [q for q in graph.modules[module].defs if q.endswith("." + method)]
                qualname = found[0] if len(found) == 1 else qualname
            yield key, (module, qualname)
    for route in ROUTES:
        if getattr(route.endpoint, "__module__", "").startswith("espace."):
            yield f"{sorted(route.methods or ())} {route.path}", _node(route.endpoint)


def test_no_handler_or_route_reaches_argon2_outside_the_pool(graph):
    seen, found = 0, {}
    for key, node in _entry_points(graph):
        assert node[1] in graph.modules[node[0]].defs, f"{key}: {node} not found in the source"
        seen += 1
        path = graph.path_to_argon2(node)
        if path is not None:
            found[key] = " → ".join(f"{m.rsplit('.', 1)[-1]}.{q}" for m, q in path)
    print(f"\n{seen} handlers and routes read")
    assert seen > 120  # 139 on 2026-12-08: every guarded handler and route, read from the source
    assert not found, "argon2 reached outside the hashing pool (use hashing.run_for / SessionState._checked):\n" + \
        "\n".join(f"{k}: {v}" for k, v in found.items())


def test_the_handlers_that_hash_are_known_and_each_goes_through_the_pool(graph):
    hashing = {key: graph.pooled_argon2(node) for key, node in _entry_points(graph)}
    hashing = {key: targets for key, targets in hashing.items() if targets}
    for key, targets in sorted(hashing.items()):
        print(f"\n{key}: pool ← {', '.join(f'{m}.{q}' for m, q in targets)}")
    assert set(hashing) == set(HASHING_HANDLERS), (
        "a handler that hashes must be listed in HASHING_HANDLERS (and driven in test_hashing_pool.py)")


def test_the_graph_sees_a_handler_that_would_hash_on_the_loop(graph):
    """The check can fail: auth.login called directly reaches argon2."""
    assert graph.path_to_argon2(("espace.services.accounts.auth", "login")) is not None
    assert graph.path_to_argon2(("espace.services.accounts.step_up_proof", "confirm")) is not None
    assert graph.path_to_argon2(("espace.services.firm.clients", "create_client")) is not None
    assert graph.path_to_argon2(("espace.services.accounts.auth", "logout")) is None

"""/admin/dossiers' filter choices, loaded on demand (services/firm/dossiers.py
`filter_options`, `suggest`): bounded, by name as before, found by typing, scoped to the
firm (another firm's clients never appear), the same for a collaborator."""
from __future__ import annotations

import pytest

from espace.services import AccessDenied
from espace.services.firm import clients as firm_clients
from espace.services.firm import dossiers as firm_dossiers
from tests.admin_helpers import claire, paul_client_id, user


def _many_clients(lawyer, n: int) -> list[int]:
    made = []
    for i in range(n):
        result = firm_clients.create_client(lawyer, {"nom": f"ZNOMBREUX{i:02d}", "prenom": "Test",
                                                     "email": f"nombreux{i}@example.com"})
        assert result.ok, result.errors
        made.append(result.value)
    return made


def test_bounded_by_name_and_found_by_typing(demo):
    lawyer = user(demo["lawyer_id"])
    made = _many_clients(lawyer, firm_dossiers.SUGGESTIONS + 5)
    today = firm_dossiers.options(lawyer)  # every client, what the filter sent before
    first = firm_dossiers.filter_options(lawyer)
    assert len(first.clients) == firm_dossiers.SUGGESTIONS < len(today.clients)
    assert [c.name for c in first.clients] == [c.name for c in today.clients][:firm_dossiers.SUGGESTIONS]
    assert [c.name for c in first.interlocutors] == [c.name for c in today.interlocutors][:firm_dossiers.SUGGESTIONS]
    found = firm_dossiers.suggest(lawyer, "client", "znombreux2")
    assert [c.name for c in found] == [f"Test ZNOMBREUX{i:02d}" for i in range(20, 25)]
    assert [c.id for c in firm_dossiers.suggest(lawyer, "client", "nombreux7@ test")] == [made[7]]
    assert len(firm_dossiers.suggest(lawyer, "client", "test")) == firm_dossiers.SUGGESTIONS
    assert firm_dossiers.suggest(lawyer, "client", "%") == []  # taken literally
    assert [c.name for c in firm_dossiers.suggest(lawyer, "interlocuteur", "delm")] == ["Fabien DELMAS"]
    # The chosen client is offered even when the first choices do not reach it.
    last = made[-1]
    chosen = firm_dossiers.filter_options(lawyer, client_id=str(last)).clients
    assert chosen[0].id == last and len(chosen) == firm_dossiers.SUGGESTIONS + 1
    assert firm_dossiers.suggest(lawyer, "client", "alexander", chosen=last)[0].id == last
    # Nothing unreadable breaks it.
    assert len(firm_dossiers.suggest(lawyer, "client", ["x"], chosen={"a": 1})) == firm_dossiers.SUGGESTIONS


def test_scoped_to_the_firm(demo):
    other = claire()
    luce_client = demo["client_id"]
    assert all("ALEXANDER" not in c.name for c in firm_dossiers.suggest(other, "client", "alexander"))
    assert all(c.id != luce_client for c in firm_dossiers.suggest(other, "client", "", chosen=luce_client))
    assert all(c.id != luce_client for c in firm_dossiers.filter_options(other, client_id=luce_client).clients)
    assert all(c.id != demo["lawyer_id"]
               for c in firm_dossiers.filter_options(other, interlocutor_id=demo["lawyer_id"]).interlocutors)
    lawyer = user(demo["lawyer_id"])
    assert all(c.id != paul_client_id() for c in firm_dossiers.suggest(lawyer, "client", "martin",
                                                                         chosen=paul_client_id()))
    with pytest.raises(AccessDenied):
        firm_dossiers.suggest(user(demo["client_user_id"]), "client", "a")
    with pytest.raises(AccessDenied):
        firm_dossiers.filter_options(user(demo["client_user_id"]))


def test_a_collaborator_sees_the_same_choices(demo):
    lawyer, staff = user(demo["lawyer_id"]), user(demo["staff_id"])
    assert firm_dossiers.filter_options(staff) == firm_dossiers.filter_options(lawyer)
    assert firm_dossiers.suggest(staff, "client", "alex") == firm_dossiers.suggest(lawyer, "client", "alex")
    assert [c.name for c in firm_dossiers.filter_options(staff).clients] == \
        [c.name for c in firm_dossiers.options(staff).clients][:firm_dossiers.SUGGESTIONS]

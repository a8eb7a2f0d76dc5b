"""Firm side, dossiers: scoping (client users and other firms' ids refused),
reference unique per firm, clients and interlocutor of the firm only, filters,
and what the client then sees."""
from __future__ import annotations

from dataclasses import asdict

import pytest
from sqlmodel import select

from espace.db import session_scope
from espace.models import AuditEvent, Dossier, User
from espace.services import AccessDenied
from espace.services.client import dossier_view
from espace.services.firm import dossiers as firm_dossiers
from tests.admin_helpers import claire, paul_client_id, user


def lawyer(demo) -> User:
    return user(demo["lawyer_id"])


def form(demo, **over):
    base = {"reference": "2026IIDOS/0001", "label": "ALEXANDER / BAIL", "client_ids": [str(demo["client_id"])],
            "interlocutor_id": str(demo["lawyer_id"])}
    return {**base, **over}


def test_a_client_cannot_call_any_dossier_service(demo):
    luce = user(demo["client_user_id"])
    did = demo["dossier_ids"][0]
    for call in [
        lambda: firm_dossiers.options(luce),
        lambda: firm_dossiers.list_dossiers(luce),
        lambda: firm_dossiers.get_dossier(luce, did),
        lambda: firm_dossiers.create_dossier(luce, form(demo)),
        lambda: firm_dossiers.update_dossier(luce, did, form(demo)),
    ]:
        with pytest.raises(AccessDenied):
            call()
    with session_scope() as s:
        assert s.exec(select(Dossier).where(Dossier.reference == "2026IIDOS/0001")).first() is None


def test_another_firm_ids_are_refused(demo):
    other = claire()
    did = demo["dossier_ids"][0]
    for call in [
        lambda: firm_dossiers.get_dossier(other, did),
        lambda: firm_dossiers.update_dossier(other, did, form(demo, client_ids=[str(paul_client_id())],
                                                               interlocutor_id=str(other.id))),
        # Claire's own dossier, but with Delmas's client or Delmas as interlocutor.
        lambda: firm_dossiers.update_dossier(other, demo["other_firm_dossier_id"],
                                              form(demo, client_ids=[str(demo["client_id"])],
                                                   interlocutor_id=str(other.id))),
        lambda: firm_dossiers.create_dossier(other, form(demo, interlocutor_id=str(other.id))),
        lambda: firm_dossiers.create_dossier(other, form(demo, client_ids=[str(paul_client_id())])),
        lambda: firm_dossiers.list_dossiers(other, client_id=demo["client_id"]),
        lambda: firm_dossiers.list_dossiers(other, interlocutor_id=demo["lawyer_id"]),
        lambda: firm_dossiers.get_dossier(other, "1 OR 1=1"),
    ]:
        with pytest.raises(AccessDenied):
            call()
    assert [r.reference for r in firm_dossiers.list_dossiers(other).rows] == ["2025LER/0002", "2024LER/0001"]
    assert [c.name for c in firm_dossiers.options(other).clients] == ["Paul MARTIN", "Sophie NOEL"]
    assert [i.name for i in firm_dossiers.options(other).interlocutors] == ["Claire LEROY"]
    with session_scope() as s:
        d = s.get(Dossier, did)
        assert d.firm_id == demo["firm_id"] and d.interlocutor_id == demo["lawyer_id"]


def test_a_client_is_not_an_interlocutor(demo):
    with pytest.raises(AccessDenied):
        firm_dossiers.create_dossier(lawyer(demo), form(demo, interlocutor_id=str(demo["client_user_id"])))


def test_create_then_the_client_sees_it(demo):
    result = firm_dossiers.create_dossier(lawyer(demo), form(demo, client_ids=[str(demo["client_id"]),
                                                                               str(demo["other_client_id"])]))
    assert result.ok, result.errors
    assert result.message == "Le dossier 2026IIDOS/0001 a été créé."
    got = firm_dossiers.get_dossier(lawyer(demo), result.value)
    assert got.reference == "2026IIDOS/0001" and got.label == "ALEXANDER / BAIL"
    assert sorted(got.client_ids) == sorted([demo["client_id"], demo["other_client_id"]])
    view = dossier_view.dossier(user(demo["client_user_id"]), result.value)
    assert view.label == "ALEXANDER / BAIL" and view.interlocutor == "Fabien DELMAS"
    dossier_view.dossier(user(demo["other_client_user_id"]), result.value)
    with session_scope() as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "dossier_cree")).all()
        assert {e.subject_user_id for e in events} == {demo["client_user_id"], demo["other_client_user_id"]}


def test_validation_and_reference_unique_per_firm(demo):
    empty = firm_dossiers.create_dossier(lawyer(demo), {"reference": " ", "label": "", "client_ids": [],
                                                         "interlocutor_id": ""})
    assert not empty.ok
    assert empty.errors == {"reference": "Ce champ est obligatoire.", "label": "Ce champ est obligatoire.",
                            "clients": "Choisissez au moins un client.", "interlocutor": "Choisissez l'interlocuteur."}
    taken = firm_dossiers.create_dossier(lawyer(demo), form(demo, reference="2017iidos/1529"))
    assert not taken.ok and taken.errors["reference"].startswith("Cette référence est déjà utilisée")
    # The other firm's reference is free in this firm.
    assert firm_dossiers.create_dossier(lawyer(demo), form(demo, reference="2024LER/0001")).ok
    long = firm_dossiers.create_dossier(lawyer(demo), form(demo, reference="X" * 51))
    assert long.errors["reference"] == "50 caractères maximum."


def test_update_changes_clients_and_access(demo):
    did = demo["other_dossier_id"]  # Marc's dossier
    current = firm_dossiers.get_dossier(lawyer(demo), did)
    assert current.client_ids == [demo["other_client_id"]]
    taken = firm_dossiers.update_dossier(lawyer(demo), did, {**asdict(current), "reference": "2017IIDOS/1529"})
    assert not taken.ok and "déjà utilisée" in taken.errors["reference"]
    same = firm_dossiers.update_dossier(lawyer(demo), did, {**asdict(current), "label": "BERTRAND / PRUD'HOMMES"})
    assert same.ok
    moved = firm_dossiers.update_dossier(lawyer(demo), did, {**asdict(current), "label": "BERTRAND / PRUD'HOMMES",
                                                              "client_ids": [str(demo["client_id"])]})
    assert moved.ok, moved.errors
    assert dossier_view.dossier(user(demo["client_user_id"]), did).label == "BERTRAND / PRUD'HOMMES"
    with pytest.raises(AccessDenied):
        dossier_view.dossier(user(demo["other_client_user_id"]), did)


def test_list_filters(demo):
    me = lawyer(demo)
    everything = firm_dossiers.list_dossiers(me)
    assert everything.total == 6
    row = next(r for r in everything.rows if r.reference == "2022IIDOS/0555")
    assert row.clients == "Marc BERTRAND" and row.interlocutor == "Fabien DELMAS"
    assert [r.reference for r in firm_dossiers.list_dossiers(me, search="bertrand").rows] == ["2022IIDOS/0555"]
    assert [r.reference for r in firm_dossiers.list_dossiers(me, search="1529").rows] == ["2017IIDOS/1529"]
    assert firm_dossiers.list_dossiers(me, client_id=demo["client_id"]).total == 4
    assert firm_dossiers.list_dossiers(me, client_id=demo["other_client_id"]).total == 1
    assert firm_dossiers.list_dossiers(me, interlocutor_id=demo["lawyer_id"]).total == 6
    assert firm_dossiers.list_dossiers(me, search="agence immo", client_id=demo["client_id"]).total == 1
    assert firm_dossiers.list_dossiers(me, search="introuvable").rows == []

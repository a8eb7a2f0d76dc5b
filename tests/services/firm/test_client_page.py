"""/admin/clients/<id> in one service call per click: the page's load (client_page)
and each action (update_client, deactivate, reactivate, resend) answer the whole
page in one database session, reading the acting lawyer once."""
from __future__ import annotations

from espace.demo import LAWYER_EMAIL, LAWYER_PASSWORD
from espace.services import audit
from espace.services.accounts import auth
from espace.services.firm import clients as firm_clients
from tests.admin_helpers import session_token
from tests.session_count import counting


def _lawyer():
    return auth.current_user(session_token(LAWYER_EMAIL, LAWYER_PASSWORD))


def test_save_answers_the_refreshed_page_in_one_session(demo):
    lawyer, cid = _lawyer(), demo["client_id"]
    form = dict(firm_clients.get_client(lawyer, cid).values, ville="SÈTE")
    with counting(lawyer.id) as cost:
        result = firm_clients.update_client(lawyer, cid, form)
    assert result.ok and result.message == "Les coordonnées du client ont été enregistrées."
    assert (cost.sessions, cost.acting_reads) == (1, 1)
    page = result.value
    assert page is not None and page.detail.values["ville"] == "SÈTE"
    # The same as what the page's load shows afterwards, its trail included.
    assert page == firm_clients.client_page(lawyer, cid)
    assert page.detail == firm_clients.get_client(lawyer, cid)
    assert page.trail == audit.for_client(lawyer, page.detail.user_id)
    assert page.trail["events"][0]["action"] == audit.action_label("client_modifie")


def test_load_is_one_session(demo):
    lawyer, cid = _lawyer(), demo["client_id"]
    with counting(lawyer.id) as cost:
        page = firm_clients.client_page(lawyer, cid, 1)
    assert (cost.sessions, cost.acting_reads) == (1, 1)
    assert page.detail.name == "Luce ALEXANDER" and page.trail["page"] == 1


def test_a_refused_form_answers_its_errors_only(demo):
    lawyer, cid = _lawyer(), demo["client_id"]
    form = dict(firm_clients.get_client(lawyer, cid).values, email="pas-une-adresse")
    with counting(lawyer.id) as cost:
        result = firm_clients.update_client(lawyer, cid, form)
    assert not result.ok and result.value is None
    assert result.errors == {"email": "Adresse e-mail invalide (exemple : nom@domaine.fr)."}
    assert (cost.sessions, cost.acting_reads) == (1, 1)


def test_actions_answer_the_refreshed_page(demo):
    lawyer, cid = _lawyer(), demo["client_id"]
    with counting(lawyer.id) as cost:
        off = firm_clients.deactivate_client(lawyer, cid)
    assert (cost.sessions, cost.acting_reads) == (1, 1)
    assert off.ok and off.value is not None and not off.value.detail.active
    assert off.value.detail.status == "Désactivé"
    refused = firm_clients.resend_invitation(lawyer, cid)
    assert refused.error == "Ce client est désactivé : réactivez-le d'abord."
    assert refused.value == firm_clients.client_page(lawyer, cid)  # refused, the page is still refreshed
    on = firm_clients.reactivate_client(lawyer, cid)
    assert on.ok and on.value is not None and on.value.detail.active
    assert on.value.trail["events"][0]["action"] == audit.action_label("client_reactive")

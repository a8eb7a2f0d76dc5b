"""Firm side, clients: scoping (a client, or another firm's lawyer, gets
AccessDenied whatever ids are sent), creation with the invitation email (link
valid 7 days, single use, replaced on resend) or the temporary password of the
manual, deactivation that closes sessions at once, search, last login, audit trail."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import select

from espace.db import session_scope
from espace.demo import LAWYER_EMAIL, LAWYER_PASSWORD, LUCE_EMAIL, LUCE_PASSWORD
from espace.models import AuditEvent, Firm, OneTimeToken, User, utcnow
from espace.services import AccessDenied, audit
from espace.services.accounts import auth
from espace.services.firm import clients as firm_clients
from espace.services.mail import mailer
from tests.admin_helpers import account_by_email, claire, paul_client_id, queued, session_token, user, user_by_email
from tests.services.accounts.step_up_helpers import session_for

NEW = {
    "nom": "DURAND", "prenom": "Paul", "email": "Paul.Durand@Example.com", "adresse": "3 rue de la Loge",
    "code_postal": "34000", "ville": "MONTPELLIER", "tel": "04 67 00 00 00", "mobile": "06 12 34 56 78",
}


def _token_from(link: str) -> str:
    match = re.search(r"/activer\?jeton=([\w-]+)$", link)
    assert match, link
    return match.group(1)


def lawyer(demo) -> User:
    return user(demo["lawyer_id"])


def test_a_client_cannot_call_any_client_service(demo):
    luce = user(demo["client_user_id"])
    cid = demo["client_id"]
    calls = [
        lambda: firm_clients.list_clients(luce, ""),
        lambda: firm_clients.dashboard(luce),
        lambda: firm_clients.get_client(luce, cid),
        lambda: firm_clients.create_client(luce, NEW),
        lambda: firm_clients.update_client(luce, cid, NEW),
        lambda: firm_clients.deactivate_client(luce, demo["other_client_id"]),
        lambda: firm_clients.reactivate_client(luce, cid),
        lambda: firm_clients.send_invitation(luce, cid),
        lambda: firm_clients.resend_invitation(luce, cid),
        lambda: audit.for_client(luce, demo["client_user_id"]),
        lambda: firm_clients.list_clients(None, ""),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == "paul.durand@example.com")).first() is None
        assert user(demo["other_client_user_id"]).active


def test_another_firm_sees_and_changes_nothing(demo):
    other = claire()
    cid = demo["client_id"]
    for call in [
        lambda: firm_clients.get_client(other, cid),
        lambda: firm_clients.update_client(other, cid, {**NEW, "email": LUCE_EMAIL}),
        lambda: firm_clients.deactivate_client(other, cid),
        lambda: firm_clients.reactivate_client(other, cid),
        lambda: firm_clients.resend_invitation(other, cid),
        lambda: audit.for_client(other, demo["client_user_id"]),
        lambda: firm_clients.get_client(other, "abc"),
        lambda: firm_clients.get_client(other, -1),
        lambda: firm_clients.get_client(other, demo["client_user_id"] + 10_000),
    ]:
        with pytest.raises(AccessDenied):
            call()
    assert user(demo["client_user_id"]).active
    assert user(demo["client_user_id"]).nom == "ALEXANDER"
    names = [r.name for r in firm_clients.list_clients(other, "").rows]
    assert names == ["Paul MARTIN", "Sophie NOEL"]
    assert firm_clients.list_clients(other, "alexander").rows == []
    # Delmas cannot reach Claire's client either.
    with pytest.raises(AccessDenied):
        firm_clients.get_client(lawyer(demo), paul_client_id())
    # A lawyer's user id is not a client: no trail through for_client.
    with pytest.raises(AccessDenied):
        audit.for_client(lawyer(demo), demo["lawyer_id"])


def test_list_search_and_last_login(demo):
    rows = firm_clients.list_clients(lawyer(demo), "").rows
    assert [r.name for r in rows] == ["Luce ALEXANDER", "Marc BERTRAND", "Sophie NOEL"]
    found = firm_clients.list_clients(lawyer(demo), "  aLeXan ")
    assert [r.name for r in found.rows] == ["Luce ALEXANDER"] and found.total == 1
    assert [r.name for r in firm_clients.list_clients(lawyer(demo), "perols").rows] == ["Luce ALEXANDER"]
    assert firm_clients.list_clients(lawyer(demo), "%").rows == []  # LIKE wildcards are literal
    with session_scope() as s:
        marc = s.get(User, demo["other_client_user_id"])
        marc.last_login_at = None
        s.add(marc)
        s.commit()
    session_token(LUCE_EMAIL, LUCE_PASSWORD)
    rows = {r.name: r for r in firm_clients.list_clients(lawyer(demo), "").rows}
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", rows["Luce ALEXANDER"].last_login)
    assert rows["Marc BERTRAND"].last_login == "Jamais"


def test_create_sends_the_invitation_link_valid_7_days_single_use(demo):
    result = firm_clients.create_client(lawyer(demo), NEW)
    assert result.ok, result.errors
    assert result.message == "Invitation envoyée à paul.durand@example.com."
    new_user = user_by_email("paul.durand@example.com")
    assert new_user.role == "client" and new_user.firm_id == demo["firm_id"]
    assert account_by_email("paul.durand@example.com").password_hash is None
    detail = firm_clients.get_client(lawyer(demo), result.value)
    assert detail.values["ville"] == "MONTPELLIER" and detail.last_login == "Jamais"
    assert detail.status == "Invitation en attente" and detail.can_resend
    # The invitation is queued with the manual's content.
    [(row, ctx)] = queued("paul.durand@example.com")
    assert row.template == "invitation" and row.firm_id == demo["firm_id"]
    assert ctx["identifier"] == "paul.durand@example.com" and ctx["firm_name"] == "Cabinet DELMAS Avocats"
    assert ctx["valid_days"] == 7 and ctx["client_name"] == "Paul DURAND"
    _html, text = mailer._render(row.template, ctx)
    assert "paul.durand@example.com" in text and ctx["link"] in text
    token = _token_from(ctx["link"])
    with session_scope() as s:
        tok = s.exec(select(OneTimeToken).where(OneTimeToken.user_id == new_user.id)).one()
        assert tok.purpose == "invite"
        assert abs((tok.expires_at - tok.created_at) - timedelta(days=7)) < timedelta(seconds=5)
    # Not usable for a reset, usable once as an invitation.
    assert not auth.reset_link_is_valid(token, "reset")
    assert auth.reset_link_is_valid(token, "invite")
    assert not auth.login("paul.durand@example.com", "Nouveau-Passe-2024").ok
    assert auth.reset_password(token, "Nouveau-Passe-2024", "Nouveau-Passe-2024", "invite").ok
    assert not auth.reset_password(token, "Autre-Passe-2024!", "Autre-Passe-2024!", "invite").ok
    assert auth.login("paul.durand@example.com", "Nouveau-Passe-2024").ok
    detail = firm_clients.get_client(lawyer(demo), result.value)
    assert detail.status == "Actif" and not detail.can_resend
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", detail.last_login)
    # Once activated, resending is refused (the client uses « Mot de passe oublié ? »).
    again = firm_clients.resend_invitation(lawyer(demo), result.value)
    assert not again.ok and "Mot de passe oublié" in again.errors["form"]


def test_an_expired_invitation_is_refused(demo):
    result = firm_clients.create_client(lawyer(demo), NEW)
    token = _token_from(queued("paul.durand@example.com")[-1][1]["link"])
    with session_scope() as s:
        tok = s.exec(select(OneTimeToken).where(OneTimeToken.purpose == "invite")).one()
        tok.expires_at = utcnow() - timedelta(seconds=1)
        s.add(tok)
        s.commit()
    assert not auth.reset_link_is_valid(token, "invite")
    assert not auth.reset_password(token, "Nouveau-Passe-2024", "Nouveau-Passe-2024", "invite").ok
    assert "n'est plus valable" in firm_clients.get_client(lawyer(demo), result.value).invitation


def test_resend_replaces_the_previous_link(demo):
    result = firm_clients.create_client(lawyer(demo), NEW)
    first = _token_from(queued("paul.durand@example.com")[-1][1]["link"])
    again = firm_clients.resend_invitation(lawyer(demo), result.value)
    assert again.ok and again.message == "Invitation envoyée à paul.durand@example.com."
    emails = queued("paul.durand@example.com")
    assert len(emails) == 2
    second = _token_from(emails[-1][1]["link"])
    assert first != second
    assert not auth.reset_link_is_valid(first, "invite")
    assert auth.reset_link_is_valid(second, "invite")
    assert auth.reset_password(second, "Nouveau-Passe-2024", "Nouveau-Passe-2024", "invite").ok


def test_create_validation_keeps_nothing_and_refuses_a_taken_identifier(demo):
    result = firm_clients.create_client(lawyer(demo), {"nom": " ", "prenom": "", "email": "pas-une-adresse",
                                                        "code_postal": "123", "tel": "12"})
    assert not result.ok
    assert result.errors["nom"] == "Ce champ est obligatoire." and result.errors["prenom"] == "Ce champ est obligatoire."
    assert result.errors["email"].startswith("Adresse e-mail invalide")
    assert result.errors["code_postal"].startswith("Code postal invalide")
    assert result.errors["tel"].startswith("Numéro invalide")
    assert "adresse" not in result.errors and "mobile" not in result.errors  # optional
    # Only a duplicate inside the firm is reported (another firm's address: test_identities).
    taken = firm_clients.create_client(lawyer(demo), {**NEW, "email": "MARC.bertrand@example.com"})
    assert not taken.ok and taken.errors["email"] == "Cette adresse e-mail est déjà celle d'un compte de votre cabinet."
    minimal = firm_clients.create_client(lawyer(demo), {"nom": "SIMPLE", "prenom": "Anne", "email": "anne@example.com"})
    assert minimal.ok, minimal.errors
    with session_scope() as s:
        assert len(s.exec(select(User).where(User.firm_id == demo["firm_id"], User.role == "client")).all()) == 4


def test_update_client(demo):
    cid = demo["other_client_id"]
    current = firm_clients.get_client(lawyer(demo), cid).values
    bad = firm_clients.update_client(lawyer(demo), cid, {**current, "email": LUCE_EMAIL})
    assert not bad.ok and "déjà celle d'un compte de votre cabinet" in bad.errors["email"]
    ok = firm_clients.update_client(lawyer(demo), cid, {**current, "ville": "SETE", "code_postal": "34200"})
    assert ok.ok and ok.message == "Les coordonnées du client ont été enregistrées."
    assert firm_clients.get_client(lawyer(demo), cid).values["ville"] == "SETE"
    trail = audit.for_client(lawyer(demo), demo["other_client_user_id"])["events"]
    assert trail[0]["action"] == "Coordonnées modifiées par le cabinet" and "Ville" in trail[0]["detail"]


def test_deactivation_closes_the_sessions_at_once(demo):
    token = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    assert auth.current_user(token) is not None
    result = firm_clients.deactivate_client(lawyer(demo), demo["client_id"])
    assert result.ok and "sessions ont été fermées" in result.message
    assert auth.current_user(token) is None
    assert not auth.login(LUCE_EMAIL, LUCE_PASSWORD).ok
    assert [r.status for r in firm_clients.list_clients(lawyer(demo), "alexander").rows] == ["Désactivé"]
    refused = firm_clients.resend_invitation(lawyer(demo), demo["client_id"])
    assert not refused.ok and "désactivé" in refused.errors["form"]
    assert firm_clients.reactivate_client(lawyer(demo), demo["client_id"]).ok
    assert auth.current_user(token) is None  # revoked sessions stay revoked
    assert auth.login(LUCE_EMAIL, LUCE_PASSWORD).ok


def test_temporary_password_flow(demo):
    with session_scope() as s:
        firm = s.get(Firm, demo["firm_id"])
        firm.invite_with_temporary_password = True
        s.add(firm)
        s.commit()
    result = firm_clients.create_client(lawyer(demo), NEW)
    assert result.ok and result.message == "Mot de passe provisoire envoyé à paul.durand@example.com."
    [(row, ctx)] = queued("paul.durand@example.com")
    assert row.template == "temporary_password"
    _, text = mailer._render(row.template, ctx)
    assert "Identifiant : paul.durand@example.com" in text and f"Mot de passe : {ctx['password']}" in text
    with session_scope() as s:
        assert s.exec(select(OneTimeToken).where(OneTimeToken.purpose == "invite")).first() is None
    assert account_by_email("paul.durand@example.com").must_change_password
    login = auth.login("paul.durand@example.com", ctx["password"])
    assert login.ok
    token, opened = auth.open_session(login.ticket, login.browser_key)
    from espace.http.core import home_path_for

    assert home_path_for(opened) == "/premiere-connexion"
    assert firm_clients.get_client(lawyer(demo), result.value).can_resend
    changed = auth.change_password(token, ctx["password"], "Mon-Propre-Passe-1", "Mon-Propre-Passe-1")
    assert changed.ok
    assert not account_by_email("paul.durand@example.com").must_change_password
    assert home_path_for(auth.current_user(token)) == "/accueil"
    assert auth.current_user(token) is not None
    assert not auth.login("paul.durand@example.com", ctx["password"]).ok


def test_resending_a_temporary_password_replaces_it(demo):
    with session_scope() as s:
        firm = s.get(Firm, demo["firm_id"])
        firm.invite_with_temporary_password = True
        s.add(firm)
        s.commit()
    result = firm_clients.create_client(lawyer(demo), NEW)
    first = queued("paul.durand@example.com")[-1][1]["password"]
    token = session_token("paul.durand@example.com", first)
    assert firm_clients.resend_invitation(lawyer(demo), result.value).ok
    second = queued("paul.durand@example.com")[-1][1]["password"]
    assert first != second
    assert auth.current_user(token) is None
    assert not auth.login("paul.durand@example.com", first).ok
    assert auth.login("paul.durand@example.com", second).ok


def test_audit_trail_of_one_client(demo):
    session_token(LUCE_EMAIL, LUCE_PASSWORD)
    auth.login(LUCE_EMAIL, "mauvais mot de passe")
    firm_clients.deactivate_client(lawyer(demo), demo["client_id"])
    firm_clients.reactivate_client(lawyer(demo), demo["client_id"])
    session_token(LAWYER_EMAIL, LAWYER_PASSWORD)  # the lawyer's own login is not in Luce's trail
    trail = audit.for_client(lawyer(demo), demo["client_user_id"])
    actions = [e["action"] for e in trail["events"]]
    assert actions[:4] == ["Accès réactivé", "Accès désactivé", "Connexion refusée", "Connexion"]
    assert trail["total"] == len(actions) == 4
    assert trail["events"][0]["who"] == "Fabien DELMAS" and trail["events"][3]["who"] == "le client"
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d", e["date"]) for e in trail["events"])
    # Marc's trail holds none of it.
    assert audit.for_client(lawyer(demo), demo["other_client_user_id"])["events"] == []
    with session_scope() as s:
        subject = s.exec(select(AuditEvent).where(AuditEvent.action == "client_desactive")).one()
        assert subject.subject_user_id == demo["client_user_id"] and subject.user_id == demo["lawyer_id"]


def test_dashboard_counts(demo):
    firm_clients.create_client(lawyer(demo), NEW)
    assert firm_clients.dashboard(lawyer(demo)) == firm_clients.Counts(clients=4, active=4, pending=1, dossiers=6)
    assert firm_clients.dashboard(claire()) == firm_clients.Counts(clients=2, active=2, pending=0, dossiers=2)


def test_trail_shows_shares_and_downloads(demo):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    from espace.demo import UNOPENED  # a document Luce has not opened yet
    from espace.http import routes as api
    from espace.models import Direction, Document, Rdv
    from espace.services.firm import sharing

    with session_scope() as s:
        rdv = s.exec(select(Rdv).where(Rdv.dossier_id == demo["dossier_ids"][0], Rdv.shared_at.is_not(None))).first()
        doc = s.exec(select(Document).where(Document.dossier_id.in_(demo["dossier_ids"]),
                                            Document.direction == Direction.recu, Document.name == UNOPENED,
                                            Document.shared_at.is_not(None))).first()
    assert sharing.unshare(lawyer(demo), "rdv", rdv.id)
    assert sharing.share(lawyer(demo), "rdv", rdv.id)
    token = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    with TestClient(api.api) as http:
        assert http.get(f"/api/documents/{doc.id}", headers={"Cookie": f"espace_session={token}"}).status_code == 200
    events = audit.for_client(lawyer(demo), demo["client_user_id"])["events"]
    # (the first download of a document is also its first opening: the firm's read receipt)
    assert [e["action"] for e in events[:5]] == ["Téléchargement", "Document ouvert par le client (première fois)",
                                                 "Connexion", "Partage", "Partage retiré"]
    assert events[0]["who"] == "le client" and doc.name in events[0]["detail"]
    assert events[3]["who"] == "Fabien DELMAS"
    assert audit.for_client(lawyer(demo), demo["other_client_user_id"])["events"] == []


def test_correcting_the_email_kills_the_links_sent_to_the_old_address(demo):
    """A typo fixed by the firm: whoever got the invitation at the wrong address can no longer use it."""
    result = firm_clients.create_client(lawyer(demo), {**NEW, "email": "paul.durand@exmaple.com"})
    [(_row, ctx)] = queued("paul.durand@exmaple.com")
    token = _token_from(ctx["link"])
    current = firm_clients.get_client(lawyer(demo), result.value).values
    fixed = firm_clients.update_client(lawyer(demo), result.value, {**current, "email": "paul.durand@example.com"},
                                       token=session_for(lawyer(demo)))
    assert fixed.ok, fixed.errors
    assert not auth.reset_link_is_valid(token, "invite")
    assert not auth.reset_password(token, "Vole-Mot2passe!", "Vole-Mot2passe!", "invite").ok
    assert not auth.login("paul.durand@example.com", "Vole-Mot2passe!").ok

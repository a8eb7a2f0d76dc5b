"""One identity, memberships per firm, the firm chooser; and no cross-firm signal:
a lawyer creating a client, or accepting a contact-details request, gets the same
answer and sees the same thing whether or not the address has an account elsewhere."""
from __future__ import annotations

import pytest
from sqlmodel import select

from espace.db import session_scope
from espace.demo import (
    LAWYER_EMAIL,
    LEROY_EMAIL,
    LUCE_EMAIL,
    LUCE_PASSWORD,
    PAUL_EMAIL,
    PAUL_PASSWORD,
    SOPHIE_EMAIL,
    SOPHIE_PASSWORD,
)
from espace.domain.outcome import Outcome
from espace.models import Account, Client, Firm, OutboxEmail, User
from espace.services import audit
from espace.services.accounts import auth, identities
from espace.services.client import contact, home
from espace.services.firm import clients as firm_clients
from espace.services.firm import requests as firm_requests
from tests.admin_helpers import account_by_email, claire, queued, user, user_by_email
from tests.services.accounts.step_up_helpers import session_for


def delmas() -> User:
    return user_by_email(LAWYER_EMAIL)


def form(email: str, nom: str = "DURAND") -> dict:
    return {"nom": nom, "prenom": "Paul", "email": email, "adresse": "1 rue Haute", "code_postal": "34000",
            "ville": "MONTPELLIER", "tel": "", "mobile": ""}


def _login(identifier: str, password: str):
    result = auth.login(identifier, password, "127.0.0.1")
    assert result.ok, result.error
    token, opened = auth.open_session(result.ticket, result.browser_key)
    return result, token, opened


def refs(member: User) -> list[str]:
    """The dossier references a client sees (home page's dossier choice)."""
    return [d["title"].split(" - ")[0] for d in home.home(member).dossiers]


def _view(lawyer: User, client_id: int) -> dict:
    """What the firm sees of a client, without what differs by construction (ids,
    names, addresses, dates written as today)."""
    detail = firm_clients.get_client(lawyer, client_id)
    row = next(r for r in firm_clients.list_clients(lawyer, "").rows if r.id == client_id)
    trail = [e["action"] for e in audit.for_client(lawyer, detail.user_id)["events"]]
    return {"status": detail.status, "list_status": row.status, "last_login": detail.last_login,
            "list_last_login": row.last_login, "can_resend": detail.can_resend, "active": detail.active,
            "invitation": detail.invitation.split(" le ")[0], "trail": trail}


@pytest.mark.parametrize("temporary", [False, True], ids=["link", "temporary-password"])
def test_another_firms_client_address_is_answered_like_a_new_one(demo, temporary):
    """Claire (Cabinet LEROY) creates a client with the address of DELMAS's client Luce,
    and one with a fresh address: same answer, same status, same trail."""
    if temporary:
        with session_scope() as s:
            firm = s.get(Firm, demo["other_firm_id"])
            firm.invite_with_temporary_password = True
            s.add(firm)
            s.commit()
    lawyer = claire()
    known = firm_clients.create_client(lawyer, form(LUCE_EMAIL.upper()))
    fresh = firm_clients.create_client(lawyer, form("nouvelle.personne@example.com"))
    assert known.ok and fresh.ok, (known.errors, fresh.errors)
    assert known.message.replace(LUCE_EMAIL, "X") == fresh.message.replace("nouvelle.personne@example.com", "X")
    assert known.message == (f"Mot de passe provisoire envoyé à {LUCE_EMAIL}." if temporary
                             else f"Invitation envoyée à {LUCE_EMAIL}.")
    assert _view(lawyer, known.value) == _view(lawyer, fresh.value)
    assert _view(lawyer, known.value)["status"] == (
        "Mot de passe provisoire" if temporary else "Invitation en attente")
    # The membership is linked to Luce's account; her password is untouched.
    with session_scope() as s:
        membership = s.get(User, s.get(Client, known.value).user_id)
        luce = s.get(User, demo["client_user_id"])
        assert membership.account_id == luce.account_id and membership.firm_id == demo["other_firm_id"]
    assert not account_by_email(LUCE_EMAIL).must_change_password
    # Luce is told with no password and nothing about her other firm; the fresh
    # address gets the usual invitation.
    [(opened, ctx)] = queued(LUCE_EMAIL)
    assert opened.template == "membership_opened"
    assert opened.subject == "Le cabinet Cabinet LEROY vous invite à rejoindre son espace client"
    from espace.services.mail import mailer

    html, text = mailer._render(opened.template, ctx)
    for body in (html, text):
        assert "identifiant et votre mot de passe habituels" in body
        assert "DELMAS" not in body and "jeton" not in body and "Mot de passe :" not in body
    [(invite, _)] = queued("nouvelle.personne@example.com")
    assert invite.template == ("temporary_password" if temporary else "invitation")
    # The same firm cannot add her twice; that duplicate may be named.
    again = firm_clients.create_client(lawyer, form(LUCE_EMAIL))
    assert not again.ok and again.errors["email"] == "Cette adresse e-mail est déjà celle d'un compte de votre cabinet."


def test_the_person_logs_in_chooses_and_each_firm_sees_only_its_own(demo):
    known = firm_clients.create_client(claire(), form(LUCE_EMAIL))
    # Luce now has two firms: the login opens on the chooser, no membership bound yet.
    result, token, opened = _login(LUCE_EMAIL, LUCE_PASSWORD)
    assert result.role is None and opened is None
    from espace.http.core import home_path_for

    assert home_path_for(opened) == "/choisir-cabinet"
    assert auth.current_user(token) is None and identities.awaits_choice(token)
    # LEROY waits for her consent (issue 22, item 6): not among her spaces until she accepts.
    assert [(c.firm, c.space) for c in identities.choices(token)] == [("Cabinet DELMAS Avocats", "Espace client")]
    [invitation] = identities.invitations(token)
    assert (invitation.firm, invitation.space) == ("Cabinet LEROY", "espace client")
    assert identities.choose(token, invitation.id) is None
    assert identities.answer_invitation(token, invitation.id, accept=True)
    assert identities.invitations(token) == []
    spaces = identities.choices(token)
    assert [(c.firm, c.space, c.current) for c in spaces] == [
        ("Cabinet DELMAS Avocats", "Espace client", False), ("Cabinet LEROY", "Espace client", False)]
    # LEROY's view of her is still « Invitation en attente » until she enters LEROY.
    assert firm_clients.get_client(claire(), known.value).status == "Invitation en attente"
    delmas_id = next(c.id for c in spaces if c.firm == "Cabinet DELMAS Avocats")
    leroy_id = next(c.id for c in spaces if c.firm == "Cabinet LEROY")
    assert leroy_id == invitation.id
    chosen = identities.choose(token, delmas_id)
    assert chosen.firm_id == demo["firm_id"] and auth.current_user(token).id == demo["client_user_id"]
    assert len(refs(auth.current_user(token))) == 4
    assert firm_clients.get_client(claire(), known.value).status == "Invitation en attente"
    assert firm_clients.get_client(claire(), known.value).last_login == "Jamais"
    # Switching to LEROY: the same session now acts as her LEROY membership only.
    chosen = identities.choose(token, leroy_id)
    me = auth.current_user(token)
    assert me.firm_id == demo["other_firm_id"] and me.id != demo["client_user_id"]
    assert refs(me) == []  # LEROY has no dossier for her yet; DELMAS's are not reachable
    actor = auth.current_actor(token)
    assert (actor.id, actor.firm_id) == (me.id, demo["other_firm_id"])
    assert firm_clients.get_client(claire(), known.value).status == "Actif"
    # A membership of someone else, another firm's id, garbage: refused, nothing changes.
    for wanted in (demo["other_client_user_id"], demo["lawyer_id"], "1 OR 1=1", None, [1], True, -1, 2**70):
        assert identities.choose(token, wanted) is None
    assert auth.current_user(token).id == me.id
    assert identities.choose("not-a-session", leroy_id) is None


def test_deactivation_in_one_firm_leaves_the_other_working(demo):
    ids = demo["both_firms_client_ids"]
    _, token, opened = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    assert opened is None
    delmas_member, leroy_member = demo["both_firms_user_ids"]
    identities.choose(token, leroy_member)
    _, other_token, _ = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    identities.choose(other_token, delmas_member)
    assert firm_clients.deactivate_client(delmas(), ids[0]).ok
    assert auth.current_user(other_token) is None  # the DELMAS session is closed
    assert auth.current_user(token).firm_id == demo["other_firm_id"]  # LEROY's is not
    # She still logs in, straight into her only remaining firm; the DELMAS membership is refused.
    result, _, opened = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    assert opened.id == leroy_member and result.role == "client"
    assert identities.choose(token, delmas_member) is None
    # Deactivated in both: refused like bad credentials.
    assert firm_clients.deactivate_client(claire(), ids[1]).ok
    assert auth.login(SOPHIE_EMAIL, SOPHIE_PASSWORD).error == auth.BAD_CREDENTIALS


def test_password_change_applies_to_the_account_in_every_firm(demo):
    delmas_member, leroy_member = demo["both_firms_user_ids"]
    _, token, _ = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    identities.choose(token, leroy_member)
    _, other_token, _ = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    identities.choose(other_token, delmas_member)
    _, pending_token, _ = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    assert auth.change_password(token, SOPHIE_PASSWORD, "Nouveau-Passe-2025", "Nouveau-Passe-2025").ok
    assert auth.current_user(token) is not None
    assert auth.current_user(other_token) is None and not identities.awaits_choice(pending_token)
    assert not auth.login(SOPHIE_EMAIL, SOPHIE_PASSWORD).ok
    assert auth.login(SOPHIE_EMAIL, "Nouveau-Passe-2025").ok
    # A reset link is for the account: one email, to the identifier.
    assert auth.request_reset(SOPHIE_EMAIL).ok
    [(_row, ctx)] = [q for q in queued(SOPHIE_EMAIL) if q[0].template == "password_reset"]
    token_value = ctx["link"].split("jeton=")[1]
    assert auth.reset_password(token_value, "Encore-Autre-2025", "Encore-Autre-2025").ok
    assert auth.current_user(token) is None
    assert auth.login(SOPHIE_EMAIL, "Encore-Autre-2025").ok


def test_an_invitation_link_activates_its_membership_only(demo):
    """A fresh person invited by two firms: the link of one sets the password and
    activates that membership; the other firm still sees its invitation pending."""
    first = firm_clients.create_client(delmas(), form("double@example.com"))
    second = firm_clients.create_client(claire(), form("double@example.com"))
    assert first.message == second.message == "Invitation envoyée à double@example.com."
    links = [ctx["link"] for row, ctx in queued("double@example.com")]
    assert len(links) == 2 and all("/activer?jeton=" in link for link in links)  # neither knew of the other
    assert auth.reset_password(links[1].split("jeton=")[1], "Deux-Cabinets-2025", "Deux-Cabinets-2025", "invite").ok
    assert firm_clients.get_client(claire(), second.value).status == "Actif"
    assert firm_clients.get_client(delmas(), first.value).status == "Invitation en attente"
    _, token, opened = _login("double@example.com", "Deux-Cabinets-2025")
    assert opened is None and len(identities.choices(token)) == 2


def test_contact_request_with_another_firms_address_is_answered_the_same(demo):
    """Marc (DELMAS) asks to use Paul's address (a LEROY client) and Luce a fresh one:
    both accepted alike; the firm's contact details change; Marc keeps his identifier."""
    people = {"marc": user(demo["other_client_user_id"]), "luce": user(demo["client_user_id"])}
    base = contact.current_values(people["marc"])
    assert contact.request_update(people["marc"], {**base, "email": PAUL_EMAIL, "ville": "SETE",
                                                   "code_postal": "34200"}, session_for(people["marc"])).ok
    base = contact.current_values(people["luce"])
    assert contact.request_update(people["luce"], {**base, "email": "luce.nouvelle@example.com"},
                                  session_for(people["luce"])).ok
    requests = {r.client: r.id for r in firm_requests.list_requests(delmas())}
    marc = firm_requests.accept(delmas(), requests["Marc BERTRAND"])
    luce = firm_requests.accept(delmas(), requests["Luce ALEXANDER"])
    assert marc == luce == Outcome.done()
    with session_scope() as s:
        marc_user = s.get(User, demo["other_client_user_id"])
        assert marc_user.email == PAUL_EMAIL  # where DELMAS writes to Marc now
        assert s.get(Account, marc_user.account_id).email == "marc.bertrand@example.com"  # his login
        assert s.exec(select(Client.email).where(Client.user_id == marc_user.id)).one() == PAUL_EMAIL
    # Paul's own account and sessions are untouched; Luce's identifier followed (no other firm, free address).
    assert auth.login(PAUL_EMAIL, PAUL_PASSWORD).ok
    assert auth.login("marc.bertrand@example.com", "Bertrand-Demo-2024").ok
    assert auth.login("luce.nouvelle@example.com", LUCE_PASSWORD).ok
    assert not auth.login(LUCE_EMAIL, LUCE_PASSWORD).ok
    # Each is told what happened, by email.
    from espace.services.mail import mailer

    _, marc_mail = mailer._render("contact_accepted", queued("marc.bertrand@example.com")[-1][1])
    assert "Votre identifiant de connexion ne change pas" in marc_mail and PAUL_EMAIL not in marc_mail.split(
        "E-mail")[0]
    _, luce_mail = mailer._render("contact_accepted", queued(LUCE_EMAIL)[-1][1])
    assert "Votre identifiant de connexion est maintenant luce.nouvelle@example.com" in luce_mail


def test_lawyer_edit_with_another_firms_address_is_answered_the_same(demo):
    marc_values = firm_clients.get_client(delmas(), demo["other_client_id"]).values
    luce_values = firm_clients.get_client(delmas(), demo["client_id"]).values
    token = session_for(delmas())  # a new address needs the lawyer's step-up
    taken = firm_clients.update_client(delmas(), demo["other_client_id"], {**marc_values, "email": LEROY_EMAIL},
                                       token=token)
    free = firm_clients.update_client(delmas(), demo["client_id"], {**luce_values, "email": "libre@example.com"},
                                      token=token)
    assert (taken.ok, taken.message, taken.errors) == (free.ok, free.message, free.errors) == (
        True, "Les coordonnées du client ont été enregistrées.", {})
    assert auth.login(LEROY_EMAIL, "Leroy-Demo-2024").ok  # Claire's account untouched
    assert auth.login("marc.bertrand@example.com", "Bertrand-Demo-2024").ok


def test_cli_links_an_existing_account_without_touching_its_password(demo, capsys):
    from espace.__main__ import main

    firm = str(demo["other_firm_id"])
    assert main(["create-client", "--firm-id", firm, "--email", LUCE_EMAIL.upper(), "--nom", "ALEXANDER",
                 "--prenom", "Luce", "--password", "Autre-Passe-2025"]) == 0
    known = capsys.readouterr().out
    assert main(["create-client", "--firm-id", firm, "--email", "cli.nouveau@example.com", "--nom", "NOUVEAU",
                 "--prenom", "Cli", "--password", "Autre-Passe-2025"]) == 0
    fresh = capsys.readouterr().out
    # Same lines (a chosen password is never echoed).
    strip = lambda out, email: [line.split(" n° ")[0] for line in out.replace(email, "X").splitlines()]  # noqa: E731
    assert strip(known, LUCE_EMAIL) == strip(fresh, "cli.nouveau@example.com")
    assert auth.login(LUCE_EMAIL, LUCE_PASSWORD).ok and not auth.login(LUCE_EMAIL, "Autre-Passe-2025").ok
    assert [row.template for row, _ in queued(LUCE_EMAIL)] == ["membership_opened"]
    assert main(["create-lawyer", "--firm-id", firm, "--email", LUCE_EMAIL, "--nom", "A", "--prenom", "B"]) == 2
    assert "dans ce cabinet" in capsys.readouterr().err


def test_demo_person_of_both_firms(demo):
    _result, token, opened = _login(SOPHIE_EMAIL, SOPHIE_PASSWORD)
    assert opened is None
    firms = {}
    for choice in identities.choices(token):
        me = identities.choose(token, choice.id)
        firms[choice.firm] = refs(auth.current_user(token))
        assert me.role == "client"
    assert firms == {"Cabinet DELMAS Avocats": ["2025IIDOS/0777"], "Cabinet LEROY": ["2025LER/0002"]}
    # The other demo accounts land where they did.
    for identifier, password in ((LUCE_EMAIL, LUCE_PASSWORD), (LAWYER_EMAIL, "Delmas-Demo-2024"),
                                 (PAUL_EMAIL, PAUL_PASSWORD)):
        assert _login(identifier, password)[2] is not None
    with session_scope() as s:
        assert s.exec(select(OutboxEmail)).all() == []  # logging in emails nobody

"""Consent to a new firm (issue 22, item 6): a firm that adds an address that already
has an account gets nothing of that person until they accept — no space in their
chooser, no automatic entry at login, no « Changer d'espace » — the person is told by
email and asked at their next login; the firm sees « Invitation en attente » exactly
as for anyone it invites; a refusal keeps the firm out."""
from __future__ import annotations

from sqlmodel import select

from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD, PAUL_EMAIL, PAUL_PASSWORD
from espace.models import AuditEvent, User
from espace.services.accounts import auth, identities
from espace.services.firm import clients as firm_clients
from tests.admin_helpers import claire, queued, user_by_email
from tests.services.accounts.test_identities import _login, _view, delmas, form


def test_the_new_firm_is_out_of_the_persons_login_until_accepted(demo):
    known = firm_clients.create_client(claire(), form(LUCE_EMAIL))
    assert known.ok
    [(mail, _)] = queued(LUCE_EMAIL)
    assert mail.template == "membership_opened"
    assert mail.subject == "Le cabinet Cabinet LEROY vous invite à rejoindre son espace client"
    # Luce had one firm: she no longer lands in it at once, the chooser asks first.
    _, token, opened = _login(LUCE_EMAIL, LUCE_PASSWORD)
    assert opened is None and identities.awaits_choice(token)
    assert [c.firm for c in identities.choices(token)] == ["Cabinet DELMAS Avocats"]
    [invitation] = identities.invitations(token)
    assert invitation.firm == "Cabinet LEROY"
    # Nothing of LEROY until she accepts: choosing it by its id is refused.
    assert identities.choose(token, invitation.id) is None
    assert identities.choose(token, next(c.id for c in identities.choices(token))).firm_id == demo["firm_id"]
    assert not identities.has_several(auth.current_user(token).account_id)  # no « Changer d'espace »
    assert firm_clients.get_client(claire(), known.value).status == "Invitation en attente"
    # Accepted: LEROY is one of her spaces, « Changer d'espace » appears.
    assert identities.answer_invitation(token, invitation.id, accept=True)
    assert [c.firm for c in identities.choices(token)] == ["Cabinet DELMAS Avocats", "Cabinet LEROY"]
    assert identities.has_several(auth.current_user(token).account_id)
    assert identities.answer_invitation(token, invitation.id, accept=True) is False  # answered once
    # The next login asks nothing more: two spaces, the chooser as for any person of two firms.
    _, again, _ = _login(LUCE_EMAIL, LUCE_PASSWORD)
    assert identities.invitations(again) == []
    assert identities.choose(again, invitation.id).firm_id == demo["other_firm_id"]
    assert firm_clients.get_client(claire(), known.value).status == "Actif"


def test_a_refusal_keeps_the_firm_out_and_the_firm_sees_what_it_sees_for_anyone(demo):
    lawyer = claire()
    known = firm_clients.create_client(lawyer, form(LUCE_EMAIL))
    fresh = firm_clients.create_client(lawyer, form("nouvelle.personne@example.com"))
    _, token, _ = _login(LUCE_EMAIL, LUCE_PASSWORD)
    [invitation] = identities.invitations(token)
    assert identities.answer_invitation(token, invitation.id, accept=False)
    assert identities.invitations(token) == [] and identities.choose(token, invitation.id) is None
    # Her next login lands in her own firm directly, as before the invitation.
    _, later, opened = _login(LUCE_EMAIL, LUCE_PASSWORD)
    assert opened is not None and opened.firm_id == demo["firm_id"] and identities.invitations(later) == []
    # LEROY sees the same as for a person who never answered its invitation: no refusal, no trail.
    assert _view(lawyer, known.value) == _view(lawyer, fresh.value)
    assert _view(lawyer, known.value)["status"] == "Invitation en attente"
    with session_scope() as s:
        answers = s.exec(select(AuditEvent).where(AuditEvent.action == "invitation_refusee")).all()
        assert [(e.firm_id, e.user_id) for e in answers] == [(None, None)]  # the operator's trail only


def test_only_ones_own_invitations_can_be_answered(demo):
    known = firm_clients.create_client(claire(), form(LUCE_EMAIL))
    _, luce_token, _ = _login(LUCE_EMAIL, LUCE_PASSWORD)
    [invitation] = identities.invitations(luce_token)
    # Paul (LEROY's client) answering Luce's invitation, garbage ids, no session: refused.
    _, paul_token, _ = _login(PAUL_EMAIL, PAUL_PASSWORD)
    for token, wanted in ((paul_token, invitation.id), ("pas-une-session", invitation.id), (None, invitation.id),
                          (luce_token, "1 OR 1=1"), (luce_token, [1]), (luce_token, -1), (luce_token, 2**70),
                          (luce_token, delmas().id), (luce_token, user_by_email(LUCE_EMAIL).id)):
        assert identities.answer_invitation(token, wanted, accept=True) is False, wanted
    assert identities.invitations(paul_token) == []
    with session_scope() as s:
        assert s.get(User, int(invitation.id)).consent == identities.CONSENT_PENDING
    assert known.ok


def test_a_new_person_and_a_never_logged_in_account_are_not_asked(demo):
    """Consent is for a person who logs in: a fresh address gets the usual invitation,
    and a second firm adding an account still waiting for its first password too."""
    lawyer = claire()
    assert firm_clients.create_client(lawyer, form("nouvelle.personne@example.com")).ok
    assert firm_clients.create_client(delmas(), form("nouvelle.personne@example.com")).ok
    with session_scope() as s:
        rows = s.exec(select(User).where(User.email == "nouvelle.personne@example.com")).all()
        assert [u.consent for u in rows] == [None, None]

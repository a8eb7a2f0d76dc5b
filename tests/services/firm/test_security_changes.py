"""Step-up for the firm's security changes (issue 22, item 1, the firm's side), as a
lawyer, the client and an attacker holding a staff session left open at the office see
it: a client's e-mail, inviting, promoting and reactivating a colleague, the security
settings (sender address, invitation mode, Stripe keys) and the second-factor rule are
refused without a fresh proof and change nothing; with it they are done, in the audit
trail, and e-mailed (both of the client's addresses, the colleague, every administrator).
Ordinary work (names, phone numbers, the firm's name, deactivations) asks nothing."""
from __future__ import annotations

import email
import json

from sqlmodel import col, select

from espace.db import session_scope
from espace.demo import JULIE_EMAIL, LAWYER_EMAIL, LAWYER_PASSWORD, LUCE_EMAIL, LUCE_PASSWORD
from espace.models import AuditEvent, FirmTwoFactorPolicy, OutboxEmail, Role, User
from espace.services.accounts import auth, step_up
from espace.services.firm import clients as firm_clients
from espace.services.firm import settings as firm_settings
from espace.services.firm import team
from tests.admin_helpers import account_by_email, sent_emails, session_token, user, user_by_email
from tests.services.accounts.step_up_helpers import session_for
from tests.services.firm.test_settings import PUBLISHABLE, SECRET, WEBHOOK, form

NEW_EMAIL = "luce.nouvelle@example.com"
NOTICE = "firm_security_notice"


def _notices(to: str) -> list[dict]:
    with session_scope() as s:
        rows = s.exec(select(OutboxEmail).where(OutboxEmail.to == to, OutboxEmail.template == NOTICE)
                      .order_by(col(OutboxEmail.id))).all()
        return [{"subject": r.subject, **json.loads(r.context_json)} for r in rows]


def _all_notices() -> int:
    with session_scope() as s:
        return len(s.exec(select(OutboxEmail.id).where(OutboxEmail.template == NOTICE)).all())


def _audit(firm_id: int, action: str) -> list[str]:
    with session_scope() as s:
        return list(s.exec(select(AuditEvent.detail).where(AuditEvent.firm_id == firm_id, AuditEvent.action == action)
                           .order_by(col(AuditEvent.id))).all())


def _luce_values(demo) -> dict[str, str]:
    return dict(firm_clients.get_client(user(demo["lawyer_id"]), demo["client_id"]).values)


def _promote_julie(demo) -> User:
    """A second administrator (Julie), so that « every administrator » means two people."""
    admin = user(demo["lawyer_id"])
    assert team.change_role(admin, demo["staff_id"], "admin", token=session_for(admin)).ok
    return user(demo["staff_id"])


def test_a_stolen_staff_session_makes_no_security_change(demo):
    """The finding: an open laptop at the office changed a client's address (then a reset to
    it took the account), promoted a colleague, switched the 2FA rule off, replaced the keys."""
    admin = user(demo["lawyer_id"])
    julie = user(demo["staff_id"])
    assert team.deactivate_colleague(admin, demo["staff_id"]).ok  # free: it only closes a door
    before = _luce_values(demo)
    notices = _all_notices()
    for stolen in (session_for(admin, stepped_up=False), session_for(admin, minutes_ago=5.1), None, "forged"):
        for refused in (
            firm_clients.update_client(admin, demo["client_id"], {**before, "email": NEW_EMAIL}, token=stolen),
            team.invite_colleague(admin, {"nom": "PIRATE", "prenom": "Pia", "email": "pia@example.com",
                                          "role": "admin"}, token=stolen),
            team.change_role(admin, demo["staff_id"], "admin", token=stolen),
            team.reactivate_colleague(admin, demo["staff_id"], token=stolen),
            firm_settings.update(admin, form(sender_email="pirate@example.com"), token=stolen),
            firm_settings.update(admin, form(publishable_key=PUBLISHABLE, secret_key=SECRET), token=stolen),
            firm_settings.update(admin, form(webhook_secret=WEBHOOK), token=stolen),
            firm_settings.update(admin, form(invite_with_temporary_password="on"), token=stolen),
            firm_settings.set_two_factor_policy(admin, True, True, token=stolen),
        ):
            assert not refused.ok and refused.error in (step_up.NEEDED, step_up.EXPIRED), refused
    assert _luce_values(demo) == before
    assert account_by_email(LUCE_EMAIL).email == LUCE_EMAIL
    assert user_by_email("pia@example.com") is None
    assert user(demo["staff_id"]).role == julie.role and not user(demo["staff_id"]).active
    shown = firm_settings.get_settings(admin)
    assert (shown.sender_email, shown.secret_key_saved, shown.webhook_secret_saved,
            shown.invite_with_temporary_password) == ("contact@cabinet-delmas.example", False, False, False)
    with session_scope() as s:
        assert s.get(FirmTwoFactorPolicy, demo["firm_id"]) is None
    assert _all_notices() == notices
    # Another person's stepped-up session does not serve the admin (the proof is the session's).
    assert not firm_settings.set_two_factor_policy(admin, True, True, token=session_for(julie)).ok


def test_ordinary_work_asks_for_nothing(demo):
    """Names, phone numbers, the town, the firm's name, payments on/off with saved keys:
    done without any proof (lawyers do them all day)."""
    admin = user(demo["lawyer_id"])
    none = session_for(admin, stepped_up=False)
    values = _luce_values(demo)
    done = firm_clients.update_client(admin, demo["client_id"],
                                      {**values, "nom": "ALEXANDER-MARTIN", "tel": "04 67 00 11 22", "ville": "SETE"},
                                      token=none)
    assert done.ok, done.errors
    assert firm_settings.update(admin, form(name="Cabinet DELMAS & Associés"), token=none).ok
    assert firm_settings.set_two_factor_policy(admin, False, False, token=none).ok  # unchanged: nothing to confirm
    assert team.deactivate_colleague(admin, demo["staff_id"]).ok
    assert _all_notices() == 0


def test_a_new_client_address_with_a_proof_ends_the_client_sessions_and_tells_both_addresses(demo):
    admin = user(demo["lawyer_id"])
    luce_session = session_token(LUCE_EMAIL, LUCE_PASSWORD)
    assert auth.request_reset(LUCE_EMAIL).ok  # a reset link already sent to the old address
    with session_scope() as s:
        reset_mail = s.exec(select(OutboxEmail).where(OutboxEmail.to == LUCE_EMAIL,
                                                      OutboxEmail.template == "password_reset")).one()
    reset_token = json.loads(reset_mail.context_json)["link"].split("jeton=", 1)[1]
    lawyer_session = session_token(LAWYER_EMAIL, LAWYER_PASSWORD)  # a login counts as the proof
    result = firm_clients.update_client(admin, demo["client_id"], {**_luce_values(demo), "email": NEW_EMAIL},
                                        token=lawyer_session)
    assert result.ok, result.errors
    # The login identifier followed: her open session and the reset link are dead.
    assert account_by_email(NEW_EMAIL) is not None
    assert auth.current_user(luce_session) is None
    assert not auth.reset_link_is_valid(reset_token, "reset")
    # Both addresses are told; the old one gets the link that ends all her sessions.
    [old] = _notices(LUCE_EMAIL)
    [new] = _notices(NEW_EMAIL)
    for notice in (old, new):
        assert notice["what"].startswith("L'adresse de connexion de votre espace client a été modifiée par "
                                         "votre cabinet")
        assert NEW_EMAIL in notice["what"]
        assert notice["advice"] == "Si vous n'êtes pas à l'origine de cette demande, contactez votre cabinet."
    assert "/fermer-les-sessions?jeton=" in old["end_link"] and new["end_link"] == ""
    # In the firm's audit trail, with both addresses.
    [detail] = _audit(demo["firm_id"], "client_modifie")
    assert f"{LUCE_EMAIL} → {NEW_EMAIL}" in detail
    # The link from the old address works: it ends whatever session the new address opened.
    someone = session_token(NEW_EMAIL, LUCE_PASSWORD)
    assert step_up.end_all_sessions(old["end_link"].split("jeton=", 1)[1]).ok
    assert auth.current_user(someone) is None
    # What the old address reads.
    bodies = {}
    for path in sent_emails():
        message = email.message_from_bytes(path.read_bytes())
        if message["To"] in (LUCE_EMAIL, NEW_EMAIL) and "Sécurité de votre espace" in str(
                email.header.make_header(email.header.decode_header(message["Subject"]))):
            part = next(p for p in message.walk() if p.get_content_type() == "text/plain")
            bodies[message["To"]] = part.get_payload(decode=True).decode()
    assert "L'adresse de connexion de votre espace client a été modifiée par votre cabinet" in bodies[LUCE_EMAIL]
    assert "Si vous n'êtes pas à l'origine de cette demande, contactez votre cabinet." in bodies[LUCE_EMAIL]
    assert "/fermer-les-sessions?jeton=" in bodies[LUCE_EMAIL]
    assert "/fermer-les-sessions" not in bodies[NEW_EMAIL]


def test_team_changes_with_a_proof_are_told_to_the_colleague_and_every_administrator(demo):
    admin = user(demo["lawyer_id"])
    julie = _promote_julie(demo)
    assert julie.role == Role.admin
    [told] = _notices(JULIE_EMAIL)  # her own role changed
    assert "Collaborateur → Administrateur du cabinet" in told["what"] and told["end_link"] == ""
    # The change itself, told to every administrator; the one who made it gets « ce n'est pas moi ».
    mine = _notices(LAWYER_EMAIL)
    assert len(mine) == 1 and "/fermer-les-sessions?jeton=" in mine[0]["end_link"]
    assert "Fabien DELMAS a modifié le rôle" in mine[0]["what"]
    assert team.invite_colleague(admin, {"nom": "DURAND", "prenom": "Léa", "email": "lea@example.com",
                                         "role": "lawyer"}, token=session_for(admin)).ok
    assert "a invité Léa DURAND (lea@example.com)" in _notices(JULIE_EMAIL)[-1]["what"]
    assert "Si ce changement vous surprend, vérifiez-le avec Fabien DELMAS" in _notices(JULIE_EMAIL)[-1]["advice"]
    lea = user_by_email("lea@example.com")
    assert team.deactivate_colleague(admin, lea.id).ok
    assert team.reactivate_colleague(admin, lea.id, token=session_for(admin)).ok
    assert "a réactivé l'accès de Léa DURAND" in _notices(JULIE_EMAIL)[-1]["what"]
    assert [d.split(" ")[0] for d in _audit(demo["firm_id"], "collegue_role_modifie")] == [JULIE_EMAIL]
    assert _audit(demo["firm_id"], "collegue_reactive") == ["lea@example.com"]


def test_security_settings_with_a_proof_are_told_to_every_administrator(demo):
    admin = user(demo["lawyer_id"])
    _promote_julie(demo)
    before = len(_notices(JULIE_EMAIL))
    token = session_for(admin)
    assert firm_settings.update(admin, form(publishable_key=PUBLISHABLE, secret_key=SECRET, webhook_secret=WEBHOOK),
                                token=token).ok
    assert firm_settings.set_two_factor_policy(admin, True, False, token=token).ok
    keys, rule = _notices(JULIE_EMAIL)[before:]
    assert "paramètres de sécurité du cabinet : clé publique, clé secrète, secret de webhook" in keys["what"]
    assert SECRET not in json.dumps(keys) and WEBHOOK not in json.dumps(keys)
    assert "collaborateurs=oui, clients=non" in rule["what"]
    assert len(_notices(LAWYER_EMAIL)) == 3  # Julie's promotion, the keys, the rule
    assert _audit(demo["firm_id"], "parametres_modifies")[-1].startswith("double authentification exigée")

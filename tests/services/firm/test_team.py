"""Firm roles: only administrators change the settings, the Stripe keys, the logo and
colleagues' accounts (the services refuse the others, whatever the page shows);
colleagues are invited with a one-time link, change role, are deactivated (sessions
closed at once) and reactivated; the last administrator cannot demote or deactivate
themselves; every action is in the audit trail; the migration gives every firm an
administrator; the CLI creates an account with a role."""
from __future__ import annotations

import re
import warnings

import pytest
import sqlalchemy as sa
from sqlmodel import select
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from espace.db import session_scope
from espace.demo import JULIE_EMAIL, JULIE_PASSWORD, LEROY_EMAIL, LEROY_PASSWORD
from espace.http import admin as api_admin
from espace.models import AuditEvent, AuthSession, Firm, Role, User
from espace.services import AccessDenied
from espace.services.access import NotAdmin
from espace.services.accounts import auth
from espace.services.firm import settings as firm_settings
from espace.services.firm import team
from tests.admin_helpers import account_by_email, claire, queued, session_token, user, user_by_email
from tests.migrations import alembic_config
from tests.services.accounts.step_up_helpers import session_for
from tests.services.firm.test_settings import PUBLISHABLE, SECRET, form, png
from tests.test_cli import cli  # noqa: F401  (fixture)


def admin(demo) -> User:
    return user(demo["lawyer_id"])


def julie(demo) -> User:
    return user(demo["staff_id"])


def set_role(user_id: int, role: Role) -> User:
    with session_scope() as s:
        u = s.get(User, user_id)
        u.role = role
        s.add(u)
        s.commit()
    return user(user_id)


def audit_actions(firm_id: int) -> list[tuple[str, str]]:
    with session_scope() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.firm_id == firm_id).order_by(AuditEvent.id)).all()
        return [(r.action, r.detail) for r in rows]


def invite(actor: User, email: str, role: str = "lawyer", nom: str = "DURAND", prenom: str = "Léa"):
    return team.invite_colleague(actor, {"nom": nom, "prenom": prenom, "email": email, "role": role},
                                 token=session_for(actor) if actor else None)


# --------------------------------------------------------------------------- settings
@pytest.mark.parametrize("role", [Role.lawyer, Role.staff])
def test_lawyer_and_staff_read_settings_but_cannot_change_keys_or_logo(demo, role):
    someone = set_role(demo["staff_id"], role)
    shown = firm_settings.get_settings(someone)
    assert shown.can_edit is False and shown.name == "Cabinet DELMAS Avocats"
    before = firm_settings.get_settings(admin(demo))
    for call in (lambda: firm_settings.update(someone, form(name="Pirate", publishable_key=PUBLISHABLE,
                                                            secret_key=SECRET, payments_enabled="on")),
                 lambda: firm_settings.save_logo(someone, png()),
                 lambda: firm_settings.remove_logo(someone)):
        with pytest.raises(NotAdmin) as refused:
            call()
        assert refused.value.message == "Seul un administrateur du cabinet peut effectuer cette action."
    with session_scope() as s:
        firm = s.get(Firm, demo["firm_id"])
        assert firm.name == "Cabinet DELMAS Avocats" and firm.stripe_secret_key_enc is None and firm.logo_key is None
    assert firm_settings.get_settings(admin(demo)) == before
    result = firm_settings.update(admin(demo), form(name="Cabinet DELMAS & Associés"))
    ok, errors = result.ok, result.errors
    assert ok and errors == {}
    assert firm_settings.get_settings(admin(demo)).can_edit is True


def test_logo_route_refuses_a_non_administrator_in_french(demo):
    token = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    with TestClient(Starlette(routes=api_admin.routes)) as http:
        answer = http.post("/api/admin/logo", content=png(),
                           headers={"X-Requested-With": "espace", "Cookie": f"espace_session={token}"})
    assert answer.status_code == 403
    assert answer.json()["error"] == "Seul un administrateur du cabinet peut effectuer cette action."
    with session_scope() as s:
        assert s.get(Firm, demo["firm_id"]).logo_key is None


def test_every_firm_role_keeps_the_firm_side(demo):
    from espace.services.firm import clients as firm_clients

    for role in (Role.admin, Role.lawyer, Role.staff):
        someone = set_role(demo["staff_id"], role)
        assert firm_clients.list_clients(someone).total == 3  # Luce, Marc, Sophie
        assert [r.name for r in team.list_team(someone).rows] == ["Fabien DELMAS", "Julie MOREAU"]
        assert team.list_team(someone).can_manage is (role == Role.admin)


# --------------------------------------------------------------------------- team
def test_non_administrators_cannot_invite_change_roles_or_deactivate(demo):
    for role in (Role.lawyer, Role.staff):
        someone = set_role(demo["staff_id"], role)
        for call in (lambda who: invite(who, "pirate@example.com", "admin"),
                     lambda who: team.change_role(who, who.id, "admin", token=session_for(who)),
                     lambda who: team.change_role(who, demo["lawyer_id"], "staff", token=session_for(who)),
                     lambda who: team.deactivate_colleague(who, demo["lawyer_id"]),
                     lambda who: team.reactivate_colleague(who, demo["lawyer_id"], token=session_for(who)),
                     lambda who: team.resend_invitation(who, demo["lawyer_id"])):
            with pytest.raises(NotAdmin):
                call(someone)
    assert user(demo["staff_id"]).role == Role.staff and user(demo["lawyer_id"]).role == Role.admin
    assert user(demo["lawyer_id"]).active
    with session_scope() as s:
        assert s.exec(select(User).where(User.email == "pirate@example.com")).first() is None
    # Clients and nobody are refused too.
    for nobody in (user(demo["client_user_id"]), None):
        with pytest.raises(AccessDenied):
            invite(nobody, "pirate@example.com")
        with pytest.raises(AccessDenied):
            team.list_team(nobody)


def test_invitation_creates_the_colleague_and_emails_a_one_time_link(demo):
    result = invite(admin(demo), "Lea.Durand@Example.com", "staff")
    assert result.ok and result.message == "Invitation envoyée à lea.durand@example.com."
    lea = user_by_email("lea.durand@example.com")
    assert (lea.firm_id, lea.role, lea.activated_at, lea.active) == (demo["firm_id"], Role.staff, None, True)
    assert account_by_email("lea.durand@example.com").password_hash is None
    [(row, context)] = queued("lea.durand@example.com")
    assert row.template == "colleague_invitation" and context["role"] == "Collaborateur"
    assert context["inviter"] == "Fabien DELMAS" and context["firm_name"] == "Cabinet DELMAS Avocats"
    token = context["link"].split("jeton=")[1]
    assert auth.reset_password(token, "Durand-Mot2passe", "Durand-Mot2passe", "invite").ok
    assert not auth.reset_password(token, "Durand-Mot2passe2", "Durand-Mot2passe2", "invite").ok  # single use
    assert auth.login("lea.durand@example.com", "Durand-Mot2passe").ok
    assert ("collegue_invite", "lea.durand@example.com (Collaborateur)") in audit_actions(demo["firm_id"])


def test_invitation_validation_and_duplicates(demo):
    refused = team.invite_colleague(admin(demo), {"nom": "", "prenom": "x" * 101, "email": "pas-une-adresse",
                                                  "role": "client"})
    assert not refused.ok
    assert set(refused.errors) == {"nom", "prenom", "email", "role"}
    assert refused.errors["role"] == "Choisissez un rôle."
    assert not team.invite_colleague(admin(demo), ["not", "a", "dict"]).ok
    # An address of this firm (a colleague or a client): said plainly.
    for taken in (JULIE_EMAIL, "academy@secib.fr"):
        result = invite(admin(demo), taken)
        assert not result.ok and result.errors == {"email": team.SAME_FIRM_TAKEN}


def test_an_address_of_another_firm_gets_the_same_answer_as_a_fresh_one(demo):
    fresh = invite(admin(demo), "nouvelle.personne@example.com")
    other = invite(admin(demo), LEROY_EMAIL)
    assert (other.ok, other.errors, other.message.replace(LEROY_EMAIL, "X")) == \
        (fresh.ok, fresh.errors, fresh.message.replace("nouvelle.personne@example.com", "X"))
    # Claire's membership in her firm is untouched; she now has one in this firm too,
    # linked to her account (one identity), pending like any invitation.
    c = claire()
    assert (c.firm_id, c.role, c.active) == (demo["other_firm_id"], Role.admin, True)
    with session_scope() as s:
        joined = s.exec(select(User).where(User.email == LEROY_EMAIL, User.firm_id == demo["firm_id"])).one()
    assert (joined.account_id, joined.role, joined.activated_at) == (c.account_id, Role.lawyer, None)
    rows = {r.email: r.status for r in team.list_team(admin(demo)).rows}
    assert rows[LEROY_EMAIL] == rows["nouvelle.personne@example.com"] == "Invitation en attente"
    # She is told to log in as usual: no link to choose a password (hers stays hers).
    [(_row, context)] = queued(LEROY_EMAIL)
    assert context["known"] is True and "jeton" not in context["link"]
    assert auth.login(LEROY_EMAIL, LEROY_PASSWORD).ok


def test_role_change_takes_effect_at_the_next_action(demo):
    token = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    assert auth.current_user(token).role == Role.staff
    result = team.change_role(admin(demo), demo["staff_id"], "admin", token=session_for(admin(demo)))
    assert result.ok and "« Administrateur du cabinet »" in result.message
    promoted = auth.current_user(token)
    assert promoted.role == Role.admin
    assert firm_settings.update(promoted, form(name="Cabinet DELMAS (Julie)")).ok
    assert team.change_role(admin(demo), demo["staff_id"], "lawyer", token=session_for(admin(demo))).ok
    demoted = auth.current_user(token)
    with pytest.raises(NotAdmin):
        firm_settings.update(demoted, form(name="Encore Julie"))
    # An unknown role, a client's id, another firm's colleague: nothing changes.
    assert not team.change_role(admin(demo), demo["staff_id"], "client", token=session_for(admin(demo))).ok
    for target in (demo["client_user_id"], claire().id, 10**30, "1; DROP TABLE user", [1], None):
        with pytest.raises(AccessDenied):
            team.change_role(admin(demo), target, "staff", token=session_for(admin(demo)))
    assert claire().role == Role.admin and user(demo["client_user_id"]).role == Role.client
    trail = audit_actions(demo["firm_id"])
    assert ("collegue_role_modifie", f"{JULIE_EMAIL} : Collaborateur → Administrateur du cabinet") in trail
    assert ("collegue_role_modifie", f"{JULIE_EMAIL} : Administrateur du cabinet → Avocat") in trail


def test_deactivation_closes_the_colleague_sessions_at_once_and_reactivation(demo):
    token = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    second = session_token(JULIE_EMAIL, JULIE_PASSWORD)
    result = team.deactivate_colleague(admin(demo), demo["staff_id"])
    assert result.ok and "ses sessions ont été fermées" in result.message
    assert auth.current_user(token) is None and auth.current_user(second) is None
    with session_scope() as s:
        assert all(r.revoked_at for r in s.exec(select(AuthSession).where(AuthSession.user_id == demo["staff_id"])))
    assert not auth.login(JULIE_EMAIL, JULIE_PASSWORD).ok
    assert [r.status for r in team.list_team(admin(demo)).rows if r.email == JULIE_EMAIL] == ["Désactivé"]
    assert team.reactivate_colleague(admin(demo), demo["staff_id"], token=session_for(admin(demo))).ok
    assert auth.login(JULIE_EMAIL, JULIE_PASSWORD).ok
    assert auth.current_user(token) is None  # closed sessions stay closed
    actions = [a for a, _ in audit_actions(demo["firm_id"])]
    assert "collegue_desactive" in actions and "collegue_reactive" in actions


def test_deactivating_a_pending_colleague_spends_the_invitation(demo):
    invite(admin(demo), "attente@example.com")
    pending = user_by_email("attente@example.com")
    [(_, context)] = queued("attente@example.com")
    assert team.deactivate_colleague(admin(demo), pending.id).ok
    assert not auth.reset_link_is_valid(context["link"].split("jeton=")[1], "invite")
    assert not team.resend_invitation(admin(demo), pending.id).ok  # deactivated: reactivate first
    assert team.reactivate_colleague(admin(demo), pending.id, token=session_for(admin(demo))).ok
    assert team.resend_invitation(admin(demo), pending.id).ok
    assert auth.reset_link_is_valid(queued("attente@example.com")[-1][1]["link"].split("jeton=")[1], "invite")


def test_the_last_administrator_cannot_demote_or_deactivate_themselves(demo):
    me = admin(demo)
    for call in (lambda: team.change_role(me, me.id, "lawyer", token=session_for(me)), lambda: team.change_role(me, me.id, "staff", token=session_for(me)),
                 lambda: team.deactivate_colleague(me, me.id)):
        result = call()
        assert not result.ok and result.errors == {"form": team.LAST_ADMIN}
        assert "au moins un administrateur actif" in result.errors["form"]
    assert user(me.id).role == Role.admin and user(me.id).active
    # With a second administrator, the first may step down; the second is then the last one.
    assert team.change_role(me, demo["staff_id"], "admin", token=session_for(me)).ok
    assert team.change_role(me, me.id, "lawyer", token=session_for(me)).ok
    with pytest.raises(NotAdmin):
        team.change_role(user(me.id), me.id, "admin", token=session_for(user(me.id)))  # no longer an administrator
    second = julie(demo)
    assert team.deactivate_colleague(second, second.id).errors == {"form": team.LAST_ADMIN}
    # An inactive administrator does not count.
    assert team.change_role(second, me.id, "admin", token=session_for(second)).ok
    assert team.deactivate_colleague(second, me.id).ok
    assert team.change_role(second, second.id, "staff", token=session_for(second)).errors == {"form": team.LAST_ADMIN}


def test_a_deactivated_administrator_can_do_nothing(demo):
    assert team.change_role(admin(demo), demo["staff_id"], "admin", token=session_for(admin(demo))).ok
    stale = julie(demo)  # the object a page would still hold
    assert team.deactivate_colleague(admin(demo), demo["staff_id"]).ok
    with pytest.raises(AccessDenied):
        team.change_role(stale, demo["lawyer_id"], "staff", token=session_for(stale))
    assert user(demo["lawyer_id"]).role == Role.admin


# --------------------------------------------------------------------------- migration and CLI
def test_migration_gives_every_firm_an_administrator(tmp_path, monkeypatch):
    from alembic import command


    cfg, url = alembic_config(tmp_path, monkeypatch)
    command.upgrade(cfg, "9c1e5b7d2a40")
    eng = sa.create_engine(url)
    now = "2026-01-01 00:00:00"
    with eng.begin() as c:
        c.execute(sa.text("INSERT INTO firm (id, name, created_at, payments_enabled, invite_with_temporary_password)"
                          " VALUES (1, 'A', :n, 0, 0), (2, 'B', :n, 0, 0), (3, 'C', :n, 0, 0)"), {"n": now})
        for uid, firm, role, created in ((1, 1, "staff", "2020-01-01"), (2, 1, "lawyer", "2021-01-01"),
                                         (3, 1, "lawyer", "2022-01-01"), (4, 2, "staff", "2020-01-01"),
                                         (5, 2, "client", "2019-01-01"), (6, 3, "client", "2019-01-01")):
            c.execute(sa.text("INSERT INTO user (id, firm_id, email, nom, prenom, role, active, created_at, "
                              "must_change_password) VALUES (:i, :f, :e, 'N', 'P', :r, 1, :c, 0)"),
                      {"i": uid, "f": firm, "e": f"u{uid}@example.com", "r": role, "c": created})
    command.upgrade(cfg, "f1c2a3b4d5e6")
    with eng.connect() as c:
        roles = dict(c.execute(sa.text("SELECT id, role FROM user ORDER BY id")).all())
    assert roles == {1: "staff", 2: "admin", 3: "lawyer", 4: "admin", 5: "client", 6: "client"}
    command.downgrade(cfg, "9c1e5b7d2a40")
    with eng.connect() as c:
        assert dict(c.execute(sa.text("SELECT id, role FROM user ORDER BY id")).all())[2] == "lawyer"
    eng.dispose()


def test_cli_create_lawyer_with_a_role(cli):  # noqa: F811
    assert cli("migrate").returncode == 0
    firm_id = cli("create-firm", "--name", "Cabinet RÔLES").stdout.strip()
    made = {}
    for role, email in (("admin", "admin@roles.example"), ("staff", "collab@roles.example"),
                        (None, "avocat@roles.example")):
        args = ["create-lawyer", "--firm-id", firm_id, "--email", email, "--nom", "X", "--prenom", "Y"]
        r = cli(*(args + (["--role", role] if role else [])))
        assert r.returncode == 0, r.stderr
        made[email] = r.stdout.splitlines()[0]
    assert made["admin@roles.example"].startswith("Administrateur du cabinet créé")
    assert made["collab@roles.example"].startswith("Collaborateur créé")
    assert made["avocat@roles.example"].startswith("Avocat créé")
    r = cli("create-lawyer", "--firm-id", firm_id, "--email", "c@roles.example", "--nom", "X", "--prenom", "Y",
            "--role", "client")
    assert r.returncode == 2 and re.search(r"invalid choice|choix invalide", r.stderr)
    roles = dict(cli.query('SELECT email, role FROM "user"'))
    assert roles == {"admin@roles.example": "admin", "collab@roles.example": "staff", "avocat@roles.example": "lawyer"}

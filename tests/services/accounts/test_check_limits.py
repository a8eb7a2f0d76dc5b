"""The rate of password and code checks, and of passkey login options (check_limits.py);
which open sessions are still live for the tab watch (session_reads.live_ids)."""
from __future__ import annotations

from sqlmodel import select

from espace.config import settings
from espace.db import session_scope
from espace.demo import LUCE_EMAIL, LUCE_PASSWORD
from espace.models import AuthSession, User, utcnow
from espace.services import crypto
from espace.services.accounts import check_limits, session_reads
from espace.services.accounts.client_address import limit_key
from espace.services.accounts.login_guard import issue_device_cookie
from tests.admin_helpers import session_token


def test_checks_are_limited_per_account_and_per_address(monkeypatch):
    monkeypatch.setattr(settings, "checks_per_account", 3)
    monkeypatch.setattr(settings, "checks_per_address", 5)
    assert [check_limits.allow_check("compte:1", "192.0.2.1") for _ in range(4)] == [True, True, True, False]
    assert check_limits.allow_check("compte:2", "192.0.2.1")  # another account, same address
    # Every attempt from the address counted (the refused 4th of compte:1 too): 5 reached.
    assert not check_limits.allow_check("compte:3", "192.0.2.1")
    assert check_limits.allow_check("compte:3", "192.0.2.2")


def test_an_ipv6_address_counts_by_its_64():
    assert limit_key("2001:db8:1:2::1") == limit_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert limit_key("2001:db8:1:3::1") != limit_key("2001:db8:1:2::1")
    assert limit_key("192.0.2.1") == "192.0.2.1" and limit_key("::ffff:192.0.2.1") == "192.0.2.1"


def test_passkey_options_per_address_and_per_device_cookie(monkeypatch):
    monkeypatch.setattr(settings, "passkey_options_per_address", 4)
    monkeypatch.setattr(settings, "passkey_options_per_device", 2)
    flood = [check_limits.allow_passkey_options("198.51.100.1", None) for _ in range(6)]
    assert flood == [True] * 4 + [False] * 2
    assert check_limits.allow_passkey_options("198.51.100.2", None)  # never global
    device = issue_device_cookie(None, LUCE_EMAIL)
    assert [check_limits.allow_passkey_options("198.51.100.1", device) for _ in range(3)] == [True, True, False]
    # Made-up cookies from one address stop at 10 × the address's rate.
    made_up = [check_limits.allow_passkey_options("198.51.100.3", f"{n:022d}.{'s' * 43}") for n in range(45)]
    assert made_up.count(True) == 40


def test_live_ids_sees_revocation_expiry_and_deactivation(demo):
    tokens = [session_token(LUCE_EMAIL, LUCE_PASSWORD) for _ in range(4)]
    with session_scope() as s:
        rows = [s.exec(select(AuthSession).where(AuthSession.token_hash == crypto.token_hash(t))).one() for t in tokens]
        ids = {row.id for row in rows}
        assert session_reads.live_ids(ids) == ids
        rows[0].revoked_at = utcnow()
        rows[1].expires_at = utcnow()
        s.add_all(rows[:2])
        s.commit()
        assert session_reads.live_ids(ids) == {rows[2].id, rows[3].id}
        luce = s.get(User, rows[2].user_id)
        luce.active = False
        s.add(luce)
        s.commit()
    assert session_reads.live_ids(ids) == set()
    assert session_reads.live_ids(set()) == set()

"""Password hashes: today's argon2id parameters, older hashes still verifying and
replaced at the next login that proves the password."""
from __future__ import annotations

from argon2 import PasswordHasher, extract_parameters
from sqlmodel import select

from espace.db import session_scope
from espace.models import Account, AuthSession
from espace.services.accounts import auth, hashing

CLIENT = ("academy@secib.fr", "a12RJ3d11P")
# Made by passlib 1.7.4 with argon2-cffi's defaults before the parameters changed (64 MiB,
# t=3, p=4): what the accounts' rows held until then.
OLD_PASSWORD = "Ancien-Format-2024"
OLD_HASH = "$argon2id$v=19$m=65536,t=3,p=4$q1WK0bpXitFaa+09B4CwNg$8PMYrXyzpoitt5pmXLKK3dAKrG1TtImPILfFCHDTwEE"


def _today(password_hash: str) -> bool:
    found = extract_parameters(password_hash)
    return (password_hash.startswith("$argon2id$") and found.memory_cost == 19 * 1024
            and found.time_cost == 2 and found.parallelism == 1)


def _stored(email: str) -> Account:
    with session_scope() as s:
        return s.exec(select(Account).where(Account.email == email)).one()


def _set_hash(email: str, password_hash: str) -> None:
    with session_scope() as s:
        account = s.exec(select(Account).where(Account.email == email)).one()
        account.password_hash = password_hash
        s.add(account)
        s.commit()


def test_new_hashes_use_the_owasp_parameters():
    assert _today(hashing.hash_password("Un-Mot-De-Passe-2024"))
    assert not hashing.needs_rehash(hashing.hash_password("x"))


def test_hashes_made_with_other_parameters_still_verify_and_need_a_rehash():
    assert hashing.verify_password(OLD_PASSWORD, OLD_HASH)
    assert not hashing.verify_password(OLD_PASSWORD + "!", OLD_HASH)
    assert hashing.needs_rehash(OLD_HASH)
    # Any parameter counts, not only the memory (passlib's needs_update missed t and p).
    other_lanes = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=2).hash("x")
    other_passes = PasswordHasher(time_cost=3, memory_cost=19 * 1024, parallelism=1).hash("x")
    assert hashing.needs_rehash(other_lanes) and hashing.needs_rehash(other_passes)
    assert not hashing.verify_password("x", "not a hash") and not hashing.verify_password("x", None)


def test_the_demo_hashes_use_todays_parameters(demo):
    assert _today(_stored(CLIENT[0]).password_hash)


def test_a_login_with_an_old_hash_rehashes_it_in_the_same_transaction(demo):
    _set_hash(CLIENT[0], OLD_HASH)
    before = _stored(CLIENT[0])
    result = auth.login(CLIENT[0], OLD_PASSWORD, "10.0.0.1")
    assert result.ok, result.error
    after = _stored(CLIENT[0])
    assert after.password_hash != OLD_HASH and _today(after.password_hash)
    assert hashing.verify_password(OLD_PASSWORD, after.password_hash)
    # Only the hash changes: not a password change (no date moved, no session closed).
    assert after.password_changed_at == before.password_changed_at
    assert after.must_change_password == before.must_change_password
    assert auth.open_session(result.ticket, result.browser_key) is not None
    with session_scope() as s:
        assert all(row.revoked_at is None for row in s.exec(select(AuthSession)).all())
    # The next login verifies the new hash, and leaves it as it is.
    again = auth.login(CLIENT[0], OLD_PASSWORD, "10.0.0.1")
    assert again.ok and _stored(CLIENT[0]).password_hash == after.password_hash


def test_a_wrong_password_does_not_rehash(demo):
    _set_hash(CLIENT[0], OLD_HASH)
    assert auth.login(CLIENT[0], OLD_PASSWORD + "!", "10.0.0.1").error == auth.BAD_CREDENTIALS
    assert _stored(CLIENT[0]).password_hash == OLD_HASH


def test_a_current_hash_is_not_rewritten_at_login(demo):
    stored = _stored(CLIENT[0]).password_hash
    assert auth.login(*CLIENT, "10.0.0.1").ok
    assert _stored(CLIENT[0]).password_hash == stored


def test_the_password_step_of_a_two_factor_login_rehashes_too(demo):
    """The password is known only at the first step: its hash is replaced there, before
    the code (the same password: nothing the second factor guards changes)."""
    from tests.services.accounts.test_two_factor import _enrol, _user

    _enrol(_user())
    _set_hash(CLIENT[0], OLD_HASH)
    result = auth.login(CLIENT[0], OLD_PASSWORD, "10.0.0.1")
    assert result.pending and not result.ok
    assert _today(_stored(CLIENT[0]).password_hash)

"""Passkeys (WebAuthn) at the service level, with a software authenticator built
here (P-256 key, « none » attestation): challenges single use, sign count, second
factor bound to its pending login. The browser tests use Chromium's own."""
from __future__ import annotations

import hashlib
import json
import os
import struct

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sqlmodel import select
from webauthn.helpers import bytes_to_base64url as b64

from espace.db import session_scope
from espace.models import LoginFailure, Passkey, User
from espace.services.accounts import auth, passkeys, two_factor
from espace.services.firm import settings as firm_settings
from tests.services.accounts.step_up_helpers import session_for

CLIENT = ("academy@secib.fr", "a12RJ3d11P")
OTHER = ("marc.bertrand@example.com", "Bertrand-Demo-2024")


class SoftAuthenticator:
    def __init__(self, counter: int = 0):
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.cred_id = os.urandom(16)
        self.counter = counter
        self.user_handle = b""

    def _client_data(self, kind: str, challenge: str, origin: str | None = None) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin or passkeys.origin(),
                           "crossOrigin": False}).encode()

    def _auth_data(self, flags: int, extra: bytes = b"") -> bytes:
        return hashlib.sha256(passkeys.rp_id().encode()).digest() + bytes([flags]) + struct.pack(">I", self.counter) + extra

    def create(self, options: dict) -> dict:
        numbers = self.key.public_key().public_numbers()
        cose = cbor2.dumps({1: 2, 3: -7, -1: 1, -2: numbers.x.to_bytes(32, "big"), -3: numbers.y.to_bytes(32, "big")})
        attested = bytes(16) + struct.pack(">H", len(self.cred_id)) + self.cred_id + cose
        auth_data = self._auth_data(0x01 | 0x04 | 0x40, attested)
        self.user_handle = options["user"]["id"]
        return {"id": b64(self.cred_id), "rawId": b64(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64(self._client_data("webauthn.create", options["challenge"])),
                             "attestationObject": b64(cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": auth_data})),
                             "transports": ["internal"]},
                "clientExtensionResults": {}}

    def get(self, options: dict, *, bump: int = 1, origin: str | None = None) -> dict:
        self.counter += bump
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        auth_data = self._auth_data(0x01 | 0x04)
        signature = self.key.sign(auth_data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256()))
        return {"id": b64(self.cred_id), "rawId": b64(self.cred_id), "type": "public-key",
                "response": {"clientDataJSON": b64(client_data), "authenticatorData": b64(auth_data),
                             "signature": b64(signature), "userHandle": self.user_handle},
                "clientExtensionResults": {}}


def _user(email=CLIENT[0]) -> User:
    with session_scope() as s:
        return s.exec(select(User).where(User.email == email)).one()


def _registered(user: User, counter: int = 0) -> SoftAuthenticator:
    device = SoftAuthenticator(counter)
    token = session_for(user)
    options = passkeys.registration_options(user, token)
    assert options["rp"]["id"] == "localhost"
    assert options["authenticatorSelection"]["residentKey"] == "required"
    assert options["authenticatorSelection"]["userVerification"] == "required"
    result = passkeys.register(user, device.create(options), "Téléphone\n<script>", token)
    assert result.ok, result.error
    return device


def test_registration_then_passwordless_login(demo):
    user = _user()
    device = _registered(user, counter=5)
    with session_scope() as s:
        row = s.exec(select(Passkey)).one()
    assert row.account_id == two_factor.account_of(user) and row.name == "Téléphone <script>" and row.transports == "internal"
    assert two_factor.overview(two_factor.account_of(user)).passkeys[0].name == "Téléphone <script>"
    result = passkeys.authenticate(device.get(passkeys.login_options()), None, "10.0.0.1")
    assert result.ok and result.ticket
    _token, opened = auth.open_session(result.ticket, result.browser_key)
    assert opened.id == user.id
    # The user handle is opaque (not the database id).
    assert device.user_handle != b64(str(two_factor.account_of(user)).encode())


def test_a_challenge_works_once_and_only_for_its_purpose(demo):
    user = _user()
    device = _registered(user)
    options = passkeys.login_options()
    assertion = device.get(options)
    assert passkeys.authenticate(assertion, None).ok
    replay = passkeys.authenticate(assertion, None)
    assert not replay.ok and replay.error == passkeys.EXPIRED
    # A registration challenge cannot serve to log in.
    reg_options = passkeys.registration_options(user, session_for(user))
    assert passkeys.authenticate(device.get(reg_options), None).error == passkeys.EXPIRED


def test_a_cloned_key_with_a_stale_sign_count_is_refused(demo):
    user = _user()
    device = _registered(user, counter=10)
    assert passkeys.authenticate(device.get(passkeys.login_options()), None).ok  # 11
    stale = device.get(passkeys.login_options(), bump=0)  # 11 again: a clone
    assert passkeys.authenticate(stale, None).error == passkeys.REFUSED


def test_wrong_origin_or_tampered_signature_is_refused(demo):
    user = _user()
    device = _registered(user)
    assert not passkeys.authenticate(device.get(passkeys.login_options(), origin="https://evil.example"), None).ok
    tampered = device.get(passkeys.login_options())
    tampered["response"]["signature"] = b64(b"\x30\x06\x02\x01\x01\x02\x01\x01")
    assert passkeys.authenticate(tampered, None).error == passkeys.REFUSED


def test_second_factor_is_bound_to_its_pending_login(demo):
    luce, marc = _user(), _user(OTHER[0])
    luce_key = _registered(luce)
    marc_key = _registered(marc)
    pending = auth.login(*CLIENT, "10.0.0.5").pending
    assert pending
    options = passkeys.login_options(pending)
    assert [c["id"] for c in options["allowCredentials"]] == [b64(luce_key.cred_id)]
    # Marc's key (a valid signature of another account) does not finish Luce's login.
    wrong = passkeys.authenticate(marc_key.get(options), pending, "10.0.0.5")
    assert not wrong.ok
    with session_scope() as s:
        assert len(s.exec(select(LoginFailure).where(LoginFailure.scope == "identifier",
                                                      LoginFailure.key == CLIENT[0])).all()) == 1
    # A passwordless challenge cannot serve as the second factor either.
    assert not passkeys.authenticate(luce_key.get(passkeys.login_options()), pending).ok
    done = passkeys.authenticate(luce_key.get(passkeys.login_options(pending)), pending, "10.0.0.5")
    assert done.ok
    assert auth.open_session(done.ticket, done.browser_key)[1].id == luce.id
    assert passkeys.login_options(pending) is None  # the pending login is spent


def test_registration_challenge_belongs_to_its_account(demo):
    luce, marc = _user(), _user(OTHER[0])
    device = SoftAuthenticator()
    luce_token, marc_token = session_for(luce), session_for(marc)
    answer = device.create(passkeys.registration_options(luce, luce_token))
    assert passkeys.register(marc, answer, "vol", marc_token).error == passkeys.EXPIRED
    assert passkeys.register(luce, answer, "x", luce_token).error == passkeys.EXPIRED  # spent by the attempt
    assert passkeys.register(luce, ["not", "a", "dict"], "x", luce_token).ok is False
    # Luce's session token does not act for Marc.
    assert passkeys.registration_options(marc, luce_token) is None


def test_removal_is_scoped_to_the_owner_and_respects_the_policy(demo):
    luce, marc = _user(), _user(OTHER[0])
    _registered(luce)
    key_id = two_factor.overview(two_factor.account_of(luce)).passkeys[0].id
    token = session_for(luce)
    assert not passkeys.remove(marc, key_id, session_for(marc)).ok
    assert not passkeys.remove(luce, "99999999999999999999999", token).ok
    lawyer = _user("fabien.delmas@example.com")
    firm_settings.set_two_factor_policy(lawyer, False, True, token=session_for(lawyer))
    refused = passkeys.remove(luce, key_id, token)
    assert not refused.ok and refused.error == two_factor.LAST_FACTOR_REQUIRED
    firm_settings.set_two_factor_policy(lawyer, False, False, token=session_for(lawyer))
    assert passkeys.remove(luce, key_id, token).ok
    assert two_factor.overview(two_factor.account_of(luce)).passkeys == []

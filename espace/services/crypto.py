"""Password hashing, random tokens and their hashes, symmetric encryption of secrets."""
from __future__ import annotations

import base64
import hashlib
import secrets
import warnings

from cryptography.fernet import Fernet

from espace.config import settings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from passlib.context import CryptContext

_pwd = CryptContext(schemes=["argon2"], deprecated="auto")
# A hash verified when the identifier is unknown, so both answers take the same time.
_DUMMY_HASH = _pwd.hash(secrets.token_urlsafe(16))

MIN_PASSWORD_LENGTH = 10


def hash_password(password: str) -> str:
    hashed: str = _pwd.hash(password)
    return hashed


def verify_password(password: str, password_hash: str | None) -> bool:
    if not password_hash:
        _pwd.verify(password, _DUMMY_HASH)
        return False
    try:
        return bool(_pwd.verify(password, password_hash))
    except (ValueError, TypeError):
        return False


def burn_time_like_verify() -> None:
    _pwd.verify("x", _DUMMY_HASH)


def new_token() -> str:
    """256 random bits, URL-safe."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def password_problems(password: str, *, identifier: str = "") -> list[str]:
    """French reasons why a new password is too weak (empty list = acceptable)."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"au moins {MIN_PASSWORD_LENGTH} caractères")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        problems.append("au moins trois types de caractères parmi minuscules, majuscules, chiffres et symboles")
    if identifier and identifier.split("@")[0].lower() in password.lower() and len(identifier.split("@")[0]) >= 3:
        problems.append("ne pas contenir votre identifiant")
    return problems


def _fernet() -> Fernet:
    key = base64.urlsafe_b64encode(hashlib.sha256(b"espace-secrets:" + settings.secret).digest())
    return Fernet(key)


def encrypt_secret(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt_secret(value: str) -> str:
    return _fernet().decrypt(value.encode()).decode()

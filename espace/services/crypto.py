"""Random tokens and their hashes, password rules, symmetric encryption of secrets.
(Password hashes: services/accounts/hashing.py.)"""
from __future__ import annotations

import base64
import hashlib
import secrets

from cryptography.fernet import Fernet

from espace.config import settings

MIN_PASSWORD_LENGTH = 10


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

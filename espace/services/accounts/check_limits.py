"""The rate of password and code checks outside the login form, and of passkey login
options: refused before any check, counted per account and per address.

- `allow_check(account, ip)`: Mon compte › Sécurité (turning the app off, new recovery
  codes, confirming an app), the password forms (change, first login, reset link) and
  the login's second step: CHECKS_PER_ACCOUNT (10) a minute per account (or pending
  login, or link) and CHECKS_PER_ADDRESS (30) per address.
- `allow_passkey_options(ip, device_cookie)`: POST /api/webauthn/connexion/options,
  PASSKEY_OPTIONS_PER_ADDRESS (30) a minute per address for a browser without a device
  cookie, PASSKEY_OPTIONS_PER_DEVICE (10) per device cookie otherwise (and, as a ceiling
  for made-up cookies, ten times the address's rate per address). Never a global cap: a
  flood from one address refuses that address only.

An IPv6 address counts by its /64 (one subscriber's network). Counted in Redis when
REFLEX_REDIS_URL is set (every worker sees the same hits), in memory otherwise
(login_guard.RateLimiter)."""
from __future__ import annotations

from espace.config import settings
from espace.services.accounts import login_guard
from espace.services.accounts.client_address import limit_key
from espace.services.accounts.login_guard import RateLimiter

TOO_MANY = "Trop de tentatives. Réessayez dans quelques minutes."

_per_account = RateLimiter(lambda: settings.checks_per_account, name="check-account")
_per_address = RateLimiter(lambda: settings.checks_per_address, name="check-address")
_options_per_address = RateLimiter(lambda: settings.passkey_options_per_address, name="passkey-address")
_options_per_device = RateLimiter(lambda: settings.passkey_options_per_device, name="passkey-device")
_options_ceiling = RateLimiter(lambda: 10 * settings.passkey_options_per_address, name="passkey-ceiling")


def allow_check(account: str, ip: str) -> bool:
    """May this account, from this address, have a password or a code checked now?"""
    return _per_address.allow(limit_key(ip)) and _per_account.allow(account or "?")


def device_key(device_cookie: str | None) -> str:
    """The browser's device cookie as a rate key ('' without one). Its signature names an
    identifier this route does not know, so a made-up cookie is only held back by the
    address's ceiling."""
    entries = login_guard.device_entries(device_cookie)
    return entries[0][0] if entries else ""


def allow_passkey_options(ip: str, device_cookie: str | None) -> bool:
    device = device_key(device_cookie)
    if device:
        return _options_ceiling.allow(limit_key(ip)) and _options_per_device.allow(device)
    return _options_per_address.allow(limit_key(ip))

"""The security headers of every HTTP answer: Content-Security-Policy, HSTS,
Permissions-Policy and the classic ones; and whether cookies get the Secure flag.

The CSP is as strict as Reflex's frontend allows (measured in Chromium, see
tests/e2e/test_security_headers.py):
- scripts: 'self', the SHA-256 of every inline script of the built pages (React
  Router's prerendered HTML carries ~36 distinct ones; hashed from `.web/build/client`
  on the first request, so no inline script other than Reflex's own can run), Stripe.js;
  'unsafe-eval' is forced by Reflex: `rx.call_script` (login, logout, payment) runs
  its code with `eval()` in the browser.
- styles: 'unsafe-inline' is forced: emotion injects <style> elements at run time and
  Radix sets style attributes.
- connect: the app's own origins (HTTP and the websocket), Stripe's API.
- frames: Stripe's (3-D Secure, card element) only; no one may frame the portal.
"""
from __future__ import annotations

import base64
import hashlib
import logging
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit

from espace.config import settings

log = logging.getLogger(__name__)

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)
_REAL_STRIPE = {
    "script": ["https://js.stripe.com"],
    "frame": ["https://js.stripe.com", "https://hooks.stripe.com"],
    "connect": ["https://api.stripe.com"],
    "img": ["https://*.stripe.com"],
}


def https() -> bool:
    return settings.public_url.startswith("https://")


def secure_cookies() -> bool:
    """Cookies carry Secure whenever the portal is public over HTTPS (SECURE_COOKIES
    forces it, e.g. behind a proxy that terminates TLS on another address)."""
    return settings.secure_cookies or https()


def with_secure(set_cookie: bytes) -> bytes:
    """A Set-Cookie value with the Secure attribute (added when it lacks it)."""
    attributes = [a.strip().lower() for a in set_cookie.split(b";")[1:]]
    return set_cookie if b"secure" in attributes else set_cookie + b"; Secure"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _websocket(origin: str) -> str:
    return origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


def static_dir() -> Path:
    try:
        from reflex.utils.prerequisites import get_web_dir

        return get_web_dir() / "build" / "client"
    except Exception:  # outside a Reflex process (tests of the routes)
        return Path(".web") / "build" / "client"


def inline_script_hashes(directory: Path) -> list[str]:
    """'sha256-…' sources for every inline script of the built HTML pages."""
    hashes: set[str] = set()
    for page in sorted(directory.rglob("*.html")) if directory.is_dir() else []:
        for body in _INLINE_SCRIPT.findall(page.read_bytes()):
            hashes.add("'sha256-" + base64.b64encode(hashlib.sha256(body).digest()).decode() + "'")
    return sorted(hashes)


def content_security_policy(script_hashes: list[str]) -> str:
    own = [o for o in dict.fromkeys(settings.allowed_origins)]
    sockets = [_websocket(o) for o in own]
    stripe_js, stripe_api = _origin(settings.stripe_js_url), _origin(settings.stripe_api_base)
    if stripe_js == "https://js.stripe.com":
        stripe = _REAL_STRIPE
    else:  # a local Stripe-compatible server (localstripe) serves both
        stripe = {"script": [stripe_js], "frame": [stripe_js], "connect": [stripe_js, stripe_api], "img": []}
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'", *script_hashes, "'unsafe-eval'", *stripe["script"]],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:", "blob:", *stripe["img"]],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'", *own, *sockets, *stripe["connect"]],
        "frame-src": [*stripe["frame"]] or ["'none'"],
        "worker-src": ["'self'", "blob:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    if https():
        directives["upgrade-insecure-requests"] = []
    return "; ".join(" ".join([name, *dict.fromkeys(values)]).strip() for name, values in directives.items())


PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), usb=(), serial=(), bluetooth=(), midi=(), "
    "magnetometer=(), gyroscope=(), accelerometer=(), display-capture=(), "
    'payment=(self "https://js.stripe.com")'
)


@lru_cache(maxsize=4)
def _headers_for(hashes: tuple[str, ...], _config: tuple) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"x-content-type-options", b"nosniff"),
        (b"x-frame-options", b"DENY"),
        # Reset and invitation links carry a token in the URL: never leak it.
        (b"referrer-policy", b"no-referrer"),
        (b"content-security-policy", content_security_policy(list(hashes)).encode()),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]
    if https():
        headers.append((b"strict-transport-security", b"max-age=63072000; includeSubDomains"))
    return headers


_hashes: tuple[str, ...] | None = None


def security_headers() -> list[tuple[bytes, bytes]]:
    """The headers, computed once the built pages exist (the production build runs
    before the backend answers its first page)."""
    global _hashes
    if not _hashes:
        _hashes = tuple(inline_script_hashes(static_dir()))
        if _hashes:
            log.info("CSP: %d inline script hashes from the built pages", len(_hashes))
    return _headers_for(_hashes, (settings.base_url, settings.port, settings.stripe_js_url, settings.stripe_api_base))


CSRF_HEADER, CSRF_VALUE = "x-requested-with", "espace"


def same_origin(request) -> bool:
    """True when a state-changing request comes from the portal's own pages: the
    `X-Requested-With: espace` header (the upload routes' check: a cross-site form
    cannot set it), or, for a plain form post (the logout form), the browser's
    `Sec-Fetch-Site: same-origin`, else an `Origin` that is one of the portal's own.
    (With `Referrer-Policy: no-referrer` Chromium sends `Origin: null` on a form post,
    so Sec-Fetch-Site decides when the browser sends it.) A request with neither is
    refused unless it carries the header."""
    return _csrf_header(request) or _sent_by_own_page(request)


def own_page_fetch(request) -> bool:
    """Both checks at once, for a fetch() that logs a browser in (the login page's
    ticket exchange): the header, and nothing from the browser saying another site
    sent it."""
    return _csrf_header(request) and _sent_by_own_page(request, fetch=True)


def _csrf_header(request) -> bool:
    return bool(request.headers.get(CSRF_HEADER, "").strip().lower() == CSRF_VALUE)


def _sent_by_own_page(request, fetch: bool = False) -> bool:
    """The browser's Sec-Fetch-Site, else the Origin, name the portal. A fetch() with its
    header may come from a client that sends neither (not a browser: no one to forge for)."""
    headers = request.headers
    fetch_site = headers.get("sec-fetch-site")
    origin = headers.get("origin")
    if origin is not None and origin != "null" and origin.rstrip("/") not in settings.allowed_origins:
        return False
    if fetch_site is not None:
        return fetch_site == "same-origin"
    return fetch or (origin is not None and origin != "null")

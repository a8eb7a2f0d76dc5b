"""Login, forgotten password and reset pages."""
from __future__ import annotations

import hashlib
import logging

import reflex as rx

from espace.services.accounts import auth, check_limits, hashing, identities, login_guard, pending_login, two_factor
from espace.services.accounts.auth import home_path_for
from espace.services.accounts.client_address import limit_key
from espace.services.accounts.cookies import LOGIN_KEY_COOKIE, LOGIN_KEY_PATH, PENDING_COOKIE, PENDING_COOKIE_PATH
from espace.services.accounts.results import LoginResult
from espace.web.session import SessionState

log = logging.getLogger(__name__)


# The login page posts the ticket (http/core.py open_session_in_place) and, once the
# server has set the HttpOnly session cookie, starts the tab afresh without reloading the
# page: a new Reflex token (sessionStorage and Reflex's module-level `token` cleared:
# a fresh state tree, nothing of the login page's kept), then a new websocket, whose
# handshake carries the new cookie (a socket.io disconnect closes the transport; the
# reconnect opens another). Its hydrate runs this page's `load`, which sends the person
# home by a client-side navigation. `socket`, `token` and `unsavedToken` are the names
# of Reflex's applyEvent and state.js around the eval of rx.call_script (kept by the
# minifier: a direct eval); if a Reflex upgrade renames them, the script throws and the
# page loads `next` in full, as every login did before. A failed fetch (no answer):
# the ticket's full navigation (GET), as before.
OPEN_IN_PLACE = """
(async () => {{
  const navigation = '{path}/ouvrir?ticket={ticket}';
  let answer;
  try {{
    answer = await fetch('{path}/ouvrir', {{method: 'POST', credentials: 'same-origin', cache: 'no-store',
      headers: {{'Content-Type': 'application/json', 'X-Requested-With': 'espace'}},
      body: JSON.stringify({{ticket: navigation.split('ticket=')[1]}})}});
  }} catch (e) {{
    sessionStorage.clear();
    window.location.replace(navigation);
    return;
  }}
  const next = (await answer.json().catch(() => ({{}}))).next || '/connexion?expire=1';
  sessionStorage.clear();
  try {{
    if (!answer.ok || !next.startsWith('/') || next.startsWith('//')) throw new Error(next);
    token = undefined;
    unsavedToken = undefined;
    socket.disconnect();
    socket.reconnect();
  }} catch (e) {{
    window.location.replace(next.startsWith('/') && !next.startsWith('//') ? next : '/connexion?expire=1');
  }}
}})();
"""


def open_with_ticket(result: LoginResult):
    """The browser key as a cookie of this page (a ticket alone opens nothing: login
    CSRF), then the ticket exchanged for the HttpOnly cookie by the server, without a
    page load (OPEN_IN_PLACE)."""
    return rx.call_script(
        f"document.cookie = '{LOGIN_KEY_COOKIE}={result.browser_key}; path={LOGIN_KEY_PATH}; "
        f"max-age={auth.TICKET_SECONDS}; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');"
        f"document.cookie = '{PENDING_COOKIE}=; path={PENDING_COOKIE_PATH}; max-age=0; SameSite=Strict'"
        " + (location.protocol === 'https:' ? '; Secure' : '');"
        + OPEN_IN_PLACE.format(path=LOGIN_KEY_PATH, ticket=result.ticket)
    )


class LoginState(SessionState):
    error: str = ""
    info: str = ""
    busy: bool = False
    # Second factor of a correct password (services/accounts/pending_login.py): the pending
    # login's token stays server-side in `_pending` (and, for a passkey, in a
    # SameSite=Strict cookie scoped to /api/webauthn).
    step: str = "password"  # "password" | "second"
    mode: str = "totp"  # "totp" | "recovery" | "passkey"
    has_totp: bool = False
    has_passkey: bool = False
    has_recovery: bool = False
    code_key: int = 0
    _pending: str = ""

    def _step_in_progress(self) -> bool:
        """This tab is past the password: on the code step of a pending login that is still
        valid, or opening its session (`busy`, the ticket's navigation is under way)."""
        if self.busy:
            return True
        return (self.step == "second" and bool(self._pending)
                and pending_login.pending_methods(self._pending) is not None)

    @rx.event
    def load(self):
        user = self._user()
        if user is not None or identities.awaits_choice(self._token()):
            return rx.redirect(home_path_for(user), replace=True)
        # `load` runs again on every websocket (re)connect (Reflex's hydrate_and_load), and
        # a submit queued before the page's first load is handled before it: neither may
        # send a person back from the step they are on (the code step, its error, its
        # mode), nor a reload or a return to /connexion in the same tab. Without a pending
        # login, or once it has expired or been used up, the page starts from the password.
        if self._step_in_progress():
            return None
        self.error = ""
        self.busy = False
        self.step = "password"
        self._pending = ""
        params = self.router.url.query_parameters
        self.info = (
            "Vous êtes déconnecté de votre espace." if params.get("deconnecte")
            else "Votre session a expiré. Veuillez vous reconnecter." if params.get("expire")
            else ""
        )
        return None

    @rx.event
    async def submit(self, form: dict):
        form = form if isinstance(form, dict) else {}
        identifier = str(form.get("identifier", ""))[:254]
        ip, device_cookie = self._ip(), self._device_cookie()
        # Refused before any database work or hashing; the same answer for every identifier.
        if not login_guard.allow_login_event(self.router.session.client_token, ip,
                                             auth.normalize_identifier(identifier), device_cookie):
            log.warning("login events throttled ip=%s", ip)
            self.error = auth.TOO_MANY
            self.info = ""
            return
        # argon2 in the bounded hashing pool, fair between addresses (a known browser counts
        # as its device cookie): the event loop serves everyone else meanwhile.
        device = login_guard.device_nonce(device_cookie, auth.normalize_identifier(identifier))
        try:
            if device:  # a browser that logged in to this identifier before: first in the queue
                result = await hashing.run_known(f"appareil:{device}", auth.login, identifier,
                                                 str(form.get("password", "")), ip, device_cookie)
            else:
                result = await hashing.run_for(limit_key(ip), auth.login, identifier, str(form.get("password", "")),
                                               ip, device_cookie)
        except hashing.Busy:
            log.warning("hashing queue full: login refused ip=%s", ip)
            self.error, self.info = hashing.BUSY, ""
            return
        if result.pending:
            return self._ask_second_factor(result.pending)
        if not result.ok:
            self.error = result.error
            self.info = ""
            return
        self.error = ""
        self.busy = True
        return open_with_ticket(result)

    def _ask_second_factor(self, pending: str):
        methods = pending_login.pending_methods(pending)
        self._pending = pending
        self.step = "second"
        self.has_totp = bool(methods and methods.totp)
        self.has_passkey = bool(methods and methods.passkey)
        self.has_recovery = bool(methods and methods.recovery)
        self.mode = "totp" if self.has_totp else "passkey"
        self.error = ""
        self.info = ""
        self.code_key += 1
        return rx.call_script(
            f"document.cookie = '{PENDING_COOKIE}={pending}; path={PENDING_COOKIE_PATH}; "
            f"max-age={pending_login.PENDING_MINUTES * 60}; SameSite=Strict'"
            " + (location.protocol === 'https:' ? '; Secure' : '');"
        )

    @rx.event
    def use_mode(self, mode: str):
        if self.step != "second" or mode not in ("totp", "recovery", "passkey"):
            return
        self.mode = mode
        self.error = ""
        self.code_key += 1

    @rx.event
    def submit_code(self, form: dict):
        if self.step != "second" or not self._pending:
            return self.cancel()
        form = form if isinstance(form, dict) else {}
        code = form.get("code", "")
        mode = "recovery" if self.mode == "recovery" else "totp"
        if not check_limits.allow_check(f"attente:{self._pending}", self._ip()):  # before any check
            log.warning("second factor checks throttled ip=%s", self._ip())
            self.error = auth.TOO_MANY
            self.code_key += 1
            return
        result = two_factor.complete_login(self._pending, code if isinstance(code, str) else "", mode, self._ip(),
                                         self._device_cookie())
        if not result.ok:
            self.error = result.error
            self.code_key += 1
            if result.error in (pending_login.EXPIRED, auth.TOO_MANY):
                self._pending = ""
                self.step = "password"
            return
        self._pending = ""
        self.error = ""
        self.busy = True
        return open_with_ticket(result)

    @rx.event
    def cancel(self):
        self._pending = ""
        self.step = "password"
        self.error = ""
        self.busy = False
        return rx.call_script(f"document.cookie = '{PENDING_COOKIE}=; path={PENDING_COOKIE_PATH}; max-age=0'"
                              " + (location.protocol === 'https:' ? '; Secure' : '');")


class ForgotState(SessionState):
    error: str = ""
    message: str = ""

    @rx.event
    def load(self):
        self.error = ""
        self.message = ""

    @rx.event
    def submit(self, form: dict):
        result = auth.request_reset(str(form.get("identifier", ""))[:254], self._ip())
        self.error = result.errors.get("identifier", "")
        self.message = result.message


class ResetState(SessionState):
    """Choosing a password from an emailed link (reset or first-login invitation)."""

    valid: bool = False
    done: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    _jeton: str = ""

    def _purpose(self) -> str:
        return "invite" if self.router.url.path.startswith("/activer") else "reset"

    @rx.event
    def load(self):
        self._jeton = self.router.url.query_parameters.get("jeton", "")
        self.valid = auth.reset_link_is_valid(self._jeton, self._purpose())
        self.done = False
        self.errors = {}
        self.message = ""

    @rx.event
    async def submit(self, form: dict):
        form = form if isinstance(form, dict) else {}
        result = await self._checked(f"lien:{hashlib.sha256(self._jeton.encode()).hexdigest()[:32]}", "new",
                                     auth.reset_password, self._jeton, str(form.get("new", "")),
                                     str(form.get("confirm", "")), self._purpose())
        self.errors = result.errors
        if result.ok:
            self.done = True
            self.message = result.message
            self._jeton = ""
        elif "form" in result.errors:
            self.valid = False

"""Login, forgotten password and reset pages."""
from __future__ import annotations

import reflex as rx

from espace.api import LOGIN_KEY_COOKIE, LOGIN_KEY_PATH, home_path_for
from espace.services import auth
from espace.state.session import SessionState


class LoginState(SessionState):
    error: str = ""
    info: str = ""
    busy: bool = False

    @rx.event
    def load(self):
        self.error = ""
        self.busy = False
        params = self.router.url.query_parameters
        self.info = (
            "Vous êtes déconnecté." if params.get("deconnecte")
            else "Votre session a expiré. Veuillez vous reconnecter." if params.get("expire")
            else ""
        )
        user = self._user()
        if user is not None:
            return rx.redirect(home_path_for(user), replace=True)

    @rx.event
    def submit(self, form: dict):
        identifier = str(form.get("identifier", ""))[:254]
        result = auth.login(identifier, str(form.get("password", "")), self._ip())
        if not result.ok:
            self.error = result.error
            self.info = ""
            return
        self.error = ""
        self.busy = True
        # The browser key as a cookie of this page (a ticket alone opens nothing: login
        # CSRF), then a full navigation: the server turns the ticket into the HttpOnly cookie.
        # sessionStorage cleared first: the tab gets a new Reflex token, a fresh state tree.
        return rx.call_script(
            "sessionStorage.clear();"
            f"document.cookie = '{LOGIN_KEY_COOKIE}={result.browser_key}; path={LOGIN_KEY_PATH}; "
            f"max-age={auth.TICKET_SECONDS}; SameSite=Strict' + (location.protocol === 'https:' ? '; Secure' : '');"
            f"window.location.replace('{LOGIN_KEY_PATH}/ouvrir?ticket={result.ticket}')"
        )


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
    def submit(self, form: dict):
        result = auth.reset_password(
            self._jeton, str(form.get("new", "")), str(form.get("confirm", "")), self._purpose()
        )
        self.errors = result.errors
        if result.ok:
            self.done = True
            self.message = result.message
            self._jeton = ""
        elif "form" in result.errors:
            self.valid = False

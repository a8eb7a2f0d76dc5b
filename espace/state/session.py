"""The base state of every page: who is acting, from the server-side session.

The session token travels only in the HttpOnly cookie sent with the websocket
handshake; it is read here on the server and never stored in a state var."""
from __future__ import annotations

import reflex as rx

from espace.api import token_from_cookie_header
from espace.models import Role, User
from espace.services import auth

LOGIN = "/connexion"
FIRST_LOGIN = "/premiere-connexion"


class SessionState(rx.State):
    user_name: str = ""
    firm_name: str = ""
    has_logo: bool = False

    def _change_password(self, form: dict) -> auth.FormResult:
        """The password form (current, new, confirm) for this tab's own session."""
        return auth.change_password(self._token() or "", str(form.get("current", "")), str(form.get("new", "")),
                                    str(form.get("confirm", "")))

    def _token(self) -> str | None:
        return token_from_cookie_header(self.router.headers.cookie)

    def _ip(self) -> str:
        return self.router.session.client_ip or ""

    def _user(self) -> User | None:
        return auth.current_user(self._token())

    def _client(self) -> User | None:
        """The acting client, or None when there is no valid client session."""
        user = self._user()
        if user is None or user.role != Role.client or user.must_change_password:
            return None  # a temporary password must be changed first (see _to_login)
        self._remember(user)
        return user

    def _staff(self) -> User | None:
        user = self._user()
        if user is None or user.role not in (Role.admin, Role.lawyer, Role.staff):
            return None
        self._remember(user)
        return user

    def _remember(self, user: User) -> None:
        from espace.db import session_scope
        from espace.models import Firm

        name = f"{user.prenom} {user.nom}"
        if self.user_name != name or not self.firm_name:
            with session_scope() as s:
                firm = s.get(Firm, user.firm_id)
            self.user_name = name
            self.firm_name = firm.name if firm else ""
            self.has_logo = bool(firm and firm.logo_key)

    def _leave(self):
        """No valid client session: forget what this page held and go to the login page."""
        self.reset()
        return self._to_login()

    def _to_login(self):
        user = self._user()
        if user is not None and user.must_change_password:
            return rx.redirect(FIRST_LOGIN, replace=True)
        self.user_name = ""
        self.firm_name = ""
        return rx.redirect(f"{LOGIN}?expire=1", replace=True)

    @rx.event
    def logout(self):
        """Forget this tab's state, then post the logout form (revokes the session)."""
        auth.logout(self._token())
        return [
            rx.clear_session_storage(),
            rx.call_script("document.getElementById('form-deconnexion').submit()"),
        ]

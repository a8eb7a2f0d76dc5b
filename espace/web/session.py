"""The base state of every page: who is acting, from the server-side session.

The session token travels only in the HttpOnly cookie sent with the websocket
handshake; it is read here on the server and never stored in a state var."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import reflex as rx

from espace.db import session_scope
from espace.domain.names import full_name
from espace.domain.outcome import Outcome
from espace.domain.roles import is_staff
from espace.models import Firm, Role, User
from espace.services.accounts import auth, check_limits, client_address, hashing, identities, login_guard
from espace.services.accounts.auth import ENROL_SECOND_FACTOR, FIRST_LOGIN
from espace.services.accounts.cookies import cookie_value, token_from_cookie_header
from espace.services.accounts.factors import enrolment_required
from espace.web import event_session, tab_watch

LOGIN = "/connexion"
log = logging.getLogger(__name__)
P = ParamSpec("P")
T = TypeVar("T")


class SessionState(rx.State):
    user_name: str = ""
    firm_name: str = ""
    has_logo: bool = False
    # The person has memberships in several firms: « Changer d'espace » in the header.
    can_switch: bool = False
    # The firm's answers the client has not read: the count beside `Messages` in the header.
    unread_answers: int = 0
    _acting_id: int = 0
    # « session id:user id » this tab's states were filled for (web/tab_identity.py).
    _served_identity: str = ""
    # The route of the page this tab shows, its state forgotten when the tab leaves it
    # (web/navigation.py).
    _shown_route: str = ""

    async def _change_password(self, form: dict) -> Outcome[None]:
        """The password form (current, new, confirm) for this tab's own session
        (argon2 in the hashing pool, off the event loop; rate-limited per account and address)."""
        user = self._user()
        return await self._checked(f"compte:{user.account_id if user else self._token()}", "current",
                                   auth.change_password, self._token() or "", str(form.get("current", "")),
                                   str(form.get("new", "")), str(form.get("confirm", "")))

    async def _checked(self, account: str, field: str, fn: Callable[P, Outcome[T]], *args: P.args,
                       **kwargs: P.kwargs) -> Outcome[T]:
        """THE way a handler has a password or a code checked (`checked` below)."""
        return await checked(self, account, field, fn, *args, **kwargs)

    def _token(self) -> str | None:
        return token_from_cookie_header(self.router.headers.cookie)

    def _ip(self) -> str:
        """The client's address: Reflex gives the socket peer (rxconfig keeps
        trusted_proxy_hops at 0); X-Forwarded-For counts only from TRUSTED_PROXIES."""
        return client_address.client_ip(self.router.session.client_ip or "",
                                         self.router.headers.raw_headers.get("x-forwarded-for"))

    def _device_cookie(self) -> str | None:
        """The device cookie(s) of this browser (services/login_guard.py), from the handshake."""
        return cookie_value(self.router.headers.cookie, login_guard.DEVICE_COOKIE)

    def _user(self) -> User | None:
        token = self._token()
        seen = event_session.seen_user(token)  # read by the middleware for this event
        return auth.current_user(token) if seen is event_session.MISS else seen

    def _client(self) -> User | None:
        """The acting client, or None when there is no valid client session."""
        user = self._user()
        if user is None or user.role != Role.client or user.must_change_password:
            return None  # a temporary password must be changed first (see _to_login)
        if enrolment_required(user):
            return None  # the firm requires a second factor first (see _to_login)
        self._remember(user)
        return user

    def _staff(self) -> User | None:
        user = self._user()
        if user is None or not is_staff(user.role):
            return None
        if enrolment_required(user):
            return None
        self._remember(user)
        return user

    def _member(self) -> User | None:
        """Any logged-in member acting on their own account, client or firm: also while
        the firm still requires a second factor (Mon compte › Sécurité is where it is
        added); not before a temporary password is replaced."""
        user = self._user()
        if user is None or user.must_change_password:
            return None
        self._remember(user)
        return user

    def _remember(self, user: User) -> None:
        name = full_name(user)
        if self.user_name != name or not self.firm_name or self._acting_id != user.id:
            with session_scope() as s:
                firm = s.get(Firm, user.firm_id)
            self.user_name = name
            self.firm_name = firm.name if firm else ""
            self.has_logo = bool(firm and firm.logo_key)
            self.can_switch = identities.has_several(user.account_id)
            self._acting_id = user.id

    def _leave(self):
        """No valid client session: forget what this page held and go to the login page."""
        self.reset()
        return self._to_login()

    def _to_login(self):
        user = self._user()
        if user is not None and user.must_change_password:
            return rx.redirect(FIRST_LOGIN, replace=True)
        if user is not None and enrolment_required(user):
            return rx.redirect(ENROL_SECOND_FACTOR, replace=True)
        self.user_name = ""
        self.firm_name = ""
        self.can_switch = False
        self._acting_id = 0
        if user is None and identities.awaits_choice(self._token()):
            return rx.redirect(identities.CHOOSER, replace=True)  # logged in, no firm chosen yet
        return rx.redirect(f"{LOGIN}?expire=1", replace=True)

    @rx.event
    def logout(self):
        """Forget this tab's state, then post the logout form (revokes the session)."""
        auth.logout(self._token())
        event_session.forget_seen()
        tab_watch.served(self.router.session.client_token, None)  # this tab leaves by the logout form
        return [
            rx.clear_session_storage(),
            rx.call_script("document.getElementById('form-deconnexion').submit()"),
        ]


async def checked(tab: SessionState, account: str, field: str, fn: Callable[P, Outcome[T]], *args: P.args,
                  **kwargs: P.kwargs) -> Outcome[T]:
    """THE way a handler has a password or a code checked (or a password hashed), also
    from a mixin (web/step_up.py): refused before any check past CHECKS_PER_ACCOUNT for
    `account` or CHECKS_PER_ADDRESS for the tab's address, then run in the bounded hashing
    pool (never on the event loop), refused at once when its queue is full. A refusal is
    the French message under `field` ("form" for the page's general message)."""
    ip = tab._ip()
    if not check_limits.allow_check(account, ip):
        log.warning("password or code checks throttled account=%s ip=%s", account, ip)
        return Outcome.refused({field: check_limits.TOO_MANY})
    try:
        return await hashing.run_for(account, fn, *args, **kwargs)
    except hashing.Busy:
        log.warning("hashing queue full: refused account=%s ip=%s", account, ip)
        return Outcome.refused({field: hashing.BUSY})

"""Mon compte › Sécurité (client and staff) and /double-authentification (enrolment the
firm requires): authenticator app, recovery codes, passkeys.

Every handler acts on the second factors of the tab's own session only. The secret
of an enrolment in progress and the recovery codes are shown to their owner (the point
of the page) and dropped from the state as soon as they are confirmed or the page is
left. Passkeys are added by assets/webauthn.js through /api/webauthn (the browser's
WebAuthn API is asynchronous and binary), which then clicks « Actualiser » here."""
from __future__ import annotations

import logging

import reflex as rx

from espace.http.core import home_path_for
from espace.models import Role, User
from espace.services.accounts import passkeys, two_factor
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)

ENROL_PATH = "/double-authentification"


class SecurityState(LoadedPage, SessionState):
    totp_enabled: bool = False
    recovery_left: int = 0
    keys: list[dict[str, str]] = []
    enrolling: bool = False
    qr_svg: str = ""
    secret_text: str = ""
    codes: list[str] = []
    message: str = ""
    error: str = ""
    form_key: int = 0
    required: bool = False
    is_staff: bool = False

    def _account_user(self) -> User | None:
        """The session's user, also while the firm still requires an enrolment (this
        page is where it happens); not before a temporary password is replaced."""
        user = self._user()
        if user is None or user.must_change_password:
            return None
        self._remember(user)
        return user

    def _fill(self, user: User) -> None:
        data = two_factor.overview(two_factor.account_of(user))
        self.totp_enabled = data["totp_enabled"]
        self.recovery_left = data["recovery_left"]
        self.keys = data["passkeys"]
        self.is_staff = user.role != Role.client
        self.required = two_factor.enrolment_required(user)

    def _gone(self):
        self.reset()
        return self._to_login()

    @rx.event
    def load(self):
        user = self._account_user()
        if user is None:
            return self._gone()
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.codes = []
        self.message = ""
        self.error = ""
        self._fill(user)
        self.loaded = True

    @rx.event
    def leave(self):
        self.loaded = False
        self.codes = []
        self.qr_svg = ""
        self.secret_text = ""

    @rx.event
    def start_totp(self):
        user = self._account_user()
        if user is None:
            return self._gone()
        enrolment = two_factor.start_totp(two_factor.account_of(user))
        self.qr_svg = enrolment.svg
        self.secret_text = " ".join(enrolment.secret[i:i + 4] for i in range(0, len(enrolment.secret), 4))
        self.enrolling = True
        self.codes = []
        self.message = ""
        self.error = ""
        self.form_key += 1

    @rx.event
    def cancel_totp(self):
        user = self._account_user()
        if user is None:
            return self._gone()
        two_factor.cancel_totp_enrolment(two_factor.account_of(user))
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.error = ""

    @rx.event
    def confirm_totp(self, form: dict):
        user = self._account_user()
        if user is None:
            return self._gone()
        code = form.get("code", "") if isinstance(form, dict) else ""
        result = two_factor.confirm_totp(user, code if isinstance(code, str) else "")
        if not result.ok:
            self.error = result.error
            self.form_key += 1
            return
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.error = ""
        self.codes = result.codes or []
        self.message = ("L'application d'authentification est activée. Conservez vos codes de secours : "
                        "ils ne seront plus affichés.")
        self._fill(user)

    @rx.event
    def disable_totp(self, form: dict):
        user = self._account_user()
        if user is None:
            return self._gone()
        proof = form.get("preuve", "") if isinstance(form, dict) else ""
        result = two_factor.disable_totp(user, proof if isinstance(proof, str) else "")
        self.form_key += 1
        self.codes = []
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.message = "L'application d'authentification est désactivée."
        self._fill(user)

    @rx.event
    def regenerate_codes(self, form: dict):
        user = self._account_user()
        if user is None:
            return self._gone()
        proof = form.get("preuve_codes", "") if isinstance(form, dict) else ""
        result = two_factor.regenerate_codes(user, proof if isinstance(proof, str) else "")
        self.form_key += 1
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.codes = result.codes or []
        self.message = "Nouveaux codes de secours : les précédents ne fonctionnent plus."
        self._fill(user)

    @rx.event
    def hide_codes(self):
        self.codes = []
        self.message = ""

    @rx.event
    def passkey_added(self):
        """Clicked by assets/webauthn.js after /api/webauthn/inscription said ok."""
        user = self._account_user()
        if user is None:
            return self._gone()
        self._fill(user)
        self.error = ""
        self.message = "La clé d'accès est enregistrée."
        self.form_key += 1

    @rx.event
    def remove_passkey(self, passkey_id: str):
        user = self._account_user()
        if user is None:
            return self._gone()
        result = passkeys.remove(user, passkey_id if isinstance(passkey_id, (str, int)) else "")
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.message = "La clé d'accès est supprimée."
        self._fill(user)

    @rx.event
    def go_on(self):
        """/double-authentification › Continuer: to the home page once enrolled."""
        user = self._account_user()
        if user is None:
            return self._gone()
        self.codes = []
        if two_factor.enrolment_required(user):
            self.error = "Activez d'abord l'application d'authentification ou une clé d'accès."
            return
        return rx.redirect(home_path_for(user), replace=True)

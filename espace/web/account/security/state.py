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

from espace.models import User
from espace.services.accounts import passkeys, two_factor
from espace.services.accounts.auth import home_path_for
from espace.services.accounts.factors import account_of, enrolment_required
from espace.services.accounts.passkeys import PasskeyRow
from espace.web.access import account_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState

log = logging.getLogger(__name__)

ENROL_PATH = "/double-authentification"


class SecurityState(LoadedPage, SessionState):
    totp_enabled: bool = False
    recovery_left: int = 0
    keys: list[PasskeyRow] = []
    enrolling: bool = False
    qr_svg: str = ""
    secret_text: str = ""
    codes: list[str] = []
    message: str = ""
    error: str = ""
    form_key: int = 0
    required: bool = False

    # The handlers acting on the account are @account_event (web/access.py): the
    # session's member, also while the firm still requires an enrolment (this page is
    # where it happens); not before a temporary password is replaced.

    def _fill(self, user: User) -> None:
        data = two_factor.overview(account_of(user))
        self.totp_enabled = data.totp_enabled
        self.recovery_left = data.recovery_left
        self.keys = data.passkeys
        self.required = enrolment_required(user)

    @account_event
    def load(self, user: User):
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

    @account_event
    def start_totp(self, user: User):
        enrolment = two_factor.start_totp(account_of(user))
        self.qr_svg = enrolment.svg
        self.secret_text = " ".join(enrolment.secret[i:i + 4] for i in range(0, len(enrolment.secret), 4))
        self.enrolling = True
        self.codes = []
        self.message = ""
        self.error = ""
        self.form_key += 1

    @account_event
    def cancel_totp(self, user: User):
        two_factor.cancel_totp_enrolment(account_of(user))
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.error = ""

    @account_event
    async def confirm_totp(self, user: User, form: dict):
        code = form.get("code", "") if isinstance(form, dict) else ""
        result = await self._checked(f"compte:{account_of(user)}", "form", two_factor.confirm_totp, user,
                                     code if isinstance(code, str) else "")
        if not result.ok:
            self.error = result.error
            self.form_key += 1
            return
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.error = ""
        self.codes = result.value or []
        self.message = ("L'application d'authentification est activée. Conservez vos codes de secours : "
                        "ils ne seront plus affichés.")
        self._fill(user)

    @account_event
    async def disable_totp(self, user: User, form: dict):
        proof = form.get("preuve", "") if isinstance(form, dict) else ""
        # The password's argon2 in the hashing pool, rate-limited (SessionState._checked).
        result = await self._checked(f"compte:{account_of(user)}", "form", two_factor.disable_totp, user,
                                     proof if isinstance(proof, str) else "")
        self.form_key += 1
        self.codes = []
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.message = "L'application d'authentification est désactivée."
        self._fill(user)

    @account_event
    async def regenerate_codes(self, user: User, form: dict):
        proof = form.get("preuve_codes", "") if isinstance(form, dict) else ""
        result = await self._checked(f"compte:{account_of(user)}", "form", two_factor.regenerate_codes, user,
                                     proof if isinstance(proof, str) else "")
        self.form_key += 1
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.codes = result.value or []
        self.message = "Nouveaux codes de secours : les précédents ne fonctionnent plus."
        self._fill(user)

    @rx.event
    def hide_codes(self):
        self.codes = []
        self.message = ""

    @account_event
    def passkey_added(self, user: User):
        """Clicked by assets/webauthn.js after /api/webauthn/inscription said ok."""
        self._fill(user)
        self.error = ""
        self.message = "La clé d'accès est enregistrée."
        self.form_key += 1

    @account_event
    def remove_passkey(self, user: User, passkey_id: str):
        result = passkeys.remove(user, passkey_id if isinstance(passkey_id, (str, int)) else "")
        if not result.ok:
            self.error, self.message = result.error, ""
            return
        self.error = ""
        self.message = "La clé d'accès est supprimée."
        self._fill(user)

    @account_event
    def go_on(self, user: User):
        """/double-authentification › Continuer: to the home page once enrolled."""
        self.codes = []
        if enrolment_required(user):
            self.error = "Activez d'abord l'application d'authentification ou une clé d'accès."
            return
        return rx.redirect(home_path_for(user), replace=True)

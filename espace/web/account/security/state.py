"""Mon compte › Sécurité (client and staff) and /double-authentification (enrolment the
firm requires): authenticator app, recovery codes, passkeys.

Every handler acts on the second factors of the tab's own session only. The secret
of an enrolment in progress and the recovery codes are shown to their owner (the point
of the page) and dropped from the state as soon as they are confirmed or the page is
left. Passkeys are added by assets/webauthn.js through /api/webauthn (the browser's
WebAuthn API is asynchronous and binary), which then clicks « Actualiser » here.

Every change of a login method needs the session's step-up (services/accounts/step_up.py,
checked again by the service): without it, the handler opens « Confirmez votre identité »
(password, plus a code or a passkey when the person has a second factor) and remembers
the action; once confirmed, the action runs. The services decide; this only asks."""
from __future__ import annotations

import logging

import reflex as rx

from espace.models import User
from espace.services.accounts import passkeys, step_up, step_up_proof, two_factor
from espace.services.accounts.auth import home_path_for
from espace.services.accounts.factors import account_of, enrolment_required
from espace.services.accounts.passkeys import PasskeyRow
from espace.web.access import account_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState
from espace.web.step_up import StepUpMixin

log = logging.getLogger(__name__)

ENROL_PATH = "/double-authentification"


class SecurityState(StepUpMixin, LoadedPage, SessionState):
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
    passkeys_to_confirm: bool = False

    # The handlers acting on the account are @account_event (web/access.py): the
    # session's member, also while the firm still requires an enrolment (this page is
    # where it happens); not before a temporary password is replaced.

    def _fill(self, user: User) -> None:
        data = two_factor.overview(account_of(user))
        self.totp_enabled = data.totp_enabled
        self.recovery_left = data.recovery_left
        self.keys = data.passkeys
        self.required = enrolment_required(user)
        self.passkeys_to_confirm = data.passkeys_to_confirm and bool(data.passkeys)

    # --- Step-up (web/step_up.py) --------------------------------------------------------

    def _needs_step_up(self, user: User, action: str, arg: str = "") -> bool:
        """True (and « Confirmez votre identité » opens) when this session has no fresh
        step-up; the action runs once it is given."""
        if step_up.confirmed(self._token(), user):
            return False
        self._ask(user, action, {"id": arg})
        return True

    def _refused(self, user: User, error: str, action: str, arg: str = "") -> None:
        """A service's refusal; its step-up expired meanwhile: ask again."""
        if not self._asked_for(user, error, action, {"id": arg}):
            self.error, self.message = error, ""

    def _proof_expected(self) -> bool:
        return True  # the page's own « Confirmer mon identité », and the passkey flows of webauthn.js

    def _after_step_up(self, user: User, action: str, data: dict[str, str]) -> None:
        self.error = ""
        self.message = step_up_proof.DONE
        runs = {"start_totp": self._start_totp, "disable_totp": self._disable_totp,
                "regenerate_codes": self._regenerate_codes, "confirm_passkeys": self._confirm_passkeys}
        if action == "remove_passkey":
            self._remove_passkey(user, data.get("id", ""))
        elif action in runs:
            runs[action](user)
        elif action == "confirm_totp":
            self.message = "Identité confirmée. Saisissez à nouveau le code affiché par l'application."
        elif action == "add_passkey":
            self.message = (f"Identité confirmée pour {step_up.STEP_UP_MINUTES} minutes. Cliquez de nouveau sur "
                            "« Ajouter une clé d'accès ».")

    @account_event
    def ask_identity(self, user: User):
        """« Confirmer mon identité »: the step-up alone (e.g. before asking for a new
        e-mail address with a passkey)."""
        self._ask(user, "")

    @account_event
    def ask_for_passkey(self, user: User):
        """Clicked by assets/webauthn.js when adding a passkey was refused for want of a step-up."""
        self._ask(user, "add_passkey")

    @account_event
    def load(self, user: User):
        self.enrolling = False
        self.qr_svg = ""
        self.secret_text = ""
        self.codes = []
        self.message = ""
        self.error = ""
        self._forget_step_up()
        self._fill(user)
        self.loaded = True

    @rx.event
    def leave(self):
        """The enrolment page's unmount (/double-authentification, outside the page frame)."""
        self._left()

    def _forget_rows(self) -> None:
        """Recovery codes and the authenticator's secret are shown once, and a step-up asked on
        the page is not carried to another: all gone when the page is left."""
        self._forget_step_up()
        self.codes = []
        self.qr_svg = ""
        self.secret_text = ""

    @account_event
    def start_totp(self, user: User):
        if not self._needs_step_up(user, "start_totp"):
            self._start_totp(user)

    def _start_totp(self, user: User) -> None:
        result = two_factor.start_totp(user, self._token())
        if not result.ok or result.value is None:
            self._refused(user, result.error, "start_totp")
            return
        enrolment = result.value
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
                                     code if isinstance(code, str) else "", self._token())
        if not result.ok:
            self.form_key += 1
            if self._asked_for(user, result.error, "confirm_totp"):  # the 5 minutes passed while scanning
                return
            self.error = result.error
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
    def disable_totp(self, user: User):
        if not self._needs_step_up(user, "disable_totp"):
            self._disable_totp(user)

    def _disable_totp(self, user: User) -> None:
        result = two_factor.disable_totp(user, self._token())
        self.codes = []
        if not result.ok:
            self._refused(user, result.error, "disable_totp")
            return
        self.error = ""
        self.message = "L'application d'authentification est désactivée."
        self._fill(user)

    @account_event
    def regenerate_codes(self, user: User):
        if not self._needs_step_up(user, "regenerate_codes"):
            self._regenerate_codes(user)

    def _regenerate_codes(self, user: User) -> None:
        result = two_factor.regenerate_codes(user, self._token())
        if not result.ok:
            self._refused(user, result.error, "regenerate_codes")
            return
        self.error = ""
        self.codes = result.value or []
        self.message = "Nouveaux codes de secours : les précédents ne fonctionnent plus."
        self._fill(user)

    @account_event
    def confirm_passkeys(self, user: User):
        """« Je reconnais ces clés d'accès », after a password change or reset."""
        if not self._needs_step_up(user, "confirm_passkeys"):
            self._confirm_passkeys(user)

    def _confirm_passkeys(self, user: User) -> None:
        result = step_up.confirm_passkeys(user, self._token())
        if not result.ok:
            self._refused(user, result.error, "confirm_passkeys")
            return
        self.error, self.message = "", result.message
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
        key = str(passkey_id)[:40] if isinstance(passkey_id, (str, int)) else ""
        if not self._needs_step_up(user, "remove_passkey", key):
            self._remove_passkey(user, key)

    def _remove_passkey(self, user: User, passkey_id: str) -> None:
        result = passkeys.remove(user, passkey_id, self._token())
        if not result.ok:
            self._refused(user, result.error, "remove_passkey", passkey_id)
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

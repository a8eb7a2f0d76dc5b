"""« Confirmez votre identité » (the step-up, services/accounts/step_up.py) for any page
state: Mon compte › Sécurité and the firm's security changes on /admin (a client's
e-mail, the team, the settings). Used as `class X(StepUpMixin, LoadedPage, StaffState)`
with the dialog `web/components/step_up_dialog.step_up_dialog(X)`.

The services decide: an action is sent to its service, which refuses it with
step_up.NEEDED when the session's proof is missing or older than 5 minutes; the state
then opens the dialog (`_ask`) and remembers the action (`_step_up_action`, its data in
`_step_up_data`, on the server only); once the password (and, when the person has one,
a second factor) is confirmed, `_after_step_up` runs it again."""
from __future__ import annotations

from typing import Any, cast

import reflex as rx

from espace.models import User
from espace.services.accounts import step_up, step_up_proof
from espace.services.accounts.factors import account_of
from espace.web.access import account_event
from espace.web.session import SessionState, checked


class StepUpMixin(rx.State, mixin=True):
    step_up_open: bool = False
    step_up_error: str = ""
    step_up_key: int = 0
    asks_code: bool = False
    asks_passkey: bool = False
    _step_up_action: str = ""
    _step_up_data: dict[str, str] = {}

    def _ask(self, user: User, action: str, data: dict[str, str] | None = None) -> None:
        """Open « Confirmez votre identité »; `action` runs (_after_step_up) once it is given."""
        factors = step_up_proof.asks(user)
        self.asks_code = factors.totp or factors.passkey  # a recovery code works for either
        self.asks_passkey = factors.passkey
        self._step_up_action, self._step_up_data = action, dict(data or {})
        self.step_up_error = ""
        self.step_up_open = True
        self.step_up_key += 1

    def _asked_for(self, user: User, error: str, action: str, data: dict[str, str] | None = None) -> bool:
        """True (and the dialog opens) when a service refused `action` for want of a step-up."""
        if error != step_up.NEEDED:
            return False
        self._ask(user, action, data)
        return True

    def _forget_step_up(self) -> None:
        self.step_up_open = False
        self.step_up_error = ""
        self._step_up_action, self._step_up_data = "", {}

    def _proof_expected(self) -> bool:
        """Whether confirm_identity checks a proof now: while this state's dialog is open
        (the server opened it for an action). Mon compte › Sécurité checks it at any time."""
        return self.step_up_open

    def _after_step_up(self, user: User, action: str, data: dict[str, str]) -> Any:
        """Run the action that waited for the step-up (each state its own; "" when
        the dialog was opened for the proof alone)."""
        raise NotImplementedError

    def _resume(self, user: User) -> Any:
        action, data = self._step_up_action, dict(self._step_up_data)
        self._forget_step_up()
        return self._after_step_up(user, action, data)

    @account_event
    async def confirm_identity(self, user: User, form: dict):
        """« Confirmez votre identité » › Confirmer: the password and, when the person has
        one, a code (rate-limited per account and address, argon2 in the hashing pool:
        web/session.checked)."""
        if not self._proof_expected():
            return None  # nothing was asked: no password is checked (nor counted) for a forged event
        tab = cast(SessionState, self)
        form = form if isinstance(form, dict) else {}
        password, code = form.get("mot_de_passe_confirmation", ""), form.get("code_confirmation", "")
        result = await checked(tab, f"compte:{account_of(user)}", "form", step_up_proof.confirm, tab._token(),
                               user, password if isinstance(password, str) else "",
                               code if isinstance(code, str) else "", tab._ip())
        self.step_up_key += 1
        if not result.ok:
            self.step_up_error = result.error
            if result.error == step_up_proof.CLOSED:
                return tab._leave()
            return None
        return self._resume(user)

    @account_event
    def passkey_confirmed(self, user: User):
        """Clicked by assets/webauthn.js after /api/webauthn/confirmation said ok."""
        if not step_up.confirmed(cast(SessionState, self)._token(), user):
            self.step_up_error = step_up.NEEDED
            return None
        return self._resume(user)

    @rx.event
    def cancel_step_up(self):
        self._forget_step_up()

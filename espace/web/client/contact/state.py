"""Mettre à jour mes coordonnées: a request to the firm, pending until accepted."""
from __future__ import annotations

from espace.models import User
from espace.services.accounts import step_up_proof
from espace.services.client import contact
from espace.web.access import client_event
from espace.web.page import LoadedPage
from espace.web.session import SessionState


class ContactDetailsState(LoadedPage, SessionState):
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    pending: dict[str, str] = {}
    message: str = ""
    form_key: int = 0
    # A new e-mail address asks for the step-up (services/accounts/step_up.py) in the form.
    asks_identity: bool = False
    asks_code: bool = False
    asks_passkey: bool = False

    @client_event
    def load(self, user: User):
        page = contact.contact_page(user)
        self.values, self.pending = page.values, page.pending or {}
        self.errors = {}
        self.message = ""
        self.asks_identity = False
        self.form_key += 1
        self.loaded = True

    @client_event
    async def submit(self, user: User, form: dict):
        fields = {k: str(v) for k, v in form.items()}
        password, code = fields.pop("mot_de_passe_confirmation", ""), fields.pop("code_confirmation", "")
        if password:  # the step-up asked for a new e-mail address (argon2 in the hashing pool)
            # Rate-limited per account and address, argon2 in the hashing pool (SessionState._checked).
            proof = await self._checked(f"compte:{user.account_id}", "identity", step_up_proof.confirm,
                                        self._token(), user, password, code, self._ip())
            if not proof.ok:
                self.errors, self.message = {"identity": proof.error}, ""
                if proof.error == step_up_proof.CLOSED:
                    return self._leave()
                return None
        result = contact.request_update(user, fields, self._token())
        self.errors = result.errors
        if result.errors.get("email") == contact.EMAIL_STEP_UP:
            factors = step_up_proof.asks(user)
            self.asks_identity, self.asks_code, self.asks_passkey = True, factors.totp or factors.passkey, factors.passkey
        elif result.ok:
            self.asks_identity = False
        if result.ok:
            self.pending = result.value or {}
            self.message = "Votre demande a été envoyée à votre avocat. Elle est en attente de validation."
        else:
            self.message = ""
        return None

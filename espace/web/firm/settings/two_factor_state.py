"""/admin/parametres › Double authentification: whether the firm requires a second
factor of its staff and/or its clients (its own state, loaded when the section mounts)."""
from __future__ import annotations

import reflex as rx

from espace.services import AccessDenied
from espace.services.accounts import two_factor
from espace.services.admin_scope import NotAdmin
from espace.services.firm.settings import _truthy
from espace.web.firm.base import StaffState


class TwoFactorPolicyState(StaffState):
    require_staff: bool = False
    require_clients: bool = False
    policy_loaded: bool = False
    policy_message: str = ""
    policy_key: int = 0

    @rx.event
    def load_policy(self):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        data = two_factor.get_policy(user)
        self.require_staff, self.require_clients = data["require_staff"], data["require_clients"]
        self.policy_message = ""
        self.policy_loaded = True
        self.policy_key += 1

    @rx.event
    def save_policy(self, form: dict):
        user = self._require_staff()
        if user is None:
            return self._refuse()
        form = form if isinstance(form, dict) else {}
        try:
            two_factor.set_policy(user, _truthy(form.get("exiger_collaborateurs")),
                                  _truthy(form.get("exiger_clients")))
        except NotAdmin as refused:
            self.policy_message = refused.message
            return
        except AccessDenied:
            self.reset()
            return self._refuse()
        data = two_factor.get_policy(user)
        self.require_staff, self.require_clients = data["require_staff"], data["require_clients"]
        self.policy_message = "La règle de double authentification est enregistrée."
        self.policy_key += 1

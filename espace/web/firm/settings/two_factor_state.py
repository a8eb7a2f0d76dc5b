"""/admin/parametres › Double authentification: whether the firm requires a second
factor of its staff and/or its clients (its own state, loaded when the section mounts)."""
from __future__ import annotations

from espace.domain.text import truthy
from espace.models import User
from espace.services import AccessDenied
from espace.services.access import NotAdmin
from espace.services.accounts import two_factor
from espace.web.access import staff_event
from espace.web.firm.base import StaffState


class TwoFactorPolicyState(StaffState):
    require_staff: bool = False
    require_clients: bool = False
    policy_loaded: bool = False
    policy_message: str = ""
    policy_key: int = 0

    @staff_event
    def load_policy(self, user: User):
        data = two_factor.get_policy(user)
        self.require_staff, self.require_clients = data["require_staff"], data["require_clients"]
        self.policy_message = ""
        self.policy_loaded = True
        self.policy_key += 1

    @staff_event
    def save_policy(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        try:
            two_factor.set_policy(user, truthy(form.get("exiger_collaborateurs")),
                                  truthy(form.get("exiger_clients")))
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

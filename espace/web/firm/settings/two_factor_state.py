"""/admin/parametres › Double authentification: whether the firm requires a second
factor of its staff and/or its clients (its own state, loaded when the section mounts).
A change needs the session's step-up (web/step_up.py), then runs."""
from __future__ import annotations

from espace.domain.text import truthy
from espace.models import User
from espace.services import AccessDenied
from espace.services.access import NotAdmin
from espace.services.accounts import two_factor
from espace.services.firm import settings as firm_settings
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.step_up import StepUpMixin


class TwoFactorPolicyState(StepUpMixin, StaffState):
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
        self._forget_step_up()
        self.policy_key += 1

    @staff_event
    def save_policy(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        return self._save_policy(user, {"staff": "on" if truthy(form.get("exiger_collaborateurs")) else "",
                                        "clients": "on" if truthy(form.get("exiger_clients")) else ""})

    def _after_step_up(self, user: User, action: str, data: dict[str, str]):
        return self._save_policy(user, data) if action == "save_policy" else None

    def _save_policy(self, user: User, data: dict[str, str]):
        """A change of the rule needs the session's step-up (the service says so)."""
        try:
            result = firm_settings.set_two_factor_policy(user, data.get("staff") == "on", data.get("clients") == "on",
                                                         token=self._token())
        except NotAdmin as refused:
            self.policy_message = refused.message
            return None
        except AccessDenied:
            self.reset()
            return self._refuse()
        if self._asked_for(user, result.error, "save_policy", data):
            self.policy_message = ""
            return None
        data_now = two_factor.get_policy(user)
        self.require_staff, self.require_clients = data_now["require_staff"], data_now["require_clients"]
        self.policy_message = result.message if result.ok else result.error
        self.policy_key += 1
        return None

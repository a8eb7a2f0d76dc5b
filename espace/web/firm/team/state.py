"""State of /admin/equipe (« Équipe du cabinet »): the firm's people; administrators
invite, change roles, deactivate and reactivate (services/team.py decides). Inviting,
changing a role and reactivating need the session's step-up: the service refuses, the
page asks « Confirmez votre identité » (web/step_up.py), then the action runs."""
from __future__ import annotations

import logging

from espace.domain.outcome import Outcome
from espace.models import User
from espace.services import AccessDenied
from espace.services.access import NotAdmin
from espace.services.firm import team
from espace.services.firm.team import Colleague
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage
from espace.web.step_up import StepUpMixin

log = logging.getLogger(__name__)

EMPTY = {"nom": "", "prenom": "", "email": "", "role": "lawyer"}
NOT_FOUND = "Ce collègue est introuvable."


def _form(form) -> dict[str, str]:
    form = form if isinstance(form, dict) else {}
    return {key: str(form.get(key, ""))[:300] for key in EMPTY}


class TeamState(StepUpMixin, LoadedPage, StaffState):
    rows: list[Colleague] = []
    can_manage: bool = False
    values: dict[str, str] = EMPTY
    errors: dict[str, str] = {}
    message: str = ""
    error: str = ""
    form_key: int = 0

    def _fetch(self, user: User) -> None:
        data = team.list_team(user)
        self.rows, self.can_manage = data.rows, data.can_manage

    @staff_event
    def load(self, user: User):
        self._fetch(user)
        self.values, self.errors, self.message, self.error = dict(EMPTY), {}, "", ""
        self._forget_step_up()
        self.form_key += 1
        self.loaded = True

    def _run(self, user: User, action, *args, **kwargs):
        """One team action as the acting user; the list is refreshed afterwards."""
        self.message, self.error = "", ""
        try:
            result = action(user, *args, **kwargs)
        except NotAdmin as exc:
            self.error = exc.message
            result = None
        except AccessDenied:
            log.warning("team action refused user=%s action=%s args=%r", user.id, action.__name__, args)
            self.error = NOT_FOUND
            result = None
        if result is not None:
            if result.ok:
                self.message = result.message
            else:
                self.error = result.error or "Vérifiez le formulaire."
        fresh = self._staff()  # still staff after the action (e.g. no longer an administrator)
        if fresh is None:
            return self._refuse()
        self._fetch(fresh)
        return result

    def _asked(self, user: User, result, action: str, data: dict[str, str]) -> bool:
        """A security change refused for want of a step-up: « Confirmez votre identité »
        opens, and the action runs again once it is confirmed (_after_step_up)."""
        if not isinstance(result, Outcome) or not self._asked_for(user, result.error, action, data):
            return False
        self.error = ""
        return True

    def _after_step_up(self, user: User, action: str, data: dict[str, str]):
        runs = {"invite": self._invite, "change_role": self._change_role, "reactivate": self._reactivate}
        return runs[action](user, data) if action in runs else None

    @staff_event
    def invite(self, user: User, form: dict):
        return self._invite(user, _form(form))

    def _invite(self, user: User, values: dict[str, str]):
        result = self._run(user, team.invite_colleague, values, token=self._token())
        if not isinstance(result, Outcome):
            return result
        if self._asked(user, result, "invite", values):
            self.values = values
            return None
        self.errors = {} if result.ok else result.errors
        if result.ok:
            self.values = dict(EMPTY)
            self.form_key += 1
        else:
            self.values = values
            self.error = result.error
        return None

    @staff_event
    def change_role(self, user: User, form: dict):
        values = form if isinstance(form, dict) else {}
        return self._change_role(user, {"user_id": str(values.get("user_id", ""))[:20],
                                        "role": str(values.get("role", ""))[:20]})

    def _change_role(self, user: User, data: dict[str, str]):
        result = self._run(user, team.change_role, data.get("user_id", ""), data.get("role", ""), token=self._token())
        self._asked(user, result, "change_role", data)
        return result if not isinstance(result, Outcome) else None

    @staff_event
    def deactivate(self, user: User, user_id: str):
        result = self._run(user, team.deactivate_colleague, str(user_id)[:20])
        return result if not isinstance(result, Outcome) else None

    @staff_event
    def reactivate(self, user: User, user_id: str):
        return self._reactivate(user, {"user_id": str(user_id)[:20]})

    def _reactivate(self, user: User, data: dict[str, str]):
        result = self._run(user, team.reactivate_colleague, data.get("user_id", ""), token=self._token())
        self._asked(user, result, "reactivate", data)
        return result if not isinstance(result, Outcome) else None

    @staff_event
    def resend(self, user: User, user_id: str):
        result = self._run(user, team.resend_invitation, str(user_id)[:20])
        return result if not isinstance(result, Outcome) else None

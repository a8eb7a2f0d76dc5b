"""State of /admin/parametres. The Stripe secret key and webhook secret never
enter this state: only whether they are saved. A change of the security settings
(services/firm/settings.SECURITY_FIELDS) needs the session's step-up: the service
refuses, « Confirmez votre identité » opens (web/step_up.py), then « Enregistrer »
sends the form again."""
from __future__ import annotations

import logging

import reflex as rx

from espace.models import User
from espace.services import AccessDenied
from espace.services.access import NotAdmin
from espace.services.accounts import step_up
from espace.services.firm import settings as firm_settings
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage
from espace.web.step_up import StepUpMixin

log = logging.getLogger(__name__)

# Sends the chosen logo as the raw body to /api/admin/logo (the server checks the
# session, the role, the type by content and the size), then asks the page to refresh.
LOGO_SCRIPT = r"""
(function () {
  if (window.__espaceLogo) return;
  window.__espaceLogo = true;
  function zoneOf(el) { return el && el.closest ? el.closest("[data-logo-zone]") : null; }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (e) {
      var zone = zoneOf(e.target);
      if (!zone) return;
      e.preventDefault();
      zone.setAttribute("data-dragging", "true");
    });
  });
  document.addEventListener("dragleave", function (e) {
    var zone = zoneOf(e.target);
    if (zone && !zone.contains(e.relatedTarget)) zone.removeAttribute("data-dragging");
  });
  document.addEventListener("drop", function (e) {
    var zone = zoneOf(e.target);
    if (!zone) return;
    e.preventDefault();
    zone.removeAttribute("data-dragging");
    var input = zone.querySelector("input[data-logo-input]");
    if (input && !input.matches(":disabled")) send(input, e.dataTransfer && e.dataTransfer.files && e.dataTransfer.files[0]);
  });
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches("input[data-logo-input]")) return;
    send(input, input.files && input.files[0]);
  });
  function send(input, file) {
    var status = document.querySelector("[data-logo-status]");
    function say(text) { if (status) status.textContent = text; }
    if (!file) return;
    if (file.size > 2 * 1024 * 1024) { say("Logo trop volumineux (2 Mo maximum)."); input.value = ""; return; }
    say("Envoi du logo…");
    var xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/admin/logo");
    xhr.setRequestHeader("X-Requested-With", "espace");
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.onload = function () {
      var data = {};
      try { data = JSON.parse(xhr.responseText); } catch (err) { /* not JSON */ }
      if (xhr.status === 200 && data.ok) {
        say("Logo enregistré.");
        var refresh = document.querySelector("[data-logo-refresh]");
        if (refresh) refresh.click();
      } else if (xhr.status === 401) {
        say("Votre session a expiré. Veuillez vous reconnecter.");
      } else {
        say(data.error || "Le logo n'a pas pu être enregistré.");
      }
    };
    xhr.onerror = function () { say("Échec : la connexion a été interrompue. Réessayez."); };
    xhr.send(file);
    input.value = "";
  }
})();
"""


class SettingsState(StepUpMixin, LoadedPage, StaffState):
    name: str = ""
    sender_email: str = ""
    publishable_key: str = ""
    payments_enabled: bool = False
    invite_with_temporary_password: bool = False
    secret_key_saved: bool = False
    webhook_secret_saved: bool = False
    logo_version: int = 0
    # Only a firm administrator may change the settings; the others see them read-only.
    can_edit: bool = False
    errors: dict[str, str] = {}
    message: str = ""
    refusal: str = ""
    form_key: int = 0

    def _fill(self, user: User) -> None:
        data = firm_settings.get_settings(user)
        self.name, self.sender_email = data.name, data.sender_email
        self.publishable_key = data.publishable_key
        self.payments_enabled = data.payments_enabled
        self.invite_with_temporary_password = data.invite_with_temporary_password
        self.secret_key_saved, self.webhook_secret_saved = data.secret_key_saved, data.webhook_secret_saved
        self.has_logo = data.has_logo  # also the header's logo (SessionState)
        self.can_edit = data.can_edit
        self.firm_name = data.name

    @staff_event
    def load(self, user: User):
        before = (self.name, self.sender_email, self.publishable_key, self.payments_enabled,
                  self.invite_with_temporary_password, self.secret_key_saved, self.webhook_secret_saved,
                  bool(self.errors), self.loaded)
        self._fill(user)
        if before != (self.name, self.sender_email, self.publishable_key, self.payments_enabled,
                      self.invite_with_temporary_password, self.secret_key_saved, self.webhook_secret_saved,
                      False, True):
            self.form_key += 1
        self.errors = {}
        self.message = ""
        self.refusal = ""
        self.loaded = True
        self._forget_step_up()
        return rx.call_script(LOGO_SCRIPT)

    def _after_step_up(self, user: User, action: str, data: dict[str, str]) -> None:
        """The secret keys are not kept waiting on the server: once the identity is
        confirmed, the form (still as typed) is sent again by a click."""
        if action == "save":
            self.message = (f"Identité confirmée pour {step_up.STEP_UP_MINUTES} minutes. Cliquez de nouveau sur "
                            "« Enregistrer ».")

    @staff_event
    def save(self, user: User, form: dict):
        form = form if isinstance(form, dict) else {}
        values = {k: str(v)[:300] for k, v in form.items() if isinstance(v, (str, bool, int))}
        try:
            result = firm_settings.update(user, values, token=self._token())
        except NotAdmin as exc:
            log.warning("settings change refused: not an administrator user=%s", user.id)
            self._fill(user)
            self.form_key += 1
            self.message, self.refusal = "", exc.message
            return
        except AccessDenied:
            self.reset()
            return self._refuse()
        if self._asked_for(user, result.error, "save"):  # the form keeps what was typed
            self.message, self.refusal = "", ""
            return
        self.errors = result.errors
        if result.ok:
            self._fill(user)
            self.message = "Les paramètres ont été enregistrés."
            self.form_key += 1  # secret fields emptied again
        else:
            self.message = ""
            self.name = values.get("name", "")
            self.sender_email = values.get("sender_email", "")
            self.publishable_key = values.get("publishable_key", "")
            self.payments_enabled = "payments_enabled" in values
            self.invite_with_temporary_password = "invite_with_temporary_password" in values

    @staff_event
    def logo_uploaded(self, user: User):
        self._fill(user)
        self.logo_version += 1

    @staff_event
    def remove_logo(self, user: User):
        try:
            firm_settings.remove_logo(user)
        except NotAdmin as exc:
            self.refusal = exc.message
            return
        self._fill(user)
        self.logo_version += 1
        self.message = "Le logo a été supprimé."

"""The attack suite, built from the app itself (issue 9, item 10; issue 19, item 2).

Every event handler of every Reflex state (walked from `reflex.state.State` once the
app `espace.espace` is imported) and every HTTP route (the one index `espace.http.routes.ROUTES`:
the routes behind Reflex and those served directly in front of it)
is called, on the real app (the module's `server` fixture, tests/attack/conftest.py: the
ASGI app Granian runs in production, served from a thread of this process, demo data; no
frontend, no browser), by:

  anon   no session at all;
  marc   a client of firm 1 (Marc BERTRAND) who is on none of Luce ALEXANDER's dossiers,
         with Luce's ids, and calling the firm's handlers/routes;
  claire a lawyer of another firm (Claire LEROY), with firm 1's ids (Luce's, DELMAS's).

Each attacker logs in once through the real login flow and keeps one websocket (the
real Socket.IO protocol, `tests/attack/reflex_socket.py`) for all its events. Each case
sends the page's `load` for the victim's page (so the state is what an attacker can
make it), then the handler with one payload. After each case:
  - no victim marker (Luce's e-mail, phone, address, dossier labels, document names,
    the unshared internal note, her message and her contact request) in any frame
    the attacker received;
  - the business tables are unchanged: no committed INSERT/UPDATE/DELETE of a business
    table during the case (a SQLAlchemy listener on every engine of the process; audit,
    login attempts, sessions, one-time tokens and the outbox's delivery columns are
    bookkeeping), and as a net a full checksum of the business tables before the first
    case of each handler (or route) and after its last;
  - no English error toast (« An error occurred »), no traceback in the app's log (a
    `logging.Handler` on the process's loggers), and for HTTP no 5xx.

`setvar` of the app's own states is refused by the payload guard whatever the payload:
that decision is proven where it is made, for every app state and every payload
(test_setvar_guard.py); here each actor sends it once (`guard_decides`). Reflex's own
states keep their full `setvar` matrix on the network (the guard lets some through).

THE REGISTRY (`HANDLERS`, `ROUTES` below) must have one entry per handler and per
route: `test_registry_covers_the_app` fails, naming them, when one is missing (or
stale). A new handler forces its author to say who may call it and with what.
Handler keys are `<module>.<StateClass>.<handler>` (e.g.
`espace.web.client.messages.state.MessagesState.send`); route keys are `"<METHOD> <path>"`.
One line per entry, with one of the helpers:

  client(page, **victim_payload)   a client handler: anon and claire must be sent away
                                   (redirect), marc gets nothing of the victim's
  firm(page, **victim_payload)     a firm handler: anon and marc sent away, claire
                                   gets nothing of firm 1
  own(page, **payload)              any logged-in user, on their own account only: anon
                                   sent away, the others change nothing of anyone else
  tab(page, **payload)             acts on the tab's own state only (no session
                                   needed), e.g. a tab switch: nothing leaks, nothing changes
  public(page, **payload)          open to anyone (login, forgotten password)
  framework(page, **payload)       Reflex's own handlers

`page` is the router path sent with the event (placeholders `{luce_dossier}` etc.
are the victim's ids, see `victims`); keyword arguments are the handler's payload
with the victim's ids plugged in. Each entry is also called with hostile payloads
generated from the handler's signature (huge, negative integers, lists, dicts,
None, ~1 MB strings, missing and unexpected arguments); a `load` is called with
hostile paths instead (`loads(page_template)`). Options: `actors=(...)` to restrict,
`allow=("table",)` for tables the handler may legitimately change.
Routes: `route(path, actors, csrf=..., body=...)`.

Known gaps fixed on another branch are listed in attack_known_gaps.txt (strict xfail per
case; not strict for Reflex's own handlers, whose chained events may toast a case late).
"""
from __future__ import annotations

import hashlib
import inspect
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.attack.conftest import BOOKKEEPING, CLAIRE, IGNORED_COLUMNS, LUCE, MARC
from tests.attack.reflex_socket import ROOT, ReflexSocket, login_cookie

ACTORS = ("anon", "marc", "claire")

HUGE = 99999999999999999999999
# The Socket.IO server takes frames up to 1,000,000 bytes: the largest string an event can carry.
BIG = "A" * 990_000
XSS = '<img src=x onerror=window.__xss=1>'

# Set up by the `victims` fixture (Luce writes a message and asks to change her address).
SECRET_SUBJECT = "Objet-confidentiel-Luce-7781"
SECRET_ADDRESS = "7 allée Secrète-Luce-7781"
MARKERS = [
    # (not her landline: « 04 67 15 98 42 » is the example of the phone fields' error message)
    "academy@secib.fr", "06 15 25 65 25", "Impasse Adam",
    "ALEXANDER / AGENCE IMMO", "ALEXANDER / JPA", "Mandat de vente exclusif",
    "Note interne", "Compromis de vente sign", "Réunion interne de préparation",
    SECRET_SUBJECT, SECRET_ADDRESS,
]
# --------------------------------------------------------------------------- registry
@dataclass
class Entry:
    kind: str
    page: str
    payload: dict
    actors: tuple[str, ...]
    allow: tuple[str, ...] = ()
    hostile_pages: bool = False  # a load: hostile paths instead of hostile payloads
    wait: float = 0.0  # a background handler: time to let it run


def client(page, /, actors=ACTORS, allow=(), **payload):
    return Entry("client", page, payload, actors, allow)


def firm(page, /, actors=ACTORS, allow=(), **payload):
    return Entry("firm", page, payload, actors, allow)


def own(page, /, actors=ACTORS, allow=(), **payload):
    return Entry("own", page, payload, actors, allow)


def tab(page, /, actors=ACTORS, **payload):
    return Entry("tab", page, payload, actors)


def public(page, /, actors=ACTORS, allow=(), **payload):
    return Entry("public", page, payload, actors, allow)


def framework(page, /, actors=ACTORS, **payload):
    return Entry("framework", page, payload, actors)


def loads(page, kind):
    """A page's on_load: its input is the path; `{id}` is replaced by the victim's id
    and by hostile ids."""
    return Entry(kind, page, {}, ACTORS, hostile_pages=True)


def background(entry: Entry, seconds: float) -> Entry:
    entry.wait = seconds
    return entry


D = "/admin/dossiers/{luce_dossier}"
FORM_RDV = {"rdv_date": "2027-01-05", "rdv_heure": "10:00", "rdv_lieu": "Cabinet", "rdv_objet": XSS,
            "rdv_partager": "on"}
CLIENT_FORM = {"nom": "ALEXANDER", "prenom": "Luce", "email": "academy@secib.fr", "adresse": XSS,
               "code_postal": "34000", "ville": "MONTPELLIER", "tel": "", "mobile": ""}

HANDLERS: dict[str, Entry] = {
    # Reflex's own handlers.
    "reflex.state.State.hydrate": framework("/dossiers/{luce_dossier}"),
    "reflex.state.State.hydrate_and_load": framework("/dossiers/{luce_dossier}"),
    "reflex.state.State.set_is_hydrated": framework("/", value=True),
    "reflex.state.State.setvar": framework("/", var_name="is_hydrated", value=True),
    "reflex.state.OnLoadInternalState.on_load_internal": framework("/admin/clients/{luce_client}"),
    "reflex.state.OnLoadInternalState.set_is_hydrated": framework("/", value=True),
    "reflex.state.OnLoadInternalState.setvar": framework("/", var_name="is_hydrated", value=True),
    "reflex.state.UpdateVarsInternalState.update_vars_internal": framework(
        "/contacter", vars={f"{ROOT}.espace___web___session____session_state.espace___web___client___messages___state____messages_state"
                            ".dossier_id": "{luce_dossier}"}),
    "reflex.state.UpdateVarsInternalState.setvar": framework("/", var_name="vars", value={}),
    "reflex.state.FrontendEventExceptionState.handle_frontend_exception": framework(
        "/", info="Error: x", component_stack=""),
    "reflex.state.FrontendEventExceptionState.setvar": framework("/", var_name="info", value="x"),
    "reflex.istate.shared.SharedStateBaseInternal.setvar": framework("/", var_name="x", value="x"),
    # Session base.
    "espace.web.session.SessionState.logout": tab("/accueil", actors=("anon",)),  # others would log out
    "espace.web.session.SessionState.setvar": tab("/accueil", var_name="user_name", value="Luce ALEXANDER"),
    # Login pages (open to anyone; an unknown identifier, so nobody is locked out).
    "espace.web.public.login.state.LoginState.load": loads("/connexion?expire={id}", "public"),
    "espace.web.public.login.state.LoginState.submit": public("/connexion", form={"identifier": "nobody@example.com", "password": "x"}),
    "espace.web.public.login.state.LoginState.setvar": tab("/connexion", var_name="error", value=XSS),
    "espace.web.public.login.state.LoginState.use_mode": tab("/connexion", mode="recovery"),
    "espace.web.public.login.state.LoginState.submit_code": public("/connexion", form={"code": "123456"}),
    "espace.web.public.login.state.LoginState.cancel": tab("/connexion"),
    "espace.web.public.login.state.ForgotState.load": loads("/mot-de-passe-oublie?x={id}", "public"),
    "espace.web.public.login.state.ForgotState.submit": public("/mot-de-passe-oublie", form={"identifier": "nobody@example.com"}),
    "espace.web.public.login.state.ForgotState.setvar": tab("/mot-de-passe-oublie", var_name="message", value="x"),
    # The « ce n'est pas moi » link of a security notice: a guessed or hostile jeton ends nothing.
    "espace.web.public.login.end_sessions_page.EndSessionsState.load": loads("/fermer-les-sessions?jeton={id}", "public"),
    "espace.web.public.login.end_sessions_page.EndSessionsState.end_all": public("/fermer-les-sessions?jeton=x"),
    "espace.web.public.login.end_sessions_page.EndSessionsState.setvar": tab("/fermer-les-sessions", var_name="valid", value=True),
    "espace.web.public.login.state.ResetState.load": loads("/reinitialiser?jeton={id}", "public"),
    "espace.web.public.login.state.ResetState.submit": public("/reinitialiser?jeton=x", form={"new": "Nouveau-Mot-2027!", "confirm": "Nouveau-Mot-2027!"}),
    "espace.web.public.login.state.ResetState.setvar": tab("/reinitialiser", var_name="valid", value=True),
    "espace.web.public.first_login.state.FirstLoginState.load": loads("/premiere-connexion?x={id}", "client"),
    "espace.web.public.first_login.state.FirstLoginState.submit": client("/premiere-connexion", form={"current": "x", "new": "Nouveau-Mot-2027!", "confirm": "Nouveau-Mot-2027!"}),
    "espace.web.public.first_login.state.FirstLoginState.setvar": tab("/premiere-connexion", var_name="loaded", value=True),
    "espace.web.account.state.AccountState.load": loads("/mon-compte?x={id}", "own"),
    "espace.web.account.state.AccountState.change_password": own("/mon-compte", form={"current": LUCE[1], "new": "Nouveau-Mot-2027!", "confirm": "Nouveau-Mot-2027!"}),
    "espace.web.account.state.AccountState.setvar": tab("/mon-compte", var_name="message", value="x"),
    # Open sessions (Mon compte): another person's session id changes nothing.
    # (its load only fills the section: sending a stranger away is the page's own load)
    "espace.web.account.sessions_state.SessionsState.load": tab("/mon-compte"),
    "espace.web.account.sessions_state.SessionsState.revoke": own("/mon-compte", session_id="{luce_session}"),
    "espace.web.account.sessions_state.SessionsState.revoke_others": own("/mon-compte"),
    "espace.web.account.sessions_state.SessionsState.setvar": tab("/mon-compte", var_name="message", value=XSS),
    # Agenda (Mon compte, clients): the subscription address of one's own RDV only.
    "espace.web.account.agenda_state.AgendaState.load": own("/mon-compte"),
    "espace.web.account.agenda_state.AgendaState.create": client("/mon-compte", allow=("calendar_feed",)),
    "espace.web.account.agenda_state.AgendaState.revoke": client("/mon-compte", allow=("calendar_feed",)),
    "espace.web.account.agenda_state.AgendaState.forget": tab("/mon-compte"),
    "espace.web.account.agenda_state.AgendaState.setvar": tab("/mon-compte", var_name="url", value=XSS),
    # Double authentification (the attacker's own account only; starting an enrolment of
    # one's own account writes its pending secret).
    "espace.web.account.security.state.SecurityState.load": loads("/mon-compte/securite?x={id}", "own"),
    "espace.web.account.security.state.SecurityState.start_totp": own("/mon-compte/securite", allow=("totp_factor",)),
    "espace.web.account.security.state.SecurityState.cancel_totp": own("/mon-compte/securite", allow=("totp_factor",)),
    "espace.web.account.security.state.SecurityState.confirm_totp": own("/mon-compte/securite", form={"code": "123456"}),
    "espace.web.account.security.state.SecurityState.disable_totp": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.regenerate_codes": own("/mon-compte/securite"),
    # Step-up (« Confirmez votre identité »): a wrong password counts on the attacker's own
    # session only (the fifth closes it: the victim case and the 1 MB field are the only
    # guesses here; an empty or non-text password is not one); the proof acts on the
    # caller's own session, never on Luce's.
    "espace.web.account.security.state.SecurityState.confirm_identity": own("/mon-compte/securite", form={"mot_de_passe_confirmation": LUCE[1],
                                                                                       "code_confirmation": "123456"}),
    "espace.web.account.security.state.SecurityState.passkey_confirmed": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.ask_for_passkey": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.ask_identity": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.cancel_step_up": tab("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.confirm_passkeys": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.hide_codes": tab("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.passkey_added": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.remove_passkey": own("/mon-compte/securite", passkey_id="{luce_user}"),
    "espace.web.account.security.state.SecurityState.go_on": own("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.leave": tab("/mon-compte/securite"),
    "espace.web.account.security.state.SecurityState.setvar": tab("/mon-compte/securite", var_name="secret_text", value=XSS),
    # Firm chooser: only one's own memberships.
    "espace.web.public.chooser.state.ChooserState.load": loads("/choisir-cabinet?x={id}", "own"),
    "espace.web.public.chooser.state.ChooserState.choose": own("/choisir-cabinet", membership_id="{luce_user}"),
    # A firm's invitation (issue 22, item 6): only one's own waiting memberships.
    "espace.web.public.chooser.state.ChooserState.accept": own("/choisir-cabinet", membership_id="{luce_user}"),
    "espace.web.public.chooser.state.ChooserState.decline": own("/choisir-cabinet", membership_id="{luce_user}"),
    "espace.web.public.chooser.state.ChooserState.setvar": tab("/choisir-cabinet", var_name="error", value=XSS),
    # Client pages.
    "espace.web.client.home.state.HomeState.load": loads("/accueil?x={id}", "client"),
    "espace.web.client.home.state.HomeState.refresh": client("/accueil"),
    "espace.web.client.home.state.HomeState.setvar": tab("/accueil", var_name="name", value="x"),
    "espace.web.client.listing.state.ListState.load": loads("/documents?dossier={id}&avant=20240108.{id}", "client"),
    "espace.web.client.listing.state.ListState.setvar": tab("/documents", var_name="older", value="20240108.1"),
    "espace.web.client.search.state.SearchState.load": loads("/recherche?q={id}", "client"),
    "espace.web.client.search.state.SearchState.go": client("/recherche", form={"q": XSS}),
    "espace.web.client.search.state.SearchState.setvar": tab("/recherche", var_name="query", value=XSS),
    "espace.web.client.dossier.state.DossierState.load": loads("/dossiers/{id}", "client"),
    "espace.web.client.dossier.state.DossierState.refresh": client("/dossiers/{luce_dossier}"),
    "espace.web.client.dossier.state.DossierState.set_tab": client("/dossiers/{luce_dossier}", key="deposes"),
    "espace.web.client.dossier.state.DossierState.show_older": client("/dossiers/{luce_dossier}"),
    "espace.web.client.dossier.state.DossierState.show_newer": client("/dossiers/{luce_dossier}"),
    "espace.web.client.dossier.state.DossierState.setvar": tab("/dossiers/{luce_dossier}", var_name="tab", value="rdv"),
    "espace.web.client.messages.state.MessagesState.load": loads("/contacter?dossier={id}", "client"),
    "espace.web.client.messages.state.MessagesState.choose": client("/contacter?dossier={luce_dossier}", dossier_id="{luce_dossier}"),
    "espace.web.client.messages.state.MessagesState.send": client("/contacter?dossier={luce_dossier}", form={"objet": XSS, "message": XSS}),
    "espace.web.client.messages.state.MessagesState.setvar": tab("/contacter", var_name="dossier_id", value="{luce_dossier}"),
    "espace.web.client.contact.state.ContactDetailsState.load": loads("/mon-compte/coordonnees?x={id}", "client"),
    "espace.web.client.contact.state.ContactDetailsState.submit": client("/mon-compte/coordonnees", actors=("anon", "claire"), form=CLIENT_FORM),
    "espace.web.client.contact.state.ContactDetailsState.setvar": tab("/mon-compte/coordonnees", var_name="message", value="x"),
    "espace.web.client.payment.state.PaymentState.load": loads("/factures/{id}/paiement", "client"),
    "espace.web.client.payment.state.PaymentState.card_mounted": tab("/factures/{luce_facture}/paiement", result={"ok": True}),
    "espace.web.client.payment.state.PaymentState.pay": client("/factures/{luce_facture}/paiement"),
    "espace.web.client.payment.state.PaymentState.token_ready": client("/factures/{luce_facture}/paiement", result={"token": "pm_card_visa"}),
    "espace.web.client.payment.state.PaymentState.auth_done": client("/factures/{luce_facture}/paiement", result={"status": "succeeded"}),
    "espace.web.client.payment.state.PaymentState.wait_paid": background(client("/factures/{luce_facture}/paiement"), 1.5),
    "espace.web.client.payment.state.PaymentState.setvar": tab("/factures/{luce_facture}/paiement", var_name="facture_id", value="{luce_facture}"),
    # Firm pages.
    "espace.web.firm.base.StaffState.setvar": tab("/admin", var_name="x", value="x"),
    "espace.web.firm.dashboard.state.DashboardState.load": loads("/admin?x={id}", "firm"),
    "espace.web.firm.dashboard.state.DashboardState.setvar": tab("/admin", var_name="counts", value={}),
    "espace.web.firm.clients.state.ClientsListState.load": loads("/admin/clients?q={id}", "firm"),
    "espace.web.firm.clients.state.ClientsListState.do_search": firm("/admin/clients", form={"q": "ALEXANDER"}),
    "espace.web.firm.clients.state.ClientsListState.go": firm("/admin/clients", page=1),
    "espace.web.firm.clients.state.ClientsListState.setvar": tab("/admin/clients", var_name="search", value="ALEXANDER"),
    "espace.web.firm.clients.state.ClientNewState.load": loads("/admin/clients/nouveau?x={id}", "firm"),
    # (claire: creating a client in her own firm is her job)
    "espace.web.firm.clients.state.ClientNewState.submit": firm("/admin/clients/nouveau", actors=("anon", "marc"), form={**CLIENT_FORM, "email": "new@example.com"}),
    "espace.web.firm.clients.state.ClientNewState.setvar": tab("/admin/clients/nouveau", var_name="values", value={}),
    "espace.web.firm.clients.state.ClientDetailState.load": loads("/admin/clients/{id}", "firm"),
    "espace.web.firm.clients.state.ClientDetailState.save": firm("/admin/clients/{luce_client}", form=CLIENT_FORM),
    "espace.web.firm.clients.state.ClientDetailState.deactivate": firm("/admin/clients/{luce_client}"),
    "espace.web.firm.clients.state.ClientDetailState.reactivate": firm("/admin/clients/{luce_client}"),
    "espace.web.firm.clients.state.ClientDetailState.resend": firm("/admin/clients/{luce_client}"),
    "espace.web.firm.clients.state.ClientDetailState.events_go": firm("/admin/clients/{luce_client}", page=1),
    # The step-up of a security change (web/step_up.py): a proof is checked only while the
    # server's dialog is open, so a forged event checks (and counts) nothing.
    "espace.web.firm.clients.state.ClientDetailState.confirm_identity": own("/admin/clients/{luce_client}", form={"mot_de_passe_confirmation": LUCE[1], "code_confirmation": "123456"}),
    "espace.web.firm.clients.state.ClientDetailState.passkey_confirmed": own("/admin/clients/{luce_client}"),
    "espace.web.firm.clients.state.ClientDetailState.cancel_step_up": tab("/admin/clients/{luce_client}"),
    "espace.web.firm.clients.state.ClientDetailState.setvar": tab("/admin/clients/{luce_client}", var_name="client_id", value="{luce_client}"),
    "espace.web.firm.dossiers.state.DossiersListState.load": loads("/admin/dossiers?client={id}", "firm"),
    "espace.web.firm.dossiers.state.DossiersListState.apply": firm("/admin/dossiers", form={"q": "", "client": "{luce_client}", "interlocuteur": "{delmas}"}),
    "espace.web.firm.dossiers.state.DossiersListState.clear": firm("/admin/dossiers"),
    "espace.web.firm.dossiers.state.DossiersListState.go": firm("/admin/dossiers", page=1),
    "espace.web.firm.dossiers.state.DossiersListState.find_clients": firm("/admin/dossiers", text="ALEXANDER"),
    "espace.web.firm.dossiers.state.DossiersListState.find_interlocutors": firm("/admin/dossiers", text="DELMAS"),
    "espace.web.firm.dossiers.state.DossiersListState.setvar": tab("/admin/dossiers", var_name="client_id", value="{luce_client}"),
    "espace.web.firm.dossiers.state.DossierFormState.load": loads("/admin/dossiers/{id}/modifier", "firm"),
    "espace.web.firm.dossiers.state.DossierFormState.submit": firm(D + "/modifier", form={"reference": XSS, "label": XSS, "client_{luce_client}": True, "interlocutor_id": "{delmas}"}),
    "espace.web.firm.dossiers.state.DossierFormState.setvar": tab(D + "/modifier", var_name="dossier_id", value="{luce_dossier}"),
    "espace.web.firm.dossier.state.FirmDossierState.load": loads("/admin/dossiers/{id}?onglet=messages", "firm"),
    "espace.web.firm.dossier.state.FirmDossierState.set_tab": firm(D, key="messages"),
    "espace.web.firm.dossier.state.FirmDossierState.show_older": firm(D),
    "espace.web.firm.dossier.state.FirmDossierState.show_newer": firm(D),
    "espace.web.firm.dossier.state.FirmDossierState.set_share_uploads": tab(D, checked=False),
    "espace.web.firm.dossier.state.FirmDossierState.after_download": background(firm(D), 1.8),
    "espace.web.firm.dossier.state.FirmDossierState.refresh": firm(D),
    "espace.web.firm.dossier.state.FirmDossierState.add": firm(D, key="rdv", form=FORM_RDV),
    "espace.web.firm.dossier.state.FirmDossierState.share": firm(D, category="documents", item_id="{luce_hidden_document}"),
    "espace.web.firm.dossier.state.FirmDossierState.unshare": firm(D, category="documents", item_id="{luce_document}"),
    "espace.web.firm.dossier.state.FirmDossierState.answer": firm(D, form={"reponse_objet": XSS, "reponse_message": XSS}),
    "espace.web.firm.dossier.state.FirmDossierState.setvar": tab(D, var_name="tab", value="messages"),
    "espace.web.firm.messages.state.FirmMessagesState.load": loads("/admin/messages?x={id}", "firm"),
    "espace.web.firm.messages.state.FirmMessagesState.setvar": tab("/admin/messages", var_name="threads", value=[]),
    "espace.web.firm.requests.state.FirmRequestsState.load": loads("/admin/demandes?x={id}", "firm"),
    "espace.web.firm.requests.state.FirmRequestsState.accept": firm("/admin/demandes", request_id="{luce_request}"),
    "espace.web.firm.requests.state.FirmRequestsState.refuse": firm("/admin/demandes", form={"demande": "{luce_request}", "motif": XSS}),
    "espace.web.firm.requests.state.FirmRequestsState.setvar": tab("/admin/demandes", var_name="pending", value=[]),
    "espace.web.firm.settings.state.SettingsState.load": loads("/admin/parametres?x={id}", "firm"),
    "espace.web.firm.settings.state.SettingsState.save": firm("/admin/parametres", form={"name": XSS, "sender_email": "x@example.com", "publishable_key": "pk_test_x", "secret_key": "sk_test_x"}),
    "espace.web.firm.settings.state.SettingsState.logo_uploaded": firm("/admin/parametres"),
    "espace.web.firm.settings.state.SettingsState.remove_logo": firm("/admin/parametres", actors=("anon", "marc")),  # claire: her own firm's logo
    "espace.web.firm.settings.state.SettingsState.confirm_identity": own("/admin/parametres", form={"mot_de_passe_confirmation": LUCE[1], "code_confirmation": "123456"}),
    "espace.web.firm.settings.state.SettingsState.passkey_confirmed": own("/admin/parametres"),
    "espace.web.firm.settings.state.SettingsState.cancel_step_up": tab("/admin/parametres"),
    "espace.web.firm.settings.state.SettingsState.setvar": tab("/admin/parametres", var_name="name", value="x"),
    # Équipe du cabinet (administrators of firm 1 only; claire may invite into her own firm).
    "espace.web.firm.team.state.TeamState.load": loads("/admin/equipe?x={id}", "firm"),
    "espace.web.firm.team.state.TeamState.invite": firm("/admin/equipe", actors=("anon", "marc"), form={"nom": XSS, "prenom": XSS, "email": "nouveau@example.com", "role": "admin"}),
    "espace.web.firm.team.state.TeamState.change_role": firm("/admin/equipe", form={"user_id": "{julie}", "role": "admin"}),
    "espace.web.firm.team.state.TeamState.deactivate": firm("/admin/equipe", user_id="{delmas}"),
    "espace.web.firm.team.state.TeamState.reactivate": firm("/admin/equipe", user_id="{julie}"),
    "espace.web.firm.team.state.TeamState.resend": firm("/admin/equipe", user_id="{julie}"),
    "espace.web.firm.team.state.TeamState.confirm_identity": own("/admin/equipe", form={"mot_de_passe_confirmation": LUCE[1], "code_confirmation": "123456"}),
    "espace.web.firm.team.state.TeamState.passkey_confirmed": own("/admin/equipe"),
    "espace.web.firm.team.state.TeamState.cancel_step_up": tab("/admin/equipe"),
    "espace.web.firm.team.state.TeamState.setvar": tab("/admin/equipe", var_name="message", value=XSS),
    # The firm's 2FA rule (claire: her own firm's rule, and it would hold her own session).
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.load_policy": firm("/admin/parametres"),
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.save_policy": firm("/admin/parametres", actors=("anon", "marc"), form={"exiger_collaborateurs": "on", "exiger_clients": "on"}),
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.confirm_identity": own("/admin/parametres", form={"mot_de_passe_confirmation": LUCE[1], "code_confirmation": "123456"}),
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.passkey_confirmed": own("/admin/parametres"),
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.cancel_step_up": tab("/admin/parametres"),
    "espace.web.firm.settings.two_factor_state.TwoFactorPolicyState.setvar": tab("/admin/parametres", var_name="policy_message", value=XSS),
    "espace.web.firm.payments.state.PaymentsState.load": loads("/admin/paiements?dossier={id}&avant=20240108T093000.{id}", "firm"),
    "espace.web.firm.payments.state.PaymentsState.apply": firm("/admin/paiements", form={"statut": "succeeded", "dossier": "ALEXANDER", "du": "2020-01-01", "au": "2030-12-31"}),
    "espace.web.firm.payments.state.PaymentsState.clear": firm("/admin/paiements"),
    "espace.web.firm.payments.state.PaymentsState.go_newer": firm("/admin/paiements"),
    "espace.web.firm.payments.state.PaymentsState.go_older": firm("/admin/paiements"),
    "espace.web.firm.payments.state.PaymentsState.go_newest": firm("/admin/paiements"),
    "espace.web.firm.payments.state.PaymentsState.go_oldest": firm("/admin/paiements"),
    "espace.web.firm.payments.state.PaymentsState.setvar": tab("/admin/paiements", var_name="rows", value=[]),
}


@dataclass
class RouteEntry:
    method: str
    path: str  # with placeholders; `{id}` is where hostile ids go
    actors: tuple[str, ...]
    expect: tuple[int, ...]  # what a correct refusal answers, per the route
    csrf: bool = False
    body: bytes = b""
    variants: dict = field(default_factory=dict)


def route(method, path, expect, actors=ACTORS, csrf=False, body=b"x"):
    return RouteEntry(method, path, actors, expect, csrf, body)


ROUTES: dict[str, RouteEntry] = {
    "GET /api/session/ouvrir": route("GET", "/api/session/ouvrir?ticket={id}", (303,)),
    # The login page's fetch: a guessed ticket (or one without its browser key) opens nothing.
    "POST /api/session/ouvrir": route("POST", "/api/session/ouvrir?ticket={id}", (400, 401, 403), csrf=True,
                                      body=b'{"ticket": "x"}'),
    # A logged-in attacker would only log itself out.
    "POST /api/session/fermer": route("POST", "/api/session/fermer?x={id}", (303,), actors=("anon",)),
    "GET /api/documents/{document_id}": route("GET", "/api/documents/{id}", (401, 404)),
    "GET /api/health": route("GET", "/api/health?x={id}", (200,)),
    # One RDV's .ics (session cookie): Luce's shared RDV is a 404 for anyone else.
    "GET /api/rdv/{rdv_id}/agenda.ics": route("GET", "/api/rdv/{id}/agenda.ics", (401, 404)),
    # The subscription address: the token is the credential; a guessed one reads nothing.
    "GET /api/agenda/{token}.ics": route("GET", "/api/agenda/{id}.ics", (404,)),
    "POST /api/admin/logo": route("POST", "/api/admin/logo?x={id}", (400, 401, 403, 413), csrf=True),
    # Only the caller's own firm's logo (claire's firm may have one: 200, hers).
    "GET /api/logo": route("GET", "/api/logo?x={id}", (200, 404)),
    # The caller's own firm's logo, or the default icon.
    "GET /favicon.ico": route("GET", "/favicon.ico?x={id}", (200,)),
    "POST /api/stripe/webhook/{firm_id:int}": route("POST", "/api/stripe/webhook/{id}", (400, 404, 413)),
    "POST /api/depots/{dossier_id}": route("POST", "/api/depots/{id}", (401, 403, 404, 413), csrf=True),
    "POST /api/depots/{dossier_id}/termine": route("POST", "/api/depots/{id}/termine", (400, 401, 403, 404, 413), csrf=True,
                                                        body=b'{"names": ["Compromis de vente sign\\u00e9.pdf"]}'),
    "POST /api/admin/dossiers/{dossier_id}/documents": route("POST", "/api/admin/dossiers/{id}/documents",
                                                                 (401, 403, 404, 413), csrf=True),
    # Passkeys (assets/webauthn.js): a logged-in attacker may only ask options for their
    # own account; a forged credential registers and logs in nothing.
    "POST /api/webauthn/inscription/options": route("POST", "/api/webauthn/inscription/options?x={id}", (200, 400, 401, 403), csrf=True, body=b"{}"),
    "POST /api/webauthn/inscription": route("POST", "/api/webauthn/inscription?x={id}", (400, 401, 403), csrf=True,
                                            body=b'{"credential": {"id": "x", "response": {}}, "name": "<img src=x>"}'),
    # The step-up with a passkey: the caller's own passkeys only; no password in the body
    # (an attacker's own session is not closed by the suite's cases).
    "POST /api/webauthn/confirmation/options": route("POST", "/api/webauthn/confirmation/options?x={id}", (400, 401, 403), csrf=True, body=b"{}"),
    "POST /api/webauthn/confirmation": route("POST", "/api/webauthn/confirmation?x={id}", (400, 401, 403), csrf=True,
                                             body=b'{"credential": {"id": "x", "response": {}}}'),
    "POST /api/webauthn/connexion/options": route("POST", "/api/webauthn/connexion/options?x={id}", (200, 400, 403), csrf=True, body=b"{}"),
    "POST /api/webauthn/connexion": route("POST", "/api/webauthn/connexion?x={id}", (400, 401, 403), csrf=True,
                                          body=b'{"credential": {"id": "x", "response": {}}}'),
}
# The victim's id for each route's `{id}`.
ROUTE_VICTIM = {
    "GET /api/documents/{document_id}": "luce_hidden_document",
    "GET /api/rdv/{rdv_id}/agenda.ics": "luce_rdv",
    "POST /api/stripe/webhook/{firm_id:int}": "firm1",
    "POST /api/depots/{dossier_id}": "luce_dossier",
    "POST /api/depots/{dossier_id}/termine": "luce_dossier",
    "POST /api/admin/dossiers/{dossier_id}/documents": "luce_dossier",
}

# Cases that fail on this branch because of issue 9 item 4 (huge integers, wrong payload
# types), fixed on the `hardening` branch: strict xfail, so that they XPASS (and fail)
# once merged and the marker is removed.
KNOWN_GAPS: set[str] = {
    line.strip() for line in (Path(__file__).with_name("attack_known_gaps.txt")).read_text().splitlines()
    if line.strip() and not line.startswith("#")
}
ITEM4 = "issue 9 item 4 (hardening branch)"


# --------------------------------------------------------------------------- enumeration
def _walk_states():
    from reflex.state import State

    import espace.espace  # noqa: F401  (the app: registers every page and state)

    todo = [State]
    while todo:
        cls = todo.pop()
        yield cls
        todo.extend(cls.get_substates())


def enumerate_handlers() -> dict[str, tuple[str, object]]:
    """{registry key: (full event name, handler function)} of every state of the app."""
    out = {}
    for cls in _walk_states():
        for name, handler in cls.event_handlers.items():
            out[f"{cls.__module__}.{cls.__name__}.{name}"] = (f"{cls.get_full_name()}.{name}", handler.fn, cls)
    return out


def enumerate_routes() -> set[str]:
    """Every route of the app's one index (espace/http/routes.py), direct or behind Reflex."""
    from espace.http.routes import ROUTES

    return {f"{m} {r.path}" for r in ROUTES for m in (r.methods or ()) if m != "HEAD"}


HANDLER_NAMES = enumerate_handlers()
ROUTE_NAMES = enumerate_routes()


def test_registry_covers_the_app():
    missing = sorted(set(HANDLER_NAMES) - set(HANDLERS))
    stale = sorted(set(HANDLERS) - set(HANDLER_NAMES))
    missing_routes = sorted(ROUTE_NAMES - set(ROUTES))
    stale_routes = sorted(set(ROUTES) - ROUTE_NAMES)
    problems = []
    if missing:
        problems.append("event handlers without an entry in HANDLERS:\n  " + "\n  ".join(missing))
    if missing_routes:
        problems.append("HTTP routes without an entry in ROUTES:\n  " + "\n  ".join(missing_routes))
    if stale or stale_routes:
        problems.append("entries for handlers/routes the app no longer has:\n  " + "\n  ".join(stale + stale_routes))
    assert not problems, "\n".join(problems) + "\n(see the docstring of tests/attack/test_attack_suite.py)"


# --------------------------------------------------------------------------- cases
def _hostile_values(big: bool = True) -> dict[str, object]:
    values = {"huge": HUGE, "negative": -1, "list": ["x", HUGE], "dict": {"a": {"b": HUGE}}, "none": None}
    if big:
        values["1mb"] = BIG
    return values


def handler_cases(key: str, entry: Entry) -> list[tuple[str, str, dict]]:
    """(payload id, page, payload) of one handler: the victim's, then the hostile ones."""
    if entry.hostile_pages:
        ids = {"victim": "{victim_id}", "huge": str(HUGE), "negative": "-1", "zero": "0", "text": "abc%27%22<x>",
               "float": "1e23", "1mb": "A" * 200_000}
        return [(pid, entry.page.replace("{id}", value), {}) for pid, value in ids.items()]
    cases = [("victim", entry.page, entry.payload)]
    fn = HANDLER_NAMES[key][1]
    params = [p for p in inspect.signature(fn).parameters if p != "self"]
    if not params:
        cases.append(("unexpected-arg", entry.page, {"zz": HUGE}))
        return cases
    cases.append(("missing-args", entry.page, {}))
    for param in params:
        for vid, value in _hostile_values().items():
            cases.append((f"{param}={vid}", entry.page, {**entry.payload, param: value}))
        base = entry.payload.get(param)
        if isinstance(base, dict) and base:
            for vid, value in _hostile_values().items():
                if vid == "negative":
                    continue
                cases.append((f"{param}.fields={vid}", entry.page, {**entry.payload, param: dict.fromkeys(base, value)}))
    return cases


def guard_decides(key: str) -> bool:
    """`setvar` of one of the app's states: refused by the payload guard whatever its
    payload (espace/web/payload_guard.py `event_fits`), a decision proven for every such
    state and every payload of the matrix by test_setvar_guard.py, where it is made.
    Over the network each actor sends it once (the victim's payload), which proves the
    guard stands in front of that state's handler on the real protocol."""
    from espace.web.session import SessionState

    fn, cls = HANDLER_NAMES[key][1], HANDLER_NAMES[key][2]
    return fn.__name__ == "setvar" and issubclass(cls, SessionState)


def _params():
    out = []
    for key in sorted(HANDLERS):
        if key not in HANDLER_NAMES:
            continue
        entry = HANDLERS[key]
        for actor in entry.actors:
            cases = handler_cases(key, entry)
            if guard_decides(key):
                cases = cases[:1]
            for pid, page, payload in cases:
                case_id = f"{key}|{actor}|{pid}"
                # Reflex's own handlers chain events whose error toast may surface a case
                # late: their known gaps are not strict.
                strict = entry.kind != "framework"
                marks = [pytest.mark.xfail(strict=strict, reason=ITEM4)] if case_id in KNOWN_GAPS else []
                out.append(pytest.param(key, actor, pid, page, payload, id=case_id, marks=marks))
    return out


def _route_params():
    out = []
    for key in sorted(ROUTES):
        entry = ROUTES[key]
        for actor in entry.actors:
            for vid in ("victim", "huge", "negative", "zero", "text", "no-csrf", "1mb-body", "hostile-json"):
                if vid == "no-csrf" and not entry.csrf:
                    continue
                case_id = f"{key}|{actor}|{vid}"
                marks = [pytest.mark.xfail(strict=True, reason=ITEM4)] if case_id in KNOWN_GAPS else []
                out.append(pytest.param(key, actor, vid, id=case_id, marks=marks))
    return out


# --------------------------------------------------------------------------- fixtures
class Lab:
    """The attackers' connections and the measures taken around each case."""

    def __init__(self, server, ids):
        self.server = server
        self.ids = ids
        self.engine = _engine(server)
        self.cookies = {"anon": ""}
        self.sockets: dict[str, ReflexSocket] = {}
        self.count = 0
        self.closed = 0
        self.nets = 0
        self.net: tuple[str, dict[str, str]] | None = None  # (handler or route, its tables' sums before)

    def socket(self, actor: str) -> ReflexSocket:
        sock = self.sockets.get(actor)
        if sock is None:
            sock = self.sockets[actor] = ReflexSocket(self.server.url, self.cookies[actor], "/",
                                                      origin=self.server.origin)
        return sock

    def fill(self, value):
        if isinstance(value, str):
            return value.format(**self.ids) if "{" in value and "}" in value and len(value) < 10_000 else value
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def table_sums(self) -> dict[str, str]:
        """The net: a checksum of every business table (bookkeeping tables and columns left out)."""
        sums = {}
        with self.engine.connect() as con:
            for table in sorted(sa.inspect(con).get_table_names()):
                if table in BOOKKEEPING:
                    continue
                cols = [c["name"] for c in sa.inspect(con).get_columns(table)
                        if c["name"] not in IGNORED_COLUMNS.get(table, ())]
                rows = con.execute(sa.text(f'SELECT {", ".join(chr(34) + c + chr(34) for c in cols)} FROM "{table}"'))
                # Sorted here: the same rows in any order (PostgreSQL has no rowid order).
                sums[table] = hashlib.sha256(repr(sorted(map(repr, rows.fetchall()))).encode()).hexdigest()
        return sums

    def open_net(self, key: str) -> None:
        """Before the first case of a handler (or route): the full checksum."""
        if self.net is None or self.net[0] != key:
            self.net = (key, self.table_sums())

    def close_net(self, key: str, request, allow: tuple[str, ...]) -> None:
        """After the last case of a handler (or route): the full checksum again, which must
        agree with what the write listener saw (nothing, outside `allow`)."""
        if self.net is None or self.net[0] != key or _last_case_of(request) != request.node.nodeid:
            return
        before, self.net = self.net[1], None
        after = self.table_sums()
        self.nets += 1
        changed = sorted(t for t in after if before.get(t) != after[t] and t not in allow)
        assert not changed, f"the cases of {key} changed {changed} (the full checksum, after its last case)"

    def quiet(self, sock: ReflexSocket, name: str, wait: float) -> None:
        """Wait until the app has no event of this tab running or queued (chained events
        included), and its background task `name` has ended, or ran `wait` seconds (a
        background loop may run for minutes: it is left running, as a browser leaves it)."""
        processor = self.server.extra["app"]._event_processor
        deadline = time.monotonic() + 30
        background_deadline = time.monotonic() + wait
        marker = f"|{sock.token}|"

        def busy() -> bool:
            tasks = [t for t in list(processor._tasks.values()) if marker in t.get_name() and not t.done()]
            if time.monotonic() > background_deadline:
                tasks = [t for t in tasks if f"|{name}|" not in t.get_name()]
            return bool(tasks) or bool(processor._token_queues.get(sock.token))

        while busy():
            assert time.monotonic() < deadline, f"events of {name} still running after 30 s"
            time.sleep(0.005)


def _last_case_of(request) -> str:
    """The node id of the last collected case of this test's handler (or route)."""
    cache = request.session.stash.setdefault(_LAST_CASES, {})
    if not cache:
        for item in request.session.items:
            callspec = getattr(item, "callspec", None)
            if callspec is not None and "key" in callspec.params:
                cache[(item.originalname, callspec.params["key"])] = item.nodeid
    return cache.get((request.node.originalname, request.node.callspec.params["key"]), "")


_LAST_CASES = pytest.StashKey[dict]()


def _engine(server):
    """The app's database (SQLite in its DATA_DIR, or PostgreSQL in scale mode), read-only use."""
    url = server.env.get("REFLEX_DB_URL") or f"sqlite:///file:{server.data_dir / 'espace.db'}?mode=ro&uri=true"
    return sa.create_engine(url, poolclass=sa.pool.NullPool,
                            **({"connect_args": {"timeout": 30}} if url.startswith("sqlite") else {}))


def _ids(engine) -> dict:
    with engine.connect() as con:
        def one(sql, **params):
            return con.execute(sa.text(sql), params).first()[0]

        luce_user = one('SELECT id FROM "user" WHERE email=:e', e=LUCE[0])
        ids = {
            "luce_user": luce_user,
            "luce_client": one("SELECT id FROM client WHERE user_id=:u", u=luce_user),
            "delmas": one("""SELECT id FROM "user" WHERE email='fabien.delmas@example.com'"""),
            "julie": one("""SELECT id FROM "user" WHERE email='julie.moreau@example.com'"""),
            "luce_session": one("SELECT id FROM auth_session WHERE user_id=:u ORDER BY id DESC", u=luce_user),
            "firm1": one("""SELECT firm_id FROM "user" WHERE email='fabien.delmas@example.com'"""),
            "luce_dossier": one("SELECT id FROM dossier WHERE label='ALEXANDER / AGENCE IMMO'"),
            "luce_document": one("SELECT id FROM document WHERE name='Mandat de vente exclusif'"),
            "luce_hidden_document": one("SELECT id FROM document WHERE name LIKE 'Note interne%'"),
            "luce_facture": one("SELECT id FROM facture WHERE number='FA-2024-0042'"),
            "luce_rdv": one("SELECT rdv.id FROM rdv JOIN dossier ON dossier.id = rdv.dossier_id "
                            "WHERE dossier.label='ALEXANDER / AGENCE IMMO' AND rdv.shared_at IS NOT NULL ORDER BY rdv.id"),
            "luce_request": one("SELECT id FROM contact_request WHERE adresse=:a ORDER BY id DESC",
                                a=SECRET_ADDRESS),
        }
    return ids


@pytest.fixture(scope="module")
def lab(server):
    """Luce writes to her lawyer and asks to change her address (victim data every
    attacker will try to reach), then each attacker logs in once."""
    luce_cookie = login_cookie(server.url, *LUCE, origin=server.origin)
    luce = ReflexSocket(server.url, luce_cookie, "/contacter", origin=server.origin)
    messages = f"{ROOT}.espace___web___session____session_state.espace___web___client___messages___state____messages_state"
    contact = f"{ROOT}.espace___web___session____session_state.espace___web___client___contact___state____contact_details_state"
    engine = _engine(server)
    with engine.connect() as con:
        dossier = con.execute(sa.text("SELECT id FROM dossier WHERE label='ALEXANDER / AGENCE IMMO'")).scalar_one()
    luce.send(f"{messages}.load", {}, f"/contacter?dossier={dossier}")
    luce.send(f"{messages}.send", {"form": {"objet": SECRET_SUBJECT, "message": "Bonjour, " + SECRET_SUBJECT}},
              f"/contacter?dossier={dossier}")
    luce.send(f"{contact}.load", {}, "/mon-compte/coordonnees")
    luce.send(f"{contact}.submit", {"form": {**CLIENT_FORM, "adresse": SECRET_ADDRESS, "code_postal": "34470",
                                             "ville": "PEROLS", "tel": "04 67 15 98 42", "mobile": "06 15 25 65 25"}},
              "/mon-compte/coordonnees")
    luce.settle()
    luce.close()
    result = Lab(server, _ids(engine))
    result.cookies["marc"] = login_cookie(server.url, *MARC, origin=server.origin)
    result.cookies["claire"] = login_cookie(server.url, *CLAIRE, origin=server.origin)
    started = time.monotonic()
    yield result
    for sock in result.sockets.values():
        sock.close()
    print(f"\nattack suite: {len(HANDLER_NAMES)} event handlers and {len(ROUTE_NAMES)} HTTP routes enumerated; "
          f"{result.count} attacks run in {time.monotonic() - started:.0f} s "
          f"({result.closed} of them answered by closing the websocket; {result.nets} full checksums)")


def _load_name(key: str) -> str | None:
    cls = HANDLER_NAMES[key][2]
    if "load" in cls.event_handlers and not key.endswith(".load"):
        return f"{cls.get_full_name()}.load"
    return None


def _check_log(text: str) -> list[str]:
    """Exceptions logged by the app, but those of Reflex's default handler wrapper
    (« [Reflex Backend Exception] »): each of them also sends the English toast, which
    the case that caused it sees."""
    lines = text.splitlines()
    wrapped = sum("[Reflex Backend Exception]" in line for line in lines)
    tracebacks = [line for line in lines if "Traceback (most recent call last)" in line
                  or "Application callable raised an exception" in line]
    return tracebacks[wrapped:] if len(tracebacks) > wrapped else []


def _changed(lab, mark: int, allow: tuple[str, ...] = ()) -> list[str]:
    """The business tables written since `mark` (the app's own writes, seen by the
    SQLAlchemy listener of tests/attack/conftest.py), but those in `allow`."""
    return sorted({table for table, _ in lab.server.writes.since(mark)} - set(allow))


# --------------------------------------------------------------------------- the attacks
@pytest.mark.parametrize("key,actor,pid,page,payload", _params())
def test_handler_attack(lab, request, key, actor, pid, page, payload):
    entry = HANDLERS[key]
    name = HANDLER_NAMES[key][0]
    ids = {**lab.ids, "victim_id": lab.ids.get(_victim_of(page), lab.ids["luce_dossier"])}
    page = page.replace("{victim_id}", str(ids["victim_id"]))
    page = lab.fill(page)
    payload = lab.fill(payload)
    lab.open_net(key)
    sock = lab.socket(actor)
    writes_at, log_at, start = lab.server.writes.mark(), lab.server.log.mark(), len(sock.frames)
    load = _load_name(key)
    closed = False
    try:
        if load:
            sock.send(load, {}, page)
        sock.send(name, payload, page)
        sock.settle()
        if entry.wait or entry.kind == "framework":
            # A background handler, or Reflex's own handlers, which flip `is_hydrated`
            # (the settle marker) and chain the page's loads, which chain more: wait
            # for the app to be done with this tab, then for the last answers.
            lab.quiet(sock, name, entry.wait)
            sock.settle(rounds=3)
    except (ConnectionError, OSError):
        # The server dropped the connection (a refusal as good as any): the next case
        # reconnects; the checks below still run.
        closed = True
        lab.closed += 1
        lab.sockets.pop(actor, None)
        sock.close()
    lab.count += 1
    received = sock.text_since(start)
    leaked = [m for m in MARKERS if m in received or json.dumps(m)[1:-1] in received]
    assert not leaked, f"{actor} received {leaked} from {key}({pid})"
    changed = _changed(lab, writes_at, entry.allow)
    assert not changed, f"{actor} changed {changed} with {key}({pid})"
    assert "An error occurred" not in received, f"English error toast for {actor} on {key}({pid})"
    errors = _check_log(lab.server.log.since(log_at))
    assert not errors, f"server errors for {actor} on {key}({pid}):\n" + "\n".join(errors[:5])
    if pid == "victim" and entry.kind in ("client", "firm", "own") and not closed:
        guarded = {"client": ("anon", "claire"), "firm": ("anon", "marc"), "own": ("anon",)}[entry.kind]
        if actor in guarded:
            redirects = [e["payload"].get("path") for e in sock.events_since(start) if e.get("name") == "_redirect"]
            assert any(str(p).startswith(("/connexion", "/accueil", "/premiere-connexion", "/admin")) for p in redirects), \
                f"{actor} was not sent away by {key}: {redirects}"
    lab.close_net(key, request, entry.allow)


def _victim_of(page: str) -> str:
    if page.startswith(("/factures",)):
        return "luce_facture"
    if page.startswith("/admin/clients"):
        return "luce_client"
    if page.startswith(("/admin/dossiers?client",)):
        return "luce_client"
    return "luce_dossier"


def _request(lab, method, path, headers, body):
    req = urllib.request.Request(lab.server.url + path, data=body if method == "POST" else None, method=method,
                                 headers=headers)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=60) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as answer:
        return answer.code, answer.read()


@pytest.mark.parametrize("key,actor,vid", _route_params())
def test_route_attack(lab, request, key, actor, vid):
    entry = ROUTES[key]
    victim = lab.ids[ROUTE_VICTIM[key]] if key in ROUTE_VICTIM else "x"
    value = {"victim": victim, "huge": HUGE, "negative": -1, "zero": 0, "text": "abc"}.get(vid, victim)
    path = entry.path.replace("{id}", str(value))
    headers = {"Origin": lab.server.origin, "X-Filename": "note%20interne.pdf", "Content-Type": "application/octet-stream"}
    if entry.csrf and vid != "no-csrf":
        headers["X-Requested-With"] = "espace"
    if lab.cookies[actor]:
        headers["Cookie"] = lab.cookies[actor]
    body = entry.body
    if vid == "1mb-body":
        body = b"%PDF-1.4\n" + b"A" * 1_048_576
    elif vid == "hostile-json":
        body = json.dumps({"names": [HUGE, None, {"a": 1}], "type": ["x"], "id": -1}).encode()
        headers["Content-Type"] = "application/json"
    lab.open_net(key)
    writes_at, log_at = lab.server.writes.mark(), lab.server.log.mark()
    try:
        status, content = _request(lab, entry.method, path, headers, body)
    except urllib.error.URLError as exc:
        # The server answered (401/403/413) and closed before reading the whole body.
        assert isinstance(exc.reason, (BrokenPipeError, ConnectionResetError)), exc
        status, content = 0, b""
    lab.count += 1
    text = content.decode("utf-8", "replace")
    assert status < 500, f"{actor} got {status} from {key} ({vid})"
    leaked = [m for m in MARKERS if m in text]
    assert not leaked, f"{actor} received {leaked} from {key} ({vid})"
    if vid in ("victim", "no-csrf"):
        assert status in (*entry.expect, 0, 404), f"{actor} got {status} from {key} ({vid}), expected {entry.expect}"
    changed = _changed(lab, writes_at)
    assert not changed, f"{actor} changed {changed} with {key} ({vid})"
    errors = _check_log(lab.server.log.since(log_at))
    assert not errors, f"server errors for {actor} on {key} ({vid}):\n" + "\n".join(errors[:5])
    lab.close_net(key, request, ())

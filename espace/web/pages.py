"""Every screen's page module: importing this registers the routes (espace/espace.py).
A new screen's page module is added to SCREENS."""
from espace.web.account import firm_page as firm_account
from espace.web.account import page as account
from espace.web.account.security import page as security
from espace.web.client.contact import page as contact
from espace.web.client.dossier import page as dossier
from espace.web.client.home import page as home
from espace.web.client.listing import page as listing
from espace.web.client.messages import page as messages
from espace.web.client.payment import page as payment
from espace.web.client.search import page as search
from espace.web.firm.clients import detail_page as firm_client
from espace.web.firm.clients import list_page as firm_clients
from espace.web.firm.clients import new_page as firm_client_new
from espace.web.firm.dashboard import page as firm_dashboard
from espace.web.firm.dossier import page as firm_dossier
from espace.web.firm.dossiers import form_page as firm_dossier_form
from espace.web.firm.dossiers import list_page as firm_dossiers
from espace.web.firm.messages import page as firm_messages
from espace.web.firm.payments import page as firm_payments
from espace.web.firm.requests import page as firm_requests
from espace.web.firm.settings import page as firm_settings
from espace.web.firm.team import page as firm_team
from espace.web.public.chooser import page as chooser
from espace.web.public.first_login import page as first_login
from espace.web.public.login import end_sessions_page as end_sessions
from espace.web.public.login import page as login
from espace.web.public.login import reset_page as reset
from espace.web.public.not_found import page as not_found

SCREENS = (
    # public
    login, reset, end_sessions, first_login, chooser, not_found,
    # the client's side
    home, listing, dossier, payment, contact, messages, search,
    # one's own account (both sides)
    account, security, firm_account,
    # the firm's side
    firm_dashboard, firm_clients, firm_client, firm_client_new, firm_dossiers, firm_dossier_form, firm_dossier,
    firm_requests, firm_messages, firm_payments, firm_settings, firm_team,
)

"""One module per page; importing them registers the routes."""
from espace.pages import account, admin, contact, dossier, home, listing, login, messages, reset  # noqa: F401
from espace.pages import admin_dossier, admin_messages, admin_requests  # noqa: F401
from espace.pages import admin_client, admin_client_new, admin_clients, admin_dossier_form  # noqa: F401
from espace.pages import admin_dossiers, admin_settings, first_login  # noqa: F401
from espace.pages import chooser, payment  # noqa: F401
from espace.pages import admin_account, admin_team, security  # noqa: F401

"""One module per page; importing them registers the routes."""
from espace.pages import account, admin, dossier, home, listing, login, reset  # noqa: F401

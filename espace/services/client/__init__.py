"""The client's services. Who the acting client is and which dossiers are theirs:
access.py, used by every module here. One module per screen, each with the `*_page`
function its page's events call (one service call, one database session): home.py,
lists.py, dossier_view.py, messaging.py, contact.py, search.py; what they share:
views.py (what a screen shows), paging.py and keyset.py (keyset pages), news.py (what
is new for the client). Also: deposit.py (a deposit and its email to the firm),
agenda.py (.ics files and the subscription address). The firm's services never
import this package (pyproject.toml); what both sides read is services/shared."""

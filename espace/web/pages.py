"""Every screen's page module; importing this registers the routes (espace/espace.py)."""
from espace.web.account import page as account  # noqa: F401
from espace.web.firm.dashboard import page as admin  # noqa: F401
from espace.web.client.contact import page as contact  # noqa: F401
from espace.web.client.dossier import page as dossier  # noqa: F401
from espace.web.client.home import page as home  # noqa: F401
from espace.web.client.listing import page as listing  # noqa: F401
from espace.web.public.login import page as login, reset_page as reset  # noqa: F401
from espace.web.client.messages import page as messages  # noqa: F401
from espace.web.firm.dossier import page as admin_dossier  # noqa: F401
from espace.web.firm.messages import page as admin_messages  # noqa: F401
from espace.web.firm.requests import page as admin_requests  # noqa: F401
from espace.web.firm.clients import detail_page as admin_client, new_page as admin_client_new, list_page as admin_clients  # noqa: F401
from espace.web.firm.dossiers import form_page as admin_dossier_form  # noqa: F401
from espace.web.firm.dossiers import list_page as admin_dossiers  # noqa: F401
from espace.web.firm.settings import page as admin_settings  # noqa: F401
from espace.web.public.first_login import page as first_login  # noqa: F401
from espace.web.public.chooser import page as chooser  # noqa: F401
from espace.web.client.payment import page as payment  # noqa: F401
from espace.web.firm.payments import page as admin_payments  # noqa: F401
from espace.web.account import firm_page as admin_account  # noqa: F401
from espace.web.firm.team import page as admin_team  # noqa: F401
from espace.web.account.security import page as security  # noqa: F401

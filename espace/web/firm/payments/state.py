"""State of /admin/paiements: the firm's online payments, one keyset page at a time
(services/payments/firm_list.py), with its filters. The URL gives the first page a
visit shows (`?statut=`, `?dossier=`, `?du=`, `?au=`, `?avant=` / `?apres=` / `?fin=1`);
the form and the pager then act on the tab's state."""
from __future__ import annotations

from espace.models import User
from espace.services import AccessDenied, payments
from espace.services.payments import PaymentRow
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage

STATUS_CHOICES = [("", "Tous"), *payments.STATUS_LABELS.items()]


class PaymentsState(LoadedPage, StaffState):
    """/admin/paiements: the firm's online payments, newest first."""

    rows: list[PaymentRow] = []
    newer: str = ""  # cursor of « Plus récents », "" on the newest page
    older: str = ""  # cursor of « Plus anciens », "" on the oldest page
    status: str = ""
    dossier: str = ""
    du: str = ""
    au: str = ""
    filtered: bool = False
    form_key: int = 0

    def _fetch(self, user: User, avant: object = None, apres: object = None, fin: object = None):
        """Show one page with the state's filters: the newest, or the page a cursor names."""
        try:
            page = payments.payments_page(user, avant=avant, apres=apres, fin=fin, status=self.status,
                                          dossier=self.dossier, du=self.du, au=self.au)
        except AccessDenied:
            self.rows, self.loaded = [], False
            return self._refuse()
        f = page.filters
        self.rows, self.newer, self.older = page.rows, page.newer, page.older
        self.status, self.dossier, self.du, self.au = f.status, f.dossier, f.du, f.au
        self.filtered = any((f.status, f.dossier, f.du, f.au))
        return None

    @staff_event
    def load(self, staff: User):
        query = self.router.url.query_parameters
        before = (self.status, self.dossier, self.du, self.au, self.loaded)
        self.status, self.dossier = query.get("statut", ""), query.get("dossier", "")
        self.du, self.au = query.get("du", ""), query.get("au", "")
        refused = self._fetch(staff, avant=query.get("avant"), apres=query.get("apres"), fin=query.get("fin"))
        if refused is not None:
            return refused
        # Re-key (remount) the filters only when their defaults change, so that a
        # choice made while the page was loading is not lost.
        if before != (self.status, self.dossier, self.du, self.au, True):
            self.form_key += 1
        self.loaded = True
        return None

    @staff_event
    def apply(self, staff: User, form: dict):
        self.status, self.dossier = str(form.get("statut", ""))[:20], str(form.get("dossier", ""))[:100]
        self.du, self.au = str(form.get("du", ""))[:10], str(form.get("au", ""))[:10]
        return self._fetch(staff)

    @staff_event
    def clear(self, staff: User):
        self.status = self.dossier = self.du = self.au = ""
        self.form_key += 1
        return self._fetch(staff)

    @staff_event
    def go_newer(self, staff: User):
        return self._fetch(staff, apres=self.newer)

    @staff_event
    def go_older(self, staff: User):
        return self._fetch(staff, avant=self.older)

    @staff_event
    def go_newest(self, staff: User):
        return self._fetch(staff)

    @staff_event
    def go_oldest(self, staff: User):
        return self._fetch(staff, fin="1")

    def _forget_rows(self) -> None:
        self.rows = []

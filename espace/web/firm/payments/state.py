"""State of /admin/paiements: the firm's online payments (services/payments/firm_list.py)."""
from __future__ import annotations

from espace.models import User
from espace.services import AccessDenied, payments
from espace.services.payments import PaymentRow
from espace.web.access import staff_event
from espace.web.firm.base import StaffState
from espace.web.page import LoadedPage


class PaymentsState(LoadedPage, StaffState):
    """/admin/paiements: the firm's online payments, newest first."""

    rows: list[PaymentRow] = []

    @staff_event
    def load(self, staff: User):
        try:
            self.rows = payments.list_payments(staff)
        except AccessDenied:
            self.rows, self.loaded = [], False
            return self._refuse()
        self.loaded = True

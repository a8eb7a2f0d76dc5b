"""The payment tests' fixtures (a localstripe server, a firm with Stripe keys), for every file here."""
from tests.services.payments.test_payments import shop, stripe_server  # noqa: F401  (fixtures)

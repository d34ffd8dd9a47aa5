from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        # Registers what completing the billing requests does (billing profile changes),
        # and the invoice payments in the activity list (tracking.activity).
        from billing import activity, services  # noqa: F401
        from billing.checks import payment_gateway_problem

        # Production (area_clienti/production.py) does not start on the sandbox gateway, a
        # provider without its keys or one in test mode: a process that cannot take real
        # payments, or takes fake ones, must not serve customers. Elsewhere `check --deploy`
        # reports it (billing.E001).
        if getattr(settings, "PAYMENT_GATEWAY_REQUIRED", False):
            problem = payment_gateway_problem()
            if problem:
                raise ImproperlyConfigured(problem)

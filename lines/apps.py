from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class LinesConfig(AppConfig):
    name = "lines"

    def ready(self) -> None:
        # Registers what completing a SIM change, a relocation or an order does to the lines,
        # the SIM blocks and unblocks in the activity list (tracking.activity), and the
        # deploy check that refuses the provisioning simulator.
        from lines import activity, orders, provisioning, services  # noqa: F401

        # Production (area_clienti/production.py) does not start on the simulator: a
        # completed order would give a customer an invented number and SIM. Elsewhere
        # `check --deploy` reports it (lines.E001).
        if (
            getattr(settings, "SIM_PROVISIONING_REQUIRED", False)
            and settings.SIM_PROVISIONING == provisioning.SIMULATOR
        ):
            raise ImproperlyConfigured(
                "SIM_PROVISIONING is the simulator: set the operator's provisioning client."
            )

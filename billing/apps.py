from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "billing"

    def ready(self) -> None:
        # Registers what completing the billing requests does (billing profile changes).
        from billing import services  # noqa: F401

from django.apps import AppConfig


class OffersConfig(AppConfig):
    name = "offers"

    def ready(self) -> None:
        # Registers what completing an offer activation does (the services on the lines).
        from offers import services  # noqa: F401

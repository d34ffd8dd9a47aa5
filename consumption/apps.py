from django.apps import AppConfig


class ConsumptionConfig(AppConfig):
    name = "consumption"

    def ready(self) -> None:
        # Registers what a settled top-up payment does (credit the SIM once).
        from consumption import top_ups  # noqa: F401

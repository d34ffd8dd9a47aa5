from django.apps import AppConfig


class ConsumptionConfig(AppConfig):
    name = "consumption"

    def ready(self) -> None:
        # Registers what a settled top-up payment does (credit the SIM once), and the
        # top-ups in the activity list (tracking.activity).
        from consumption import activity, top_ups  # noqa: F401

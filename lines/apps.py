from django.apps import AppConfig


class LinesConfig(AppConfig):
    name = "lines"

    def ready(self) -> None:
        # Registers what completing a SIM change or a relocation does to the line, and the
        # SIM blocks and unblocks in the activity list (tracking.activity).
        from lines import activity, services  # noqa: F401

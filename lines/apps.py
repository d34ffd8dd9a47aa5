from django.apps import AppConfig


class LinesConfig(AppConfig):
    name = "lines"

    def ready(self) -> None:
        # Registers what completing a SIM change or a relocation does to the line.
        from lines import services  # noqa: F401

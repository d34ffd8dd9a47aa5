from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"

    def ready(self) -> None:
        from costs import checks  # noqa: F401 - registers the deploy check of SITE_URL

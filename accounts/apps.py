from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Registers what completing the accounts' request kinds does (legal address).
        from accounts import services  # noqa: F401

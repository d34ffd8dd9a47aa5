from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = "Sicurezza dell'accesso"

    def ready(self) -> None:
        # Registers the deployment checks; connects the sign-in receivers.
        from security import checks, signals  # noqa: F401

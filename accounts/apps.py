from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"

    def ready(self) -> None:
        # Registers what completing the accounts' request kinds does (legal address).
        from accounts import services  # noqa: F401
        from accounts.roles import Profile
        from tracking.details import detail_values_register

        # A PROFILE_CHANGE request's profiles, as its approver reads them.
        profiles = dict(Profile.choices)
        detail_values_register(profile_from=profiles, profile_to=profiles)

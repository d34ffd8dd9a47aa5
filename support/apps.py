from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from accounts.models import Line
        from support import activity  # noqa: F401  (the requests one made: tracking.activity)
        from support.forms import EXPERT_TOPICS, FAULT_CATEGORIES, SLOTS
        from tracking.details import detail_values_register

        # The codes support stores with its requests, as the customer and the operators read them.
        detail_values_register(
            category=dict(FAULT_CATEGORIES),
            topic=dict(EXPERT_TOPICS),
            slot=dict(SLOTS),
            technology=dict(Line.Technology.choices),  # the diagnosis taken with a fault
        )

from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"

    def ready(self) -> None:
        from support.forms import EXPERT_TOPICS, FAULT_CATEGORIES, SLOTS
        from tracking.details import detail_values_register

        # The codes support stores with its requests, as the customer and the operators read them.
        detail_values_register(
            category=dict(FAULT_CATEGORIES), topic=dict(EXPERT_TOPICS), slot=dict(SLOTS)
        )

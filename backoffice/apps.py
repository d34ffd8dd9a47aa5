from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    name = "backoffice"

    def ready(self) -> None:
        from accounts.models import Sim
        from lines.models import BlockReason, ServiceKind, SimChangeReason
        from tracking.details import detail_values_register

        # The codes the line requests store, as the operators and the customers read them.
        detail_values_register(
            reason={**dict(BlockReason.choices), **dict(SimChangeReason.choices)},
            sim_kind=dict(Sim.Kind.choices),
            service_kind=dict(ServiceKind.choices),
        )

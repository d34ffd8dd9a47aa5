from django.apps import AppConfig


class ConsumptionConfig(AppConfig):
    name = "consumption"

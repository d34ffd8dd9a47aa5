from django.apps import AppConfig


class LinesConfig(AppConfig):
    name = "lines"

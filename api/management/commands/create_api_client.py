from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from api.auth import api_client_create


class Command(BaseCommand):
    help = "Register a client system of the API and print its token (shown only once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")

    def handle(self, *args: Any, name: str, **options: Any) -> None:
        client, token = api_client_create(name=name)
        self.stdout.write(f"{client.name}: {token}")

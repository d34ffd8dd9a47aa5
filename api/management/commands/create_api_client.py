from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Company
from api.auth import api_client_create
from api.models import API_CHANNELS, ApiScope


class Command(BaseCommand):
    help = (
        "Register a client system of the API and print its token (shown only once). It may "
        "do only what it is given: scopes, channels and customers (least privilege)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("name")
        parser.add_argument(
            "--scope",
            action="append",
            default=[],
            choices=ApiScope.values,
            help="An endpoint the client may call; repeat for more.",
        )
        parser.add_argument(
            "--channel",
            action="append",
            default=[],
            type=str.upper,
            choices=[value for value, _label in API_CHANNELS],
            help="A channel the client opens requests for; repeat for more.",
        )
        parser.add_argument(
            "--company",
            action="append",
            default=[],
            metavar="CUSTOMER_CODE",
            help="A customer the client acts for, by customer code; repeat for more.",
        )
        parser.add_argument(
            "--all-companies",
            action="store_true",
            help="The client acts for every customer (a billing or mediation system).",
        )

    def handle(
        self,
        *args: Any,
        name: str,
        scope: list[str],
        channel: list[str],
        company: list[str],
        all_companies: bool,
        **options: Any,
    ) -> None:
        if all_companies and company:
            raise CommandError("Give either --all-companies or --company, not both.")
        companies = list(Company.objects.filter(customer_code__in=company))
        unknown = set(company) - {found.customer_code for found in companies}
        if unknown:
            raise CommandError(f"No customer has the code: {', '.join(sorted(unknown))}.")
        try:
            client, token = api_client_create(
                name=name,
                scopes=scope,
                channels=channel,
                companies=companies,
                all_companies=all_companies,
            )
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        customers = "all" if client.all_companies else ", ".join(sorted(company)) or "none"
        self.stdout.write(f"{client.name}: {token}")
        self.stdout.write(
            f"scopes: {', '.join(client.scopes) or 'none'}; "
            f"channels: {', '.join(client.channels) or 'none'}; customers: {customers}"
        )

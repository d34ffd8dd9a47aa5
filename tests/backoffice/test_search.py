"""Back office search: the path behind a call to 191."""

from django.test import Client
from django.urls import reverse

from tests.conftest import World, sign_in


def staff_client(world: World) -> Client:
    client = Client()
    sign_in(client, world.staff)
    return client


def test_staff_find_companies_and_people(world: World) -> None:
    client = staff_client(world)
    by_vat = client.get(
        reverse("backoffice:search"), {"q": world.company.vat_number}
    ).content.decode()
    assert world.company.name in by_vat
    assert reverse("admin:accounts_company_change", args=[world.company.pk]) in by_vat
    by_name = client.get(
        reverse("backoffice:search"), {"q": f"{world.full.first_name} {world.full.last_name}"}
    ).content.decode()
    assert reverse("admin:accounts_user_change", args=[world.full.pk]) in by_name
    by_tax_code = client.get(
        reverse("backoffice:search"), {"q": world.user.tax_code}
    ).content.decode()
    assert reverse("admin:accounts_user_change", args=[world.user.pk]) in by_tax_code


def test_customers_cannot_search(world: World) -> None:
    client = Client()
    sign_in(client, world.lr)
    assert client.get(reverse("backoffice:search"), {"q": "Acme"}).status_code == 403


def test_a_too_short_query_lists_nothing(world: World) -> None:
    page = staff_client(world).get(reverse("backoffice:search"), {"q": "A"}).content.decode()
    assert world.company.name not in page

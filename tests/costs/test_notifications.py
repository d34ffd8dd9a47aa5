"""Notifiche: the person's list, newest first and paginated, unread marked; opening one
marks it read and leads where it points (only within the site); the bell in the header
counts the unread ones."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification
from accounts.notifications import notify
from tests.conftest import World, client_for


def note(
    user: Any, title: str = "Soglia superata", url: str = "/consumi/", **kw: Any
) -> Notification:
    return Notification.objects.create(recipient=user, kind="threshold", title=title, url=url, **kw)


def test_the_list_shows_the_persons_notifications_only(world: World) -> None:
    note(world.user, "Soglia superata: roaming della SIM")
    note(world.user, "Già letta", read_at=timezone.now())
    note(world.lr, "Quella del legale rappresentante")
    page = client_for(world.user).get(reverse("costs:notifications")).content.decode()
    assert "Soglia superata: roaming della SIM" in page and "Già letta" in page
    assert "Quella del legale rappresentante" not in page
    assert page.count("Da leggere") == 1
    assert "Segna tutte come lette" in page


def test_an_empty_list_says_so(world: World) -> None:
    page = client_for(world.full).get(reverse("costs:notifications")).content.decode()
    assert "Nessuna notifica." in page and "Segna tutte come lette" not in page


def test_the_list_is_paginated(world: World, django_assert_max_num_queries: Any) -> None:
    for n in range(30):
        note(world.lr, f"Avviso numero {n:02d}")
    client = client_for(world.lr)
    client.get(reverse("costs:notifications"))
    with django_assert_max_num_queries(9):
        first = client.get(reverse("costs:notifications")).content.decode()
    assert "Avviso numero 29" in first and "Avviso numero 04" not in first
    second = client.get(reverse("costs:notifications") + "?pagina=2").content.decode()
    assert "Avviso numero 04" in second


def test_opening_one_marks_it_read_and_follows_it(world: World) -> None:
    mine = note(world.user, url=f"/consumi/sim/{world.user_line.pk}/?month=2026-10")
    client = client_for(world.user)
    response = client.post(reverse("costs:notification-open", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/consumi/sim/{world.user_line.pk}/?month=2026-10"
    mine.refresh_from_db()
    assert mine.read_at is not None


def test_a_url_elsewhere_is_not_followed(world: World) -> None:
    client = client_for(world.user)
    for url in ["https://example.com/", "//example.com/", "javascript:alert(1)", ""]:
        mine = note(world.user, url=url)
        response = client.post(reverse("costs:notification-open", args=[mine.pk]))
        assert response["Location"] == reverse("costs:notifications"), url


def test_another_persons_notification_answers_404(world: World) -> None:
    theirs = note(world.outsider_lr)
    colleague = note(world.lr)
    client = client_for(world.user)
    for pk in (theirs.pk, colleague.pk):
        assert client.post(reverse("costs:notification-open", args=[pk])).status_code == 404
    assert not Notification.objects.filter(read_at__isnull=False).exists()


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    response = Client().get(reverse("costs:notifications"))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_marking_all_read(world: World) -> None:
    for _ in range(3):
        note(world.full)
    other = note(world.lr)
    client = client_for(world.full)
    assert client.get(reverse("costs:notifications-read-all")).status_code == 405
    response = client.post(reverse("costs:notifications-read-all"))
    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=world.full, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_bell_counts_the_unread(world: World) -> None:
    client = client_for(world.light)
    page = client.get(reverse("costs:notifications")).content.decode()
    assert "notifiche non lette" not in page and "Notifiche</span>" in page
    notify(recipients=[world.light], kind="threshold", title="Uno", key="a")
    notify(recipients=[world.light], kind="threshold", title="Uno di nuovo", key="a")
    page = client.get("/").content.decode()
    assert "1 notifica non letta" in page
    notify(recipients=[world.light], kind="threshold", title="Due", key="b")
    page = client.get("/").content.decode()
    assert "2 notifiche non lette" in page
    assert f'href="{reverse("costs:notifications")}"' in page


def test_the_breadcrumbs_lead_nowhere_closed(world: World) -> None:
    """The list sits in "Controllo costi", which LIGHT and USER cannot enter: their crumbs
    skip it; the LR's lead there."""
    user_page = client_for(world.user).get(reverse("costs:notifications")).content.decode()
    assert f'href="{reverse("costs:index")}"' not in user_page
    lr_page = client_for(world.lr).get(reverse("costs:notifications")).content.decode()
    assert f'href="{reverse("costs:index")}"' in lr_page


def test_mark_all_shows_whenever_some_are_unread(world: World) -> None:
    """The unread ones may be on another page: the button reaches them all."""
    for n in range(5):
        note(world.lr, f"Vecchio avviso {n}")
    for n in range(30):
        note(world.lr, f"Avviso letto {n}", read_at=timezone.now())
    Notification.objects.filter(title__startswith="Vecchio").update(
        created_at=timezone.now() - timedelta(days=30)
    )
    page = client_for(world.lr).get(reverse("costs:notifications")).content.decode()
    assert "Da leggere" not in page and "Segna tutte come lette" in page

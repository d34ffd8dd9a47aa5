"""Work done in the task worker (`manage.py db_worker` or RQ), after the transaction that asked."""

from __future__ import annotations

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django_tasks import task

from core.mail import templated_email

logger = logging.getLogger(__name__)


@task()
def email_threshold_alerts(alert_ids: list[int]) -> None:
    """E-mail each new alert to its threshold's recipients who may still see its figures
    (checked again here: access may have changed since the import), one message each
    (they need not see one another's addresses). Enqueued once, by the import that made
    the alerts."""
    from consumption.models import ThresholdAlert
    from consumption.thresholds import (
        alert_body,
        alert_title,
        alerts_with_recipients,
    )

    with translation.override(settings.LANGUAGE_CODE):
        for alert, people in alerts_with_recipients(alert_ids):
            # Each alert's e-mails once, even when the task runs again (a lost worker) or
            # twice at once: they go out while its row is locked, and it is marked sent in
            # the same transaction; only a crash between the two sends them again.
            with transaction.atomic():
                locked = ThresholdAlert.objects.select_for_update().get(pk=alert.pk)
                if locked.emailed_at is not None:
                    continue
                context = {"title": alert_title(alert), "body": alert_body(alert)}
                for person in people:
                    if person.email:
                        message = templated_email(
                            "consumption/email/threshold_crossed",
                            {**context, "person": person},
                            [person.email],
                        )
                        try:
                            message.send()
                        except Exception:  # a mail server down: logged, as for every e-mail
                            logger.exception("Threshold alert %s not e-mailed", alert.pk)
                locked.emailed_at = timezone.now()
                locked.save(update_fields=["emailed_at"])

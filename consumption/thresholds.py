"""Thresholds on a SIM's or a cost centre's month, evaluated by the usage import.

The named interface of thresholds: the usage import (consumption.services) evaluates them
in the transaction of each batch it loads, set-based; the pages (costs.threshold_views) read
this month's figures and write thresholds through it.

Invariants:
- a threshold alerts at most once per month: ThresholdAlert is unique (threshold, month) and
  is written with ON CONFLICT DO NOTHING, so re-imports, retries and two imports at once
  make one alert, and only the import that made it notifies and e-mails;
- a threshold is crossed when the month's figure reaches its limit (value >= limit);
- DATA_PERCENT counts only lines whose plan caps data (LinePlan → Plan.data_mb): usage is
  in kilobytes, allowances in MB; without any capped allowance it never applies;
- a cost centre's figure sums the lines it held at the month's end (LineCostCentreChange,
  or Line.cost_centre for a line never changed), as the roll-up by centre does;
- only lines of the threshold's company count (a SIM moved to another company is out);
- months before the threshold's own never alert; the figure is compared rounded to the
  cent, as shown; only an allowance above 0 MB caps data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import format_decimal
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from accounts.models import CostCentre, Line, LineCostCentreChange, Notification, User
from accounts.notifications import notify_many
from accounts.roles import PROFILE_COLUMNS, REFERENTE_PROFILES, Capability, Scope, scope_for
from accounts.selectors import REFERENTE_PERMISSION
from consumption.models import (
    LinePlan,
    Threshold,
    ThresholdAlert,
    ThresholdMetric,
    UsageKind,
    UsageMonthly,
)
from consumption.periods import month_name as month_name  # the pages name months so too
from consumption.selectors import month_end
from core.money import euro, locale_of_language

CENT = Decimal("0.01")
# ThresholdAlert.value holds 14 digits, 2 decimals: a percentage of a tiny allowance is
# capped rather than overflowing the column (it is crossed either way).
LARGEST_VALUE = Decimal("999999999999.99")
NOTIFICATION_KIND = "threshold"

# The cost centre a line had at the end of a month (`mon`, its first day): its latest change
# before the next month began, in Italian time; a line never changed has its current one.
# As the monthly roll-up by centre (consumption.selectors.usage_by_cost_centre) counts it;
# written twice in EVALUATE_SQL (for the touched lines, for the centres' lines).
#
# Run by the usage import right after _LOAD_SQL, in the same transaction and on the same
# staging table (usage_stage, the batch's records): the (line, month) pairs the batch
# touched pick the thresholds on those lines and on the cost centres they had at that
# month's end, of the company the line belongs to now, for months from the threshold's
# own on; each one's month is summed from the monthly aggregates (already updated by
# _LOAD_SQL, visible to this later statement) and the crossed ones (the figure rounded to
# the cent, as shown, reaching the limit) become alerts. ON CONFLICT DO NOTHING RETURNING
# yields only alerts this statement really made: a threshold already alerted this month,
# by this import, an earlier one or one running beside it, returns nothing.
EVALUATE_SQL = """
WITH touched AS (
    SELECT DISTINCT line_id, date_trunc('month', started_at AT TIME ZONE %(tz)s)::date AS month
    FROM usage_stage
), touched_lines AS (
    SELECT touched.line_id, touched.month, k.company_id,
        CASE WHEN EXISTS (SELECT 1 FROM accounts_linecostcentrechange h WHERE h.line_id = l.id)
        THEN (SELECT h.cost_centre_id FROM accounts_linecostcentrechange h
              WHERE h.line_id = l.id
                AND h.since < ((touched.month + interval '1 month')::timestamp AT TIME ZONE %(tz)s)
              ORDER BY h.since DESC, h.id DESC LIMIT 1)
        ELSE l.cost_centre_id END AS centre_id
    FROM touched
    JOIN accounts_line l ON l.id = touched.line_id
    JOIN accounts_contract k ON k.id = l.contract_id
), on_lines AS (
    SELECT t.id AS threshold_id, t.metric, t."limit", tl.month, t.line_id
    FROM touched_lines tl
    JOIN consumption_threshold t ON t.line_id = tl.line_id AND t.company_id = tl.company_id
    WHERE tl.month >= date_trunc('month', t.created_at AT TIME ZONE %(tz)s)::date
), on_centres AS (
    SELECT DISTINCT t.id AS threshold_id, t.metric, t."limit", tl.month, t.cost_centre_id,
           t.company_id
    FROM touched_lines tl
    JOIN consumption_threshold t
      ON t.cost_centre_id = tl.centre_id AND t.company_id = tl.company_id
    WHERE tl.month >= date_trunc('month', t.created_at AT TIME ZONE %(tz)s)::date
), covered AS (
    SELECT threshold_id, metric, "limit", month, line_id FROM on_lines
    UNION ALL
    SELECT c.threshold_id, c.metric, c."limit", c.month, l.id
    FROM on_centres c
    JOIN LATERAL (
        SELECT id AS line_id FROM accounts_line WHERE cost_centre_id = c.cost_centre_id
        UNION
        SELECT line_id FROM accounts_linecostcentrechange
        WHERE cost_centre_id = c.cost_centre_id
    ) candidate ON true
    JOIN accounts_line l ON l.id = candidate.line_id
    JOIN accounts_contract k ON k.id = l.contract_id AND k.company_id = c.company_id
    WHERE (
        CASE WHEN EXISTS (SELECT 1 FROM accounts_linecostcentrechange h WHERE h.line_id = l.id)
        THEN (SELECT h.cost_centre_id FROM accounts_linecostcentrechange h
              WHERE h.line_id = l.id
                AND h.since < ((c.month + interval '1 month')::timestamp AT TIME ZONE %(tz)s)
              ORDER BY h.since DESC, h.id DESC LIMIT 1)
        ELSE l.cost_centre_id END
    ) = c.cost_centre_id
), usage AS (
    -- Each (line, month) once, however many thresholds read it.
    SELECT m.line_id, m.month,
           sum(m.quantity) FILTER (WHERE m.kind = 'DATA') AS data_kb,
           sum(m.cost) FILTER (WHERE m.roaming) AS roaming_cost,
           sum(m.cost) AS cost
    FROM (SELECT DISTINCT line_id, month FROM covered) wanted
    JOIN consumption_usagemonthly m ON m.line_id = wanted.line_id AND m.month = wanted.month
    GROUP BY m.line_id, m.month
), per_line AS (
    SELECT c.threshold_id, c.metric, c."limit", c.month, p.data_mb,
           coalesce(u.data_kb, 0) AS data_kb, coalesce(u.roaming_cost, 0) AS roaming_cost,
           coalesce(u.cost, 0) AS cost
    FROM covered c
    LEFT JOIN usage u ON u.line_id = c.line_id AND u.month = c.month
    LEFT JOIN consumption_lineplan lp ON lp.line_id = c.line_id
    LEFT JOIN consumption_plan p ON p.id = lp.plan_id
), figures AS (
    -- Only an allowance of more than 0 MB caps data (a 0 MB plan counts as none).
    SELECT threshold_id, month, "limit",
           round(CASE metric
               WHEN 'DATA_PERCENT' THEN
                   sum(data_kb) FILTER (WHERE data_mb > 0) * 100.0
                   / nullif(sum(data_mb) FILTER (WHERE data_mb > 0) * 1024, 0)
               WHEN 'ROAMING_SPEND' THEN sum(roaming_cost)
               ELSE sum(cost)
           END, 2) AS value
    FROM per_line GROUP BY threshold_id, metric, "limit", month
)
INSERT INTO consumption_thresholdalert (threshold_id, month, value, created_at)
SELECT threshold_id, month, least(value, %(largest)s), now()
FROM figures WHERE value >= "limit"
ORDER BY threshold_id, month
ON CONFLICT (threshold_id, month) DO NOTHING
RETURNING id
"""


def thresholds_evaluate_staged() -> list[int]:
    """The PostgreSQL path: evaluate the thresholds the staged batch touched, in one
    statement; returns the ids of the alerts it made (and notifies them)."""
    with connection.cursor() as cursor:
        cursor.execute(EVALUATE_SQL, {"tz": settings.TIME_ZONE, "largest": LARGEST_VALUE})
        alert_ids = [row[0] for row in cursor.fetchall()]
    if alert_ids:
        alerts_announce(alert_ids=alert_ids)
    return alert_ids


def thresholds_evaluate(pairs: Collection[tuple[int, date]]) -> list[int]:
    """The portable path (the ORM twin of EVALUATE_SQL): evaluate the thresholds on these
    (line, first day of a month) pairs' lines and the cost centres they had at the month's
    end, of the company each line belongs to now, for months from the threshold's own on;
    returns the ids of the alerts made (and notifies them). A query per step, never per
    record or per line."""
    if not pairs:
        return []
    months: dict[int, set[date]] = defaultdict(set)
    for line_id, month in pairs:
        months[line_id].add(month)
    facts = _line_facts(months, {month for _line, month in pairs})
    centre_months: dict[tuple[int, int], set[date]] = defaultdict(set)  # (centre, company)
    for line_id, line_months in months.items():
        if line_id not in facts.company:
            continue
        for month in line_months:
            centre_id = facts.centre_at(line_id, month)
            if centre_id is not None:
                centre_months[(centre_id, facts.company[line_id])].add(month)
    thresholds = list(
        Threshold.objects.filter(
            Q(line_id__in=months) | Q(cost_centre_id__in={c for c, _k in centre_months})
        )
    )
    wanted = []
    for threshold in thresholds:
        if threshold.line_id is not None:
            if facts.company.get(threshold.line_id) != threshold.company_id:
                continue  # the SIM has moved to another company
            candidates = months[threshold.line_id]
        else:
            candidates = centre_months[(threshold.cost_centre_id or 0, threshold.company_id)]
        first = creation_month(threshold)
        wanted += [(threshold, month) for month in sorted(candidates) if month >= first]
    values = threshold_values(wanted)
    made = []
    for threshold, month in wanted:
        value = values.get((threshold.pk, month))
        if value is None or value < threshold.limit:
            continue
        try:
            # A savepoint: an alert that exists already (or that another import made a
            # moment ago) leaves the batch's transaction usable.
            with transaction.atomic():
                alert = ThresholdAlert.objects.create(
                    threshold=threshold, month=month, value=min(value, LARGEST_VALUE)
                )
        except IntegrityError:
            continue
        made.append(alert.pk)
    if made:
        alerts_announce(alert_ids=made)
    return made


def creation_month(threshold: Threshold) -> date:
    """The first month a threshold reads: the one it was made in, in Italian time (the
    months before, re-imported, never alert)."""
    return timezone.localtime(threshold.created_at).date().replace(day=1)


@dataclass(frozen=True)
class _LineFacts:
    """What the thresholds need of some lines: the company each belongs to now, its
    current cost centre and its history of centres (oldest first)."""

    company: dict[int, int]
    current: dict[int, int | None]
    history: dict[int, list[tuple[datetime, int | None]]]

    def centre_at(self, line_id: int, month: date) -> int | None:
        """The centre the line had at the month's end: its latest change before then; a
        line never changed has its current one (as the roll-up by centre counts it)."""
        changes = self.history.get(line_id)
        if not changes:
            return self.current.get(line_id)
        end = month_end(month)
        before = [centre for since, centre in changes if since < end]
        return before[-1] if before else None


def _line_facts(line_ids: Iterable[int], months: Iterable[date]) -> _LineFacts:
    """Two queries, whatever the number of lines."""
    line_ids = set(line_ids)
    company: dict[int, int] = {}
    current: dict[int, int | None] = {}
    for line_id, company_id, centre_id in Line.objects.filter(pk__in=line_ids).values_list(
        "id", "contract__company_id", "cost_centre_id"
    ):
        company[line_id], current[line_id] = company_id, centre_id
    history: dict[int, list[tuple[datetime, int | None]]] = defaultdict(list)
    latest = max((month_end(month) for month in months), default=None)
    if latest is not None:
        # Any change at all tells a line apart from one never changed: all of them, then.
        for line_id, centre_id, since in (
            LineCostCentreChange.objects.filter(line_id__in=line_ids)
            .order_by("since", "id")
            .values_list("line_id", "cost_centre_id", "since")
        ):
            history[line_id].append((since, centre_id))
    return _LineFacts(company=company, current=current, history=dict(history))


def threshold_values(
    wanted: Iterable[tuple[Threshold, date]],
) -> dict[tuple[int, date], Decimal | None]:
    """The month's figure of each (threshold, first day of a month), rounded to the cent
    (None: a data threshold with no allowance above 0 MB to measure against). A cost
    centre's figure sums the lines it held at the month's end; only lines of the
    threshold's company count. Five queries whatever the number of thresholds: the pages'
    figures and the ORM path's alike."""
    wanted = list(wanted)
    if not wanted:
        return {}
    centre_ids = {t.cost_centre_id for t, _month in wanted if t.cost_centre_id is not None}
    candidates = set(
        Line.objects.filter(
            Q(cost_centre_id__in=centre_ids) | Q(cost_centre_changes__cost_centre_id__in=centre_ids)
        )
        .values_list("id", flat=True)
        .distinct()
        if centre_ids
        else []
    )
    months = {month for _t, month in wanted}
    facts = _line_facts(
        candidates | {t.line_id for t, _month in wanted if t.line_id is not None}, months
    )

    def lines_of(threshold: Threshold, month: date) -> list[int]:
        if threshold.line_id is not None:
            if facts.company.get(threshold.line_id) != threshold.company_id:
                return []
            return [threshold.line_id]
        return [
            line_id
            for line_id in candidates
            if facts.company.get(line_id) == threshold.company_id
            and facts.centre_at(line_id, month) == threshold.cost_centre_id
        ]

    covered_of = {(t.pk, month): lines_of(t, month) for t, month in wanted}
    line_ids = {line_id for lines in covered_of.values() for line_id in lines}
    allowance: dict[int, int] = {
        line_id: megabytes
        for line_id, megabytes in LinePlan.objects.filter(
            line_id__in=line_ids, plan__data_mb__gt=0
        ).values_list("line_id", "plan__data_mb")
        if megabytes
    }
    usage: dict[tuple[int, date], tuple[int, Decimal, Decimal]] = {}
    rows = (
        UsageMonthly.objects.filter(line_id__in=line_ids, month__in=months)
        .values("line_id", "month")
        .annotate(
            data_kb=Sum("quantity", filter=Q(kind=UsageKind.DATA)),
            roaming_cost=Sum("cost", filter=Q(roaming=True)),
            cost=Sum("cost"),
        )
        .order_by()
    )
    for row in rows:
        usage[(row["line_id"], row["month"])] = (
            row["data_kb"] or 0,
            row["roaming_cost"] or Decimal(0),
            row["cost"] or Decimal(0),
        )
    nothing = (0, Decimal(0), Decimal(0))
    values: dict[tuple[int, date], Decimal | None] = {}
    for threshold, month in wanted:
        covered = covered_of[(threshold.pk, month)]
        value: Decimal | None
        if threshold.metric == ThresholdMetric.DATA_PERCENT:
            capped = [line_id for line_id in covered if line_id in allowance]
            megabytes = sum(allowance[line_id] for line_id in capped)
            kilobytes = sum(usage.get((line_id, month), nothing)[0] for line_id in capped)
            value = Decimal(kilobytes * 100) / (megabytes * 1024) if megabytes else None
        elif threshold.metric == ThresholdMetric.ROAMING_SPEND:
            value = sum(
                (usage.get((line_id, month), nothing)[1] for line_id in covered), Decimal(0)
            )
        else:
            value = sum(
                (usage.get((line_id, month), nothing)[2] for line_id in covered), Decimal(0)
            )
        values[(threshold.pk, month)] = (
            None if value is None else value.quantize(CENT, rounding=ROUND_HALF_UP)
        )
    return values


# What each metric measures, in a title: "roaming della SIM 3331234567".
_SUBJECTS = {
    ThresholdMetric.DATA_PERCENT: (
        gettext_noop("dati della SIM %(number)s"),
        gettext_noop("dati del centro di costo %(centre)s"),
    ),
    ThresholdMetric.ROAMING_SPEND: (
        gettext_noop("roaming della SIM %(number)s"),
        gettext_noop("roaming del centro di costo %(centre)s"),
    ),
    ThresholdMetric.EXTRA_SPEND: (
        gettext_noop("spesa extra della SIM %(number)s"),
        gettext_noop("spesa extra del centro di costo %(centre)s"),
    ),
}


def threshold_subject(threshold: Threshold) -> str:
    """What the threshold watches, in words: "roaming della SIM +393331234567"."""
    on_line, on_centre = _SUBJECTS[ThresholdMetric(threshold.metric)]
    if threshold.line_id is not None:
        return _(on_line) % {"number": threshold.line.number if threshold.line else ""}
    return _(on_centre) % {"centre": str(threshold.cost_centre)}


def metric_amount(metric: str, value: Decimal) -> str:
    """A figure in the metric's unit and the reader's language: "52,30 €", "85,5%"."""
    if metric == ThresholdMetric.DATA_PERCENT:
        return f"{format_decimal(value, format='#,##0.##', locale=locale_of_language())}%"
    return euro(value)


def threshold_url(threshold: Threshold, month: date | None = None) -> str:
    """Where a threshold's figures are: the SIM's usage, or for a cost centre the monthly
    roll-up by centre (its recipients see every SIM's usage, K1 included), of the month."""
    if threshold.line_id is not None:
        url = reverse("consumption:sim-usage", args=[threshold.line_id])
        return f"{url}?month={month:%Y-%m}" if month else url
    url = reverse("costs:cost-centre-rollup")
    return f"{url}?month={month:%Y-%m}" if month else url


def alerts_announce(*, alert_ids: list[int]) -> None:
    """For alerts just made: a notification for each recipient who may still see the
    figures (in this transaction, all in one INSERT, keyed by the alert so a person never
    gets two) and, once the transaction commits, a task that e-mails them. A query per
    watched SIM or company at most: only new alerts come here, never records."""
    alerts = alerts_with_recipients(alert_ids)
    with translation.override(settings.LANGUAGE_CODE):
        notify_many(
            Notification(
                recipient=person,
                kind=NOTIFICATION_KIND,
                title=alert_title(alert)[:200],
                body=alert_body(alert),
                url=threshold_url(alert.threshold, alert.month),
                key=f"threshold:{alert.pk}",
            )
            for alert, people in alerts
            for person in people
        )
    from consumption.tasks import email_threshold_alerts

    ids = [alert.pk for alert, _people in alerts]
    transaction.on_commit(lambda: email_threshold_alerts.enqueue(ids), robust=True)


def alerts_with_recipients(alert_ids: Iterable[int]) -> list[tuple[ThresholdAlert, list[User]]]:
    """These alerts (oldest first), each with its threshold's recipients who may still see
    its figures: a SIM's usage (C1 in their scope today: profile, delegation, assignee,
    active), or for a cost centre every SIM's. Who lost that since being chosen is skipped.
    Three queries, one per company, and one per SIM with a recipient who does not see
    every SIM."""
    alerts = list(
        ThresholdAlert.objects.filter(pk__in=alert_ids)
        .select_related("threshold__line__contract", "threshold__cost_centre")
        .prefetch_related("threshold__recipients")
        .order_by("pk")
    )
    sees_all: dict[int, set[int]] = {}  # company → who sees every SIM's usage
    sees_line: dict[int, set[int]] = {}  # line → who sees its usage
    answer: list[tuple[ThresholdAlert, list[User]]] = []
    for alert in alerts:
        threshold = alert.threshold
        line = threshold.line
        if line is not None and line.contract.company_id != threshold.company_id:
            answer.append((alert, []))  # the SIM has moved to another company
            continue
        if threshold.company_id not in sees_all:
            sees_all[threshold.company_id] = set(
                may_see_all_usage(company_id=threshold.company_id).values_list("pk", flat=True)
            )
        allowed = sees_all[threshold.company_id]
        recipients = list(threshold.recipients.all())
        if line is not None and any(person.pk not in allowed for person in recipients):
            # Someone who sees only some SIMs: ask about this one (assignee, delegation).
            if line.pk not in sees_line:
                sees_line[line.pk] = set(may_see_line_usage(line=line).values_list("pk", flat=True))
            allowed = sees_line[line.pk]
        answer.append((alert, [person for person in recipients if person.pk in allowed]))
    return answer


def alert_title(alert: ThresholdAlert) -> str:
    threshold = alert.threshold
    return _("Soglia superata: %(subject)s a %(value)s (soglia %(limit)s)") % {
        "subject": threshold_subject(threshold),
        "value": metric_amount(threshold.metric, alert.value),
        "limit": metric_amount(threshold.metric, threshold.limit),
    }


def alert_body(alert: ThresholdAlert) -> str:
    return _("%(subject)s: %(value)s nel mese di %(month)s; la soglia è %(limit)s.") % {
        "month": month_name(alert.month),
        "subject": capfirst(threshold_subject(alert.threshold)),
        "value": metric_amount(alert.threshold.metric, alert.value),
        "limit": metric_amount(alert.threshold.metric, alert.threshold.limit),
    }


# --- The pages' reads and writes (costs.threshold_views) -------------------------------


def thresholds_of_company(*, company_id: int) -> QuerySet[Threshold]:
    """The company's thresholds, but not those on a SIM that has moved to another company
    (they read nothing of it any more)."""
    return (
        Threshold.objects.filter(company_id=company_id)
        .filter(Q(line__isnull=True) | Q(line__contract__company_id=company_id))
        .select_related("line", "cost_centre")
        .prefetch_related("recipients")
        .order_by("line__number", "cost_centre__code", "metric")
    )


def thresholds_of_line(*, line: Line) -> QuerySet[Threshold]:
    """The SIM's thresholds set by the company it belongs to now (not an earlier one's)."""
    return (
        Threshold.objects.filter(line=line, company_id=line.contract.company_id)
        .select_related("line")
        .order_by("metric")
    )


@dataclass(frozen=True)
class ThresholdState:
    """A threshold and its month: the figure so far and, when crossed, the alert."""

    threshold: Threshold
    value: Decimal | None
    alert: ThresholdAlert | None

    @property
    def crossed(self) -> bool:
        """Whether the figure, as shown, reaches the limit now: the state shown (an alert
        made before the limit was raised says nothing of the new limit)."""
        return self.value is not None and self.value >= self.threshold.limit

    @property
    def value_text(self) -> str:
        return "" if self.value is None else metric_amount(self.threshold.metric, self.value)

    @property
    def limit_text(self) -> str:
        return metric_amount(self.threshold.metric, self.threshold.limit)

    @property
    def subject(self) -> str:
        return threshold_subject(self.threshold)


def threshold_states(thresholds: Iterable[Threshold], *, month: date) -> list[ThresholdState]:
    """Each threshold with its figure for `month` and its alert of that month, if any: a
    fixed number of queries (threshold_values's and one for the alerts)."""
    thresholds = list(thresholds)
    values = threshold_values((threshold, month) for threshold in thresholds)
    alerts = {
        alert.threshold_id: alert
        for alert in ThresholdAlert.objects.filter(threshold__in=thresholds, month=month)
    }
    return [
        ThresholdState(threshold, values.get((threshold.pk, month)), alerts.get(threshold.pk))
        for threshold in thresholds
    ]


def may_see_line_usage(*, line: Line) -> QuerySet[User]:
    """The line's company's active people who may see its usage (C1): everyone with scope
    ALL, the line's assignee, and the Referenti it is delegated to when their scope is OWN."""
    scopes = {profile: scope_for(profile, Capability.VIEW_USAGE) for profile in PROFILE_COLUMNS}
    everything = [p for p, s in scopes.items() if s in (Scope.ALL, Scope.YES)]
    own = [p for p, s in scopes.items() if s == Scope.OWN]
    theirs = Q(pk=line.assignee_id) | Q(
        profile__in=[p for p in own if p in REFERENTE_PROFILES],
        lineuserobjectpermission__content_object=line,
        lineuserobjectpermission__permission__codename=REFERENTE_PERMISSION,
    )
    return (
        User.objects.filter(company_id=line.contract.company_id, is_active=True)
        .filter(Q(profile__in=everything) | (Q(profile__in=own) & theirs))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def may_see_all_usage(*, company_id: int) -> QuerySet[User]:
    """The company's active people who see every SIM's usage: a cost centre's recipients."""
    everything = [
        p for p in PROFILE_COLUMNS if scope_for(p, Capability.VIEW_USAGE) in (Scope.ALL, Scope.YES)
    ]
    return User.objects.filter(
        company_id=company_id, is_active=True, profile__in=everything
    ).order_by("last_name", "first_name", "username")


def threshold_get_for_company(*, company_id: int, pk: int) -> Threshold:
    """One of the company's thresholds; 404 for any other, like a missing one."""
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        Threshold.objects.select_related("line", "cost_centre"), pk=pk, company_id=company_id
    )


def threshold_recipients_refused(
    *, company_id: int, line: Line | None, recipients: Iterable[User]
) -> list[User]:
    """Those of `recipients` who may not see the figures (a SIM's usage, or for a cost
    centre every SIM's): the forms refuse them by name."""
    allowed = (
        may_see_line_usage(line=line)
        if line is not None
        else may_see_all_usage(company_id=company_id)
    )
    ids = set(allowed.values_list("pk", flat=True))
    return [person for person in recipients if person.pk not in ids]


@transaction.atomic
def threshold_save(
    *,
    actor: User,
    threshold: Threshold | None = None,
    line: Line | None = None,
    cost_centre: CostCentre | None = None,
    metric: str,
    limit: Decimal,
    recipients: Iterable[User],
) -> Threshold:
    """Create a threshold (on `line` or `cost_centre`) or change one's metric, limit and
    recipients. Refuses a second threshold on the same target and metric, and recipients
    who may not see the figures."""
    from core.exceptions import ActionRefused

    recipients = list(recipients)
    company_id = actor.company_id
    if company_id is None:
        raise ActionRefused(_("Funzione riservata ai clienti."))
    if threshold is None:
        if (line is None) == (cost_centre is None):
            raise ActionRefused(_("Scegli una SIM o un centro di costo."))
        owner = line.contract.company_id if line is not None else cost_centre.company_id  # type: ignore[union-attr]
        if owner != company_id:
            raise ActionRefused(_("Soglia non trovata."))
        threshold = Threshold(company_id=company_id, line=line, cost_centre=cost_centre)
        threshold.created_by = actor
    if threshold.company_id != company_id:
        raise ActionRefused(_("Soglia non trovata."))
    refused = threshold_recipients_refused(
        company_id=company_id, line=threshold.line, recipients=recipients
    )
    if refused:
        raise ActionRefused(refused_message(refused, on_line=threshold.line is not None))
    changed = threshold.pk is not None and (threshold.metric != metric or threshold.limit != limit)
    threshold.metric = metric
    threshold.limit = limit
    try:
        with transaction.atomic():
            threshold.save()
    except IntegrityError as error:
        raise ActionRefused(duplicate_message(on_line=threshold.line_id is not None)) from error
    if changed:
        # Another measure or limit: this month may alert again, against it.
        ThresholdAlert.objects.filter(
            threshold=threshold, month=timezone.localdate().replace(day=1)
        ).delete()
    threshold.recipients.set(recipients)
    return threshold


def duplicate_message(*, on_line: bool) -> str:
    """The refusal of a second threshold on the same SIM or centre and metric."""
    if on_line:
        return _("Questa SIM ha già una soglia su questo indicatore: modifica quella.")
    return _("Questo centro di costo ha già una soglia su questo indicatore: modifica quella.")


def refused_message(refused: list[User], *, on_line: bool) -> str:
    """The refusal of recipients who may not see the figures, by name."""
    names = ", ".join(person.get_full_name() or person.username for person in refused)
    if on_line:
        text = ngettext(
            "Non vede i consumi di questa SIM: %(names)s.",
            "Non vedono i consumi di questa SIM: %(names)s.",
            len(refused),
        )
    else:
        text = ngettext(
            "Non vede i consumi di tutte le SIM: %(names)s.",
            "Non vedono i consumi di tutte le SIM: %(names)s.",
            len(refused),
        )
    return text % {"names": names}


@transaction.atomic
def threshold_delete(*, actor: User, threshold: Threshold) -> None:
    """Remove a threshold, its alerts with it (the notifications already sent stay)."""
    if threshold.company_id != actor.company_id:
        from django.http import Http404

        raise Http404
    threshold.delete()

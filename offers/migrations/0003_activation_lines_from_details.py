"""Activation requests opened before the lines had their own table listed them in their
details ("line_ids"): copy them into rows, so open ones keep excluding their lines and
complete as before. The details are left as they were: they are the request's history."""

from django.db import migrations


def copy_line_ids(apps, schema_editor):  # type: ignore[no-untyped-def]
    Request = apps.get_model("tracking", "Request")
    Line = apps.get_model("accounts", "Line")
    ActivationLine = apps.get_model("offers", "ActivationLine")
    requests = Request.objects.filter(kind="OFFER", details__has_key="line_ids")
    for request in requests.only("pk", "company_id", "details").iterator():
        ids = [
            pk
            for pk in request.details.get("line_ids") or []
            if isinstance(pk, int) and 0 < pk < 2**63
        ]
        lines = Line.objects.filter(pk__in=ids, contract__company_id=request.company_id)
        rows = [
            ActivationLine(request_id=request.pk, line_id=pk)
            for pk in lines.values_list("pk", flat=True)
        ]
        ActivationLine.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [("offers", "0002_activation_lines")]

    operations = [migrations.RunPython(copy_line_ids, migrations.RunPython.noop)]

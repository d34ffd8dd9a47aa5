# Apart from 0006: PostgreSQL alters no table with the data migration's updates pending.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_payment_settlement_and_refunds'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='payment',
            index=models.Index(condition=models.Q(('status', 'REFUND_DUE')), fields=['refund_tried_at'], name='payment_refund_due'),
        ),
        migrations.AddConstraint(
            model_name='payment',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('invoice_revision__isnull', False), ('purpose', 'INVOICE')), models.Q(('purpose', 'INVOICE'), _negated=True), _connector='OR'), name='payment_invoice_revision_known'),
        ),
    ]

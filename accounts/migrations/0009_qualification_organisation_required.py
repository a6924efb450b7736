# A migration of its own: on PostgreSQL, altering the column in the transaction that filled it fails on the
# foreign key's pending trigger events.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0008_qualification_organisation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='qualification',
            name='organisation',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='qualifications', to='accounts.organisation'),
        ),
        migrations.AddConstraint(
            model_name='qualification',
            constraint=models.UniqueConstraint(fields=('organisation', 'name'), name='accounts_qualification_name_per_org'),
        ),
    ]

# A migration of its own: on PostgreSQL, altering the column in the transaction that filled it fails on the
# foreign key's pending trigger events.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('tasks', '0008_project_organisation'),
    ]

    operations = [
        migrations.AlterField(
            model_name='project',
            name='organisation',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='projects', to='accounts.organisation'),
        ),
    ]

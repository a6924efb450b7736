# Suspension moves to accounts, the one home of suspension: the table is renamed, its rows kept.
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("quality", "0007_plural_names"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="suspension", table="accounts_suspension")],
            state_operations=[migrations.DeleteModel(name="Suspension")],
        ),
    ]

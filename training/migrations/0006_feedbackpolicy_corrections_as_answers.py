# A merchant's or an operator's correction counts as one more answer to its item (issue 20).

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("training", "0005_model_version_evaluation"),
    ]

    operations = [
        migrations.AddField(
            model_name="feedbackpolicy",
            name="corrections_as_answers",
            field=models.BooleanField(default=True, help_text="A merchant's or an operator's correction counts as one more answer to its item, from a pseudo-worker per source whose reliability truth inference estimates like any worker's (never as the truth). Off: corrections only make items."),
        ),
    ]

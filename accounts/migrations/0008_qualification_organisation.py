# Qualifications belong to an organisation. The column is filled here and made required in 0009: on PostgreSQL,
# altering a column in the transaction that filled it fails on the foreign key's pending trigger events.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Q


def qualifications_join_their_projects_organisation(apps, schema_editor):
    """Each qualification joins the organisation of the projects that use it (in their pool, or as the one they
    award), the default organisation when none does. One used by several organisations' projects stays with the
    first and is copied for each other one, holders included, whose projects then name the copy: nobody gains
    or loses work by the move."""
    Organisation = apps.get_model("accounts", "Organisation")
    Qualification = apps.get_model("accounts", "Qualification")
    QualificationGrant = apps.get_model("accounts", "QualificationGrant")
    Project = apps.get_model("tasks", "Project")
    default, _ = Organisation.objects.get_or_create(slug="default", defaults={"name": "Default organisation"})
    for qualification in list(Qualification.objects.filter(organisation__isnull=True)):
        users = Project.objects.filter(Q(pool_qualification=qualification) | Q(awards_qualification=qualification))
        organisation_ids = sorted(set(users.values_list("organisation_id", flat=True))) or [default.pk]
        qualification.organisation_id = organisation_ids[0]
        qualification.save(update_fields=["organisation"])
        for organisation_id in organisation_ids[1:]:
            copy = Qualification.objects.create(organisation_id=organisation_id, name=qualification.name,
                                                description=qualification.description)
            QualificationGrant.objects.bulk_create([
                QualificationGrant(qualification=copy, worker_id=grant.worker_id, source=grant.source,
                                   granted_by_id=grant.granted_by_id)
                for grant in QualificationGrant.objects.filter(qualification=qualification)])
            theirs = Project.objects.filter(organisation_id=organisation_id)
            theirs.filter(pool_qualification=qualification).update(pool_qualification=copy)
            theirs.filter(awards_qualification=qualification).update(awards_qualification=copy)


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0007_membership_automatic'),
        # Reads (and repoints) the projects that use each qualification, with their organisation.
        ('tasks', '0011_item_source_priority'),
    ]

    operations = [
        migrations.AlterField(
            model_name='qualification',
            name='name',
            field=models.CharField(max_length=100),
        ),
        migrations.AddField(
            model_name='qualification',
            name='organisation',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='qualifications', to='accounts.organisation'),
        ),
        migrations.RunPython(qualifications_join_their_projects_organisation, migrations.RunPython.noop),
    ]

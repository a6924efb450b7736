# Pool groups belong to an organisation, as qualifications do (0008): a project's pool names only its own
# organisation's group, and no tenant is offered another's group names.

import django.db.models.deletion
from django.db import migrations, models

# The staff role groups (accounts.services.STAFF_GROUPS, as they are named today): permission groups, never a pool.
STAFF_GROUP_NAMES = ("Reviewers", "Project managers")


def pool_groups_join_their_projects_organisation(apps, schema_editor):
    """Each group a project names as its pool joins that project's organisation. One named by several
    organisations' projects stays with the first and is copied for each other one, members included, whose
    projects then name the copy: nobody gains or loses work by the move. A group no project names joins the
    organisation of a one-organisation install (every fresh one) unless it is a permission group; with several
    organisations a superuser gives it one on its page, as nobody can guess whose it is."""
    Group = apps.get_model("auth", "Group")
    Organisation = apps.get_model("accounts", "Organisation")
    PoolGroup = apps.get_model("accounts", "PoolGroup")
    Project = apps.get_model("tasks", "Project")
    Membership = Group.user_set.through
    for group in Group.objects.filter(pk__in=Project.objects.values("pool_group_id")):
        organisation_ids = sorted(set(Project.objects.filter(pool_group=group).values_list("organisation_id",
                                                                                           flat=True)))
        PoolGroup.objects.create(group=group, organisation_id=organisation_ids[0])
        for organisation_id in organisation_ids[1:]:
            organisation = Organisation.objects.get(pk=organisation_id)
            copy = Group.objects.create(name=f"{group.name} ({organisation.slug})"[:150])
            PoolGroup.objects.create(group=copy, organisation_id=organisation_id)
            Membership.objects.bulk_create([Membership(group_id=copy.pk, user_id=user_id) for user_id in
                                            Membership.objects.filter(group_id=group.pk).values_list("user_id",
                                                                                                     flat=True)])
            Project.objects.filter(organisation_id=organisation_id, pool_group=group).update(pool_group=copy)
    organisations = list(Organisation.objects.all()[:2])
    if len(organisations) == 1:
        unused = Group.objects.filter(pool__isnull=True, permissions__isnull=True).exclude(name__in=STAFF_GROUP_NAMES)
        PoolGroup.objects.bulk_create([PoolGroup(group=group, organisation=organisations[0]) for group in unused])


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0009_qualification_organisation_required'),
        ('auth', '0012_alter_user_first_name_max_length'),
        # Reads (and repoints) the projects that name each group, with their organisation.
        ('tasks', '0011_item_source_priority'),
    ]

    operations = [
        migrations.CreateModel(
            name='PoolGroup',
            fields=[
                ('group', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='pool', serialize=False, to='auth.group')),
                ('organisation', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='pool_groups', to='accounts.organisation')),
            ],
        ),
        migrations.RunPython(pool_groups_join_their_projects_organisation, migrations.RunPython.noop),
    ]

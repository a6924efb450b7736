"""The migration that gives pool groups an organisation (accounts 0010) keeps everyone's work: each group a
project names joins that project's organisation, one named by two organisations' projects is copied, members
included, for the second, whose projects name the copy; in a one-organisation install an unused group joins
it, but never a permission group."""

import pytest

from tests.accounts.test_qualification_migration import _latest_schema_after, _migrate  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0009_qualification_organisation_required"), ("tasks", "0011_item_source_priority")]
AFTER = [("accounts", "0010_pool_group")]


def _world(old, *, second_organisation: bool):
    Organisation, Project = old.get_model("accounts", "Organisation"), old.get_model("tasks", "Project")
    Group, Permission = old.get_model("auth", "Group"), old.get_model("auth", "Permission")
    User = old.get_model("accounts", "User")
    default, _ = Organisation.objects.get_or_create(slug="default", defaults={"name": "Default organisation"})
    other = Organisation.objects.create(slug="other", name="Other") if second_organisation else None
    worker = User.objects.create(username="w1", email="w1@example.com", role="annotator")
    shared, unused, staff = (Group.objects.create(name=name) for name in ("Shared", "Unused", "Editors"))
    staff.permissions.add(Permission.objects.first())
    worker.groups.add(shared)
    Project.objects.create(title="A", task_type="single_label", organisation=default, pool_group=shared)
    if other:
        Project.objects.create(title="B", task_type="single_label", organisation=other, pool_group=shared)
    return default.pk, getattr(other, "pk", None), worker.pk


def test_a_shared_group_is_copied_with_its_members_and_unused_ones_wait_for_an_admin_where_there_are_two():
    old = _migrate(BEFORE)
    try:
        default, other, worker = _world(old, second_organisation=True)
    finally:
        new = _migrate(AFTER)
    Group, Project = new.get_model("auth", "Group"), new.get_model("tasks", "Project")
    owner = dict(new.get_model("accounts", "PoolGroup").objects.values_list("group__name", "organisation_id"))
    assert owner == {"Shared": default, "Shared (other)": other}
    copy = Group.objects.get(name="Shared (other)")
    assert list(copy.user_set.values_list("pk", flat=True)) == [worker]
    assert Project.objects.get(title="A").pool_group.name == "Shared"
    assert Project.objects.get(title="B").pool_group_id == copy.pk


def test_in_a_one_organisation_install_every_group_but_permission_groups_is_its_pool():
    old = _migrate(BEFORE)
    try:
        default, _, _ = _world(old, second_organisation=False)
    finally:
        new = _migrate(AFTER)
    owner = dict(new.get_model("accounts", "PoolGroup").objects.values_list("group__name", "organisation_id"))
    assert owner == {"Shared": default, "Unused": default}

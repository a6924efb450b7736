"""The migration that gives qualifications an organisation (accounts 0008/0009) keeps everyone's work: each
qualification joins the organisation of the projects that use it (the default one when none does), and one
used by two organisations' projects is copied, holders included, for the second, whose projects name the copy."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("accounts", "0007_membership_automatic"), ("tasks", "0011_item_source_priority")]
AFTER = [("accounts", "0009_qualification_organisation_required")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture(autouse=True)
def _latest_schema_after():
    """Each test leaves the schema at the latest migrations, where the tests after it expect it (its AFTER
    is a past one when later migrations exist: accounts 0010 and on)."""
    yield
    executor = MigrationExecutor(connection)
    _migrate(executor.loader.graph.leaf_nodes())


def test_each_qualification_joins_its_projects_organisation_and_a_shared_one_is_copied():
    old = _migrate(BEFORE)
    try:
        Organisation, Project = old.get_model("accounts", "Organisation"), old.get_model("tasks", "Project")
        Qualification, Grant = old.get_model("accounts", "Qualification"), old.get_model("accounts", "QualificationGrant")
        User = old.get_model("accounts", "User")
        default, _ = Organisation.objects.get_or_create(slug="default", defaults={"name": "Default organisation"})
        other = Organisation.objects.create(slug="other", name="Other")
        worker = User.objects.create(username="w1", email="w1@example.com", role="annotator")
        shared, theirs, unused = (Qualification.objects.create(name=name) for name in ("Shared", "Theirs", "Unused"))
        Grant.objects.create(qualification=shared, worker=worker)
        ours_project = Project.objects.create(title="A", task_type="single_label", organisation=default,
                                              pool_qualification=shared)
        their_project = Project.objects.create(title="B", task_type="single_label", organisation=other,
                                               pool_qualification=shared, awards_qualification=theirs)
        ids = (shared.pk, theirs.pk, unused.pk, ours_project.pk, their_project.pk, default.pk, other.pk, worker.pk)
    finally:
        new = _migrate(AFTER)
    shared, theirs, unused, ours_project, their_project, default, other, worker = ids
    Qualification, Project = new.get_model("accounts", "Qualification"), new.get_model("tasks", "Project")
    organisation_of = dict(Qualification.objects.values_list("pk", "organisation_id"))
    assert {shared: organisation_of[shared], theirs: organisation_of[theirs], unused: organisation_of[unused]} == {
        shared: default, theirs: other, unused: default}
    copy = Qualification.objects.get(name="Shared", organisation_id=other)
    assert list(copy.grants.values_list("worker_id", flat=True)) == [worker]
    assert Project.objects.get(pk=ours_project).pool_qualification_id == shared
    assert Project.objects.get(pk=their_project).pool_qualification_id == copy.pk
    assert Project.objects.get(pk=their_project).awards_qualification_id == theirs

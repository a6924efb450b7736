"""A dataset refused for too few items says why as dataset_build counts (user trial): a project with 36 accepted
items, 35 decided by a reviewer, was told it had 1 accepted item, and the launch page said so twice."""

import pytest
from django.urls import reverse

from quality.models import DecisionSource
from tests.quality.factories import ItemDecisionFactory
from tests.tasks.factories import ProjectFactory
from tests.training.factories import BaseModelFactory
from training import snapshots

pytestmark = pytest.mark.django_db

REVIEWED_AWAY = ("Product category has 36 accepted items, but 35 of them were decided by a reviewer and are kept for "
                 "evaluation: 1 can be trained on, at least 3 are needed.")


def _project(*, inferred: int, reviewed: int):
    project = ProjectFactory(title="Product category")
    ItemDecisionFactory.create_batch(inferred, item__project=project)
    ItemDecisionFactory.create_batch(reviewed, item__project=project, source=DecisionSource.REVIEWER)
    return project


@pytest.mark.parametrize("inferred, reviewed, says", [
    (1, 35, REVIEWED_AWAY),
    (2, 1, "Product category has 3 accepted items, but 1 of them was decided by a reviewer and is kept for "
           "evaluation: 2 can be trained on, at least 3 are needed."),
    (0, 1, "Product category has 1 accepted item, but it was decided by a reviewer and is kept for evaluation: "
           "0 can be trained on, at least 3 are needed."),
    (2, 0, "Product category has 2 accepted items: at least 3 are needed for a dataset."),
])
def test_too_few_trainable_items_are_counted_as_the_dataset_counts_them(inferred, reviewed, says):
    with pytest.raises(ValueError) as refused:
        snapshots.dataset_build(_project(inferred=inferred, reviewed=reviewed))
    assert str(refused.value) == says


def test_the_launch_page_says_why_once(client, admin_user, tmp_path):
    project = _project(inferred=1, reviewed=35)
    (tmp_path / "config.json").write_text("{}")
    base = BaseModelFactory(folder=str(tmp_path))
    client.force_login(admin_user)
    page = client.post(reverse("admin:training_trainingrun_add"), {
        "project": project.pk, "epochs": 1, "learning_rate": 0.001, "batch_size": 8, "max_length": 16, "seed": 13,
        "device": "auto", "base_model": base.pk,
    }).content.decode()
    assert page.count(REVIEWED_AWAY) == 1
    assert not project.training_runs.exists()


def test_the_snapshot_page_says_why_once(client, admin_user):
    project = _project(inferred=1, reviewed=35)
    client.force_login(admin_user)
    page = client.post(reverse("admin:training_datasetsnapshot_add"), {"project": project.pk}).content.decode()
    assert page.count(REVIEWED_AWAY) == 1

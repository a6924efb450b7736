"""Runs inside Label Studio's own venv (bench/.venv-label-studio, never a project dependency): prepares
a Label Studio project with the same items, overlap and annotator count as the assignment benchmark.

    bench/.venv-label-studio/bin/python bench/_label_studio_runner.py ITEMS ANNOTATORS

Prints one JSON line: {"project": id, "tokens": [...], "labels": [...]}. Label Studio's own models do
the writing, into a new database; its server is then started by bench/assignment_load.py under gunicorn.
"""

import json
import os
import sys
from pathlib import Path

import label_studio

LS_DIR = Path(label_studio.__file__).parent
sys.path.insert(0, str(LS_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "core.settings.label_studio")

LABELS = ["Phone", "TV", "CPU", "Fridge"]
CONFIG = (
    '<View><Text name="text" value="$title"/><Choices name="label" toName="text" choice="single">'
    + "".join(f'<Choice value="{label}"/>' for label in LABELS)
    + "</Choices></View>"
)


def main(items: int, annotators: int):
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jwt_auth.models import JWTSettings
    from organizations.models import Organization, OrganizationMember
    from projects.models import Project
    from rest_framework.authtoken.models import Token
    from tasks.models import Task
    from users.models import User

    owner = User.objects.create_user(email="owner@bench.crowdlabel", password="bench-only")
    organization = Organization.create_organization(created_by=owner, title="bench")
    # The benchmark authenticates with "Authorization: Token <key>", as it does against CrowdLabel.
    JWTSettings.objects.update_or_create(organization=organization, defaults={"legacy_api_tokens_enabled": True})
    project = Project.objects.create(
        title="bench: assignment load", organization=organization, created_by=owner, label_config=CONFIG,
        maximum_annotations=3,
    )
    Task.objects.bulk_create(
        [Task(project=project, data={"title": f"product title {n}"}, inner_id=n + 1, overlap=3) for n in range(items)],
        batch_size=5000,
    )
    tokens = []
    for n in range(annotators):
        user = User.objects.create_user(email=f"a{n}@bench.crowdlabel", password="bench-only")
        user.active_organization = organization
        user.save(update_fields=["active_organization"])
        OrganizationMember.objects.get_or_create(user=user, organization=organization)
        tokens.append(Token.objects.get_or_create(user=user)[0].key)
    print(json.dumps({"project": project.pk, "tokens": tokens, "labels": LABELS}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))

import os
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand

from accounts import services as accounts_services
from accounts.models import Role, User
from tasks.demo import demo_projects_create

DEMO_ANNOTATORS = 5


class Command(BaseCommand):
    help = "Create the demo projects (from ../shared/datasets/ecommerce) and demo accounts. Idempotent."

    def handle(self, *args, **options):
        root = Path(settings.DEMO_DATASETS_DIR) / "ecommerce"
        if not root.exists():
            self.stdout.write(self.style.WARNING(f"No demo data at {root}: set DEMO_DATASETS_DIR. Skipped."))
            return
        password = os.environ.get("DEMO_PASSWORD", "crowdlabel-demo")
        accounts = _demo_accounts(password)
        for line in demo_projects_create(root=root):
            self.stdout.write(line)
        self.stdout.write("demo accounts: " + ", ".join(accounts) + f" (password {password!r})")


def _demo_accounts(password) -> list[str]:
    wanted = [(f"annotator{i}@demo.crowdlabel", Role.ANNOTATOR) for i in range(1, DEMO_ANNOTATORS + 1)]
    wanted += [("reviewer@demo.crowdlabel", Role.REVIEWER), ("integrator@demo.crowdlabel", Role.INTEGRATOR)]
    for email, role in wanted:
        user = User.objects.filter(email=email).first()
        if user is None:
            try:
                user = accounts_services.user_create(email=email, password=password, role=role)
            except ValidationError:
                continue
            accounts_services.email_address_mark_verified(user=user)
        if role == Role.ANNOTATOR:
            accounts_services.worker_mark_verified(user=user)
    return [email for email, _ in wanted]

from django.core.management.base import BaseCommand

from core.periodic import periodic_tasks_install


class Command(BaseCommand):
    help = "Install the periodic jobs declared in code into the beat schedule (idempotent)."

    def handle(self, *args, **options):
        result = periodic_tasks_install()
        self.stdout.write(
            f"periodic tasks: {result['created']} created, {result['updated']} updated, {result['removed']} removed"
        )

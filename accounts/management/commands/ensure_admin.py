import os

from django.core.management.base import BaseCommand

from accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Create the admin account if there is none. Credentials from ADMIN_EMAIL and ADMIN_PASSWORD; "
        "without a password one is generated and printed (only this once: it is stored hashed)."
    )

    def handle(self, *args, **options):
        email = os.environ.get("ADMIN_EMAIL", "admin@example.com")
        user, generated = admin_ensure(email=email, password=os.environ.get("ADMIN_PASSWORD"))
        if generated:
            self.stdout.write(self.style.WARNING(
                f"Admin account created: user {user.username} ({email}), password {generated}\n"
                "Keep it: it is stored hashed, and no later start can show it again."
            ))
        else:
            self.stdout.write(f"Admin account: user {user.username} ({user.email}), password as first set.")
        self.stdout.write(f"Forgot it? .venv/bin/python manage.py changepassword {user.username}")

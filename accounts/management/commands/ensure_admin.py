import os

from django.core.management.base import BaseCommand

from accounts.services import admin_ensure


class Command(BaseCommand):
    help = (
        "Create the admin account if there is none. Credentials from ADMIN_EMAIL and ADMIN_PASSWORD; "
        "without a password one is generated and printed once."
    )

    def handle(self, *args, **options):
        email = os.environ.get("ADMIN_EMAIL", "admin@example.com")
        user, generated = admin_ensure(email=email, password=os.environ.get("ADMIN_PASSWORD"))
        if generated:
            self.stdout.write(self.style.WARNING(
                f"Created admin account: username 'admin', email {email}, password {generated}\n"
                "This password is shown once; change it in the admin."
            ))
        else:
            self.stdout.write(f"admin account: {user.username} ({user.email})")

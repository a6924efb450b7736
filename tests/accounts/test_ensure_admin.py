"""`ensure_admin` (run by `make run` and deploys): the generated password, and how to reset it."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from accounts.models import User

pytestmark = pytest.mark.django_db


def ensure_admin(monkeypatch, **env):
    monkeypatch.delenv("ADMIN_PASSWORD", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    return out.getvalue()


def test_the_generated_password_is_printed_and_works(monkeypatch):
    output = ensure_admin(monkeypatch)
    password = output.split("password ")[1].split()[0]
    assert authenticate(username="admin", password=password) is not None
    assert "manage.py changepassword admin" in output


def test_a_second_run_keeps_the_account_and_says_how_to_reset_it(monkeypatch):
    first = ensure_admin(monkeypatch)
    second = ensure_admin(monkeypatch)
    assert User.objects.filter(is_superuser=True).count() == 1
    assert first.split("password ")[1].split()[0] not in second
    assert "manage.py changepassword admin" in second

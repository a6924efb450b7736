"""An account an admin makes in the admin logs in at once: the admin typed the address, so no confirmation mail."""

import pytest
from django.urls import reverse

from accounts.models import Role, User

pytestmark = pytest.mark.django_db

PASSWORD = "Str0ng-pass-admin-add"


def _admin_adds(client, admin_user, *, username, email, role):
    client.force_login(admin_user)
    response = client.post(reverse("admin:accounts_user_add"), {
        "username": username, "email": email, "role": role, "password1": PASSWORD, "password2": PASSWORD,
        "usable_password": "true",
    })
    assert response.status_code == 302, response.content[:2000]
    client.logout()
    return User.objects.get(username=username)


@pytest.mark.parametrize("role", [Role.INTEGRATOR, Role.ANNOTATOR])
def test_account_made_in_the_admin_logs_in_without_a_confirmation_mail(client, admin_user, role, mailoutbox):
    user = _admin_adds(client, admin_user, username="newcomer", email="newcomer@example.test", role=role)
    assert user.emailaddress_set.get().verified

    response = client.post(reverse("account_login"), {"login": "newcomer@example.test", "password": PASSWORD})

    assert response.status_code == 302
    assert "confirm-email" not in response["Location"]
    assert not mailoutbox

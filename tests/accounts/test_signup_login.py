import re

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Role, User, VerificationStatus

pytestmark = pytest.mark.django_db

PASSWORD = "Tr1cky-passphrase-42"


def _sign_up(client, email="ann@example.com"):
    return client.post(
        reverse("account_signup"), {"email": email, "password1": PASSWORD, "password2": PASSWORD}
    )


def test_sign_up_makes_an_unverified_annotator_and_sends_a_confirmation_mail(client):
    response = _sign_up(client)

    assert response.status_code == 302
    user = User.objects.get(email="ann@example.com")
    assert user.role == Role.ANNOTATOR and not user.is_staff
    assert user.worker_profile.verification_status == VerificationStatus.UNVERIFIED
    assert len(mail.outbox) == 1
    assert "/accounts/confirm-email/" in mail.outbox[0].body


def test_log_in_is_refused_until_the_email_is_confirmed_then_works(client):
    _sign_up(client)
    client.logout()

    before = client.post(reverse("account_login"), {"login": "ann@example.com", "password": PASSWORD})
    assert before.status_code == 302 and "confirm-email" in before.url
    assert client.get(reverse("home")).status_code == 302  # still anonymous

    key_url = re.search(r"http://[^/]+(/accounts/confirm-email/[^/\s]+/)", mail.outbox[-1].body).group(1)
    confirmed = client.post(key_url)
    assert confirmed.status_code == 302
    client.logout()

    after = client.post(reverse("account_login"), {"login": "ann@example.com", "password": PASSWORD})
    assert after.status_code == 302 and after.url == reverse("home")
    page = client.get(reverse("home"))
    assert page.status_code == 200
    assert b"Unverified" in page.content


def test_log_in_with_a_wrong_password_fails(client, annotator):
    response = client.post(reverse("account_login"), {"login": annotator.email, "password": "nope"})
    assert response.status_code == 400  # a refused log-in never answers 200
    assert b"not correct" in response.content or b"incorrect" in response.content.lower()


def test_password_reset_sends_a_mail(client, annotator):
    response = client.post(reverse("account_reset_password"), {"email": annotator.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and "password" in mail.outbox[0].subject.lower()


def test_email_is_unique_whatever_the_case(client, annotator):
    _sign_up(client, email=annotator.email.upper())
    assert User.objects.filter(email__iexact=annotator.email).count() == 1

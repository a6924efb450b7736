"""Staff (no worker profile) on the annotators' own pages: refused with a reason, never a server error."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("persona", ["admin_user", "reviewer"])
def test_verification_page_refuses_staff_with_403(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("verification"))
    assert response.status_code == 403


def test_verification_page_still_serves_annotators(client, annotator):
    client.force_login(annotator)
    assert client.get(reverse("verification")).status_code == 200

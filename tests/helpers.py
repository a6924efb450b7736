"""Small helpers the API tests share (factories make the rows; these make the requests)."""

import pytest
from django.urls import reverse

from tests.factories import token_for


def api_as(api_client, user):
    """The test's API client, authenticated with a new token of `user`."""
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token_for(user)}")
    return api_client


def submit(api_client, assignment_id, answer, **extra):
    """POST an answer to the assignment's submit endpoint."""
    return api_client.post(reverse("api-assignment-submit", args=[assignment_id]), {"answer": answer, **extra}, format="json")


SUMMARY_LINES = pytest.StashKey[list]()


def summary_line(config, line: str):
    """A line for the end of the test run's output (tests/conftest.py prints them): figures a run reports."""
    config.stash.setdefault(SUMMARY_LINES, []).append(line)

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Skill, VerificationDecision, VerificationStatus
from tests.factories import AnnotatorFactory, pending_profile

pytestmark = pytest.mark.django_db


def _pdf(name="id.pdf", size=100):
    return SimpleUploadedFile(name, b"%PDF-1.4 " + b"x" * size, content_type="application/pdf")


def test_annotator_submits_verification_material(client, annotator):
    skill = Skill.objects.create(name="German", kind=Skill.Kind.LANGUAGE)
    client.force_login(annotator)

    response = client.post(
        reverse("verification"), {"document": _pdf(), "note": "B2 certificate", "skills": [skill.pk]}
    )

    assert response.status_code == 302
    profile = annotator.worker_profile
    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.PENDING
    assert profile.verification_document.name.endswith(".pdf")
    assert list(profile.skills.all()) == [skill]


@pytest.mark.parametrize(
    "upload, message",
    [(SimpleUploadedFile("id.exe", b"MZ..."), b"not allowed"), (None, b"This field is required")],
)
def test_bad_verification_upload_is_refused_and_nothing_changes(client, annotator, upload, message):
    client.force_login(annotator)
    data = {"note": "x"} | ({"document": upload} if upload else {})
    response = client.post(reverse("verification"), data)
    assert response.status_code == 200 and message in response.content
    annotator.worker_profile.refresh_from_db()
    assert annotator.worker_profile.verification_status == VerificationStatus.UNVERIFIED


def test_oversized_document_is_refused(client, annotator, settings):
    settings.VERIFICATION_DOCUMENT_MAX_BYTES = 50
    client.force_login(annotator)
    response = client.post(reverse("verification"), {"document": _pdf(size=100)})
    assert b"larger than" in response.content
    annotator.worker_profile.refresh_from_db()
    assert annotator.worker_profile.verification_status == VerificationStatus.UNVERIFIED


def _admin_action(client, action, profiles, reason=""):
    return client.post(
        reverse("admin:accounts_workerprofile_changelist"),
        {"action": action, "_selected_action": [p.pk for p in profiles], "reason": reason},
        follow=True,
    )


def test_reviewer_approves_and_the_annotator_sees_it(client, reviewer, django_capture_on_commit_callbacks):
    profile = pending_profile()
    client.force_login(reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        _admin_action(client, "approve_verification", [profile], reason="looks good")

    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.VERIFIED
    assert profile.verification_decided_by == reviewer
    assert VerificationDecision.objects.get(profile=profile).status == VerificationStatus.VERIFIED
    assert "approved" in mail.outbox[-1].subject
    client.force_login(profile.user)
    assert b"Verified" in client.get(reverse("home")).content


def test_reviewer_rejects_with_a_reason_shown_to_the_annotator(client, reviewer):
    profile = pending_profile()
    client.force_login(reviewer)

    _admin_action(client, "reject_verification", [profile], reason="document unreadable")

    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.REJECTED
    assert profile.verification_reason == "document unreadable"
    client.force_login(profile.user)
    page = client.get(reverse("home")).content
    assert b"Rejected" in page and b"document unreadable" in page


def test_rejection_without_a_reason_is_refused(client, reviewer):
    profile = pending_profile()
    client.force_login(reviewer)

    response = _admin_action(client, "reject_verification", [profile])

    assert b"needs a reason" in response.content
    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.PENDING
    assert not VerificationDecision.objects.exists()


def test_annotator_cannot_decide_verifications(client):
    profile = pending_profile()
    other = AnnotatorFactory()
    client.force_login(other)
    _admin_action(client, "approve_verification", [profile])
    profile.refresh_from_db()
    assert profile.verification_status == VerificationStatus.PENDING


def test_uploaded_document_is_only_served_to_staff(client, annotator, reviewer):
    client.force_login(annotator)
    client.post(reverse("verification"), {"document": _pdf()})
    url = reverse("admin:accounts_workerprofile_document", args=[annotator.worker_profile.pk])

    assert client.get(url).status_code == 302  # the annotator themselves: sent to the admin log-in
    client.force_login(reviewer)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_suspension_and_lifting_it(client, admin_user, annotator):
    client.force_login(admin_user)
    profile = annotator.worker_profile
    _admin_action(client, "suspend_workers", [profile], reason="copy-pasting answers")
    profile.refresh_from_db()
    assert profile.suspended and profile.suspended_reason == "copy-pasting answers"

    client.force_login(annotator)
    assert b"copy-pasting answers" in client.get(reverse("home")).content

    client.force_login(admin_user)
    _admin_action(client, "lift_suspension", [profile])
    profile.refresh_from_db()
    assert not profile.suspended and profile.suspended_reason == ""


# --- The document is checked by its bytes, bounded while it arrives, replaced and private ---------------

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40


@pytest.mark.parametrize("name, content", [
    ("id.png", b"<html><script>alert(1)</script></html>"), ("id.pdf", PNG_HEAD), ("id.jpg", b"%PDF-1.4 x"),
])
def test_a_document_whose_bytes_are_not_what_its_name_says_is_refused(client, annotator, name, content):
    client.force_login(annotator)
    response = client.post(reverse("verification"), {"document": SimpleUploadedFile(name, content)})
    assert response.status_code == 200 and b"its content is" in response.content
    annotator.worker_profile.refresh_from_db()
    assert annotator.worker_profile.verification_status == VerificationStatus.UNVERIFIED
    assert not annotator.worker_profile.verification_document


def test_real_png_and_jpeg_documents_are_accepted(client, annotator):
    client.force_login(annotator)
    for name, content in [("id.png", PNG_HEAD), ("id.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 40)]:
        assert client.post(reverse("verification"), {"document": SimpleUploadedFile(name, content)}).status_code == 302
        annotator.worker_profile.refresh_from_db()
        assert annotator.worker_profile.verification_document.name.endswith(name.rsplit(".")[-1])


def test_a_body_larger_than_the_document_limit_is_refused_before_it_is_read(client, annotator, settings):
    settings.VERIFICATION_DOCUMENT_MAX_BYTES = 1000
    client.force_login(annotator)
    response = client.post(reverse("verification"), {"document": _pdf(size=200_000)})
    assert response.status_code == 413
    annotator.worker_profile.refresh_from_db()
    assert not annotator.worker_profile.verification_document


def test_a_replaced_document_is_deleted_and_files_are_private(client, annotator, django_capture_on_commit_callbacks):
    import os
    import stat

    client.force_login(annotator)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("verification"), {"document": _pdf("first.pdf")})
    annotator.worker_profile.refresh_from_db()
    first = annotator.worker_profile.verification_document.path
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(os.path.dirname(first)).st_mode) == 0o700
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("verification"), {"document": _pdf("second.pdf")})
    annotator.worker_profile.refresh_from_db()
    assert annotator.worker_profile.verification_document.name.endswith("second.pdf")
    assert os.path.exists(annotator.worker_profile.verification_document.path)
    assert not os.path.exists(first)

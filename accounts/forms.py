from django import forms
from django.conf import settings
from django.core.validators import FileExtensionValidator

from .models import Skill


class VerificationForm(forms.Form):
    document = forms.FileField(
        label="Identity or qualification document",
        help_text="PDF, PNG or JPEG, at most 10 MB. Only CrowdLabel's reviewers can open it.",
        validators=[FileExtensionValidator(settings.VERIFICATION_DOCUMENT_EXTENSIONS)],
    )
    note = forms.CharField(label="A note for the reviewer", required=False, widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)
    skills = forms.ModelMultipleChoiceField(
        label="Skills and languages", queryset=Skill.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, profile=None, **kwargs):
        super().__init__(*args, **kwargs)
        if profile is not None and not self.is_bound:
            self.initial["skills"] = list(profile.skills.all())
            self.initial["note"] = profile.verification_note

    def clean_document(self):
        document = self.cleaned_data["document"]
        if document.size > settings.VERIFICATION_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError("The document is larger than 10 MB.")
        return document


class ApiTokenForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Where it is used (\"shop sync\", \"nightly export\").")
    project_id = forms.IntegerField(
        required=False, min_value=1, label="Only for project (id)",
        help_text="Optional: one of your organisations' projects; the token then reaches it alone.")
    read_only = forms.BooleanField(required=False, label="Read-only", help_text="Only GET requests.")

"""Annotator pages of the accounts stage: the verification form (the dashboard is the workspace's)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from . import services
from .decorators import annotator_required
from .forms import VerificationForm


@annotator_required
def verification(request):
    profile = request.user.worker_profile
    form = VerificationForm(request.POST or None, request.FILES or None, profile=profile)
    if request.method == "POST" and form.is_valid():
        try:
            services.verification_submit(
                profile=profile,
                document=form.cleaned_data["document"],
                note=form.cleaned_data["note"],
                skills=form.cleaned_data["skills"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, "Thank you: a reviewer will look at your verification.")
            return redirect("home")
    return render(request, "accounts/verification.html", {"form": form, "profile": profile})

"""Pages of the accounts stage: the annotators' verification form (their dashboard is the workspace's) and
the integrators' API access page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from . import selectors, services
from .decorators import annotator_required, api_user_required
from .forms import ApiTokenForm, VerificationForm


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


@api_user_required
def api_access(request):
    """An integrator's landing page after logging in: their tokens (create, revoke), the API docs. A new
    token's key is shown on the answer to its creation only: it is never stored."""
    form, new_key = ApiTokenForm(), None
    if request.method == "POST" and "revoke" in request.POST:
        revoked = services.api_token_revoke(user=request.user, token_id=_int(request.POST["revoke"]))
        messages.success(request, "The token was revoked: it no longer works." if revoked else "No such live token.")
        return redirect("api_access")
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _, new_key = services.api_token_create(user=request.user, **form.cleaned_data)
            form = ApiTokenForm()
    return render(request, "accounts/api_access.html",
                  {"tokens": selectors.api_tokens_of(user=request.user), "form": form, "new_key": new_key})


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0

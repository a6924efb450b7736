"""Pages of the accounts stage: the annotators' verification form (their dashboard is the workspace's) and
the integrators' API access page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from crowdlabel.edge import upload_limit

from . import selectors, services
from .decorators import annotator_required, api_user_required
from .forms import VerificationForm


@upload_limit("VERIFICATION_DOCUMENT_MAX_BYTES")  # a larger body is refused (413) before a byte is stored
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
    """An integrator's landing page after logging in: their token, a way to (re)issue it, the API docs."""
    if request.method == "POST":
        _, replaced = services.api_token_issue(user=request.user)
        messages.success(request, "A new token was issued; the previous one no longer works." if replaced
                         else "Your token was created.")
        return redirect("api_access")
    return render(request, "accounts/api_access.html", {"token": selectors.api_token_of(user=request.user)})

"""Pages of the accounts stage: the annotators' verification form (their dashboard is the workspace's) and
the integrators' API access page."""

from allauth.account import views as allauth_views
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from core.edge import upload_limit

from . import ratelimits, selectors, services
from .decorators import api_user_required, worker_profile_required
from .forms import ApiTokenForm, VerificationForm


@upload_limit("VERIFICATION_DOCUMENT_MAX_BYTES")  # a larger body is refused (413) before a byte is stored
@worker_profile_required
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
            try:
                _, new_key = services.api_token_create(user=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)  # on its field: a project of another organisation, say
            else:
                form = ApiTokenForm()
    return render(request, "accounts/api_access.html",
                  {"tokens": selectors.api_tokens_of(user=request.user), "form": form, "new_key": new_key})


def _int(value: str) -> int:
    return int(value) if value.isdigit() else 0


class LoginView(allauth_views.LoginView):
    """allauth's log-in, answering what happened: 429 with Retry-After when the account or address is locked
    (allauth re-shows the form with 200), 400 for wrong credentials."""

    def form_invalid(self, form):
        locked = any(error.code == "too_many_login_attempts" for error in form.errors.as_data().get("__all__", []))
        if locked:
            return ratelimits.login_locked_response(self.request)
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def admin_login(request, extra_context=None):
    """The admin's log-in with the same lock as the annotator pages' (accounts/ratelimits.py)."""
    if request.method != "POST":
        return admin.site.login(request, extra_context)
    usage = ratelimits.login_attempt_start(request, login=request.POST.get("username", ""))
    if usage is None:
        return ratelimits.login_locked_response(request)
    response = admin.site.login(request, extra_context)
    if response.status_code == 302 and request.user.is_authenticated:
        usage.rollback()  # a successful log-in does not count (nor wipe the failures before it)
    elif response.status_code == 200:
        response.status_code = 400  # the form again, with its error: a refused log-in never answers 200
    return response

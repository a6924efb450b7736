"""Pages of the accounts stage: the annotators' verification form (their dashboard is the workspace's) and
the integrators' API access page."""

from allauth.account import views as allauth_views
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render

from . import ratelimits, selectors, services
from .decorators import api_user_required, worker_profile_required
from .forms import VerificationForm


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
    """An integrator's landing page after logging in: their token, a way to (re)issue it, the API docs."""
    if request.method == "POST":
        _, replaced = services.api_token_issue(user=request.user)
        messages.success(request, "A new token was issued; the previous one no longer works." if replaced
                         else "Your token was created.")
        return redirect("api_access")
    return render(request, "accounts/api_access.html", {"token": selectors.api_token_of(user=request.user)})


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

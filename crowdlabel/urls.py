from csp.decorators import csp_update
from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.functional import lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from accounts import views as accounts_views

# The API docs' pages start Swagger UI and Redoc with an inline script (drf-spectacular's templates); Redoc
# runs in a worker made from a blob.
DOCS_CSP = csp_update({"script-src": ["'unsafe-inline'"], "worker-src": ["'self'", "blob:"]})

# The API's patterns by app, then the schema and its two readers. No two of them match the same path, so
# their order decides nothing (nor is it worth arranging for speed: a few dozen patterns). Below, order does
# matter once: the rate-limited log-ins stand before the admin and allauth URLs they replace.
api_patterns = [
    path("", include("tasks.api_urls")),
    path("", include("annotations.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("quality.api_urls")),
    path("", include("training.api_urls")),
    path("", include("webhooks.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", DOCS_CSP(SpectacularSwaggerView.as_view(url_name="schema")), name="api-docs"),
    path("redoc/", DOCS_CSP(SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    # The log-ins, rate-limited across every server process (accounts/ratelimits.py), before the views they wrap.
    path("admin/login/", accounts_views.admin_login, name="admin_login_limited"),
    path("admin/", admin.site.urls),
    path("accounts/login/", accounts_views.LoginView.as_view(), name="account_login"),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("annotations.urls")),
    path("", include("quality.urls")),
    # For the pages that link no icon (ReDoc, an API answer opened in a browser): browsers ask this path
    # anyway, and each miss was a "Not Found: /favicon.ico" line in the log.
    path("favicon.ico", RedirectView.as_view(url=lazy(static, str)("favicon.svg"))),
]

# JSON on /api/, and 503 while the database is away (crowdlabel/errors.py).
handler404 = "crowdlabel.errors.page_not_found"
handler500 = "crowdlabel.errors.server_error"

admin.site.site_header = "CrowdLabel administration"
admin.site.site_title = "CrowdLabel"
admin.site.index_title = "Publishing, review, workers and training"

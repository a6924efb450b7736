from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

# URLs are matched in order: the API first, and within it the assignment and submission endpoints that
# every annotator calls every few seconds.
api_patterns = [
    path("", include("tasks.api_urls")),
    path("", include("annotations.api_urls")),
    path("", include("accounts.api_urls")),
    path("", include("quality.api_urls")),
    path("", include("training.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
]

urlpatterns = [
    path("api/", include(api_patterns)),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("", include("accounts.urls")),
    path("", include("annotations.urls")),
    path("", include("quality.urls")),
]

# JSON on /api/, and 503 while the database is away (crowdlabel/errors.py).
handler404 = "crowdlabel.errors.page_not_found"
handler500 = "crowdlabel.errors.server_error"

admin.site.site_header = "CrowdLabel administration"
admin.site.site_title = "CrowdLabel"
admin.site.index_title = "Publishing, review, workers and training"

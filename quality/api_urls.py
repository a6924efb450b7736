from django.urls import path

from . import api

urlpatterns = [
    path("projects/<int:pk>/results/", api.ProjectResultsApi.as_view(), name="api-project-results"),
    path("projects/<int:pk>/quality/", api.ProjectQualityApi.as_view(), name="api-project-quality"),
]

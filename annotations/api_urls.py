from django.urls import path

from . import api

urlpatterns = [
    path("assignments/<int:pk>/submit/", api.SubmitApi.as_view(), name="api-assignment-submit"),
    path("projects/<int:pk>/annotations/", api.ProjectAnnotationsApi.as_view(), name="api-project-annotations"),
]

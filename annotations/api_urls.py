from django.urls import path

from . import api

urlpatterns = [
    path("assignments/<int:pk>/submit/", api.SubmitApi.as_view(), name="api-assignment-submit"),
    path("assignments/<int:pk>/undo/", api.UndoApi.as_view(), name="api-assignment-undo"),
    path("projects/<int:pk>/left/", api.ItemsLeftApi.as_view(), name="api-project-items-left"),
    path("projects/<int:pk>/annotations/", api.ProjectAnnotationsApi.as_view(), name="api-project-annotations"),
]

from django.urls import path

from . import api, api_feedback

urlpatterns = [
    path("projects/<int:pk>/training-runs/", api.ProjectRunsApi.as_view(), name="api-project-training-runs"),
    path("projects/<int:pk>/feedback/", api_feedback.ProjectFeedbackApi.as_view(), name="api-project-feedback"),
    path("projects/<int:pk>/predict/", api.PredictApi.as_view(), name="api-project-predict"),
    path("projects/<int:pk>/export/", api.ExportApi.as_view(), name="api-project-export"),
    path("training-runs/<int:pk>/", api.RunDetailApi.as_view(), name="api-training-run"),
    path("training-runs/<int:pk>/cancel/", api.RunCancelApi.as_view(), name="api-training-run-cancel"),
    path("projects/<int:pk>/model-versions/", api.ProjectModelVersionsApi.as_view(), name="api-project-model-versions"),
    path("model-versions/<int:pk>/", api.ModelVersionDetailApi.as_view(), name="api-model-version"),
    path("model-versions/<int:pk>/activate/", api.ModelActivateApi.as_view(), name="api-model-activate"),
    path("assignments/<int:pk>/suggestion/", api.AssignmentSuggestionApi.as_view(), name="api-assignment-suggestion"),
]

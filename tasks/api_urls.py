from django.urls import path

from . import api, api_assignments, api_practice, views

urlpatterns = [
    path("projects/", api.ProjectListApi.as_view(), name="api-projects"),
    path("projects/<int:pk>/", api.ProjectDetailApi.as_view(), name="api-project"),
    path("projects/<int:pk>/publish/", api.ProjectStatusApi.as_view(action="publish"), name="api-project-publish"),
    path("projects/<int:pk>/pause/", api.ProjectStatusApi.as_view(action="pause"), name="api-project-pause"),
    path("projects/<int:pk>/close/", api.ProjectStatusApi.as_view(action="close"), name="api-project-close"),
    path("projects/<int:pk>/statistics/", api.ProjectStatisticsApi.as_view(), name="api-project-statistics"),
    path("projects/<int:pk>/items/", api.ItemListApi.as_view(), name="api-project-items"),
    path("projects/<int:pk>/items/import/", api.ItemBulkImportApi.as_view(), name="api-project-items-import"),
    path("items/<int:pk>/media/", views.ItemMediaApi.as_view(), name="item-media"),
]

urlpatterns += [
    path("next/", api_assignments.NextAnyProjectApi.as_view(), name="api-next-any"),
    path("projects/<int:pk>/next/", api_assignments.NextInProjectApi.as_view(), name="api-project-next"),
    path("projects/<int:pk>/assignments/", api_assignments.ProjectAssignmentsApi.as_view(), name="api-project-assignments"),
    path("projects/<int:pk>/push/", api_assignments.PushBatchApi.as_view(), name="api-project-push"),
    path("assignments/<int:pk>/skip/", api_assignments.AssignmentActionApi.as_view(action="skip"), name="api-assignment-skip"),
    path("assignments/<int:pk>/release/", api_assignments.AssignmentActionApi.as_view(action="release"), name="api-assignment-release"),
]

urlpatterns += [
    path("practice/<int:pk>/answer/", api_practice.PracticeAnswerApi.as_view(), name="api-practice-answer"),
]

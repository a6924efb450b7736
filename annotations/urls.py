from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="home"),
    path("work/<int:project_id>/", views.workspace, name="workspace"),
]

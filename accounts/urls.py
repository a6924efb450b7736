from django.urls import path

from . import views

urlpatterns = [
    path("work/verification/", views.verification, name="verification"),
    path("api-access/", views.api_access, name="api_access"),
]

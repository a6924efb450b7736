from django.urls import path

from . import api

urlpatterns = [
    path("webhook-endpoints/", api.WebhookEndpointListApi.as_view(), name="api-webhook-endpoints"),
    path("webhook-endpoints/<int:pk>/", api.WebhookEndpointDetailApi.as_view(), name="api-webhook-endpoint"),
]

from django.urls import path

from . import api

urlpatterns = [
    path("me/", api.MeApi.as_view(), name="api-me"),
    path("tokens/", api.ApiTokenListApi.as_view(), name="api-tokens"),
    path("tokens/<int:pk>/", api.ApiTokenDetailApi.as_view(), name="api-token"),
]

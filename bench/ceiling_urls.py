from django.http import JsonResponse
from django.urls import include, path
from rest_framework.decorators import api_view

from tasks.models import Item


@api_view(["GET"])
def row(request, pk):
    """The ceiling: the same stack (middleware, token authentication, DRF), one row read by primary key."""
    item = Item.objects.only("pk", "data").get(pk=pk)
    return JsonResponse({"id": item.pk, "data": item.data})


urlpatterns = [path("bench/row/<int:pk>/", row), path("", include("crowdlabel.urls"))]

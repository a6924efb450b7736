"""Results for integrators: per item the accepted label, its confidence, how many answers, how decided."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from crowdlabel.pagination import StandardPagination
from tasks.models import Project

from . import selectors
from .models import ItemDecision


class ResultSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id")
    external_id = serializers.CharField(source="item.external_id")

    class Meta:
        model = ItemDecision
        fields = ["item", "external_id", "label", "confidence", "answers_count", "source", "method", "decided_at"]


class ProjectResultsApi(APIView):
    pagination_class = StandardPagination

    @extend_schema(responses=ResultSerializer(many=True))
    def get(self, request, pk):
        project = get_object_or_404(Project, pk=pk)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(selectors.project_results(project), request, view=self)
        return paginator.get_paginated_response(ResultSerializer(page, many=True).data)

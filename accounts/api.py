from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView


class MeApi(APIView):
    """Who the token belongs to: the quickest way for an integrator to check their credentials."""

    class MeOutputSerializer(serializers.Serializer):
        id = serializers.IntegerField()
        username = serializers.CharField()
        email = serializers.EmailField()
        role = serializers.CharField()

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        return Response(self.MeOutputSerializer(request.user).data)

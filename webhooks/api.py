"""The integrator API for webhook endpoints: an organisation's integrators list, register, change and remove
them. The secret that signs every delivery is shown once, in the answer to the create."""

from django.core.validators import URLValidator
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PagedListApi
from tasks.api_scoping import ScopedApi

from . import services
from .models import EventType, WebhookEndpoint

SUBSCRIBABLE = [event for event in EventType.values if event != EventType.TEST]  # a test goes to every endpoint


class WebhookEndpointSerializer(serializers.ModelSerializer):
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE),
                                   help_text="The event types sent to it; empty: every event.")

    class Meta:
        model = WebhookEndpoint
        fields = ["id", "organisation", "url", "events", "description", "is_active", "created_at"]


class WebhookEndpointCreatedSerializer(WebhookEndpointSerializer):
    secret = serializers.CharField(help_text="Verifies every delivery's signature (Standard Webhooks). Shown "
                                             "this once: keep it.")

    class Meta(WebhookEndpointSerializer.Meta):
        fields = [*WebhookEndpointSerializer.Meta.fields, "secret"]


class WebhookEndpointInputSerializer(serializers.Serializer):
    url = serializers.URLField(max_length=500, validators=[URLValidator(schemes=["http", "https"])],
                               help_text="Where the deliveries are POSTed (http or https).")
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE), required=False,
                                   max_length=len(SUBSCRIBABLE),
                                   help_text="Event types; empty or left out: every event.")
    description = serializers.CharField(max_length=200, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False, help_text="Off: nothing is sent to it.")


class WebhookEndpointCreateSerializer(WebhookEndpointInputSerializer):
    organisation = serializers.CharField(
        required=False, max_length=64,
        help_text="The slug of the organisation the endpoint belongs to; needed only by someone in several.")


class WebhookEndpointListApi(PagedListApi, ScopedApi, APIView):
    """Your organisations' webhook endpoints (GET), or a new one (POST): the answer to the POST holds the secret
    that signs its deliveries, shown this once. A token limited to one project manages none (403)."""

    @extend_schema(responses=WebhookEndpointSerializer(many=True))
    def get(self, request):
        endpoints = WebhookEndpoint.objects.filter(organisation__in=self.organisations()).select_related("organisation")
        return self.page_response(endpoints.order_by("pk"), WebhookEndpointSerializer)

    @extend_schema(request=WebhookEndpointCreateSerializer, responses={201: WebhookEndpointCreatedSerializer})
    def post(self, request):
        self.organisations()  # a project-limited token is refused before its body is looked at
        data = WebhookEndpointCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        organisation = self.organisation_for_new(fields.pop("organisation", None))
        endpoint = services.endpoint_create(organisation=organisation, **fields)
        return Response(WebhookEndpointCreatedSerializer(endpoint).data, status=status.HTTP_201_CREATED)


class WebhookEndpointDetailApi(ScopedApi, APIView):
    """One of your organisations' webhook endpoints: read, change (url, events, description, is_active; the
    secret stays) or remove it with its delivery log."""

    def endpoint_get(self, pk) -> WebhookEndpoint:
        endpoint = (WebhookEndpoint.objects.filter(pk=pk, organisation__in=self.organisations())
                    .select_related("organisation").first())
        if endpoint is None:
            raise NotFound()
        return endpoint

    @extend_schema(responses=WebhookEndpointSerializer)
    def get(self, request, pk):
        return Response(WebhookEndpointSerializer(self.endpoint_get(pk)).data)

    @extend_schema(request=WebhookEndpointInputSerializer(partial=True), responses=WebhookEndpointSerializer)
    def patch(self, request, pk):
        endpoint = self.endpoint_get(pk)
        data = WebhookEndpointInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        endpoint = services.endpoint_update(endpoint=endpoint, **data.validated_data)
        return Response(WebhookEndpointSerializer(endpoint).data)

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        services.endpoint_delete(endpoint=self.endpoint_get(pk))
        return Response(status=status.HTTP_204_NO_CONTENT)

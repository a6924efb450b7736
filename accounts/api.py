from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from core.pagination import PagedListApi

from . import selectors, services
from .models import ApiToken
from .permissions import ManagesApiTokens
from .throttles import AddressRateThrottle, TokenMintRateThrottle, TokenRateThrottle


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


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as it is listed: never its key, which is not stored (only its hash, never shown)."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "project_id", "read_only", "created_at", "last_used_at"]


class ApiTokenCreatedSerializer(ApiTokenSerializer):
    key = serializers.CharField(help_text="The token itself (`Authorization: Token <key>`). Shown this once: "
                                          "keep it; it is not stored and cannot be shown again.")

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "key"]


class ApiTokenCreateSerializer(serializers.Serializer):
    # Blank is the service's to refuse, in the words the page shows too.
    name = serializers.CharField(max_length=100, allow_blank=True,
                                 help_text="Where it is used (\"shop sync\", \"nightly export\").")
    project_id = serializers.IntegerField(
        required=False, allow_null=True, min_value=1, max_value=2**63 - 1,
        help_text="Limit it to this project of your organisations. Minted with a token limited to a project: that "
                  "project, whether named or left out.")
    read_only = serializers.BooleanField(required=False, default=False, help_text="Only reading requests.")


class ApiTokenListApi(PagedListApi, APIView):
    permission_classes = [ManagesApiTokens]
    throttle_classes = [AnonRateThrottle, TokenRateThrottle, AddressRateThrottle, TokenMintRateThrottle]

    @extend_schema(responses=ApiTokenSerializer(many=True))
    def get(self, request):
        """Your live API tokens, newest first, without their keys. Through a token limited to a project: the
        tokens limited to that project."""
        tokens = selectors.api_tokens_manageable(user=request.user, by_token=request.auth)
        return self.page_response(tokens, ApiTokenSerializer)

    @extend_schema(request=ApiTokenCreateSerializer, responses={201: ApiTokenCreatedSerializer})
    def post(self, request):
        """A new token; the answer holds its key this once. A token mints nothing broader than itself: one
        limited to a project mints only tokens limited to that project (403 for another), a read-only one
        none (403). Minting is limited per user, by default to 30 an hour (429 past it)."""
        data = ApiTokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            token, key = services.api_token_create(user=request.user, by_token=request.auth, **data.validated_data)
        except DjangoValidationError as error:
            raise ValidationError(error.message_dict) from error
        return Response({**ApiTokenSerializer(token).data, "key": key}, status=status.HTTP_201_CREATED)


class ApiTokenDetailApi(APIView):
    permission_classes = [ManagesApiTokens]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request, pk):
        """Revoke one of your live tokens: it stops working at once, the one this request carries too (to
        rotate: mint the new token, then revoke the old one). Through a token limited to a project: only the
        tokens limited to that project."""
        token = selectors.api_tokens_manageable(user=request.user, by_token=request.auth).filter(pk=pk).first()
        # Another user's token and a revoked one answer alike: the answer tells no one which ids exist.
        if token is None or not services.api_token_revoke(user=request.user, token_id=token.pk):
            raise NotFound("No such live token of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)

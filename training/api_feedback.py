"""The feedback API: the integrator's search or recommendation service posts what happened to predictions."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from accounts.throttles import AddressRateThrottle, TokenRateThrottle
from core.parsers import JSONParserTextCheckedByView
from tasks.api_scoping import ScopedApi

from . import feedback


class FeedbackRateThrottle(TokenRateThrottle):
    """Per token, at the feedback rate: a live shop posts far more often than a person uses the API."""

    scope = "feedback"


# For the API description only: the events are validated by training.feedback.FeedbackIn (fast).
class FeedbackEventSerializer(serializers.Serializer):
    """What the shop did with one prediction."""

    event_id = serializers.CharField(max_length=feedback.EVENT_ID_MAX, help_text="Yours: a replayed event is stored "
                                     "once. Printable, not blank, no whitespace at its ends.")
    model_version = serializers.IntegerField(required=False, allow_null=True, help_text="The version number.")
    item = serializers.CharField(required=False, allow_null=True, help_text="An item's external id, if it is one.")
    text = serializers.CharField(required=False, help_text="The input text (when no item is named).")
    predicted_label = serializers.CharField(max_length=200)
    confidence = serializers.FloatField(required=False, allow_null=True, min_value=0, max_value=1,
                                        help_text="A JSON number (not a string) from 0 to 1.")
    outcome = serializers.ChoiceField(choices=list(feedback.OUTCOMES))
    corrected_label = serializers.CharField(required=False, allow_null=True, help_text="Needed with corrected.")
    actor = serializers.ChoiceField(choices=list(feedback.ACTORS), default="shopper")
    occurred_at = serializers.DateTimeField(help_text="ISO 8601 with its zone (2026-05-01T12:00:00Z); at most "
                                            f"{feedback.CLOCK_SKEW.total_seconds() / 60:g} minutes ahead of the "
                                            f"server's clock, at most {feedback.MAX_AGE.days} days old.")


class ProjectFeedbackApi(ScopedApi, APIView):
    """POST {"events": [...]}: up to FEEDBACK_MAX_BATCH events. All or nothing: 400 with detail, code and
    {"errors": [{"index", "field", "message"}]} when any event is invalid; else 201 with how many were
    stored and how many were already there (their event id was seen: a replay)."""

    throttle_classes = [AnonRateThrottle, FeedbackRateThrottle, AddressRateThrottle]
    parser_classes = [JSONParserTextCheckedByView]  # the events' text is checked per event (training.feedback)

    @extend_schema(
        request=inline_serializer("FeedbackBatch", {"events": FeedbackEventSerializer(many=True)}),
        responses={201: inline_serializer("FeedbackStored", {
            "received": serializers.IntegerField(), "stored": serializers.IntegerField(),
            "duplicates": serializers.IntegerField()}),
            # The API's error shape, with each bad event's problems (a body the parser refuses has no "errors").
            400: inline_serializer("FeedbackErrors", {
                "detail": serializers.CharField(), "code": serializers.CharField(),
                "errors": serializers.ListField(child=serializers.DictField(), required=False)})})
    def post(self, request, pk):
        project = self.project_get(pk)
        events = request.data.get("events") if isinstance(request.data, dict) else None
        try:
            counts = feedback.feedback_store(project=project, events=events)
        except feedback.FeedbackInvalid as invalid:
            return Response({"detail": "Invalid feedback: nothing was stored.", "code": "invalid",
                             "errors": invalid.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(counts, status=status.HTTP_201_CREATED)

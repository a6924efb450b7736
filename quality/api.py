"""Results for integrators: per item the accepted label, its confidence, how many answers, how decided;
and per project how far those labels can be trusted (calibration, estimated accuracy, agreement)."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.pagination import PagedListApi
from tasks.api_scoping import ScopedApi

from . import selectors
from .models import CalibrationSource, ItemDecision


class ResultSerializer(serializers.ModelSerializer):
    item = serializers.IntegerField(source="item_id")
    external_id = serializers.CharField(source="item.external_id")
    confidence = serializers.FloatField(help_text=(
        "The probability that the label is right: the inference's posterior, calibrated on the project's known "
        "truth for workers whose errors go together (1 for a reviewer's decision). See /api/projects/{id}/quality/."))

    class Meta:
        model = ItemDecision
        fields = ["item", "external_id", "label", "confidence", "answers_count", "source", "method", "decided_at"]


class ProjectResultsApi(PagedListApi, ScopedApi, APIView):
    """The project's decided items: each accepted label with its confidence (the probability that it is right), how
    it was decided (inferred, by a reviewer) and from how many answers."""

    @extend_schema(responses=ResultSerializer(many=True))
    def get(self, request, pk):
        project = self.project_get(pk)
        return self.page_response(selectors.project_results(project), ResultSerializer)


class CalibrationSerializer(serializers.Serializer):
    method = serializers.CharField(help_text="The inference model chosen for the project's answers.")
    correlation = serializers.FloatField(help_text="ρ: how much workers' errors on one item go together.")
    temperature = serializers.FloatField(help_text="τ: 1 trusts the model's worker accuracies as fitted; above 1 "
                                                   "lowers every confidence.")
    lapse = serializers.FloatField(help_text="ε: the share of items whose answers mislead together, fitted on known "
                                             "truth (0 without it); no confidence exceeds about 1 - ε.")
    source = serializers.ChoiceField(choices=CalibrationSource.choices)
    source_text = serializers.CharField(help_text="'fitted on N known-truth item(s)', or the default and why.")
    known_truth = serializers.IntegerField(help_text="Known-truth items ρ was fitted on.")
    updated_at = serializers.DateTimeField()


class CountsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    correct = serializers.IntegerField()


class AccuracySerializer(serializers.Serializer):
    threshold = serializers.FloatField(help_text="The project's accept threshold.")
    count = serializers.IntegerField(help_text="Checks pooled: known-truth items at or above the threshold, sampled reviews.")
    correct = serializers.IntegerField()
    accuracy = serializers.FloatField(allow_null=True, help_text="Estimated accuracy of the accepted labels.")
    ci_low = serializers.FloatField(allow_null=True, help_text="Wilson 95% interval.")
    ci_high = serializers.FloatField(allow_null=True)
    known_truth = CountsSerializer()
    sampled = CountsSerializer()
    accepted = serializers.IntegerField(help_text="Accepted labels inferred from the answers.")
    mean_confidence = serializers.FloatField(allow_null=True, help_text="Their mean confidence.")
    confidence_vs_interval = serializers.ChoiceField(choices=["above", "inside", "below"], allow_null=True,
                                                     help_text="Where the mean confidence lies against the interval.")


class ReliabilityBinSerializer(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()
    count = serializers.IntegerField()
    correct = serializers.IntegerField()
    mean_confidence = serializers.FloatField(allow_null=True)
    accuracy = serializers.FloatField(allow_null=True)
    ci_low = serializers.FloatField(allow_null=True)
    ci_high = serializers.FloatField(allow_null=True)


class ReliabilitySerializer(serializers.Serializer):
    pairs = serializers.IntegerField(help_text="Known-truth items with an out-of-fold confidence.")
    ece = serializers.FloatField(allow_null=True, help_text="Expected calibration error over 10 equal-width bins.")
    bins = ReliabilityBinSerializer(many=True)


class ClassAgreementSerializer(serializers.Serializer):
    label = serializers.CharField()
    alpha = serializers.FloatField(allow_null=True, help_text="Alpha of the binary coding 'chose this class or not'.")
    chosen = serializers.IntegerField(help_text="Answers that chose it.")


class AgreementSerializer(serializers.Serializer):
    alpha = serializers.FloatField(allow_null=True, help_text="Krippendorff's alpha (nominal); null where undefined.")
    items = serializers.IntegerField(help_text="Non-gold items with two answers or more.")
    answers = serializers.IntegerField()
    per_class = ClassAgreementSerializer(many=True)
    skipped = serializers.CharField(allow_null=True, help_text="Why alpha was not computed (span projects).")


class ProjectQualitySerializer(serializers.Serializer):
    calibration = CalibrationSerializer(allow_null=True, help_text="Null before the project's first evaluation.")
    accuracy = AccuracySerializer()
    reliability = ReliabilitySerializer()
    agreement = AgreementSerializer()


class ProjectQualityApi(ScopedApi, APIView):
    """How far the project's accepted labels can be trusted (see quality.selectors.project_quality)."""

    @extend_schema(
        responses=ProjectQualitySerializer,
        description="The calibration of the project's confidences (method, ρ and its source), the estimated "
        "accuracy of the accepted labels with its Wilson 95% interval beside their mean confidence, the "
        "reliability diagram's bins with the expected calibration error, and Krippendorff's alpha of the "
        "crowd's answers per project and per class.",
    )
    def get(self, request, pk):
        project = self.project_get(pk)
        return Response(ProjectQualitySerializer(selectors.project_quality(project)).data)

"""The practice round for annotators: answer a practice item, learn the right answer and why."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.permissions import IsAnnotator
from core.parsers import BoundedJSONField

from . import assignment as assignment_service
from . import practice, schemas


class PracticeAnswerApi(APIView):
    """Answer a practice item (`{"answer": "Phone"}`, in the same forms as a real answer): 201 with whether
    you were right, the right answer and its explanation, and how far you are in the practice round; 200
    with the same feedback when you had answered it before; 400 for a malformed answer; 403 when you may
    not work on its project; 404 when there is no such practice item. Practice answers count toward the
    practice round only: never toward pay, scores or the item's label."""

    permission_classes = [IsAnnotator]

    class PracticeAnswerInputSerializer(serializers.Serializer):
        answer = BoundedJSONField()

    @extend_schema(request=PracticeAnswerInputSerializer, responses={201: inline_serializer("PracticeFeedback", {
        "correct": serializers.BooleanField(), "answer": serializers.JSONField(),
        "right_answer": serializers.JSONField(), "explanation": serializers.CharField(),
        "answered": serializers.IntegerField(), "required": serializers.IntegerField(),
        "created": serializers.BooleanField(),
    })})
    def post(self, request, pk):
        data = self.PracticeAnswerInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            item = practice.practice_item_for(practice_item_id=pk)
        except practice.PracticeNotFound as missing:
            raise NotFound(str(missing)) from missing
        eligibility = assignment_service.worker_eligibility(worker=request.user, project=item.project)
        if not eligibility.visible:
            raise NotFound()
        if eligibility.problem:
            raise PermissionDenied(eligibility.problem)
        try:
            feedback = practice.practice_answer_submit(
                worker=request.user, practice_item=item, answer=data.validated_data["answer"]
            )
        except schemas.SchemaError as error:
            return Response({"detail": str(error), "code": "invalid_answer"}, status=status.HTTP_400_BAD_REQUEST)
        stored = feedback.practice_answer
        return Response({
            "correct": stored.correct, "answer": stored.answer, "right_answer": feedback.right_answer,
            "explanation": feedback.explanation, "answered": feedback.answered, "required": feedback.required,
            "created": feedback.created,
        }, status=status.HTTP_201_CREATED if feedback.created else status.HTTP_200_OK)

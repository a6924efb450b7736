"""Qualification projects: workers who pass a project's gold checks are granted the qualification it awards."""

from django.db.models import Count, F, Q

from accounts import services as accounts_services
from accounts.models import QualificationGrant, User
from annotations.models import Annotation
from tasks.models import Project


def qualifications_award(*, project: Project) -> int:
    """Grant the project's qualification to every worker who answered at least `award_min_gold_checks` of its
    gold checks with at least `award_min_gold_accuracy` right (superseded answers do not count). Idempotent;
    returns how many workers were newly granted it."""
    qualification = project.awards_qualification
    if qualification is None:
        return 0
    tallies = (
        Annotation.objects.filter(project=project, is_gold=True, superseded=False)
        .exclude(worker__qualification_grants__qualification=qualification)
        .values("worker")
        .annotate(checks=Count("pk"), passed=Count("pk", filter=Q(answer=F("item__gold"))))
    )
    passing = [
        row["worker"] for row in tallies
        if row["checks"] >= project.award_min_gold_checks
        and row["passed"] >= project.award_min_gold_accuracy * row["checks"]
    ]
    if not passing:
        return 0
    return accounts_services.qualification_grant(
        qualification=qualification, workers=User.objects.filter(pk__in=passing),
        source=QualificationGrant.Source.PROJECT,
    )

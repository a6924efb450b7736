"""Decisions about items: the accepted label and how it was reached, reviews, and verification samples."""

from django.conf import settings
from django.db import models

from accounts.models import WorkerProfile
from tasks.models import Item, Project


class DecisionSource(models.TextChoices):
    INFERRED = "inferred", "Inferred from the answers"
    REVIEWER = "reviewer", "Decided by a reviewer"


class ItemDecision(models.Model):
    """The label an item ended with. A reviewer's decision counts as known truth for scoring workers."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="decision")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="decisions")
    label = models.JSONField(help_text="Canonical answer form of the project's task type.")
    confidence = models.FloatField()
    source = models.CharField(max_length=16, choices=DecisionSource.choices)
    method = models.CharField(max_length=64, help_text="The inference method, or 'reviewer'.")
    answers_count = models.PositiveSmallIntegerField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(confidence__gte=0, confidence__lte=1), name="quality_decision_confidence_0_1"),
        ]
        indexes = [models.Index(fields=["project", "source"], name="quality_decision_project")]


class Suggestion(models.Model):
    """The inferred label of an item that did not reach the threshold, shown to the reviewer."""

    item = models.OneToOneField(Item, on_delete=models.CASCADE, related_name="suggestion")
    label = models.JSONField()
    confidence = models.FloatField()
    method = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)


class ReviewAction(models.TextChoices):
    ACCEPT_SUGGESTION = "accept_suggestion", "Accepted the suggestion"
    PICK_LABEL = "pick_label", "Picked a label"
    SEND_BACK = "send_back", "Sent back for fresh annotation"


class Review(models.Model):
    """Every reviewer decision, with who and when: the history is never overwritten."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    action = models.CharField(max_length=32, choices=ReviewAction.choices)
    label = models.JSONField(null=True, blank=True)
    previous_label = models.JSONField(null=True, blank=True, help_text="The accepted label before (samples).")
    sample = models.ForeignKey("VerificationSample", null=True, blank=True, on_delete=models.SET_NULL, related_name="reviews")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]


class VerificationSample(models.Model):
    """A random sample of accepted items sent back to review: the share the reviewers confirm estimates the
    dataset's accuracy."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="verification_samples")
    items = models.ManyToManyField(Item, related_name="verification_samples")
    size = models.PositiveIntegerField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"Sample of {self.size} from {self.project} ({self.created_at:%Y-%m-%d})"


class ReviewQueueItem(Item):
    """The review queue in the admin: items in state needs_review."""

    class Meta:
        proxy = True
        verbose_name = "item to review"
        verbose_name_plural = "review queue"


class WorkerProjectQuality(models.Model):
    """A worker's estimated accuracy in one project, from the last evaluation of its answers (the
    inference method's per-worker quality, with gold answers and reviewer decisions as known truth)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="project_qualities")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="worker_qualities")
    accuracy = models.FloatField()
    answers = models.PositiveIntegerField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "worker project qualities"
        constraints = [models.UniqueConstraint(fields=["worker", "project"], name="quality_worker_project_unique")]


class CorrectionSource(models.TextChoices):
    """Who in the live shop corrected a prediction: each is one pseudo-worker of the project in inference."""

    MERCHANT = "merchant", "Merchant"
    OPERATOR = "operator", "Operator"


class CorrectionAnswer(models.Model):
    """A merchant's or an operator's correction of a prediction on an item (the live shop's feedback, which
    training turns into items): one more answer to the item, never known truth. In inference each source is a
    pseudo-worker of the project ("correction:merchant"), whose reliability the EM estimates from the items
    it shares with the crowd and with the known truth, like any worker's; it never counts as a submission, so
    alone it never completes or accepts an item. One per item and source: a later correction replaces it.
    Written only by quality.services.corrections."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="correction_answers")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    source = models.CharField(max_length=16, choices=CorrectionSource.choices)
    answer = models.JSONField(help_text="Canonical answer form of the project's task type (a label name).")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "source"], name="quality_correction_once_per_source")]

    def __str__(self):
        return f"{self.get_source_display()} says {self.answer!r} on item {self.item_id}"


class WorkerScore(models.Model):
    """One day's scores of a worker over the trailing window: the history the admin charts.

    P: accuracy on gold items and reviewer-decided items, with a Beta prior (see services.scores);
    C: agreement with the other workers on the same items, leaving the worker's own answer out;
    Q = αP + (1-α)C; W: the weight assignment uses. Recomputing the same day updates the same row."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="scores")
    as_of = models.DateField()
    window_days = models.PositiveSmallIntegerField()
    # Checks against known truth: answers to gold items and to items a reviewer decided.
    known_truth_checks = models.PositiveIntegerField()
    known_truth_correct = models.PositiveIntegerField()
    agreement_pairs = models.PositiveIntegerField()
    agreeing_pairs = models.PositiveIntegerField()
    accuracy_p = models.FloatField(help_text="P: accuracy on known truth, with the prior")
    agreement_c = models.FloatField(help_text="C")
    quality_q = models.FloatField(help_text="Q = αP + (1-α)C")
    weight_w = models.FloatField(help_text="W")
    answers = models.PositiveIntegerField()

    class Meta:
        ordering = ["-as_of"]
        constraints = [models.UniqueConstraint(fields=["worker", "as_of"], name="quality_workerscore_one_per_day")]


class FlagKind(models.TextChoices):
    TOO_FAST = "too_fast", "Answers faster than the project's minimum time"
    GOLD_STREAK = "gold_streak", "A streak of failed gold checks"
    SAME_LABEL = "same_label", "The same label regardless of the item"
    LOW_AGREEMENT = "low_agreement", "Agreement far below the crowd's"


class WorkerFlag(models.Model):
    """A suspicion raised by an anti-cheating rule. Open flags past a threshold suspend the worker."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="flags")
    kind = models.CharField(max_length=32, choices=FlagKind.choices)
    detail = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One open flag of a kind per worker: re-running the checks never piles up duplicates.
            models.UniqueConstraint(fields=["worker", "kind"], condition=models.Q(resolved_at__isnull=True),
                                    name="quality_flag_one_open_per_kind"),
        ]


class LedgerKind(models.TextChoices):
    REWARD = "reward", "Reward for an accepted annotation"
    BONUS = "bonus", "Bonus for high quality"
    PENALTY = "penalty", "Penalty for a failed gold check"


class EarningsEntry(models.Model):
    """The earnings ledger: every amount a worker earns or loses, once (unique per source)."""

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="earnings")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="earnings")
    kind = models.CharField(max_length=16, choices=LedgerKind.choices)
    annotation = models.ForeignKey("annotations.Annotation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    period = models.DateField(null=True, blank=True, help_text="For bonuses: the week they reward.")
    amount = models.DecimalField(max_digits=12, decimal_places=4)
    currency = models.CharField(max_length=3)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "earnings entries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["annotation", "kind"], condition=models.Q(annotation__isnull=False),
                                    name="quality_ledger_once_per_annotation"),
            models.UniqueConstraint(fields=["worker", "project", "kind", "period"], condition=models.Q(period__isnull=False),
                                    name="quality_ledger_once_per_period"),
        ]
        indexes = [models.Index(fields=["worker", "created_at"], name="quality_ledger_worker")]


class WorkerQuality(WorkerProfile):
    """The worker page of the admin: Q, P, C and W over time, flags, suspensions and earnings."""

    class Meta:
        proxy = True
        verbose_name = "worker quality"
        verbose_name_plural = "worker quality"


class CalibrationSource(models.TextChoices):
    KNOWN_TRUTH = "known_truth", "Fitted on this project's known truth"
    DEFAULT = "default", "The default learned on other crowds (no known truth yet)"
    NONE = "none", "Not calibrated: a voting method's vote share"


class ProjectCalibration(models.Model):
    """How the project's confidences were made honest at its last evaluation (quality/inference/calibration.py).

    `holdout` holds [confidence, correct, item id] for every known-truth item (gold answers, reviewer decisions) as
    inference saw it WITHOUT that item's truth (out-of-fold): the evidence behind the reliability diagram and
    the estimated accuracy of accepted labels. Written only by quality.services.decisions.
    """

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="calibration")
    method = models.CharField(max_length=64, help_text="The inference model chosen for this project's answers.")
    correlation = models.FloatField(help_text="ρ: how much workers' errors on one item go together (0 = independent).")
    temperature = models.FloatField(default=1.0, help_text="τ: how far the model's worker accuracies were trusted (1 = fully).")
    lapse = models.FloatField(default=0.0, help_text="ε: the share of items whose answers mislead together (a wrong "
                                                     "label most workers agree on); no confidence exceeds about 1 - ε.")
    source = models.CharField(max_length=16, choices=CalibrationSource.choices)
    known_truth = models.PositiveIntegerField(help_text="Known-truth items the calibration was fitted on.")
    holdout = models.JSONField(default=list, help_text="[confidence, correct, item id] per known-truth item, out of fold.")
    model_evidence = models.JSONField(default=dict, help_text="Held-out log-likelihood per answer of each model.")
    points = models.JSONField(default=list, help_text="[ρ, τ, ε, weight]: the calibration posterior, reused by later "
                                                      "evaluations until the known truth or its answers grow.")
    fitted_on = models.PositiveIntegerField(default=0, help_text="Known-truth items at the last full fit.")
    fitted_on_answers = models.PositiveIntegerField(default=0, help_text="Answers to those items at the last full fit.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(correlation__gte=0, correlation__lte=1),
                                   name="quality_calibration_correlation_0_1"),
        ]


class ProjectQuality(Project):
    """The project's quality page in the admin: estimated accuracy of the accepted labels beside their mean
    confidence, the calibration, the reliability diagram and the crowd's agreement."""

    class Meta:
        proxy = True
        verbose_name = "project quality"
        verbose_name_plural = "project quality"

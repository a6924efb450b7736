"""Dataset snapshots, fine-tuning runs, model versions and their predictions."""

from django.conf import settings
from django.db import models

from tasks.models import Item, Project

from . import hyperparameters


class DatasetSnapshot(models.Model):
    """A project's accepted labels frozen as a Hugging Face DatasetDict on disk, with its manifest."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="snapshots")
    folder = models.CharField(max_length=500)
    manifest = models.JSONField(default=dict)
    item_count = models.PositiveIntegerField()
    masked_personal_data = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.project} snapshot {self.created_at:%Y-%m-%d %H:%M} ({self.item_count} items)"


class LabelExport(DatasetSnapshot):
    """No table of its own: gives the export page a place in the admin's navigation, beside the snapshots."""

    class Meta:
        proxy = True
        verbose_name = "label export"
        verbose_name_plural = "export labels"


class BaseModel(models.Model):
    """A local Hugging Face model folder an admin registered: the only starting points a run may name, so no
    run reads a folder nobody vetted (and nothing is downloaded at run time). The packaged all-MiniLM-L6-v2
    is registered at install."""

    name = models.CharField(max_length=100, unique=True)
    folder = models.CharField(max_length=500, unique=True, help_text="An absolute path to a save_pretrained folder.")
    licence = models.CharField(max_length=100, blank=True)
    size_bytes = models.BigIntegerField(default=0, help_text="The folder's size on disk when registered.")
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "base model"

    def __str__(self):
        return self.name


class RunStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    CANCELLED = "cancelled", "Cancelled"


class RunTask(models.TextChoices):
    SEQUENCE = "sequence", "Sequence classification"
    TOKEN = "token", "Token classification (spans)"


FINISHED = [RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED]


class TrainingRun(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="training_runs")
    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="runs")
    base_model = models.ForeignKey(BaseModel, on_delete=models.PROTECT, related_name="runs")
    task = models.CharField(max_length=16, choices=RunTask.choices)
    epochs = models.PositiveSmallIntegerField(default=hyperparameters.EPOCHS.default)
    learning_rate = models.FloatField(default=hyperparameters.LEARNING_RATE.default)
    batch_size = models.PositiveSmallIntegerField(default=hyperparameters.BATCH_SIZE.default)
    max_length = models.PositiveSmallIntegerField(default=hyperparameters.MAX_LENGTH.default)
    seed = models.PositiveIntegerField(default=hyperparameters.SEED.default)
    device = models.CharField(max_length=16, default=hyperparameters.DEVICE_DEFAULT, help_text="auto (CUDA with mixed precision when available), cpu or cuda.")
    precision = models.CharField(max_length=8, default="auto", help_text="auto (bf16 where the GPU has it, else fp16; fp32 on CPU), fp32, bf16 or fp16.")
    precision_used = models.CharField(max_length=8, blank=True, help_text="The precision the run's processes resolved (fp32, bf16 or fp16); empty until they start.")
    device_used = models.CharField(max_length=16, blank=True, help_text="The device the run's processes resolved (cpu or cuda); empty until they start.")
    processes = models.PositiveSmallIntegerField(default=1, help_text="Processes under torchrun: GPUs, or CPU processes.")
    gradient_accumulation = models.PositiveSmallIntegerField(default=1)
    checkpoint_steps = models.PositiveIntegerField(default=0, help_text="A checkpoint and a validation every N steps; 0: every epoch.")
    early_stopping_patience = models.PositiveSmallIntegerField(default=0, help_text="Stop after N validations without a better score; 0: never.")
    history = models.JSONField(default=list, blank=True, help_text="Loss and validation figures by step, for the curves.")
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    progress_step = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    loss = models.FloatField(null=True, blank=True)
    log = models.TextField(blank=True)
    metrics = models.JSONField(default=dict, blank=True)
    cancel_requested = models.BooleanField(default=False)
    worker = models.CharField(max_length=200, blank=True, help_text="The Celery worker running it.")
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    output_dir = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress_step__lte=models.F("progress_total")) | models.Q(progress_total=0),
                                   name="training_run_progress_within_total"),
        ]

    def __str__(self):
        return f"Run {self.pk} of {self.project} ({self.status})"

    @property
    def percent(self) -> float:
        return round(100.0 * self.progress_step / self.progress_total, 1) if self.progress_total else 0.0


class ModelVersion(models.Model):
    """A succeeded run's model. One per project is active: the one the prediction API serves."""

    run = models.OneToOneField(TrainingRun, on_delete=models.CASCADE, related_name="model_version")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="model_versions")
    version = models.PositiveIntegerField()
    folder = models.CharField(max_length=500)
    task = models.CharField(max_length=16, choices=RunTask.choices)
    metrics = models.JSONField(default=dict)
    # Figures on the project's frozen evaluation set and on recent corrected feedback, and the promotion
    # decision they led to (training/promotion.py).
    evaluation = models.JSONField(default=dict, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["project", "version"], name="training_model_version_unique"),
            models.UniqueConstraint(fields=["project"], condition=models.Q(is_active=True), name="training_one_active_model"),
        ]

    def __str__(self):
        return f"{self.project} v{self.version}{' (active)' if self.is_active else ''}"


class Prediction(models.Model):
    """The active model's guess for an item: a suggestion only, never counted as a worker's vote."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="predictions")
    label = models.JSONField()
    score = models.FloatField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "model_version"], name="training_prediction_once")]


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class PreannotationJob(models.Model):
    """Pre-annotation of a project's open items by one model version, run as a Celery job in batches
    (training.predictions.preannotation_job_run): its progress and outcome, for the admin and the API."""

    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="preannotation_jobs")
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    done = models.PositiveIntegerField(default=0, help_text="Items predicted so far.")
    total = models.PositiveIntegerField(default=0, help_text="Open items to predict (known once it starts).")
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]
        constraints = [
            models.CheckConstraint(condition=models.Q(done__lte=models.F("total")), name="training_preannotation_done_within_total"),
        ]

    def __str__(self):
        return f"pre-annotation {self.pk} by v{self.version.version} ({self.state})"

    @property
    def percent(self) -> float:
        """A finished job with nothing to do is complete (100%), not stuck at 0%."""
        if not self.total:
            return 100.0 if self.state == JobState.DONE else 0.0
        return round(100.0 * self.done / self.total, 1)


class TrainingPolicy(models.Model):
    """When the beat job launches a run by itself: after this many newly accepted labels."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="training_policy")
    enabled = models.BooleanField(default=False)
    min_new_labels = models.PositiveIntegerField(default=500)
    epochs = models.PositiveSmallIntegerField(default=hyperparameters.EPOCHS.default)

    class Meta:
        verbose_name_plural = "training policies"


# --- Feedback from the live system (training/feedback.py) ------------------------------------------

class FeedbackOutcome(models.IntegerChoices):
    """What happened to a prediction, as a small integer (a row per event: millions of rows)."""

    CLICKED = 1, "clicked"
    BOUGHT = 2, "bought"
    IGNORED = 3, "ignored"
    REPORTED_WRONG = 4, "reported_wrong"
    CORRECTED = 5, "corrected"


class FeedbackActor(models.IntegerChoices):
    SHOPPER = 1, "shopper"
    MERCHANT = 2, "merchant"
    OPERATOR = 3, "operator"


class FeedbackEvent(models.Model):
    """One event the integrator's service posted about a prediction. Idempotent by the caller's event id
    (the constraint: a replayed batch stores nothing twice). Stored compactly: small integers for the
    outcome and actor, the model version and item as ids, the text only when no item is named."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    event_id = models.CharField(max_length=100)
    model_version = models.ForeignKey(ModelVersion, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+", db_index=False)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False)
    text = models.TextField(blank=True)
    predicted_label = models.CharField(max_length=200)
    confidence = models.FloatField(null=True, blank=True)
    outcome = models.PositiveSmallIntegerField(choices=FeedbackOutcome.choices)
    corrected_label = models.CharField(max_length=200, blank=True)
    actor = models.PositiveSmallIntegerField(choices=FeedbackActor.choices, default=FeedbackActor.SHOPPER)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    # Looked at by the rules (training.feedback.feedback_to_items): never looked at twice.
    processed = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "event_id"], name="training_feedback_event_once"),
            models.CheckConstraint(condition=~models.Q(outcome=FeedbackOutcome.CORRECTED) | ~models.Q(corrected_label=""),
                                   name="training_feedback_corrected_has_label"),
            models.CheckConstraint(condition=models.Q(confidence__isnull=True) | models.Q(confidence__gte=0, confidence__lte=1),
                                   name="training_feedback_confidence_0_1"),
        ]
        indexes = [models.Index(fields=["project", "id"], condition=models.Q(processed=False),
                                name="training_feedback_unprocessed")]

    def __str__(self):
        return f"{self.project_id}:{self.event_id} ({self.get_outcome_display()})"


class FeedbackPolicy(models.Model):
    """Which feedback becomes work for the crowd, and when a new model version may replace the active one."""

    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="feedback_policy")
    enabled = models.BooleanField(default=True, help_text="Turn feedback into new items (periodic job).")
    take_reported_wrong = models.BooleanField(default=True)
    take_corrected = models.BooleanField(default=True)
    low_confidence_below = models.FloatField(default=0.0, help_text="Predictions below this confidence become "
                                             "items too (0: none).")
    take_implicit_disagreement = models.BooleanField(
        default=True, help_text="A prediction whose shoppers mostly ignore it (at least `min_signals` events, "
        "more ignored than clicked or bought) becomes an item.")
    min_signals = models.PositiveSmallIntegerField(default=5)
    corrections_as_answers = models.BooleanField(
        default=True, help_text="A merchant's or an operator's correction counts as one more answer to its item, "
        "from a pseudo-worker per source whose reliability truth inference estimates like any worker's (never "
        "as the truth). Off: corrections only make items.")
    promotion_margin = models.FloatField(default=0.01, help_text="A new version becomes active by itself only if "
                                         "its figure on the frozen evaluation set beats the active one's by this much.")
    auto_promote = models.BooleanField(default=True)

    class Meta:
        verbose_name_plural = "feedback policies"
        constraints = [
            models.CheckConstraint(condition=models.Q(low_confidence_below__gte=0, low_confidence_below__lte=1),
                                   name="training_feedback_policy_confidence_0_1"),
        ]

    def __str__(self):
        return f"Feedback policy of {self.project}"

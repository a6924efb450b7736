"""Projects and their items: what an admin publishes for the crowd, and each thing to label."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organisation, Qualification, Skill


class TaskType(models.TextChoices):
    SINGLE_LABEL = "single_label", "Single-label classification"
    MULTI_LABEL = "multi_label", "Multi-label classification"
    SPAN = "span", "Span labelling on text (NER)"
    PAIRWISE = "pairwise", "Pairwise matching"
    IMAGE = "image", "Image classification"
    AUDIO = "audio", "Audio classification"


class ProjectStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    PAUSED = "paused", "Paused"
    CLOSED = "closed", "Closed"


class AssignmentStrategy(models.TextChoices):
    RANDOM = "random", "Random"
    WEIGHTED = "weighted", "Weighted by worker quality (T_i = W_i / ΣW_j)"


class ItemOrder(models.TextChoices):
    BREADTH_FIRST = "breadth_first", "Finish items being collected first"
    RANDOM = "random", "Random"
    UNCERTAINTY = "uncertainty", "Most uncertain for the active model first (active learning)"


class ProjectQuerySet(models.QuerySet):
    def handing_out_work(self, now=None):
        """Only published projects before their deadline hand out work."""
        now = now or timezone.now()
        return self.filter(status=ProjectStatus.PUBLISHED).filter(
            models.Q(deadline__isnull=True) | models.Q(deadline__gt=now)
        )


class Project(models.Model):
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    instructions = models.TextField(blank=True, help_text="Markdown; rendered safely for annotators.")
    task_type = models.CharField(max_length=16, choices=TaskType.choices)
    label_schema = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"labels": [{"name": "...", "description": "", "color": "#1f77b4", "shortcut": "1"}]}',
    )
    item_fields = models.JSONField(
        default=list, blank=True, help_text="The text fields each item carries, e.g. [\"title\", \"description\"]."
    )
    difficulty = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(5)])
    deadline = models.DateTimeField(null=True, blank=True)
    reward_amount = models.DecimalField(max_digits=10, decimal_places=4, default=Decimal("0"))
    reward_currency = models.CharField(max_length=3, default="USD")
    reward_scales_with_difficulty = models.BooleanField(default=False)
    overlap = models.PositiveSmallIntegerField(default=3, help_text="Annotations wanted per item.")
    max_overlap = models.PositiveSmallIntegerField(default=5, help_text="The most annotations an item may get.")
    gold_share = models.FloatField(default=0.05, help_text="Share of gold checks among the items handed out.")
    alpha = models.FloatField(default=0.6, help_text="α in Q = αP + (1-α)C.")
    accept_confidence = models.FloatField(
        default=0.9, help_text="An item whose inferred label reaches this confidence is accepted."
    )
    adaptive_overlap = models.BooleanField(
        default=False, help_text="Stop collecting early when the first answers already agree with high confidence."
    )
    early_stop_confidence = models.FloatField(
        default=0.98, help_text="With adaptive overlap: accept after two answers at this confidence."
    )
    verified_only = models.BooleanField(default=True, help_text="Only verified annotators may work on it.")
    min_weight = models.FloatField(default=0.0, help_text="Workers below this weight W_i get no work.")
    required_skills = models.ManyToManyField(Skill, blank=True, related_name="projects")
    # Who the project is open to: every (verified) annotator when both are empty, else the members of the
    # group and the holders of the qualification. PROTECT: deleting the group must never open the project.
    pool_group = models.ForeignKey(
        "auth.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        help_text="Only annotators in this group may work on it (with the qualification below: either is enough).",
    )
    pool_qualification = models.ForeignKey(
        Qualification, null=True, blank=True, on_delete=models.PROTECT, related_name="pool_projects",
        help_text="Only annotators holding this qualification may work on it.",
    )
    awards_qualification = models.ForeignKey(
        Qualification, null=True, blank=True, on_delete=models.SET_NULL, related_name="awarding_projects",
        help_text="A qualification project: workers who pass its gold checks are granted this qualification.",
    )
    award_min_gold_checks = models.PositiveSmallIntegerField(
        default=5, help_text="Gold checks a worker answers in this project before the qualification can be awarded."
    )
    award_min_gold_accuracy = models.FloatField(
        default=0.8, help_text="Share of those gold checks a worker must get right to be awarded the qualification."
    )
    lease_minutes = models.PositiveSmallIntegerField(default=10, help_text="An assignment expires after this.")
    min_seconds = models.FloatField(
        default=2.0, help_text="Answers faster than this are suspicious (anti-cheating: too fast to have read the item)."
    )
    assignment_strategy = models.CharField(
        max_length=16, choices=AssignmentStrategy.choices, default=AssignmentStrategy.WEIGHTED
    )
    item_order = models.CharField(max_length=16, choices=ItemOrder.choices, default=ItemOrder.BREADTH_FIRST)
    show_model_suggestions = models.BooleanField(
        default=False, help_text="Show annotators the active model's guess (a suggestion only, never a vote)."
    )
    practice_required = models.PositiveSmallIntegerField(
        default=0, blank=True, help_text="Practice items each worker answers before real work (0: no practice round). "
        "They see the right answer and its explanation after each one. Add them under Tasks › Practice items.",
    )
    status = models.CharField(max_length=16, choices=ProjectStatus.choices, default=ProjectStatus.DRAFT, db_index=True)
    # The tenancy unit: the project's items, answers, runs, models and exports belong to it through the project.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="projects")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(overlap__gte=1), name="tasks_project_overlap_gte_1"),
            models.CheckConstraint(condition=models.Q(max_overlap__gte=models.F("overlap")), name="tasks_project_max_overlap_gte_overlap"),
            models.CheckConstraint(condition=models.Q(gold_share__gte=0, gold_share__lte=1), name="tasks_project_gold_share_0_1"),
            models.CheckConstraint(condition=models.Q(alpha__gte=0, alpha__lte=1), name="tasks_project_alpha_0_1"),
            models.CheckConstraint(
                condition=models.Q(accept_confidence__gte=0, accept_confidence__lte=1, early_stop_confidence__gte=0,
                                   early_stop_confidence__lte=1),
                name="tasks_project_confidences_0_1",
            ),
            models.CheckConstraint(condition=models.Q(difficulty__gte=1, difficulty__lte=5), name="tasks_project_difficulty_1_5"),
            models.CheckConstraint(condition=models.Q(reward_amount__gte=0), name="tasks_project_reward_gte_0"),
            models.CheckConstraint(condition=models.Q(lease_minutes__gte=1), name="tasks_project_lease_gte_1"),
            models.CheckConstraint(
                condition=models.Q(award_min_gold_accuracy__gte=0, award_min_gold_accuracy__lte=1),
                name="tasks_project_award_accuracy_0_1",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_restricted(self) -> bool:
        """Open to a named pool only (a group or a qualification), not to every annotator."""
        return bool(self.pool_group_id or self.pool_qualification_id)

    @property
    def labels(self) -> list[dict]:
        return list((self.label_schema or {}).get("labels", []))

    @property
    def label_names(self) -> list[str]:
        return [label["name"] for label in self.labels]


class ItemState(models.TextChoices):
    OPEN = "open", "Open"
    COLLECTING = "collecting", "Collecting answers"
    NEEDS_REVIEW = "needs_review", "Needs review"
    ACCEPTED = "accepted", "Accepted"


def item_media_path(item, filename):
    return f"items/{item.project_id}/{filename}"


class ItemSource(models.TextChoices):
    IMPORT = "import", "Imported"
    FEEDBACK = "feedback", "Feedback from the live system"


class Item(models.Model):
    """One thing to label. `data` holds its fields (texts, an image or audio URL, or two records);
    `gold` the known answer when it is a gold check, never sent to annotators."""

    # No index of its own: the unique (project, external_id) index serves every lookup by project.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="items", db_index=False)
    external_id = models.CharField(max_length=255)
    data = models.JSONField()
    media = models.FileField(upload_to=item_media_path, blank=True, help_text="An uploaded image or audio clip.")
    content_hash = models.CharField(max_length=64, help_text="Hash of the normalised data: finds exact duplicates.")
    is_gold = models.BooleanField(default=False)
    gold = models.JSONField(null=True, blank=True)
    gold_explanation = models.TextField(blank=True)
    state = models.CharField(max_length=16, choices=ItemState.choices, default=ItemState.OPEN)
    # Slots still to hand out: starts at the project's overlap, taken by a claim, given back by a skip or
    # an expired lease, raised by quality when an item needs more answers. Changed only by conditional
    # UPDATEs in the database, so two annotators can never take the last slot twice.
    open_slots = models.PositiveSmallIntegerField(default=3)
    submitted_count = models.PositiveSmallIntegerField(default=0)
    # 1 - the active model's top probability, written by pre-annotation; orders work for active learning.
    # -1 until a model has scored the item, so unscored items sort last without NULLS LAST (SQLite lacks it).
    model_uncertainty = models.FloatField(default=-1.0)
    # Where the item came from; feedback items (the live shop's complaints) are handed out before the rest:
    # every claim orders by priority first, whatever the project's item order.
    source = models.CharField(max_length=16, choices=ItemSource.choices, default=ItemSource.IMPORT)
    priority = models.SmallIntegerField(default=0, help_text="Higher first: feedback items jump the queue.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # Re-importing the same external id updates the item; it can never be duplicated.
            models.UniqueConstraint(fields=["project", "external_id"], name="tasks_item_unique_external_id"),
            models.CheckConstraint(
                condition=models.Q(is_gold=True, gold__isnull=False) | models.Q(is_gold=False, gold__isnull=True),
                name="tasks_item_is_gold_iff_gold",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "content_hash"], name="tasks_item_content_hash"),
            models.Index(fields=["project", "state", "is_gold"], name="tasks_item_project_state"),
            # "What next?" reads only items with a free slot, fewest free slots first: a partial index keeps
            # that fast however many items are already full or decided.
            models.Index(
                fields=["project", "is_gold", "-priority", "open_slots", "id"],
                condition=models.Q(open_slots__gt=0, state__in=["open", "collecting"]),
                name="tasks_item_claimable_p",
            ),
            models.Index(
                fields=["project", "is_gold", "-priority", "-model_uncertainty", "id"],
                condition=models.Q(open_slots__gt=0, state__in=["open", "collecting"]),
                name="tasks_item_uncertain_first_p",
            ),
            # Gold checks are drawn from a random id onward: the gold items in id order. Gold items are few
            # and their rows rarely change, so this index costs next to nothing to keep.
            models.Index(
                fields=["project", "id"],
                condition=models.Q(is_gold=True, open_slots__gt=0, state__in=["open", "collecting"]),
                name="tasks_item_gold_by_id",
            ),
        ]

    def media_url(self) -> str | None:
        """Where the uploaded file is served, to those allowed to see it (tasks.views.item_media): never a
        public /media/ path."""
        return reverse("item-media", args=[self.pk]) if self.media else None

    def __str__(self):
        return f"{self.project_id}:{self.external_id}"


class AssignmentState(models.TextChoices):
    QUEUED = "queued", "Queued for the worker (pushed by an admin)"
    LIVE = "live", "Live"
    SUBMITTED = "submitted", "Submitted"
    SKIPPED = "skipped", "Skipped"
    EXPIRED = "expired", "Expired"
    RELEASED = "released", "Released"


# States in which an assignment holds one of the item's slots.
HOLDING_STATES = [AssignmentState.QUEUED, AssignmentState.LIVE]
# States after which the worker must never get the item again.
SEEN_STATES = [AssignmentState.QUEUED, AssignmentState.LIVE, AssignmentState.SUBMITTED, AssignmentState.SKIPPED]


class Assignment(models.Model):
    """One worker's lease on one slot of one item. "Has this worker seen this item?" is answered here."""

    # No single-column indexes on project and worker: the indexes below lead with them, and every index
    # costs a write on each claim and each answer.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="assignments", db_index=False)
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="assignments")
    worker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="assignments", db_index=False
    )
    state = models.CharField(max_length=16, choices=AssignmentState.choices, default=AssignmentState.LIVE)
    is_gold = models.BooleanField(default=False)
    pushed = models.BooleanField(default=False, help_text="Handed out by an admin's batch push.")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # The last line of defence under concurrency: a worker holds or answers an item at most once,
            models.UniqueConstraint(
                fields=["item", "worker"], condition=models.Q(state__in=SEEN_STATES), name="tasks_assignment_once_per_worker"
            ),
            # and works on one item of a project at a time.
            models.UniqueConstraint(
                fields=["worker", "project"], condition=models.Q(state="live"), name="tasks_assignment_one_live_per_project"
            ),
            models.CheckConstraint(
                condition=~models.Q(state="live") | models.Q(expires_at__isnull=False, started_at__isnull=False),
                name="tasks_assignment_live_has_lease",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "state", "expires_at"], name="tasks_assignment_expiry"),
            models.Index(fields=["worker", "project", "state"], name="tasks_assignment_worker"),
            # "Does this worker hold anything here?", asked on every request for work: a tiny index.
            models.Index(
                fields=["worker", "project"], condition=models.Q(state__in=HOLDING_STATES), name="tasks_assignment_holding"
            ),
            models.Index(fields=["project", "created_at"], name="tasks_assignment_recent"),
        ]

    def __str__(self):
        return f"{self.worker_id} on {self.item_id} ({self.state})"


class PracticeItem(models.Model):
    """A training item: its right answer and explanation are shown to the worker after they answer it.

    A table of its own, not an Item with a flag: every query that reads items (assignment, progress, truth
    inference, datasets, exports, the results API) then leaves practice out by construction, and a gold
    check (whose answer must stay secret) can never be mistaken for one (whose answer is shown)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="practice_items", db_index=False)
    external_id = models.CharField(max_length=255)
    data = models.JSONField(help_text='The item\'s fields, as for a real item, e.g. {"title": "iPhone 8"}.')
    answer = models.JSONField(help_text='The right answer in the project\'s answer form, e.g. "Phone" or ["A", "B"].')
    explanation = models.TextField(blank=True, help_text="Why that answer is right: shown after the worker answers.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="tasks_practiceitem_unique_external_id"),
        ]

    def __str__(self):
        return f"{self.project_id}:practice:{self.external_id}"


class PracticeAnswer(models.Model):
    """One worker's answer to one practice item. Never an Annotation: it counts toward nothing but the
    practice round (no item decision, no worker score, no dataset)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+", db_index=False)
    practice_item = models.ForeignKey(PracticeItem, on_delete=models.CASCADE, related_name="answers")
    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    answer = models.JSONField()
    correct = models.BooleanField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            # A retried answer finds the first one: the round counts each practice item once.
            models.UniqueConstraint(fields=["practice_item", "worker"], name="tasks_practiceanswer_once_per_worker"),
        ]
        # "How many has this worker practised here?", asked on each request for work in a project with a round.
        indexes = [models.Index(fields=["worker", "project"], name="tasks_practiceanswer_worker")]

    def __str__(self):
        return f"{self.worker_id} on practice {self.practice_item_id}"


class ImportJobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed: nothing imported"


class ImportJob(models.Model):
    """A file import run in the background (tasks.importing.jobs): the upload is staged on disk, then a Celery
    task validates and stores it all or nothing. Live progress is in the cache while it runs (the store pass is
    one transaction, so a row written inside it would show nothing until the end); the outcome is here."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="import_jobs")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    state = models.CharField(max_length=16, choices=ImportJobState.choices, default=ImportJobState.QUEUED)
    filename = models.CharField(max_length=255)
    staged = models.CharField(max_length=32, help_text="The staged upload's token (tasks.importing.staging).")
    options = models.JSONField(default=dict, help_text="file_format, mapping, delimiter, encoding.")
    rows_total = models.PositiveIntegerField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True)
    errors = models.JSONField(default=list, help_text="[{line, reason}], at most MAX_LISTED_ERRORS.")
    error_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-pk"]

    def __str__(self):
        return f"import {self.pk} of {self.filename} ({self.state})"

from collections import Counter

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.html import format_html

from tasks.admin_scoping import OrganisationScopedAdmin, ProjectPickerForm
from training import hyperparameters as hp
from training import selectors, services
from training.models import FINISHED, BaseModel, RunStatus, TrainingRun

from training.ml.checkpoints import checkpoint_step, checkpoints_in

from .charts import curves_svg
from .display import NarrowListColumns, admin_link, headline_text, metrics_table, run_progress

# The run's page reloads itself this often while the run is queued or running (progress is written at most
# once a second).
REFRESH_SECONDS = 3


class LaunchForm(ProjectPickerForm):
    epochs = forms.IntegerField(**hp.EPOCHS.bounds(), initial=hp.EPOCHS.default)
    learning_rate = forms.FloatField(**hp.LEARNING_RATE.bounds(), initial=hp.LEARNING_RATE.default)
    batch_size = forms.IntegerField(**hp.BATCH_SIZE.bounds(), initial=hp.BATCH_SIZE.default)
    max_length = forms.IntegerField(**hp.MAX_LENGTH.bounds(), initial=hp.MAX_LENGTH.default)
    seed = forms.IntegerField(**hp.SEED.bounds(), initial=hp.SEED.default)
    device = forms.ChoiceField(choices=list(hp.DEVICES.items()), initial=hp.DEVICE_DEFAULT)
    base_model = forms.ModelChoiceField(queryset=BaseModel.objects.all(), required=False,
                                        help_text="A registered base model; empty = the packaged all-MiniLM-L6-v2.")
    # The Trainer engine's settings: left empty, a run takes the model's defaults.
    precision = forms.ChoiceField(choices=[(p, p) for p in services.PRECISIONS], initial="auto", required=False)
    processes = forms.IntegerField(min_value=1, max_value=64, initial=1, required=False, help_text="GPUs, or CPU processes, under torchrun.")
    gradient_accumulation = forms.IntegerField(min_value=1, max_value=256, initial=1, required=False)
    checkpoint_steps = forms.IntegerField(min_value=0, initial=0, required=False, help_text="0: a checkpoint every epoch.")
    early_stopping_patience = forms.IntegerField(min_value=0, max_value=100, initial=0, required=False, help_text="0: never stop early.")


def _cancel_outcome(run) -> str:
    """What a cancel did to this run, for the admin's message: a run past its last step evaluates and exports
    to the end (cancel is checked between steps), which the admin must not read as stopped."""
    if run.status == RunStatus.CANCELLED:
        return "cancelled"
    if run.status != RunStatus.RUNNING:
        return f"already {run.get_status_display().lower()}, left as they were"
    if run.progress_total and run.progress_step >= run.progress_total:
        return "past their last step, evaluating and exporting: they end as they are"
    return "asked to stop at their next step"


@admin.register(TrainingRun)
class TrainingRunAdmin(NarrowListColumns, OrganisationScopedAdmin, admin.ModelAdmin):
    # What tells runs apart at a glance, fitting 1280 px beside the admin's sidebar and the filters; the task
    # (a filter), the loss and the device are on the run's page.
    list_display = ["run_label", "project_title", "state", "test_score", "produced_version", "created"]
    list_filter = ["status", "task", "project"]
    list_select_related = ["project", "model_version", "base_model"]
    actions = ["cancel", "resume"]
    fields = ["project", "snapshot", "task", "status", "progress", "loss_rounded", "produced_version", "curves",
              "figures", "checkpoints", "base_model", "epochs", "learning_rate", "batch_size", "max_length", "seed",
              "device_text", "precision_text", "processes", "gradient_accumulation", "checkpoint_steps", "early_stopping_patience",
              "worker",
              "heartbeat", "created_by", "created_at", "started_at", "finished_at", "output_dir", "log"]
    readonly_fields = fields

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Run", ordering="pk")
    def run_label(self, run):
        return f"Run {run.pk}"  # __str__ repeats the project and the status, columns of their own here

    @admin.display(description="Status", ordering="status")
    def state(self, run):
        """The status, and how far the run got unless it succeeded (run_progress's words in the bar's tooltip)."""
        if run.status == RunStatus.SUCCEEDED:
            return run.get_status_display()
        return format_html("{}<br>{}", run.get_status_display(),
                           run_progress(run, self._resume_at(run), compact=True))

    @admin.display(description="Progress")
    def progress(self, run):
        return run_progress(run, self._resume_at(run))

    @staticmethod
    def _resume_at(run):
        # the checkpoints are looked up (a glob of the run's folder) only where the text may name them
        names_resume = run.status in (RunStatus.QUEUED, RunStatus.FAILED) or not run.progress_total
        return selectors.resume_step(run) if names_resume else None

    @admin.display(description="Device")
    def device_text(self, run):  # not the field itself: its help text would repeat "auto" after the value
        return selectors.run_device(run)

    @admin.display(description="Precision")
    def precision_text(self, run):
        return selectors.run_precision(run)

    @admin.display(description="Loss", ordering="loss")
    def loss_rounded(self, run):
        return "—" if run.loss is None else f"{run.loss:.3f}"

    @admin.display(description="Test score")
    def test_score(self, run):
        return headline_text(run.task, (run.metrics or {}).get("metrics", {}))

    @admin.display(description="Model version")
    def produced_version(self, run):
        version = getattr(run, "model_version", None)  # the reverse one-to-one raises when there is none
        return admin_link(version, f"v{version.version}") if version else "—"

    @admin.display(description="Heartbeat")
    def heartbeat(self, run):
        """When the run last showed life, and when it counts as stalled: failed, then resumable."""
        if run.heartbeat_at is None:
            return "—"
        beat = f"{timezone.localtime(run.heartbeat_at):%H:%M:%S}"
        limit = settings.TRAINING_STALL_SECONDS
        if run.status != RunStatus.RUNNING:
            return beat
        if run.heartbeat_at < selectors.stall_cutoff():
            return (f"No heartbeat since {beat}, more than {limit} s ago: the run is stalled (its worker died or "
                    "hangs). The periodic stall check marks it failed at its next pass; then it can be resumed.")
        silent = (timezone.now() - run.heartbeat_at).total_seconds()
        if silent > 2 * services.HEARTBEAT_SECONDS:  # a missed beat: say so before the limit, not only after it
            fails_at = timezone.localtime(selectors.stalls_at(run.heartbeat_at))
            return (f"No heartbeat since {beat} ({silent:.0f} s; a live run beats at least every "
                    f"{services.HEARTBEAT_SECONDS} s): its worker may have died. With none by {fails_at:%H:%M:%S} "
                    "the run is marked failed, then it can be resumed.")
        return (f"{beat}. Its worker beats at least every {services.HEARTBEAT_SECONDS} s while the run's processes "
                f"live; after {limit} s without one the run is marked failed, then it can be resumed.")

    @admin.display(description="Figures")
    def figures(self, run):
        return metrics_table((run.metrics or {}).get("metrics", {}))

    @admin.display(description="Curves")
    def curves(self, run):
        return curves_svg(run.history, run.progress_total)

    @admin.display(description="Checkpoints")
    def checkpoints(self, run):
        """The complete checkpoints in the run's folder (Trainer keeps the last few and the best)."""
        found = checkpoints_in(selectors.run_folder(run))
        return ", ".join(f"step {checkpoint_step(path)}" for path in found) or "—"

    @admin.action(description="Resume the selected failed runs from their last checkpoint")
    def resume(self, request, queryset):
        resumed = 0
        for run in queryset:
            try:
                services.training_run_resume(run=run)
                resumed += 1
            except services.TrainingError as error:
                self.message_user(request, str(error), messages.WARNING)
        self.message_user(request, f"Queued {resumed} run(s) again.", messages.SUCCESS)

    @admin.action(description="Cancel the selected runs")
    def cancel(self, request, queryset):
        outcomes = Counter(_cancel_outcome(services.training_run_cancel(run=run)) for run in queryset)
        self.message_user(request, "; ".join(f"{count} run(s) {said}" for said, count in outcomes.items()) + ".",
                          messages.SUCCESS)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        run = self.get_queryset(request).filter(pk=object_id).first()
        offered = self._run_page_actions(request, run)
        if request.method == "POST" and request.POST.get("run_action") in offered:
            # the list's own action on this one run, so the same permissions and messages; then back here
            func, _name, _description = self.get_actions(request)[request.POST["run_action"]]
            func(self, request, self.get_queryset(request).filter(pk=run.pk))
            return redirect("admin:training_trainingrun_change", run.pk)
        running = run is not None and run.status not in FINISHED
        extra_context = {**(extra_context or {}), "refresh_seconds": REFRESH_SECONDS if running else None,
                         "run_actions": offered}
        return super().change_view(request, object_id, form_url, extra_context)

    def _run_page_actions(self, request, run) -> dict:
        """{action: (button text, its tooltip)} the run's page offers: cancel while it runs, resume once it failed.
        The texts are short: the buttons stand beside History on one line, on a phone too."""
        if run is None:
            return {}
        if run.status in FINISHED and run.status != RunStatus.FAILED:
            return {}
        if run.status == RunStatus.FAILED:
            step = selectors.resume_step(run)
            offer = {"resume": (f"Resume from step {step}", "Queue it again; it goes on from its "
                                "last complete checkpoint.") if step
                     else ("Start again", "No checkpoint was saved: it trains again from the start.")}
        else:
            offer = {"cancel": ("Cancel run", "It stops at its next step; a cancelled run is not resumed.")}
        allowed = self.get_actions(request)
        return {name: text for name, text in offer.items() if name in allowed}

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = LaunchForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
            project = data.pop("project")
            try:
                run = services.training_run_launch(project=project, created_by=request.user, **data)
            except services.TrainingError as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, f"Queued {run}; this page follows its progress.", messages.SUCCESS)
                return redirect("admin:training_trainingrun_change", run.pk)
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": "Launch a fine-tuning run"}
        return TemplateResponse(request, "admin/training/launch.html", context)


class BaseModelForm(forms.ModelForm):
    class Meta:
        model = BaseModel
        fields = ["name", "folder", "licence", "notes"]

    def clean_folder(self):
        if self.instance.pk:
            return self.instance.folder
        try:
            return str(services.base_model_folder_checked(self.cleaned_data["folder"]))
        except services.TrainingError as error:
            raise forms.ValidationError(str(error)) from error


@admin.register(BaseModel)
class BaseModelAdmin(admin.ModelAdmin):
    """Registering checks the folder through the service (an absolute path holding config.json, `..` resolved);
    afterwards only the name, licence and notes change."""

    form = BaseModelForm
    list_display = ["name", "licence", "size", "folder", "created_at"]
    search_fields = ["name", "folder"]

    def get_readonly_fields(self, request, obj=None):
        return ["folder", "size"] if obj else ["size"]

    @admin.display(description="Size")
    def size(self, base):
        if base.pk is None:  # the add form: nothing measured yet, not "0.0 MB"
            return "measured when registered"
        return f"{base.size_bytes / 1e6:.1f} MB"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created = services.base_model_register(name=obj.name, folder=obj.folder, licence=obj.licence, notes=obj.notes)
        obj.pk, obj.folder, obj.size_bytes = created.pk, created.folder, created.size_bytes

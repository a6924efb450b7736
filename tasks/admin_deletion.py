"""The project admin's delete: counted on the confirmation page and done in batches in the background
(tasks/deletion.py), because Django's own loads the whole cascade in memory, twice (to list it, then to delete)."""

from collections import Counter

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse

from . import deletion

# The project's own rows the confirmation page counts, and the permission each needs beside delete_project
# (as Django asks for every model the cascade reaches).
COUNTED_PERMISSIONS = {"items": "tasks.delete_item", "assignments": "tasks.delete_assignment",
                       "practice items": "tasks.delete_practiceitem", "import jobs": "tasks.delete_importjob"}


class ProjectDeletionAdminMixin:
    def get_deleted_objects(self, objs, request):
        summary = Counter()
        for project in objs:
            summary.update(deletion.project_deletion_summary(project))
        counted = {name: count for name, count in summary.items() if count}
        perms_needed = {name for name in counted if not request.user.has_perm(COUNTED_PERMISSIONS[name])}
        listed = [f"{project} (with its answers, decisions, reviews, runs and models)" for project in objs]
        return listed, counted, perms_needed, []

    def delete_model(self, request, obj):
        deletion.project_delete_start(project_id=obj.pk)

    def delete_queryset(self, request, queryset):
        for project_id in queryset.values_list("pk", flat=True):
            deletion.project_delete_start(project_id=project_id)
        self.message_user(request, "Closed; their items, answers and results are deleted in the background, a "
                                   "batch at a time, and the projects leave this list when that is done.",
                          messages.INFO)

    def response_delete(self, request, obj_display, obj_id):
        self.message_user(request, f"“{obj_display}” is closed and being deleted in the background, a batch of "
                                   "items at a time; it leaves this list when that is done.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:tasks_project_changelist"))

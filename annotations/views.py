"""The annotator workspace: the dashboard and one labelling page per project."""

from csp.decorators import csp_update
from django.http import Http404
from django.shortcuts import get_object_or_404, render

from accounts.decorators import annotator_required, integrators_to_api_access
from tasks.assignment import projects_open_to, worker_eligibility
from tasks.models import Project
from tasks.rendering import instructions_html
from tasks.selectors import projects_with_progress, percent_done

from . import selectors


@integrators_to_api_access
@annotator_required
def dashboard(request):
    profile = getattr(request.user, "worker_profile", None)
    open_ids = [p.pk for p in projects_open_to(request.user)] if profile else []
    projects = list(projects_with_progress(Project.objects.filter(pk__in=open_ids)).order_by("-reward_amount", "pk"))
    mine = selectors.worker_project_counts(worker=request.user)
    for project in projects:
        project.percent_done = percent_done(project)
        project.my_answers = mine.get(project.pk, 0)
        project.items_left = selectors.items_left_for(worker=request.user, project=project)
    # Projects with work for this worker first; the rest stay listed (their answers count) without a button.
    projects.sort(key=lambda p: p.items_left == 0)
    return render(request, "annotations/dashboard.html", {
        "profile": profile, "projects": projects, "summary": selectors.worker_summary(worker=request.user),
    })


# Items' images and audio may live on the integrator's own servers (their URLs are the items' data), or come
# inline as data: URLs (a short clip embedded in the item): neither can carry anything out of the page.
@csp_update({"img-src": ["https:", "http:"], "media-src": ["https:", "http:", "data:"]})
@annotator_required
def workspace(request, project_id):
    project = get_object_or_404(Project, pk=project_id)
    eligibility = worker_eligibility(worker=request.user, project=project)
    if not eligibility.visible:
        # Drafts and projects of pools the worker is not in do not exist for them: no title, no instructions.
        raise Http404("No such project.")
    problem = eligibility.problem
    config = {
        "projectId": project.pk,
        "taskType": project.task_type,
        "labels": project.labels,
        "itemFields": project.item_fields,
        "leaseMinutes": project.lease_minutes,
        "showSuggestions": project.show_model_suggestions,
        "itemsLeft": 0 if problem else selectors.items_left_for(worker=request.user, project=project),
        "itemsLeftCap": selectors.ITEMS_LEFT_CAP,
    }
    return render(request, "annotations/workspace.html", {
        "project": project, "problem": problem, "config": config,
        "instructions": instructions_html(project.instructions),
    }, status=403 if problem else 200)

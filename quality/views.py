"""The annotator's own earnings page."""

from django.core.paginator import Paginator
from django.shortcuts import render

from accounts.decorators import annotator_required

from . import selectors
from .models import EarningsEntry


@annotator_required
def my_earnings(request):
    entries = EarningsEntry.objects.filter(worker=request.user).select_related("project")
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "quality/earnings.html", {"page": page, "totals": selectors.earnings_totals(request.user)})

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.shortcuts import render

from jalon.plans.models import Plan


@login_required
def status_page(request):
    """Render a plain page saying which plans are loaded and how many figures they hold."""
    plans = Plan.objects.select_related("organisation").annotate(
        indicator_count=Count("indicators", distinct=True),
        project_count=Count("projects", distinct=True),
    )
    return render(request, "core/status.html", {"plans": plans})

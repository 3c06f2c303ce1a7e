"""Pages of the follow-up: the start page (portfolio overview)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from goals.selectors import portfolio_overview


@require_GET
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """The start page: every programme area of the current phase with its goals and milestones."""
    if not request.user.has_perm("gonv.view_portfolio"):
        raise PermissionDenied
    return render(request, "followup/home.html", {"phases": portfolio_overview()})

"""Pages of the follow-up: the start page (portfolio overview)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from base.http import HtmxHttpRequest, render_partial

from .selectors import portfolio_with_status


@require_GET
@login_required
def home(request: HtmxHttpRequest) -> HttpResponse:
    """The start page: every programme area of the current phase with its goals and milestones."""
    if not request.user.has_perm("gonv.view_portfolio"):
        raise PermissionDenied
    portfolio = portfolio_with_status()
    context = {
        "phases": portfolio.phases,
        "status_quarter": portfolio.quarter,
        "computed_at": portfolio.computed_at,
    }
    return render_partial(request, "followup/home.html", "portfolio", context)

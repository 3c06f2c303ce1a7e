"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    """Expose whether this is the embedded local mode (shown as a banner)."""
    return {"LOCAL_MODE": settings.LOCAL_MODE}

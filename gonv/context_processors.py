"""Template context shared by every page."""

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from followup.selectors import synthetic_data_present


def site(request: HttpRequest) -> dict[str, object]:
    """The embedded local mode and whether synthetic data exists (each shown as a banner)."""
    # Lazy: asked only by pages that render the banner (not by htmx fragments).
    return {
        "LOCAL_MODE": settings.LOCAL_MODE,
        "SYNTHETIC_DATA": SimpleLazyObject(synthetic_data_present),
    }

"""django-axes' admin pages (the lockout's attempts, logins and failures) in Swedish.

Axes ships no Swedish catalogue: its English msgids have Swedish entries in locale/sv (listed in
gonv/third_party_msgids.py). What no catalogue can reach is replaced here: two columns that axes
leaves without a label (named after the method) and the clean-up action, whose message axes
formats before translating (and which, as shipped, fails on an admin request). Loaded after
axes' own admin (INSTALLED_APPS order), so it re-registers the one model admin it changes.
"""

from __future__ import annotations

from typing import Any

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.models import AccessAttempt
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext


class AccessAttemptAdmin(AxesAccessAttemptAdmin):
    @admin.display(description=_("Går ut"))
    def expiration(self, obj: AccessAttempt) -> Any:
        return super().expiration(obj)

    @admin.display(description=_("Läge"))
    def status(self, obj: AccessAttempt) -> Any:
        return super().status(obj)

    @admin.action(description=_("Rensa utgångna inloggningsförsök"))
    def cleanup_expired_attempts(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        # axes' handler counts the cool-off from the time of the login it is handling, which an
        # admin request does not carry (as shipped, the action fails with AttributeError).
        request.axes_attempt_time = timezone.now()  # type: ignore[attr-defined]
        count = self.handler.clean_expired_user_attempts(request=request)
        self.message_user(
            request,
            ngettext(
                "%(count)d utgånget inloggningsförsök rensades.",
                "%(count)d utgångna inloggningsförsök rensades.",
                count,
            )
            % {"count": count},
        )


if admin.site.is_registered(AccessAttempt):
    admin.site.unregister(AccessAttempt)
    admin.site.register(AccessAttempt, AccessAttemptAdmin)

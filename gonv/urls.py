"""Root URLs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from .health import health
from .views import (
    ConfirmLogoutView,
    LandingLoginView,
    OwnPasswordChangeView,
    accessibility_statement,
    landing,
    session_keepalive,
)

# Says what was not found when our view knows (base.http.NotFound), else the generic page.
handler404 = "gonv.error_views.page_not_found"

admin.site.site_header = _("GONV-uppföljning – administration")
admin.site.site_title = _("GONV-uppföljning")

urlpatterns = [
    path("", include("followup.urls")),
    path("start/", landing, name="landing"),
    path("redigera/", include("goals.urls")),
    path("redigera/", include("programmes.urls")),
    path("redigera/", include("followup.report_urls")),
    path(
        "konto/logga-in/",
        LandingLoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("konto/logga-ut/", ConfirmLogoutView.as_view(), name="logout"),
    path("konto/fortsatt-inloggad/", session_keepalive, name="session_keepalive"),
    path("konto/losenord/", OwnPasswordChangeView.as_view(), name="password_change"),
    path(
        "konto/losenord/klart/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="registration/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
    path("halsa/", health, name="health"),
    path("tillganglighet/", accessibility_statement, name="accessibility_statement"),
]

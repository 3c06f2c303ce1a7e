"""The reporting grid (under /redigera/)."""

from django.urls import path

from . import report_views

urlpatterns = [
    path("rapportera/", report_views.report_start, name="report_start"),
    path("rapportera/<int:unit_id>/", report_views.report_grid, name="report_grid"),
]

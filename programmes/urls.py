"""Editing pages of working methods, activity plans and support needs (under /redigera/)."""

from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("programomrade/<int:area_id>/uppgifter/", views.programme_area_edit, name="area_edit"),
    path(
        "programomrade/<int:area_id>/arbetssatt/",
        views.working_methods,
        name="working_methods",
    ),
    path(
        "programomrade/<int:area_id>/arbetssatt/nytt/",
        views.working_method_edit,
        name="working_method_create",
    ),
    path(
        "programomrade/<int:area_id>/arbetssatt/<int:pk>/",
        views.working_method_edit,
        name="working_method_edit",
    ),
    path(
        "programomrade/<int:area_id>/arbetssatt/<int:pk>/ta-bort/",
        views.working_method_delete,
        name="working_method_delete",
    ),
    path("aktivitetsplaner/", views.activity_plans, name="activity_plans"),
    path(
        "aktivitetsplaner/<int:area_id>/<int:unit_id>/",
        views.activity_plan,
        name="activity_plan",
    ),
    path(
        "aktivitetsplaner/<int:area_id>/<int:unit_id>/skicka-in/",
        views.activity_plan_submit,
        name="activity_plan_submit",
    ),
    path(
        "aktivitetsplaner/<int:area_id>/<int:unit_id>/ta-tillbaka/",
        views.activity_plan_withdraw,
        name="activity_plan_withdraw",
    ),
    path(
        "aktivitetsplaner/<int:area_id>/<int:unit_id>/granska/",
        views.activity_plan_review,
        name="activity_plan_review",
    ),
    path(
        "aktivitetsplaner/<int:area_id>/<int:unit_id>/oppna/",
        views.activity_plan_reopen,
        name="activity_plan_reopen",
    ),
    path("aktiviteter/<int:pk>/", views.activity_edit, name="activity_edit"),
    path("aktiviteter/<int:pk>/atgard/", views.activity_action, name="activity_action"),
    path("stodbehov/", views.support_needs, name="support_needs"),
    path("stodbehov/nytt/", views.support_need_create, name="support_need_create"),
    path("stodbehov/<int:pk>/", views.support_need, name="support_need"),
    path("stodbehov/<int:pk>/avsluta/", views.support_need_close, name="support_need_close"),
]

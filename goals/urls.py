"""Editing pages of goals, milestones and adoption (under /redigera/)."""

from django.urls import path

from . import views

app_name = "goals"

urlpatterns = [
    path("programomrade/<int:area_id>/", views.area_goals, name="area"),
    path("programomrade/<int:area_id>/mal/nytt/", views.goal_create, name="goal_create"),
    path("mal/typfalt/", views.goal_kind_fields, name="goal_kind_fields"),
    path("mal/<int:pk>/", views.goal_detail, name="goal_detail"),
    path("mal/<int:pk>/historik/", views.goal_history, name="goal_history"),
    path("mal/<int:pk>/andra/", views.goal_edit, name="goal_edit"),
    path("mal/<int:pk>/ta-bort/", views.goal_delete, name="goal_delete"),
    path("mal/<int:pk>/aterstall/", views.goal_restore, name="goal_restore"),
    path("mal/<int:pk>/flytta/", views.goal_move, name="goal_move"),
    path("mal/<int:pk>/bedom/", views.goal_assess, name="goal_assess"),
    path("inforande/", views.adoption_start, name="adoption_start"),
    path("inforande/<int:unit_id>/", views.adoption_grid, name="adoption_grid"),
]

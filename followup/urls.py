from django.urls import include, path

from . import quarter_report_views, views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("followup.imports.urls")),
    path("programomraden/", views.programme_area_list, name="programme_area_list"),
    path("programomraden/mitt/", views.my_area, name="my_area"),
    path(
        "programomraden/<int:number>/",
        views.programme_area_detail,
        name="programme_area_detail",
    ),
    path("enheter/", views.unit_list, name="unit_list"),
    # Before <code>: "Min enhet" redirects to the VC's VO or the VEC's unit.
    path("enheter/min-enhet/", views.my_unit, name="my_unit"),
    path("enheter/<str:code>/", views.unit_detail, name="unit_detail"),
    path("enheter/<str:code>/att-gora/<slug:key>/", views.unit_todo_list, name="unit_todo_list"),
    # The Enheter tree's folded node: the units below a unit, fetched when it is opened.
    path("enheter/<str:code>/underenheter/", views.unit_tree_children, name="unit_tree_children"),
    path("matt/", views.measure_list, name="measure_list"),
    path("matt/<slug:code>/", views.measure_detail, name="measure_detail"),
    # The quarterly reports: the list, a quarter's report, its earlier versions and its
    # transitions (POST).
    path("rapporter/", quarter_report_views.quarter_report_list, name="quarter_report_list"),
    path(
        "rapporter/<str:quarter>/",
        quarter_report_views.quarter_report_detail,
        name="quarter_report_detail",
    ),
    # An earlier version of a report, read-only (each close a reopening or send-back ended).
    path(
        "rapporter/<str:quarter>/versioner/<int:number>/",
        quarter_report_views.quarter_report_version,
        name="quarter_report_version",
    ),
    path(
        "rapporter/<str:quarter>/<slug:action>/",
        quarter_report_views.quarter_report_action,
        name="quarter_report_action",
    ),
    path("mal/<slug:code>/", views.goal_detail, name="goal_detail"),
    # "Redigera" on the dashboards: the goal's form in place of its block, and the block back.
    path("mal/<slug:code>/redigera/", views.goal_inline_edit, name="goal_inline_edit"),
    path("mal/<slug:code>/block/", views.goal_inline_block, name="goal_inline_block"),
]

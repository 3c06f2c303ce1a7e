from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("matt/", views.measure_list, name="measure_list"),
    path("matt/<slug:code>/", views.measure_detail, name="measure_detail"),
    path("mal/<slug:code>/", views.goal_detail, name="goal_detail"),
]

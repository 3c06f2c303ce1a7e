from django.urls import path

from . import views

urlpatterns = [
    path("importera/", views.import_upload, name="import_upload"),
    path("importera/mall.<str:kind>", views.import_template, name="import_template"),
    path("importera/<uuid:job_id>/", views.import_job, name="import_job"),
    path("importera/<uuid:job_id>/importera/", views.import_confirm, name="import_confirm"),
    path("importera/<uuid:job_id>/avbryt/", views.import_cancel, name="import_cancel"),
    path("importer/<int:pk>/", views.import_batch, name="import_batch"),
    path("importer/<int:pk>/angra/", views.import_batch_undo, name="import_batch_undo"),
]

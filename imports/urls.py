"""The import wizard, under /admin/imports/new/ (config/urls.py, before the admin's own URLs).
Job pages carry the job's UUID."""

from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.new, name="new"),
    path("upload/<str:type_code>/", views.upload, name="upload"),
    path("<uuid:pk>/sheet/", views.sheet, name="sheet"),
    path("<uuid:pk>/map/", views.map_columns, name="map"),
    path("<uuid:pk>/check/", views.check, name="check"),
    path("<uuid:pk>/values/", views.choose_values, name="values"),
    path("<uuid:pk>/files/", views.files, name="files"),
    path("<uuid:pk>/progress/", views.progress, name="progress"),
    path("<uuid:pk>/destinations/", views.destinations, name="destinations"),
    path("<uuid:pk>/import/", views.import_rows, name="import"),
    path("<uuid:pk>/cancel/", views.cancel, name="cancel"),
    path("<uuid:pk>/result/", views.result, name="result"),
    path("<uuid:pk>/discard/", views.discard, name="discard"),
    path("template/<str:type_code>/", views.template, name="template"),
    path("relations/", views.relation_search, name="relation-search"),
]
